"""runwire-server puts a DBOS-durable agent's background runs on its DBOS queue (a real uvicorn server process)."""

from __future__ import annotations

import json
import os
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


@pytest.fixture(params=["serve", "hand-out"])
def server(databases, tmp_path, request):
    """The server process; with ``hand-out`` it only enqueues, and a worker process of its own runs the runs."""
    keys = tmp_path / "keys"
    keys.write_text(f"ann:{ANN_KEY}\nbob:{BOB_KEY}\n")
    port, gate = _free_port(), tmp_path / "gate"
    executor = f"server-{uuid.uuid4().hex[:8]}"  # the process expected to run the run

    def start(mode: str, executor: str) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, str(SERVER), mode, str(port), str(keys)],
                                env={**os.environ, **databases, "RW_EXECUTOR": executor, "RW_GATE": str(gate)},
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    worker = None
    if request.param == "hand-out":
        executor = f"worker-{uuid.uuid4().hex[:8]}"
        worker = start("worker", executor)
        assert worker.stdout is not None and worker.stdout.readline().strip() == "ready", worker.communicate()[1]
    proc = start(request.param, executor if worker is None else f"api-{uuid.uuid4().hex[:8]}")
    url = f"http://127.0.0.1:{port}"
    try:
        end = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.communicate()[1]
            assert time.monotonic() < end, "the server did not start"
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield url, gate, executor
    finally:
        _stop(proc)
        if worker is not None:
            _stop(worker)


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
