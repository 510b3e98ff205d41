"""Delivering a run's events to its sinks, off the run's hot path.

Each sink runs on its own thread with its own event loop, so nothing a sink
does (block the thread with ``time.sleep`` inside ``async handle``, hang, swallow
``CancelledError``) can stop a run's loop. A run appends its events to a bounded
queue per sink, in order; a full queue makes the run wait (back-pressure) rather
than drop events. A sink that raises, exceeds its ``timeout`` on one call, or
blocks its thread longer than that, is reported once and skipped for the rest of
the run: a sink delays a run by at most about its timeout.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import os
import threading
import time
import types
import weakref
from collections import deque
from typing import Any, AsyncGenerator, Generator, Iterable, Optional, Sequence, Union

from runwire.run.events import RunOutputEvent
from runwire.sinks.base import EventSink

logger = logging.getLogger("runwire.sinks")

SinkSpec = Union[EventSink, str]
_STOP = object()  # the run ended: finish_run(run_id), then flush()
_START = object()  # the run begins: start_run(run_id)
# A sink's thread is woken when BATCH events wait, when the run's loop has been free for DELAY seconds since
# the first waiting event, and when the run ends: never once per event, so it does not compete with a busy run.
BATCH = 256
DELAY = 0.02
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
    sink: EventSink = factory(arg) if sep else factory()
    return sink


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


class _SinkWorker:
    """A sink's own thread and event loop: whatever its ``handle`` does (block the thread, hang, swallow
    cancellation), it does it there, never on a run's loop."""

    def __init__(self, sink: EventSink) -> None:
        self.timeout = sink.timeout
        self.loop = asyncio.new_event_loop()
        self.calls: dict[int, float] = {}  # lane id -> time.monotonic() its call in progress began
        self._watch: Optional[asyncio.TimerHandle] = None
        self.thread = threading.Thread(target=self._serve, name=f"runwire-sink-{sink.name}", daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_forever()
            left = asyncio.all_tasks(self.loop)  # lanes waiting for events; a hung call is left behind
            for task in left:
                task.cancel()
            if left:
                self.loop.run_until_complete(asyncio.wait(left, timeout=1))
        finally:
            self.loop.close()

    def stop(self) -> None:
        try:
            self.loop.call_soon_threadsafe(self.loop.stop)
        except RuntimeError:  # already stopped
            pass

    def stuck_for(self) -> float:
        """How long the oldest call in progress has run (0 when idle). Any thread."""
        oldest = min(list(self.calls.values()), default=None)  # list(): one step under the GIL
        return 0.0 if oldest is None else time.monotonic() - oldest

    def _arm(self) -> None:
        self._watch = self.loop.call_later(max(0.01, self.timeout / 4), self._check)

    def _check(self) -> None:
        """The watchdog (worker side): interrupt a call that outlived the sink's timeout."""
        self._watch = None
        for lane in list(_lanes_on(self)):
            started = self.calls.get(id(lane))
            if started is not None and time.monotonic() - started > self.timeout:
                if lane.task is not None:
                    lane.task.cancel()  # abandoned: if it swallows the cancel it runs on here, not in the run
                lane.fail(lane.what, f"TimeoutError: took longer than {self.timeout} s")
                self.calls.pop(id(lane), None)
        if self.calls:
            self._arm()


_workers: dict[int, _SinkWorker] = {}
_active_lanes: weakref.WeakSet[_Lane] = weakref.WeakSet()
# Re-entrant: a sink garbage-collected while this thread holds the lock runs _retire (its finalizer) right
# here, at whatever allocation triggered the collection; a plain Lock deadlocked the process then.
_workers_lock = threading.RLock()


def _lanes_on(worker: _SinkWorker) -> list[_Lane]:
    with _workers_lock:
        return [lane for lane in _active_lanes if lane.worker is worker]


def _retire(key: int) -> None:
    with _workers_lock:
        worker = _workers.pop(key, None)
    if worker is not None:
        worker.stop()


def _worker_for(sink: EventSink) -> _SinkWorker:
    key = id(sink)
    worker = _workers.get(key)
    if worker is None:
        with _workers_lock:
            worker = _workers.get(key)
            if worker is None:
                worker = _workers[key] = _SinkWorker(sink)
                try:
                    weakref.finalize(sink, _retire, key)  # the thread ends with its sink
                except TypeError:  # not weak-referenceable: the thread lives as long as the process
                    pass
    return worker


async def on_sink_thread(sink: EventSink, make: Any, timeout: Optional[float] = None) -> None:
    """Await ``make()`` (e.g. ``sink.aclose``) on the sink's own thread, giving up after ``timeout`` s."""
    future = asyncio.run_coroutine_threadsafe(make(), _worker_for(sink).loop)
    try:
        await asyncio.wait_for(asyncio.wrap_future(future), timeout if timeout is not None else sink.timeout)
    except Exception as exc:
        logger.warning("runwire: event sink %r failed to close (%s)", sink, f"{type(exc).__name__}: {exc}")


@types.coroutine
def _resume(coro: Any, step: Any) -> Generator[Any, Any, Any]:
    """Finish a coroutine that was started with ``send(None)`` and suspended with ``step``, inside the
    awaiting task (what ``await`` would have done had the task started it)."""
    while True:
        try:
            sent = yield step
        except GeneratorExit:
            coro.close()
            raise
        except BaseException as exc:  # a cancel or an error thrown in by the task: pass it on
            try:
                step = coro.throw(exc)
            except StopIteration as stop:
                return stop.value
        else:
            try:
                step = coro.send(sent)
            except StopIteration as stop:
                return stop.value


class _Lane:
    """One run's events on their way to one sink, in order: appended by the run, drained by the sink's thread."""

    def __init__(self, sink: EventSink, worker: _SinkWorker, loop: asyncio.AbstractEventLoop,
                 context: contextvars.Context, run_id: Optional[str] = None) -> None:
        self.sink, self.worker, self.loop, self.context, self.run_id = sink, worker, loop, context, run_id
        self.events: deque[Any] = deque()
        self.lock = threading.Lock()
        self.scheduled = False
        self.failed: Optional[str] = None
        self.failing = False
        self.what = "handle an event"
        self.task: Optional[asyncio.Task[None]] = None
        self.done: asyncio.Future[None] = loop.create_future()  # set when the flush is over (or the lane failed)

    def push(self, item: Any) -> None:
        """Queue ``item``; wake the sink's thread when a batch is full or the run ends (run side)."""
        with self.lock:
            if self.failed is not None:
                return
            self.events.append(item)
            if self.scheduled or len(self.events) < BATCH and item is not _STOP:
                return
            self.scheduled = True
        self.worker.loop.call_soon_threadsafe(self._spawn)

    def wake(self) -> None:
        """Have the sink's thread deliver what waits (run side)."""
        with self.lock:
            if self.scheduled or not self.events or self.failed is not None:
                return
            self.scheduled = True
        self.worker.loop.call_soon_threadsafe(self._spawn)

    def _spawn(self) -> None:
        self.task = self.worker.loop.create_task(self._drain(), context=self.context.copy())

    async def _drain(self) -> None:
        while True:
            with self.lock:
                if self.failed is not None or not self.events:
                    self.scheduled = False
                    return
                batch, self.events = self.events, deque()
            calls, key, handle = self.worker.calls, id(self), self.sink.handle
            for item in batch:
                if self.failed is not None:
                    break
                if item is _STOP:
                    self.what = "finish the run"
                elif item is _START:
                    self.what = "start the run"
                calls[key] = time.monotonic()  # what the watchdogs look at
                try:
                    if item is _STOP:
                        coro: Any = self._end()
                    elif item is _START:
                        coro = self.sink.start_run(self.run_id)
                    else:
                        coro = handle(item)
                    step = coro.send(None)
                except StopIteration:  # done without waiting for anything: the common case, no task needed
                    pass
                except BaseException as exc:  # a sink must never take the run down
                    self._failed_with(exc)
                else:
                    await self._finish(coro, step)
                finally:
                    calls.pop(key, None)
                if item is _STOP:
                    self._settle()
                elif item is _START:
                    self.what = "handle an event"

    async def _end(self) -> None:
        await self.sink.finish_run(self.run_id)
        await self.sink.flush()

    async def _finish(self, coro: Any, step: Any) -> None:
        """A sink call that awaits something: under the worker's watchdog."""
        if self.worker._watch is None:
            self.worker._arm()
        try:
            await _resume(coro, step)
        except BaseException as exc:  # a swallowed or re-raised cancel included
            self._failed_with(exc)

    def _failed_with(self, exc: BaseException) -> None:
        if self.failed is None:
            self.fail(self.what, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)

    def fail(self, what: str, message: str) -> None:
        """Skip this sink for the rest of the run, and say so once. Any thread."""
        with self.lock:
            if self.failing:
                return
            self.failing = True
            self.events.clear()
        logger.warning("runwire: event sink %r failed to %s (%s); it is skipped for the rest of this run",
                       self.sink, what, message)
        self.failed = message  # only now: whoever sees it failed also sees it reported
        self._settle()

    def _settle(self) -> None:
        def settle() -> None:
            if not self.done.done():
                self.done.set_result(None)

        try:
            self.loop.call_soon_threadsafe(settle)
        except RuntimeError:  # the run's loop is gone: nobody waits
            pass

    def check_stuck(self) -> bool:
        """Run side: give up on a sink whose thread is blocked past its timeout (the watchdog cannot fire)."""
        if self.failed is None and self.worker.stuck_for() > self.sink.timeout * 1.5:
            self.fail(self.what, f"TimeoutError: blocked its thread for longer than {self.sink.timeout} s")
        return self.failed is not None

    @property
    def full(self) -> bool:
        return len(self.events) >= SinkDispatcher.MAX_QUEUED


class SinkDispatcher:
    """Feeds one run's events to its sinks, each sink on its own thread.

    The run only appends to a queue per sink; the sink's thread delivers. A
    watchdog there interrupts a call that outlives the sink's ``timeout`` (and
    abandons it if it swallows the interrupt); a sink that blocks its thread
    outright is noticed from the run's side. Either way the sink is reported
    once and skipped for the rest of the run, which waits for it at most its
    ``timeout`` (plus half) per event.
    """

    MAX_QUEUED = 1024

    def __init__(self, sinks: Sequence[EventSink], run_id: Optional[str] = None) -> None:
        self.sinks = list(sinks)
        self.run_id = run_id
        self.lanes: list[_Lane] = []
        self._timer: Optional[asyncio.TimerHandle] = None
        self._loop: Any = None

    @property
    def failed(self) -> dict[int, str]:
        """``id(sink)`` -> why it was skipped, for the sinks that failed in this run."""
        return {id(lane.sink): lane.failed for lane in self.lanes if lane.failed is not None}

    def _wake(self) -> None:
        self._timer = None
        for lane in self.lanes:
            lane.wake()

    def start(self) -> None:
        loop, context = asyncio.get_running_loop(), contextvars.copy_context()
        self._loop = loop
        for sink in self.sinks:
            lane = _Lane(sink, _worker_for(sink), loop, context, self.run_id)
            lane.push(_START)
            self.lanes.append(lane)
            with _workers_lock:
                _active_lanes.add(lane)
            if lane.worker.stuck_for() > sink.timeout:
                lane.fail("handle an event", f"TimeoutError: still blocked in an earlier call for over {sink.timeout} s")

    def put(self, event: Any) -> bool:
        """Queue ``event`` for every sink; False when a sink's queue is full (see :meth:`wait_for_room`)."""
        if self._timer is None:
            self._timer = self._loop.call_later(DELAY, self._wake)
        room = True
        for lane in self.lanes:
            if lane.failed is None:
                lane.push(event)
                room = room and not lane.full
        return room

    async def wait_for_room(self) -> None:
        """Back-pressure: wait until every live sink's queue has room, or the sink is given up on."""
        self._wake()
        while any(lane.full and not lane.check_stuck() for lane in self.lanes):
            await asyncio.sleep(0.001)

    async def close(self) -> None:
        """Deliver what is queued, then flush every sink (each bounded by its timeout)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for lane in self.lanes:
            lane.push(_STOP)
        try:
            waiting = [lane for lane in self.lanes if lane.failed is None]
            while waiting:
                period = min(lane.sink.timeout for lane in waiting) / 4
                await asyncio.wait([lane.done for lane in waiting], timeout=period)
                waiting = [lane for lane in waiting if not lane.done.done() and not lane.check_stuck()]
        finally:
            with _workers_lock:
                for lane in self.lanes:
                    _active_lanes.discard(lane)


async def with_sinks(events: AsyncGenerator[RunOutputEvent, None], sinks: Sequence[EventSink],
                     ctx: Any = None) -> AsyncGenerator[RunOutputEvent, None]:
    """Pass ``events`` through unchanged, copying each to ``sinks``; flush them at the end."""
    dispatcher = SinkDispatcher(sinks, getattr(ctx, "run_id", None))
    dispatcher.start()
    try:
        async for event in events:
            if not dispatcher.put(event):  # back-pressure: wait for the sinks (a run's cancel never lands here)
                await dispatcher.wait_for_room()
            yield event
    finally:
        await events.aclose()
        if ctx is not None and ctx.unyielded is not None:
            dispatcher.put(ctx.unyielded)
        await dispatcher.close()
