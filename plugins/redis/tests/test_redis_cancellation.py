"""RedisCancellation on the real local Redis."""

import os
import time
import uuid

import pytest

from runwire.agent import Agent
from runwire.run.cancel import set_cancellation_backend
from runwire.testing import ScriptedModel

URL = os.environ.get("RUNWIRE_TEST_REDIS", "redis://127.0.0.1:6379/0")


@pytest.fixture
def backend():
    from runwire_redis import RedisCancellation

    backend = RedisCancellation(URL, prefix=f"rwtest-{uuid.uuid4().hex[:8]}:", pending_ttl=5)
    try:
        backend.client.ping()
    except Exception:
        if os.environ.get("RUNWIRE_REQUIRE_SERVICES") == "1":
            pytest.fail(f"Redis is required but {URL} is not reachable")
        pytest.skip(f"no Redis at {URL}")
    set_cancellation_backend(backend)
    yield backend
    set_cancellation_backend(None)
    backend.close()
    for key in backend.client.scan_iter(backend.prefix + "*"):
        backend.client.delete(key)


def test_live_runs_are_tracked_and_removed(backend):
    seen = []

    def peek() -> str:
        seen.append(backend.live_runs())
        return "ok"

    from runwire.testing import ToolCall

    out = Agent(model=ScriptedModel([[ToolCall("peek", {})], "done"]), tools=[peek]).run("x")
    assert seen == [{out.run_id}] and backend.live_runs() == set()
    assert backend.client.zrange(backend.prefix + "leases", 0, -1) == []


def test_pending_cancel_expires(backend):
    run_id = "r-" + uuid.uuid4().hex
    assert backend.cancel(run_id, "early") is False
    assert backend.client.get(backend.prefix + "cancel:" + run_id) == "early"
    assert 0 < backend.client.ttl(backend.prefix + "cancel:" + run_id) <= 5
    assert backend.run_started(run_id) == "early"  # consumed when the run starts
    assert backend.client.get(backend.prefix + "cancel:" + run_id) is None
    backend.run_finished(run_id)


def test_a_live_run_in_this_process_is_cancelled_through_the_channel(backend):
    import threading

    agent = Agent(model=ScriptedModel(["never"], latency=30))
    run_id = "r-" + uuid.uuid4().hex

    def cancel_via_redis_only():
        time.sleep(0.3)
        backend.cancel(run_id, "via pubsub")  # goes through Redis, not the in-process registry

    threading.Thread(target=cancel_via_redis_only).start()
    out = agent.run("go", run_id=run_id)
    assert out.status == "cancelled" and out.cancel_reason == "via pubsub"


def test_environment_selects_the_backend(monkeypatch):
    from runwire.run import cancel

    monkeypatch.setenv("RUNWIRE_CANCELLATION", URL)
    set_cancellation_backend(None)
    monkeypatch.setattr(cancel, "_backend_resolved", False)
    try:
        assert type(cancel.get_cancellation_backend()).__name__ == "RedisCancellation"
    finally:
        set_cancellation_backend(None)
