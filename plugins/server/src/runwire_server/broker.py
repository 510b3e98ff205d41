"""Live events of running runs, for whoever streams them: in this process, or across workers through Redis.

A run's live events form a *segment*: opened when a run starts or is continued,
closed when it ends or pauses (after the run's events and final state are
stored). A segment holds every event it published (with its seq) while it is
open, so a subscriber that arrives late reads it from its start and loses
nothing the event log has not stored yet.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Optional

logger = logging.getLogger("runwire.server")

RETAIN_SECONDS = 30.0  # a closed Redis stream stays readable this long (the event log has it all by then)


@dataclass(frozen=True)
class LiveEvent:
    """One event as it is streamed: its seq in the run's event log, its name and its JSON."""

    seq: int
    name: str
    data: str


class Broker:
    """Publishes runs' live events and hands them to subscribers."""

    async def open(self, run_id: str) -> None:
        """Start a new live segment of the run (replacing a closed earlier one)."""
        raise NotImplementedError

    async def publish(self, run_id: str, event: LiveEvent) -> None:
        raise NotImplementedError

    async def close(self, run_id: str) -> None:
        """The segment ended: subscribers stop once they have read everything before this."""
        raise NotImplementedError

    async def subscribe(self, run_id: str) -> Optional[AsyncIterator[LiveEvent]]:
        """The run's current segment from its first event, or None when the run has no segment here.

        Call it before reading the event log: then log + segment leave no gap.
        """
        raise NotImplementedError

    async def acquire(self, user_id: str, limit: int) -> bool:
        """Count one more live run of ``user_id``; False (and nothing counted) past ``limit``."""
        raise NotImplementedError

    async def release(self, user_id: str) -> None:
        raise NotImplementedError

    async def aclose(self) -> None:
        return None


@dataclass
class _Segment:
    events: list[LiveEvent] = field(default_factory=list)
    closed: bool = False
    changed: asyncio.Event = field(default_factory=asyncio.Event)


class MemoryBroker(Broker):
    """Segments in this process's memory: one worker."""

    def __init__(self) -> None:
        self.segments: dict[str, _Segment] = {}
        self.active: dict[str, int] = {}

    async def open(self, run_id: str) -> None:
        self.segments[run_id] = _Segment()

    async def publish(self, run_id: str, event: LiveEvent) -> None:
        segment = self.segments[run_id]
        segment.events.append(event)
        segment.changed.set()

    async def close(self, run_id: str) -> None:
        segment = self.segments.get(run_id)
        if segment is None:
            return
        segment.closed = True
        segment.changed.set()
        # Subscribers keep reading the segment they hold; a later one reads the log, complete by now.
        del self.segments[run_id]

    async def subscribe(self, run_id: str) -> Optional[AsyncIterator[LiveEvent]]:
        segment = self.segments.get(run_id)
        return None if segment is None else self._read(segment)

    async def _read(self, segment: _Segment) -> AsyncIterator[LiveEvent]:
        index = 0
        while True:
            while index < len(segment.events):
                yield segment.events[index]
                index += 1
            if segment.closed:
                return
            segment.changed.clear()
            if index < len(segment.events) or segment.closed:
                continue
            await segment.changed.wait()

    async def acquire(self, user_id: str, limit: int) -> bool:
        if self.active.get(user_id, 0) >= limit:
            return False
        self.active[user_id] = self.active.get(user_id, 0) + 1
        return True

    async def release(self, user_id: str) -> None:
        left = self.active.get(user_id, 0) - 1
        if left > 0:
            self.active[user_id] = left
        else:
            self.active.pop(user_id, None)


class RedisBroker(Broker):
    """Segments as Redis streams (``<prefix>events:<run_id>``), shared by every worker.

    Publishing is batched per run (one pipeline per batch, in order); a
    subscriber on another worker reads the stream with a blocking XREAD from its
    start, one on the worker driving the run reads that worker's memory. A stream
    lives ``ttl`` seconds while its run is live (refreshed per batch) and
    ``retain`` seconds after it closes. Concurrent-run counts per user are Redis
    counters, so the limit holds across workers.
    """

    def __init__(self, url: str, *, prefix: str = "runwire:server:", retain: float = RETAIN_SECONDS,
                 ttl: int = 24 * 3600, block_ms: int = 2_000, max_connections: int = 10_000) -> None:
        """``max_connections``: each open stream holds one connection while it waits for events."""
        import redis.asyncio as aioredis

        self.url, self.prefix, self.retain, self.ttl, self.block_ms = url, prefix, retain, ttl, block_ms
        self.client = aioredis.Redis.from_url(url, decode_responses=True, socket_connect_timeout=5,
                                              max_connections=max_connections)
        self.local = MemoryBroker()  # the runs this worker drives: their streams here skip Redis
        self._pending: dict[str, list[dict[str, Any]]] = {}
        self._writers: dict[str, asyncio.Task[None]] = {}
        self._wakeups: dict[str, asyncio.Event] = {}

    def _key(self, run_id: str) -> str:
        return f"{self.prefix}events:{run_id}"

    async def open(self, run_id: str) -> None:
        key = self._key(run_id)
        pipe = self.client.pipeline(transaction=True)
        pipe.delete(key)
        pipe.xadd(key, {"k": "open"})
        pipe.expire(key, self.ttl)
        await pipe.execute()
        await self.local.open(run_id)
        self._pending[run_id] = []
        self._wakeups[run_id] = asyncio.Event()
        self._writers[run_id] = asyncio.ensure_future(self._write(run_id))

    async def publish(self, run_id: str, event: LiveEvent) -> None:
        await self.local.publish(run_id, event)
        self._pending[run_id].append({"k": "e", "s": event.seq, "n": event.name, "d": event.data})
        self._wakeups[run_id].set()

    async def _write(self, run_id: str) -> None:
        key, wakeup = self._key(run_id), self._wakeups[run_id]
        while True:
            await wakeup.wait()
            wakeup.clear()
            batch, self._pending[run_id] = self._pending[run_id], []
            closing = bool(batch) and batch[-1].get("k") == "close"
            if batch:
                pipe = self.client.pipeline(transaction=False)
                for fields in batch:
                    pipe.xadd(key, fields)  # type: ignore[arg-type]
                pipe.expire(key, int(self.retain) if closing else self.ttl)
                try:
                    await pipe.execute()
                except Exception as exc:  # the event log still has them: subscribers fall back to it
                    logger.error("runwire-server: could not publish %d event(s) of run %s to Redis: %s",
                                 len(batch), run_id, exc)
            if closing:
                return

    async def close(self, run_id: str) -> None:
        if run_id not in self._pending:
            return
        await self.local.close(run_id)
        self._pending[run_id].append({"k": "close"})
        self._wakeups[run_id].set()
        writer = self._writers.pop(run_id)
        try:
            await asyncio.shield(writer)
        finally:
            self._pending.pop(run_id, None)
            self._wakeups.pop(run_id, None)

    async def subscribe(self, run_id: str) -> Optional[AsyncIterator[LiveEvent]]:
        here = await self.local.subscribe(run_id)
        if here is not None:
            return here
        if not await self.client.exists(self._key(run_id)):
            return None
        return self._read(run_id)

    async def _read(self, run_id: str) -> AsyncIterator[LiveEvent]:
        from redis.exceptions import RedisError

        key, last, failures = self._key(run_id), "0-0", 0
        while True:
            try:  # block_ms stays under redis-py's socket timeout (5 s by default)
                reply = await self.client.xread({key: last}, block=self.block_ms, count=500)
                failures = 0
            except RedisError:
                failures += 1
                if failures > 20:
                    raise
                await asyncio.sleep(0.05 * failures)
                continue
            if not reply:
                if not await self.client.exists(key):
                    return  # expired or replaced: the caller reads the rest from the event log
                continue
            entries: list[tuple[str, dict[str, str]]] = reply[0][1]  # type: ignore[index,assignment]
            for entry_id, fields in entries:
                last = entry_id
                kind = fields.get("k")
                if kind == "close":
                    return
                if kind == "e":
                    yield LiveEvent(int(fields["s"]), fields["n"], fields["d"])

    def _count_key(self, user_id: str) -> str:
        return f"{self.prefix}active:{json.dumps(user_id)}"

    async def acquire(self, user_id: str, limit: int) -> bool:
        key = self._count_key(user_id)
        pipe = self.client.pipeline(transaction=True)
        pipe.incr(key)
        pipe.expire(key, self.ttl)
        count, _ = await pipe.execute()
        if int(count) > limit:
            await self.client.decr(key)
            return False
        return True

    async def release(self, user_id: str) -> None:
        await self.client.decr(self._count_key(user_id))

    async def aclose(self) -> None:
        for writer in list(self._writers.values()):
            writer.cancel()
        await self.client.aclose()
