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


class SlowProxy:
    """A TCP proxy to the real Redis that holds every request ``delay`` seconds: a Redis far away, or busy."""

    def __init__(self, target: str, delay: float) -> None:
        import asyncio
        import threading
        from urllib.parse import urlparse

        parsed = urlparse(target)
        self.host, self.port, self.delay = parsed.hostname or "127.0.0.1", parsed.port or 6379, delay
        self.loop = asyncio.new_event_loop()
        self.server = None
        started = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self.loop)
            self.server = self.loop.run_until_complete(asyncio.start_server(self._serve, "127.0.0.1", 0))
            started.set()
            self.loop.run_forever()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        started.wait(5)
        self.url = f"redis://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/0"

    async def _serve(self, reader, writer) -> None:
        import asyncio

        up_reader, up_writer = await asyncio.open_connection(self.host, self.port)

        async def pipe(src, dst, delay: float) -> None:
            try:
                while data := await src.read(65536):
                    if delay:
                        await asyncio.sleep(delay)
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                dst.close()

        await asyncio.gather(pipe(reader, up_writer, self.delay), pipe(up_reader, writer, 0))

    def close(self) -> None:
        import asyncio

        async def stop() -> None:
            self.server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


def test_a_slow_redis_never_stalls_the_event_loop_and_a_waiting_cancel_still_applies(backend):
    """Starting a run waits for Redis (a cancel may be waiting there), but other work on the loop goes on."""
    import asyncio

    from runwire_redis import RedisCancellation

    delay = 0.5
    proxy = SlowProxy(URL, delay)
    slow = RedisCancellation(proxy.url, prefix=backend.prefix)
    elsewhere = RedisCancellation(URL, prefix=backend.prefix, pending_ttl=60)  # another process, say
    set_cancellation_backend(slow)
    try:
        early = "r-" + uuid.uuid4().hex
        assert elsewhere.cancel(early, "cancelled from elsewhere before it started") is False  # waits in Redis

        async def main():
            gaps, last, done = [], time.perf_counter(), False

            async def tick():
                nonlocal last
                while not done:
                    await asyncio.sleep(0.01)
                    now = time.perf_counter()
                    gaps.append(now - last)
                    last = now

            ticker = asyncio.ensure_future(tick())
            agent = Agent(model=ScriptedModel(lambda request: "fine"))
            started = time.perf_counter()
            async def cancelled_early() -> list:
                return [e async for e in agent.arun("c", run_id=early, stream=True, stream_events=True)]

            outs = await asyncio.gather(agent.arun("a"), agent.arun("b"), cancelled_early())
            took = time.perf_counter() - started
            done = True
            await ticker
            return outs, took, max(gaps)

        outs, took, worst_gap = asyncio.run(main())
        assert [o.status for o in outs[:2]] == ["completed", "completed"]
        assert [e.event for e in outs[2]] == ["RunStarted", "RunCancelled"]
        assert outs[2][-1].reason == "cancelled from elsewhere before it started"
        assert took >= delay  # the starts waited for Redis ...
        assert worst_gap < delay * 0.8, worst_gap  # ... and the loop went on meanwhile (it stalled for each, before)
    finally:
        set_cancellation_backend(backend)
        elsewhere.close()
        slow.close()
        proxy.close()
