"""Live events of running runs, for whoever streams them: in this process, or across workers through Redis
(``RedisBroker``, in ``redis_broker``).

A run's live events form a *segment*: opened when a run starts or is continued,
closed when it ends or pauses (after the run's events and final state are
stored). A segment holds every event it published (with its seq) while it is
open, so a subscriber that arrives late reads it from its start and loses
nothing the event log has not stored yet.

``open`` returns a ``SegmentHandle`` naming that one opening; ``publish`` and
``close`` take it. A paused run can be continued (a new segment opened) before
the task that drove it closes its own: that late close, or a late event, then
ends (or adds to) its own segment only, never the new one.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from typing import Any, AsyncIterator, Optional

RETAIN_SECONDS = 30.0  # a closed Redis stream stays readable this long (the event log has it all by then)


@dataclass(frozen=True)
class LiveEvent:
    """One event as it is streamed: its seq in the run's event log, its name and its JSON."""

    seq: int
    name: str
    data: str


@dataclass(frozen=True)
class SegmentHandle:
    """One opening of a run's live segment, as ``Broker.open`` returned it; ``token`` is unique to it."""

    run_id: str
    token: str

    @classmethod
    def new(cls, run_id: str) -> SegmentHandle:
        return cls(run_id, os.urandom(8).hex())


class Broker:
    """Publishes runs' live events and hands them to subscribers."""

    async def open(self, run_id: str) -> SegmentHandle:
        """Start a new live segment of the run, the one subscribers get from now on: its handle (publish, close)."""
        raise NotImplementedError

    async def publish(self, segment: SegmentHandle, event: LiveEvent) -> None:
        """Add ``event`` to the segment; nothing once it is closed (the event log has the event)."""
        raise NotImplementedError

    async def close(self, segment: SegmentHandle) -> None:
        """The segment ended: subscribers stop once they have read everything before this.

        Only that segment: once a later one replaced it, closing it leaves the later one open.
        """
        raise NotImplementedError

    async def subscribe(self, run_id: str, *, started_here: bool = False) -> Optional[AsyncIterator[LiveEvent]]:
        """The run's current segment from its first event, or None when the run has no segment here.

        Call it before reading the event log: then log + segment leave no gap. ``started_here``: the caller
        just started the run in this process, so its segment here is the current one (nothing to check).
        """
        raise NotImplementedError

    async def acquire(self, user_id: str, limit: int) -> bool:
        """Count one more live run of ``user_id``; False (and nothing counted) past ``limit``."""
        raise NotImplementedError

    async def release(self, user_id: str) -> None:
        raise NotImplementedError

    async def aclose(self) -> None:
        return None


class Segment:
    """A live segment's events in memory, for readers in this process; ``changed`` wakes them."""

    def __init__(self) -> None:
        self.events: list[LiveEvent] = []
        self.closed = False
        self.changed = asyncio.Event()

    def add(self, event: LiveEvent) -> None:
        self.events.append(event)
        self.changed.set()

    def close(self) -> None:
        self.closed = True
        self.changed.set()


async def read_segment(segment: Segment) -> AsyncIterator[LiveEvent]:
    """The segment's events from its first, then each as it comes, until it closes."""
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


class MemoryBroker(Broker):
    """Segments in this process's memory: one worker."""

    def __init__(self) -> None:
        self.live: dict[SegmentHandle, Segment] = {}  # every open segment, the replaced ones until their close
        self.current: dict[str, SegmentHandle] = {}  # run id: the segment its subscribers get
        self.active: dict[str, int] = {}

    async def open(self, run_id: str) -> SegmentHandle:
        handle = SegmentHandle.new(run_id)
        self.start(handle)
        return handle

    def start(self, handle: SegmentHandle) -> None:
        """Open the segment ``handle`` names (``RedisBroker`` opens its local side with its Redis token)."""
        self.live[handle] = Segment()
        self.current[handle.run_id] = handle

    async def publish(self, segment: SegmentHandle, event: LiveEvent) -> None:
        found = self.live.get(segment)
        if found is not None:  # a replaced segment's readers still get its events (e.g. its RunPaused)
            found.add(event)

    async def close(self, segment: SegmentHandle) -> None:
        found = self.live.pop(segment, None)
        if found is None:
            return
        if self.current.get(segment.run_id) == segment:  # not replaced: a later subscriber reads the log, complete
            del self.current[segment.run_id]
        found.close()  # its subscribers read on to the end

    async def subscribe(self, run_id: str, *, started_here: bool = False) -> Optional[AsyncIterator[LiveEvent]]:
        found = self.current.get(run_id)
        return None if found is None else read_segment(self.live[found])

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


def __getattr__(name: str) -> Any:
    if name == "RedisBroker":  # its own module (it imports redis); importable from here as before
        from runwire_server.redis_broker import RedisBroker

        return RedisBroker
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
