"""Helpers to collect and assert a run's events."""

from __future__ import annotations

from typing import Any, AsyncIterable, Iterable, Union

from runwire.run.events import RunOutputEvent


def event_names(events: Iterable[RunOutputEvent]) -> list[str]:
    """``["RunStarted", "ModelRequestStarted", ...]`` for a sequence of events."""
    return [e.event for e in events]


async def collect_events(stream: Union[AsyncIterable[RunOutputEvent], Iterable[RunOutputEvent]]) -> list[Any]:
    """All events of a sync or async stream, as a list."""
    if hasattr(stream, "__aiter__"):
        return [e async for e in stream]
    return list(stream)


def assert_event_sequence(events: Iterable[RunOutputEvent], expected: list[str]) -> None:
    """Fail with a readable diff unless the event names are exactly ``expected``."""
    actual = event_names(events)
    if actual != expected:
        raise AssertionError(f"event sequence differs:\n  expected: {expected}\n  actual:   {actual}")
