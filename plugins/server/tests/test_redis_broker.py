"""``RedisBroker`` against the local Redis: three brokers stand for three workers sharing one Redis (and
``MemoryBroker``, where a test holds for one worker as well).

Without Redis these tests skip (fail under RUNWIRE_REQUIRE_SERVICES=1, as in CI).
"""

from __future__ import annotations

import asyncio
import os
import uuid
from typing import AsyncIterator, Optional

import pytest

from runwire_server.broker import LiveEvent, MemoryBroker

REDIS_URL = os.environ.get("RUNWIRE_TEST_REDIS", "redis://127.0.0.1:6379/0")


@pytest.fixture
async def brokers():
    """``make()``: a new RedisBroker (a worker) on a key prefix of this test's own."""
    import redis.asyncio as aioredis
    from redis.exceptions import RedisError

    from runwire_server.redis_broker import RedisBroker

    client = aioredis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        await client.ping()
    except (RedisError, OSError) as exc:
        await client.aclose()
        if os.environ.get("RUNWIRE_REQUIRE_SERVICES") == "1":
            pytest.fail(f"Redis at {REDIS_URL}: {exc}")
        pytest.skip(f"Redis at {REDIS_URL}: {exc}")
    prefix = f"rwtest:{uuid.uuid4().hex[:10]}:"
    made: list[RedisBroker] = []

    def make() -> RedisBroker:
        made.append(RedisBroker(REDIS_URL, prefix=prefix, block_ms=500))
        return made[-1]

    make.prefix = prefix  # type: ignore[attr-defined]
    make.redis = client  # type: ignore[attr-defined]
    try:
        yield make
    finally:
        for broker in made:
            await broker.aclose()
        async for key in client.scan_iter(match=prefix + "*"):
            await client.delete(key)
        await client.aclose()


async def read_all(live: Optional[AsyncIterator[LiveEvent]]) -> list[str]:
    assert live is not None
    return [event.name async for event in live]


def event(seq: int, name: str) -> LiveEvent:
    return LiveEvent(seq, name, "{}")


async def test_a_late_close_or_event_of_the_segment_before_never_reaches_a_continued_segment(brokers):
    """Run r pauses on worker A and is continued on worker B; A's last event and its close reach Redis only
    after B opened the new segment. Readers elsewhere get B's events, and only B's, up to B's own close."""
    a, b, c, d = brokers(), brokers(), brokers(), brokers()
    run_id = "r-" + uuid.uuid4().hex[:8]
    on_a = await a.open(run_id)
    await a.publish(on_a, event(0, "RunStarted"))
    before = await c.subscribe(run_id)
    assert before is not None
    assert (await before.__anext__()).name == "RunStarted"  # C follows A's segment

    on_b = await b.open(run_id)  # the continue, on B
    await b.publish(on_b, event(2, "RunContinued"))
    await a.publish(on_a, event(1, "StaleFromA"))  # A's last event and close, delayed behind B's open
    await a.close(on_a)
    await b.publish(on_b, event(3, "RunCompleted"))
    after = await d.subscribe(run_id)
    await b.close(on_b)

    # C reads on into B's segment (the run's log has A's late event); D reads B's from its start
    read = await asyncio.wait_for(asyncio.gather(read_all(before), read_all(after)), 60)
    assert read == [["RunContinued", "RunCompleted"], ["RunContinued", "RunCompleted"]]
    late = await d.subscribe(run_id)  # a reader arriving after the close reads the same segment
    assert await asyncio.wait_for(read_all(late), 60) == ["RunContinued", "RunCompleted"]


async def test_a_late_close_does_not_cut_the_continued_segments_life_in_redis(brokers):
    """A's late close leaves B's live stream its live-run lifetime, not the short one of a closed stream."""
    a, b = brokers(), brokers()
    run_id = "r-" + uuid.uuid4().hex[:8]
    on_a = await a.open(run_id)
    on_b = await b.open(run_id)
    await a.close(on_a)
    assert await brokers.redis.ttl(f"{brokers.prefix}events:{run_id}") > a.retain
    await b.close(on_b)
    assert 0 < await brokers.redis.ttl(f"{brokers.prefix}events:{run_id}") <= b.retain


async def test_a_workers_segments_one_after_another_are_each_read_whole_elsewhere(brokers):
    """A run's segments opened and closed in turn on one worker: a reader elsewhere reads each from start to close."""
    a, c = brokers(), brokers()
    run_id = "r-" + uuid.uuid4().hex[:8]
    for round_ in range(3):
        on_a = await a.open(run_id)
        await a.publish(on_a, event(2 * round_, f"Start{round_}"))
        live = await c.subscribe(run_id)
        await a.publish(on_a, event(2 * round_ + 1, f"End{round_}"))
        await a.close(on_a)
        assert await asyncio.wait_for(read_all(live), 60) == [f"Start{round_}", f"End{round_}"]


@pytest.fixture(params=["memory", "redis"])
def one_worker(request):
    """``(worker, elsewhere)``: a MemoryBroker (nothing elsewhere), or a RedisBroker and another worker's."""
    if request.param == "memory":
        return MemoryBroker(), None
    brokers = request.getfixturevalue("brokers")
    return brokers(), brokers()


async def test_a_paused_runs_late_close_and_event_leave_its_continue_on_the_same_worker_live(one_worker):
    """Run r pauses, and a continue on the same worker opens r's next segment before the paused run's task
    publishes its last event and closes its own segment. That late close ends only the paused segment: the
    continue's readers, here and elsewhere, read its events up to its own close."""
    worker, elsewhere = one_worker
    run_id = "r-" + uuid.uuid4().hex[:8]
    paused = await worker.open(run_id)
    await worker.publish(paused, event(0, "RunStarted"))
    reading_paused = await worker.subscribe(run_id)

    continued = await worker.open(run_id)  # the continue, before the paused run's task reached its close
    here = await worker.subscribe(run_id)
    there = None if elsewhere is None else await elsewhere.subscribe(run_id)
    await worker.publish(continued, event(2, "RunContinued"))
    await worker.publish(paused, event(1, "RunPaused"))  # the paused task's last event and close, late
    await worker.close(paused)
    await worker.close(paused)  # (closing twice changes nothing)
    if elsewhere is not None:  # the late close left the continued stream its live-run lifetime in Redis
        assert await worker.client.ttl(f"{worker.prefix}events:{run_id}") > worker.retain
    await worker.publish(continued, event(3, "RunCompleted"))
    await worker.close(continued)

    assert await asyncio.wait_for(read_all(reading_paused), 60) == ["RunStarted", "RunPaused"]
    assert await asyncio.wait_for(read_all(here), 60) == ["RunContinued", "RunCompleted"]
    if there is not None:
        assert await asyncio.wait_for(read_all(there), 60) == ["RunContinued", "RunCompleted"]


async def test_a_subscriber_on_the_paused_runs_worker_gets_the_continue_from_another_worker(brokers):
    """Run r pauses on worker A and is continued on worker B before A's task closed its segment: a client
    arriving on A then reads B's segment (through Redis) up to B's close, not A's paused one and its end."""
    a, b = brokers(), brokers()
    run_id = "r-" + uuid.uuid4().hex[:8]
    on_a = await a.open(run_id)
    await a.publish(on_a, event(0, "RunStarted"))
    await a.publish(on_a, event(1, "RunPaused"))  # A's task has not closed its segment yet

    on_b = await b.open(run_id)  # the continue, on B
    await b.publish(on_b, event(2, "RunContinued"))
    live = await a.subscribe(run_id)
    await b.publish(on_b, event(3, "RunCompleted"))
    await b.close(on_b)
    await a.close(on_a)  # A's task reaches its close late
    assert await asyncio.wait_for(read_all(live), 60) == ["RunContinued", "RunCompleted"]


async def test_a_subscriber_on_the_worker_that_drives_the_run_reads_it_from_memory(brokers):
    """With no continue elsewhere, a client on the worker driving the run reads its segment from memory (no
    Redis stream followed), even when Redis lost the stream."""
    a = brokers()
    for lost in (False, True):
        run_id = "r-" + uuid.uuid4().hex[:8]
        on_a = await a.open(run_id)
        await a.publish(on_a, event(0, "RunStarted"))
        if lost:
            await brokers.redis.delete(f"{brokers.prefix}events:{run_id}")
        live = await a.subscribe(run_id)
        assert not a.follower.watched
        await a.publish(on_a, event(1, "RunCompleted"))
        await a.close(on_a)
        assert await asyncio.wait_for(read_all(live), 60) == ["RunStarted", "RunCompleted"]
