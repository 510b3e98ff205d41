"""Durable runs on the real local PostgreSQL: processes SIGKILLed mid-run, recovered by DBOS in new ones.

Each test module gets its own DBOS system database and runwire schema (dropped afterwards); each
test its own executor id and run ids, so nothing collides with other tests or other users of the server.
"""

from __future__ import annotations

import asyncio
import collections
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

PG = os.environ.get("RUNWIRE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
APP = Path(__file__).with_name("durable_app.py")
ANSWER = "Both steps are done and the total is 42"


@pytest.fixture
def app(databases, tmp_path, request):
    executor = f"exec-{uuid.uuid4().hex[:8]}"
    effects = tmp_path / "effects.txt"
    base = {**os.environ, **databases, "RW_EFFECTS": str(effects), "RW_EXECUTOR": executor}

    def launch(mode: str, run_id: str, **env: str) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, str(APP), mode, run_id], env={**base, **env},
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def run(mode: str, run_id: str, **env: str) -> subprocess.CompletedProcess:
        proc = launch(mode, run_id, **env)
        out, err = proc.communicate(timeout=120)
        return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)

    def effects_count() -> collections.Counter:
        lines = effects.read_text().split("\n") if effects.exists() else []
        return collections.Counter(line.split()[0] for line in lines if line)

    class App:
        pass

    a = App()
    a.launch, a.run, a.effects, a.executor, a.env, a.path = launch, run, effects_count, executor, base, tmp_path
    return a


def _stored(databases, run_id: str):
    from runwire_postgres import PostgresStorage

    async def read():
        storage = PostgresStorage(databases["RW_PG"], schema=databases["RW_SCHEMA"])
        try:
            return await storage.get_run(run_id, with_events=False), await storage.read_events(run_id)
        finally:
            await storage.aclose()

    return asyncio.run(read())


def _shape(run, events):
    """What an uninterrupted run and a recovered one must share."""
    return {
        "status": run.status.value,
        "content": run.content,
        "tools": sorted((t.tool_name, t.tool_call_id, repr(t.tool_args), t.result, t.status) for t in run.tools),
        "messages": [(m.role, m.content, [(c.name, c.id) for c in m.tool_calls or []], m.tool_call_id)
                     for m in run.messages],
        "events": [e["event"] for _, e in events],
        "content_events": "".join(e.get("content", "") for _, e in events if e["event"] == "RunContent"),
    }


@pytest.fixture(scope="module")
def uninterrupted(databases, tmp_path_factory):
    effects = tmp_path_factory.mktemp("baseline") / "effects.txt"
    env = {**os.environ, **databases, "RW_EFFECTS": str(effects), "RW_EXECUTOR": "baseline"}
    done = subprocess.run([sys.executable, str(APP), "run", "baseline"], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split(None, 1) == ["completed", ANSWER + "\n"]
    return _shape(*_stored(databases, "baseline"))


def _crash_and_recover(app, databases, uninterrupted, point: str, *, other_executor: bool = False,
                       **env: str):
    run_id = f"run-{point}-{uuid.uuid4().hex[:6]}"
    crashed = app.run("run", run_id, RW_KILL_AT=point, **env)
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    before = _stored(databases, run_id)
    assert before[0] is not None and before[0].status.value == "running"  # the row as the dead process left it
    if other_executor:  # a different process, with its own executor id, takes over the dead one's runs
        recovered = app.run("recover", run_id, RW_EXECUTOR=f"rescuer-{uuid.uuid4().hex[:6]}",
                            RW_RECOVER_FROM=app.executor, **env)
    else:  # the same executor restarts: DBOS recovers its pending workflows at launch
        recovered = app.run("recover", run_id, **env)
    assert recovered.returncode == 0, recovered.stderr
    assert recovered.stdout.strip() == "result completed"
    run, events = _stored(databases, run_id)
    seqs = [seq for seq, _ in events]
    assert seqs == list(range(len(events)))  # no duplicate, no missing seq
    assert before[1] == events[: len(before[1])]  # what was stored before the crash is kept as it was
    shape, expected = _shape(run, events), dict(uninterrupted)
    if env.get("RW_ONE_SEQ_PER_CHUNK"):  # one record per content chunk instead of one per model response
        chunks = [name for name in shape["events"] if name == "RunContent"]
        assert len(chunks) == len(ANSWER.split())
        shape["events"] = [name for name in shape["events"] if name != "RunContent"]
        expected["events"] = [name for name in expected["events"] if name != "RunContent"]
    assert shape == expected
    return app.effects()


def test_a_run_killed_during_a_tool_resumes_and_only_that_tool_runs_again(app, databases, uninterrupted):
    effects = _crash_and_recover(app, databases, uninterrupted, "tool")
    # completed tools were replayed from their checkpoints; the one cut off mid-call ran again
    assert effects == {"step_one": 1, "step_two": 1, "step_three": 1, "ship": 2}


def test_a_run_killed_during_the_model_stream_is_recovered_by_another_executor(app, databases, uninterrupted):
    effects = _crash_and_recover(app, databases, uninterrupted, "model_stream", other_executor=True)
    assert effects == {"step_one": 1, "step_two": 1, "step_three": 1, "ship": 1}


def test_a_run_killed_mid_stream_on_a_one_seq_per_chunk_log_keeps_no_chunk_of_the_cut_off_request(
        app, databases, uninterrupted):
    effects = _crash_and_recover(app, databases, uninterrupted, "model_stream", RW_ONE_SEQ_PER_CHUNK="1")
    assert effects == {"step_one": 1, "step_two": 1, "step_three": 1, "ship": 1}


@pytest.mark.slow
def test_a_run_killed_after_its_tools_completed_runs_none_again(app, databases, uninterrupted):
    effects = _crash_and_recover(app, databases, uninterrupted, "after_tools")
    assert effects == {"step_one": 1, "step_two": 1, "step_three": 1, "ship": 1}


@pytest.mark.slow
def test_a_run_killed_during_a_tool_is_recovered_by_another_executor(app, databases, uninterrupted):
    effects = _crash_and_recover(app, databases, uninterrupted, "tool", other_executor=True)
    assert effects == {"step_one": 1, "step_two": 1, "step_three": 1, "ship": 2}


def test_the_caller_streams_a_durable_run_live(app, databases, uninterrupted):
    # the model holds its stream after the first chunk until the caller has received it
    done = app.run("stream", f"stream-{uuid.uuid4().hex[:6]}", RW_WAIT_FOR_CALLER="1")
    assert done.returncode == 0, done.stderr
    names = done.stdout.split()
    assert names[0] == "RunStarted" and names[-1] == "RunCompleted"
    assert names.count("RunContent") == len(ANSWER.split())  # chunk by chunk, not one block per step


def _workers(app, n: int, **env: str) -> list[subprocess.Popen]:
    workers = [app.launch("worker", "-", RW_EXECUTOR=f"{app.executor}-w{i}", RW_WORKER_CONCURRENCY="1", **env)
               for i in range(n)]
    for worker in workers:
        line = worker.stdout.readline()
        assert line.strip() == "ready", worker.stderr.read() if worker.poll() is not None else line
    return workers


def _stop(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        if worker.poll() is None:
            worker.kill()
        worker.communicate(timeout=30)


def _wait_for_runs(databases, run_ids: list[str], deadline: float = 90) -> dict:
    """The stored runs once all of them ended (a deadline only so a broken queue fails instead of hanging)."""
    end = time.monotonic() + deadline
    while True:
        runs = {run_id: _stored(databases, run_id)[0] for run_id in run_ids}
        if all(r is not None and r.status.value in ("completed", "error", "cancelled") for r in runs.values()):
            return runs
        if time.monotonic() > end:
            pytest.fail(f"runs still unfinished after {deadline} s: "
                        f"{ {k: (r.status.value if r else None) for k, r in runs.items()} }")
        time.sleep(0.2)


def test_queued_runs_are_shared_by_two_worker_processes(app, databases):
    workers = _workers(app, 2, RW_MODEL_DELAY="0.1")
    try:
        prefix = f"q-{uuid.uuid4().hex[:6]}"
        put = app.run("enqueue", prefix, RW_RUNS="4")  # from a process that does not serve the queue
        assert put.returncode == 0, put.stderr
        runs = _wait_for_runs(databases, [f"{prefix}-{i}" for i in range(4)])
    finally:
        _stop(workers)
    assert {r.status.value for r in runs.values()} == {"completed"}
    assert {r.content for r in runs.values()} == {ANSWER}
    lines = [line.split() for line in (app.path / "effects.txt").read_text().splitlines()]
    by_worker = collections.Counter(pid for name, pid in lines if name == "step_one")
    assert set(by_worker) == {str(w.pid) for w in workers}  # both workers ran some (concurrency 1 each)
    assert sum(by_worker.values()) == 4


@pytest.mark.slow
def test_a_dead_workers_runs_are_recovered_by_another_process(app, databases):
    # the first worker to reach the `ship` tool is SIGKILLed there
    workers = _workers(app, 2, RW_MODEL_DELAY="0.1", RW_KILL_AT="tool")
    try:
        prefix = f"d-{uuid.uuid4().hex[:6]}"
        assert app.run("enqueue", prefix, RW_RUNS="4").returncode == 0
        end = time.monotonic() + 90
        while all(w.poll() is None for w in workers):
            assert time.monotonic() < end, "no worker reached the kill point"
            time.sleep(0.1)
        dead = next(i for i, w in enumerate(workers) if w.poll() is not None)
        assert workers[dead].returncode == -signal.SIGKILL
        rescue = app.run("recover-all", "-", RW_EXECUTOR=f"{app.executor}-rescuer",
                         RW_RECOVER_FROM=f"{app.executor}-w{dead}")
        assert rescue.returncode == 0, rescue.stderr
        assert "recovered" in rescue.stdout
        runs = _wait_for_runs(databases, [f"{prefix}-{i}" for i in range(4)])
    finally:
        _stop(workers)
    assert {r.status.value for r in runs.values()} == {"completed"}
    assert {r.content for r in runs.values()} == {ANSWER}
    assert app.effects() == {"step_one": 4, "step_two": 4, "step_three": 4, "ship": 5}  # only the cut-off call twice


def _workflow_status(databases, run_id: str) -> str:
    import psycopg

    with psycopg.connect(databases["RW_SYSDB"], autocommit=True) as conn:
        row = conn.execute("SELECT status FROM dbos.workflow_status WHERE workflow_uuid = %s", (run_id,)).fetchone()
    return row[0] if row else None


def test_a_paused_run_waits_as_a_workflow_and_another_process_continues_it(app, databases):
    run_id = f"hitl-{uuid.uuid4().hex[:6]}"
    first = app.run("run", run_id, RW_HITL="1")
    assert first.returncode == 0, first.stderr
    assert first.stdout.split() == ["paused", "None"]
    assert _workflow_status(databases, run_id) == "PENDING"  # its process is gone; the workflow still waits
    assert app.effects() == {}
    # a new process of the same service (same executor id): DBOS recovers the waiting workflow at launch,
    # continue_run hands it the human's answer and follows the run's log to its end
    second = app.run("continue", run_id, RW_HITL="1")
    assert second.returncode == 0, second.stderr
    assert second.stdout.split() == ["completed", "Refunded"]
    assert _workflow_status(databases, run_id) == "SUCCESS"
    run, events = _stored(databases, run_id)
    assert [seq for seq, _ in events] == list(range(len(events)))
    assert [e["event"] for _, e in events] == [
        "RunStarted", "ModelRequestStarted", "ModelRequestCompleted", "RunPaused", "RunContinued",
        "ToolCallStarted", "ToolCallCompleted", "ModelRequestStarted", "RunContent", "ModelRequestCompleted",
        "RunContentCompleted", "RunCompleted"]
    assert [(t.tool_name, t.result) for t in run.tools] == [("refund", "refunded 5")]
    assert app.effects() == {"refund": 1}


@pytest.mark.slow
def test_a_paused_run_on_a_worker_is_continued_from_a_process_that_does_not_run_it(app, databases):
    workers = _workers(app, 1, RW_HITL="1")
    try:
        prefix = f"hq-{uuid.uuid4().hex[:6]}"
        assert app.run("enqueue", prefix, RW_RUNS="1", RW_HITL="1").returncode == 0
        run_id = f"{prefix}-0"
        end = time.monotonic() + 60
        while (_stored(databases, run_id)[0] is None or _stored(databases, run_id)[0].status.value != "paused"):
            assert time.monotonic() < end, "the queued run never paused"
            time.sleep(0.1)
        done = app.run("continue", run_id, RW_HITL="1", RW_EXECUTOR=f"{app.executor}-api")
        assert done.returncode == 0, done.stderr
        assert done.stdout.split() == ["completed", "Refunded"]
    finally:
        _stop(workers)
    lines = [line.split() for line in (app.path / "effects.txt").read_text().splitlines()]
    assert lines == [["refund", str(workers[0].pid)]]  # the tool ran once, in the worker holding the workflow


def test_cancelling_a_paused_run_cancels_its_workflow(app, databases):
    run_id = f"hitl-c-{uuid.uuid4().hex[:6]}"
    assert app.run("run", run_id, RW_HITL="1").returncode == 0
    cancelled = app.run("cancel", run_id, RW_HITL="1", RW_EXECUTOR=f"{app.executor}-admin")
    assert cancelled.returncode == 0, cancelled.stderr
    assert cancelled.stdout.split() == ["cancelled", "True", "workflow", "CANCELLED"]
    assert _stored(databases, run_id)[0].status.value == "cancelled"
    assert _workflow_status(databases, run_id) == "CANCELLED"
    assert app.effects() == {}


def test_a_tool_marked_ask_before_repeating_pauses_the_recovered_run_instead_of_running_again(app, databases):
    run_id = f"ask-{uuid.uuid4().hex[:6]}"
    crashed = app.run("run", run_id, RW_KILL_AT="tool", RW_ASK_TOOLS="ship")
    assert crashed.returncode == -signal.SIGKILL
    recovered = app.run("recover-until-paused", run_id, RW_ASK_TOOLS="ship")
    assert recovered.returncode == 0, recovered.stderr
    assert recovered.stdout.strip() == "paused [('ship', 'paused', True)]"
    assert app.effects() == {"step_one": 1, "step_two": 1, "step_three": 1, "ship": 1}  # not repeated on its own
    yes = '[{"tool_call_id": "call-4", "user_input_schema": [{"name": "run_again", "field_type": "bool", "value": true}]}]'
    done = app.run("continue", run_id, RW_ASK_TOOLS="ship", RW_UPDATES=yes)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"completed {ANSWER}"
    assert app.effects() == {"step_one": 1, "step_two": 1, "step_three": 1, "ship": 2}  # once more, as the human said
    run, events = _stored(databases, run_id)
    assert [seq for seq, _ in events] == list(range(len(events)))
    assert [(t.tool_name, t.result) for t in run.tools][-1] == ("ship", "shipped to Oslo")


@pytest.mark.slow
def test_the_durability_benchmark_runs(tmp_path):
    import json

    out = tmp_path / "bench.json"
    bench = Path(__file__).resolve().parents[3] / "benchmarks" / "run.py"
    done = subprocess.run([sys.executable, str(bench), "--only", "dbos", "--out", str(out)], capture_output=True,
                          text=True, env={**os.environ, "RUNWIRE_BENCH_QUICK": "1"}, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    names = [r["name"] for r in json.loads(out.read_text())["results"]]
    assert any("per step" in n for n in names) and sum("queue throughput" in n for n in names) == 3
