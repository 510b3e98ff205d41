"""Live events of running runs, for whoever streams them: in this process, or across workers through Redis
(``RedisBroker``, in ``redis_broker``).

A run's live events form a *segment*: opened when a run starts or is continued,
closed when it ends or pauses (after the run's events and final state are
stored). A segment holds every event it published (with its seq) while it is
open, so a subscriber that arrives late reads it from its start and loses
nothing the event log has not stored yet.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, AsyncIterator, Optional

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
        self.segments: dict[str, Segment] = {}
        self.active: dict[str, int] = {}

    async def open(self, run_id: str) -> None:
        self.segments[run_id] = Segment()

    async def publish(self, run_id: str, event: LiveEvent) -> None:
        self.segments[run_id].add(event)

    async def close(self, run_id: str) -> None:
        segment = self.segments.pop(run_id, None)
        if segment is not None:  # its subscribers read on to the end; a later one reads the log, complete by now
            segment.close()

    async def subscribe(self, run_id: str) -> Optional[AsyncIterator[LiveEvent]]:
        segment = self.segments.get(run_id)
        return None if segment is None else read_segment(segment)

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
