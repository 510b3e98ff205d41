"""Cancellation that cannot poison a run id or take a run down (items 12 and 13 of issue 12):
in process, and through the real local Redis (up, unreachable, and with a killed process)."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
import uuid

import pytest

from runwire.agent import Agent
from runwire.run.cancel import cancel_run, set_cancellation_backend
from runwire.testing import ScriptedModel, ToolCall

from .conftest import REDIS_URL


def _id() -> str:
    return "r-" + uuid.uuid4().hex


@pytest.fixture
def redis_backend(no_backend):
    """``make(url, **options)``: a RedisCancellation used by this process, closed (threads stopped) afterwards."""
    made = []

    def make(url: str, **options):
        from runwire_redis import RedisCancellation

        backend = RedisCancellation(url, **options)
        made.append(backend)
        set_cancellation_backend(backend)
        return backend

    yield make
    set_cancellation_backend(None)
    for backend in made:
        backend.close()


# -- item 13: a late cancel poisons a run id ----------------------------------
def test_a_cancel_after_the_run_finished_does_not_cancel_the_next_run_with_that_id(no_backend):
    agent = Agent(model=ScriptedModel(lambda request: "done"))
    run_id = _id()
    assert agent.run("first", run_id=run_id).status == "completed"
    assert cancel_run(run_id, "too late") is False
    again = agent.run("second", run_id=run_id)
    assert again.status == "completed" and again.content == "done"


def test_a_cancel_before_the_run_starts_still_cancels_it(no_backend):
    run_id = _id()
    assert cancel_run(run_id, "not wanted") is False
    out = Agent(model=ScriptedModel(["never"])).run("x", run_id=run_id)
    assert out.status == "cancelled" and out.cancel_reason == "not wanted"


# -- item 12: Redis problems must not take runs down ------------------------------
def _unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_redis_warns_once_and_runs_go_on(redis_backend, caplog):
    backend = redis_backend(f"redis://127.0.0.1:{_unused_port()}/0", prefix="unreachable:")

    def peek() -> str:
        return "looked"

    agent = Agent(model=ScriptedModel(lambda r: [ToolCall("peek", {})] if len(r.messages) < 3 else "fine"), tools=[peek])
    with caplog.at_level(logging.WARNING):
        outs = [agent.run("x") for _ in range(3)]
        stopper = Agent(model=ScriptedModel(["never"], latency=30))
        run_id = _id()
        threading.Timer(0.2, lambda: cancel_run(run_id, "still works here")).start()
        cancelled = stopper.run("y", run_id=run_id)
    assert [o.status for o in outs] == ["completed"] * 3 and outs[0].content == "fine"
    assert cancelled.status == "cancelled" and cancelled.cancel_reason == "still works here"  # in-process cancel
    warnings = [r for r in caplog.records if "runwire-redis" in r.getMessage() and "failed" in r.getMessage()]
    assert len(warnings) == 1 and "ConnectionError" in warnings[0].getMessage()
    assert backend.failures >= 1


def test_losing_redis_mid_run_leaves_a_completed_run_completed(redis_backend, redis_prefix, caplog):
    backend = redis_backend(REDIS_URL, prefix=redis_prefix)

    def lose_redis() -> str:
        # what a Redis restart looks like to the client: every connection refused from now on
        backend.client.connection_pool.reset()
        backend.client.connection_pool.connection_kwargs["port"] = _unused_port()
        return "redis gone"

    agent = Agent(model=ScriptedModel([[ToolCall("lose_redis", {})], "finished anyway"]), tools=[lose_redis])
    with caplog.at_level(logging.WARNING):
        out = agent.run("x")
        backend.flush()  # the end of a run is recorded in the background
    assert out.status == "completed" and out.content == "finished anyway", out.error
    assert any("failed to record the end of a run" in r.getMessage() for r in caplog.records)


def test_a_cancel_of_a_finished_run_is_refused_through_redis_too(redis_backend, redis_prefix):
    backend = redis_backend(REDIS_URL, prefix=redis_prefix)
    agent = Agent(model=ScriptedModel(lambda r: "done"))
    run_id = _id()
    assert agent.run("first", run_id=run_id).status == "completed"
    assert backend.cancel(run_id, "too late") is False  # another process asking, say
    assert backend.client.get(redis_prefix + "cancel:" + run_id) is None
    assert agent.run("second", run_id=run_id).status == "completed"


CHILD = textwrap.dedent("""
    import sys, time
    from runwire.agent import Agent
    from runwire.run.cancel import set_cancellation_backend
    from runwire.testing import ScriptedModel, ToolCall
    from runwire_redis import RedisCancellation

    url, prefix, run_id, lease = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    set_cancellation_backend(RedisCancellation(url, prefix=prefix, lease_ttl=lease))

    def work() -> str:
        print("live", flush=True)
        time.sleep(600)  # killed in here
        return "never"

    Agent(model=ScriptedModel([[ToolCall("work", {})], "never"]), tools=[work]).run("x", run_id=run_id)
""")


def test_a_killed_process_s_run_drops_out_of_the_live_runs(redis_backend, redis_prefix):
    lease = 1.5
    backend = redis_backend(REDIS_URL, prefix=redis_prefix, lease_ttl=lease)
    set_cancellation_backend(None)  # only the child runs with it; this process just looks
    run_id = _id()
    child = subprocess.Popen([sys.executable, "-c", CHILD, REDIS_URL, redis_prefix, run_id, str(lease)],
                             stdout=subprocess.PIPE, text=True, env={**os.environ})
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "live"
        time.sleep(lease * 2)  # longer than one lease: only the heartbeat keeps it live
        assert run_id in backend.live_runs()
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    deadline = time.monotonic() + 60
    while run_id in backend.live_runs():  # the lease runs out: nobody renews it
        assert time.monotonic() < deadline, "the killed process's run never dropped out"
        time.sleep(0.1)
    assert backend.cancel(run_id, "too late") is False
    assert run_id not in backend.client.zrange(redis_prefix + "leases", 0, -1)  # pruned, not only hidden


class Broken:
    """A cancellation backend whose every call fails (a plugin with a bug, a backend that lost its server)."""

    def run_started(self, run_id):
        raise RuntimeError("backend down")

    def run_finished(self, run_id):
        raise RuntimeError("backend down")

    def run_paused(self, run_id):
        raise RuntimeError("backend down")

    def cancel(self, run_id, reason):
        raise RuntimeError("backend down")


def test_a_failing_backend_never_fails_a_run(no_backend, caplog):
    set_cancellation_backend(Broken())  # type: ignore[arg-type]
    with caplog.at_level(logging.WARNING, logger="runwire.cancel"):
        out = Agent(model=ScriptedModel(["fine"])).run("x")
        assert cancel_run(_id(), "nobody") is False
    assert out.status == "completed" and out.content == "fine"
    messages = [r.getMessage() for r in caplog.records]
    assert any("record the start" in m and "backend down" in m for m in messages)
    assert any("record the end" in m for m in messages)
