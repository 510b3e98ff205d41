"""Delivering a run's events to its sinks, off the run's hot path.

Events go into a bounded queue; one task per run hands them to each sink in
order. A full queue makes the run wait (back-pressure) rather than drop events.
A sink that raises or exceeds its ``timeout`` is reported once and skipped for
the rest of the run.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from typing import Any, AsyncGenerator, Iterable, Optional, Sequence, Union

from runwire.run.events import RunOutputEvent
from runwire.sinks.base import EventSink

logger = logging.getLogger("runwire.sinks")

SinkSpec = Union[EventSink, str]
_STOP = object()
_default_sinks: Optional[list[EventSink]] = None
_defaults_lock = threading.Lock()


def resolve_sink(spec: SinkSpec) -> EventSink:
    """An EventSink for ``spec``: an EventSink, or ``"name"`` / ``"name:argument"`` of a registered sink."""
    if isinstance(spec, EventSink):
        return spec
    if not isinstance(spec, str):
        raise TypeError(f"a sink is an EventSink or a 'name:argument' string, got {type(spec).__name__}")
    from runwire.plugins import get_registry

    name, sep, arg = spec.partition(":")
    factory = get_registry().sinks.get(name)
    if factory is None:
        known = ", ".join(sorted(get_registry().sinks)) or "none"
        raise LookupError(f"no event sink named {name!r} (registered sinks: {known})")
    return factory(arg) if sep else factory()


def set_default_sinks(sinks: Optional[Iterable[SinkSpec]]) -> None:
    """Attach ``sinks`` to every run in this process (None: back to ``RUNWIRE_SINKS``)."""
    global _default_sinks
    with _defaults_lock:
        _default_sinks = None if sinks is None else [resolve_sink(s) for s in sinks]


def default_sinks() -> list[EventSink]:
    """The process-wide sinks: set_default_sinks(), else ``RUNWIRE_SINKS=jsonl:/path,...``."""
    global _default_sinks
    if _default_sinks is None:
        with _defaults_lock:
            if _default_sinks is None:
                env = os.environ.get("RUNWIRE_SINKS", "")
                _default_sinks = [resolve_sink(s.strip()) for s in env.split(",") if s.strip()]
    return _default_sinks


class SinkDispatcher:
    """Feeds one run's events to its sinks through a bounded queue.

    A watchdog (one timer, not one per event) interrupts a sink call that has
    run longer than the sink's ``timeout``.
    """

    def __init__(self, sinks: Sequence[EventSink], maxsize: int = 1024) -> None:
        self.sinks = list(sinks)
        self.queue: asyncio.Queue[Any] = asyncio.Queue(maxsize)
        self.failed: dict[int, str] = {}
        self._task: Optional[asyncio.Future[None]] = None
        self._current: Optional[EventSink] = None
        self._since = 0.0
        self._timed_out = False
        self._watch: Optional[asyncio.TimerHandle] = None

    def start(self) -> None:
        self._task = asyncio.ensure_future(self._consume())
        self._arm()

    def _arm(self) -> None:
        period = min(s.timeout for s in self.sinks) / 4 if self.sinks else 1.0
        self._watch = asyncio.get_running_loop().call_later(period, self._check)

    def _check(self) -> None:
        sink, task = self._current, self._task
        if task is None or task.done():
            return
        if sink is not None and asyncio.get_running_loop().time() - self._since > sink.timeout:
            self._timed_out = True
            task.cancel()
        self._arm()

    def _report(self, sink: EventSink, what: str, message: str) -> None:
        if id(sink) in self.failed:
            return
        self.failed[id(sink)] = message
        logger.warning("runwire: event sink %r failed to %s (%s); it is skipped for the rest of this run", sink, what, message)

    async def _deliver(self, sink: EventSink, call: Any, what: str) -> None:
        self._current, self._since = sink, asyncio.get_running_loop().time()
        try:
            await call
        except asyncio.CancelledError:
            if not self._timed_out:
                raise
            self._timed_out = False
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()
            self._report(sink, what, f"TimeoutError: took longer than {sink.timeout} s")
        except BaseException as exc:  # a sink must never take the run down
            self._report(sink, what, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
        finally:
            self._current = None

    async def _consume(self) -> None:
        queue, sinks, failed = self.queue, self.sinks, self.failed
        while True:
            event = await queue.get()
            if event is _STOP:
                return
            for sink in sinks:
                if id(sink) not in failed:
                    await self._deliver(sink, sink.handle(event), "handle an event")

    async def close(self) -> None:
        """Deliver what is queued, then flush every sink."""
        if self._task is None:
            return
        await self.queue.put(_STOP)
        await asyncio.shield(self._task)
        flush = asyncio.ensure_future(self._flush_all())
        self._task = flush  # the watchdog now guards the flushes
        await asyncio.shield(flush)
        if self._watch is not None:
            self._watch.cancel()

    async def _flush_all(self) -> None:
        for sink in self.sinks:
            if id(sink) not in self.failed:
                await self._deliver(sink, sink.flush(), "flush")


async def with_sinks(events: AsyncGenerator[RunOutputEvent, None], sinks: Sequence[EventSink],
                     ctx: Any = None) -> AsyncGenerator[RunOutputEvent, None]:
    """Pass ``events`` through unchanged, copying each to ``sinks``; flush them at the end."""
    dispatcher = SinkDispatcher(sinks)
    dispatcher.start()
    queue = dispatcher.queue
    try:
        async for event in events:
            if not queue.full():
                queue.put_nowait(event)
            else:  # back-pressure: wait for the sinks, but a cancel is for the run, not for this wait
                driver = ctx.driver_task if ctx is not None else None
                if ctx is not None:
                    ctx.driver_task = None
                try:
                    await queue.put(event)
                finally:
                    if ctx is not None:
                        ctx.driver_task = driver
            yield event
    finally:
        await events.aclose()
        if ctx is not None and ctx.unyielded is not None:
            await queue.put(ctx.unyielded)
        await dispatcher.close()
