"""runwire-server puts a DBOS-durable agent's background runs on its DBOS queue (a real uvicorn server process)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
from httpx_sse import connect_sse

SERVER = Path(__file__).with_name("durable_server.py")
ANN_KEY, BOB_KEY = "ann-queue-key-0123456789", "bob-queue-key-9876543210"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()


class _Processes:
    """A server process (``serve`` or ``hand-out``) and, for ``hand-out``, the worker process running its runs."""

    def __init__(self, databases, tmp_path: Path, mode: str) -> None:
        self.keys, self.gate, self.packed = tmp_path / "keys", tmp_path / "gate", tmp_path / "packed"
        self.keys.write_text(f"ann:{ANN_KEY}\nbob:{BOB_KEY}\n")
        self.databases, self.port, self.procs = databases, _free_port(), []
        self.url = f"http://127.0.0.1:{self.port}"
        self.executor = f"server-{uuid.uuid4().hex[:8]}"  # the process expected to run the run
        self.worker = None
        if mode == "hand-out":
            self.executor = f"worker-{uuid.uuid4().hex[:8]}"
            self.worker = self.start_worker()
        self.server = self._start(mode, self.executor if self.worker is None else f"api-{uuid.uuid4().hex[:8]}")
        end = time.monotonic() + 60
        while True:
            assert self.server.poll() is None, self.server.communicate()[1]
            assert time.monotonic() < end, "the server did not start"
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)

    def _start(self, mode: str, executor: str) -> subprocess.Popen:
        proc = subprocess.Popen([sys.executable, str(SERVER), mode, str(self.port), str(self.keys)],
                                env={**os.environ, **self.databases, "RW_EXECUTOR": executor,
                                     "RW_GATE": str(self.gate), "RW_PACKED": str(self.packed)},
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.procs.append(proc)
        return proc

    def start_worker(self) -> subprocess.Popen:
        """A worker process with this fixture's worker executor id (DBOS recovers that id's runs at launch)."""
        worker = self._start("worker", self.executor)
        assert worker.stdout is not None and worker.stdout.readline().strip() == "ready", worker.communicate()[1]
        return worker

    def tool_calls(self) -> int:
        return len(self.packed.read_text().splitlines()) if self.packed.exists() else 0

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                _stop(proc)


@pytest.fixture(params=["serve", "hand-out"])
def server(databases, tmp_path, request):
    """The server process; with ``hand-out`` it only enqueues, and a worker process of its own runs the runs."""
    processes = _Processes(databases, tmp_path, request.param)
    try:
        yield processes.url, processes.gate, processes.executor
    finally:
        processes.stop()


@pytest.fixture
def handed_out(databases, tmp_path):
    """A server that only enqueues, and the worker process running its runs."""
    processes = _Processes(databases, tmp_path, "hand-out")
    try:
        yield processes
    finally:
        processes.stop()


def _workflow(databases, run_id: str):
    from dbos import DBOSClient

    client = DBOSClient(system_database_url=databases["RW_SYSDB"])
    try:
        return client.retrieve_workflow(run_id).get_status()
    finally:
        client.destroy()


def test_a_background_run_goes_on_the_agents_dbos_queue_and_streams_from_its_log(server, databases):
    url, gate, executor = server
    ann = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {ANN_KEY}"}, timeout=30)
    bob = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {BOB_KEY}"}, timeout=30)
    with ann, bob:
        posted = ann.post("/agents/packer/runs", json={"message": "Pack the books", "background": True})
        assert posted.status_code == 202, posted.text
        assert posted.json()["status"] == "running"
        run_id = posted.json()["run_id"]

        assert ann.get(f"/runs/{run_id}").json()["user_id"] == "ann"  # stored at once, for its user only
        assert bob.get(f"/runs/{run_id}").status_code == 404
        assert bob.get(f"/runs/{run_id}/events").status_code == 404

        status = _workflow(databases, run_id)  # a DBOS workflow on the agent's queue, keyed by the run_id
        assert status.name == "runwire.run"
        assert status.queue_name == "server-runs"

        events = []
        with connect_sse(ann, "GET", f"/runs/{run_id}/events") as source:
            assert source.response.status_code == 200
            for event in source.iter_sse():
                events.append(event)
                if event.event == "ToolCallStarted":  # the run is mid-way, waiting in its tool: let it go on
                    assert ann.get(f"/runs/{run_id}").json()["status"] == "running"
                    gate.touch()
        names = [e.event for e in events]
        assert names[0] == "RunStarted" and names[-1] == "RunCompleted"
        assert "ToolCallStarted" in names and "ToolCallCompleted" in names
        assert [int(e.id) for e in events] == list(range(len(events)))  # the whole log, once, in order
        assert json.loads(events[-1].data)["content"] == "The parcel is packed"

        run = ann.get(f"/runs/{run_id}", params={"events": True}).json()
        assert run["status"] == "completed" and run["content"] == "The parcel is packed"
        assert [e["event"] for e in run["events"]] == names
        replay = []
        with connect_sse(ann, "GET", f"/runs/{run_id}/events", params={"after": 2}) as source:
            replay = [int(e.id) for e in source.iter_sse()]
        assert replay == list(range(3, len(events)))

    status = _workflow(databases, run_id)
    assert status.status == "SUCCESS" and status.executor_id == executor  # the server, or the worker process


def _wait_for(condition, what: str) -> None:
    end = time.monotonic() + 60
    while not condition():
        assert time.monotonic() < end, what
        time.sleep(0.05)


def test_a_client_streaming_a_run_whose_worker_is_killed_sees_it_finish_after_recovery(handed_out, databases):
    procs = handed_out
    ann = httpx.Client(base_url=procs.url, headers={"Authorization": f"Bearer {ANN_KEY}"}, timeout=30)
    with ann:
        posted = ann.post("/agents/packer/runs", json={"message": "Pack the books", "background": True})
        assert posted.status_code == 202, posted.text
        run_id = posted.json()["run_id"]

        events: list = []
        streams = 0
        while not events or events[-1].event != "RunCompleted":  # if a stream ends early, resume after the last seq
            streams += 1
            assert streams <= 3, [e.event for e in events]
            headers = {"Last-Event-ID": events[-1].id} if events else {}
            with connect_sse(ann, "GET", f"/runs/{run_id}/events", headers=headers) as source:
                assert source.response.status_code == 200
                for event in source.iter_sse():
                    events.append(event)
                    if event.event == "ToolCallStarted" and procs.tool_calls() < 2:
                        _wait_for(lambda: procs.tool_calls() == 1, "the worker did not call the tool")
                        assert procs.worker is not None
                        procs.worker.kill()  # SIGKILL, mid-tool: no checkpoint of the call
                        assert procs.worker.wait(timeout=20) == -signal.SIGKILL
                        assert ann.get(f"/runs/{run_id}").json()["status"] == "running"
                        procs.worker = procs.start_worker()  # same executor id: DBOS recovers the run at launch
                        _wait_for(lambda: procs.tool_calls() == 2, "the recovered run did not call the tool again")
                        procs.gate.touch()

        names = [e.event for e in events]
        assert names[0] == "RunStarted" and names[-1] == "RunCompleted"
        assert [int(e.id) for e in events] == list(range(len(events)))  # every seq once, in order
        assert names.count("ToolCallStarted") == 1 and names.count("ToolCallCompleted") == 1
        assert json.loads(events[-1].data)["content"] == "The parcel is packed"
        assert procs.tool_calls() == 2  # the cut-off call ran again once; nothing else ran twice

        run = ann.get(f"/runs/{run_id}", params={"events": True}).json()
        assert run["status"] == "completed" and run["content"] == "The parcel is packed"
        assert [e["event"] for e in run["events"]] == names

    status = _workflow(databases, run_id)
    assert status.status == "SUCCESS" and status.executor_id == procs.executor
