"""The thread pool of sync tools, and the tool calls it had to abandon.

Sync tools run on a bounded pool of their own (``RUNWIRE_TOOL_THREADS``, default
32, read on first use), never on asyncio's default executor, which the loop's
own work (DNS lookups) and plugins share; storage has its own threads too (a
thread per SQLite storage, an event-loop thread per PostgreSQL storage). A tool
that hangs past its ``timeout_seconds`` keeps its thread (a thread cannot be
stopped), but it cannot starve anything else. Such a thread is *abandoned*: it is
logged as a warning naming the tool and listed by :func:`abandoned_tool_calls`
until it returns.

The pool is a queue of calls and a worker loop rather than a ``ThreadPoolExecutor``
with ``asyncio.wrap_future``: a worker hands the result to the run's loop with one
``call_soon_threadsafe``, with no ``concurrent.futures.Future``, condition
variables or semaphore in between, which made a sync tool's hop about half as
costly. Its threads are daemon threads: a hung tool does not hold the process
open at exit.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import os
import queue
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Optional, TypeVar

logger = logging.getLogger("runwire.tools")
T = TypeVar("T")

_lock = threading.Lock()  # the pool's counts and the abandoned calls
_abandoned: dict[int, AbandonedToolCall] = {}
_pool: Optional[ToolThreads] = None


@dataclass(frozen=True)
class AbandonedToolCall:
    """A sync tool call that outlived its run's wait for it and still holds a thread."""

    tool_name: str
    run_id: Optional[str]
    since: float  # time.time() when it was abandoned


class _Call:
    """One call handed to the pool. Its ``token`` is popped by whoever claims the call first: a worker
    (the call runs) or a cancelled waiter (it never will); ``list.pop`` is atomic, so one side wins."""

    __slots__ = ("loop", "future", "context", "fn", "args", "kwargs", "token", "done", "abandoned")

    def __init__(self, loop: asyncio.AbstractEventLoop, future: "asyncio.Future[Any]", fn: Callable[..., Any],
                 args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self.loop = loop
        self.future = future
        self.context = contextvars.copy_context()  # the tool sees the caller's context variables
        self.fn = fn
        self.args = args
        self.kwargs = kwargs
        self.token = [True]
        self.done = False  # fn returned or raised
        self.abandoned = False


class ToolThreads:
    """At most ``size`` daemon threads taking calls from one queue; a thread starts only when none is free."""

    def __init__(self, size: int) -> None:
        self.size = max(1, size)
        self._queue: "queue.SimpleQueue[_Call]" = queue.SimpleQueue()
        self.threads = 0
        self._idle = 0  # threads free and not promised to a queued call
        self._backlog = 0  # queued calls that found no thread free

    def submit(self, call: _Call) -> None:
        start = False
        with _lock:
            if self._idle:
                self._idle -= 1
            elif self.threads < self.size:
                self.threads += 1
                start = True
            else:
                self._backlog += 1
        self._queue.put(call)
        if start:
            threading.Thread(target=self._work, name=f"runwire-tool_{self.threads}", daemon=True).start()

    def _work(self) -> None:
        get = self._queue.get
        while True:
            call = get()
            result: Any = None
            error: Optional[BaseException] = None
            try:
                call.token.pop()
                claimed = True
            except IndexError:  # its waiter gave up before it started: it never runs
                claimed = False
            if claimed:
                try:
                    result = call.context.run(call.fn, *call.args, **call.kwargs)
                except BaseException as exc:  # handed to the waiter, as concurrent.futures does
                    error = exc
            with _lock:
                call.done = True
                if call.abandoned:
                    _abandoned.pop(id(call), None)
                if self._backlog:  # this thread takes a queued call next
                    self._backlog -= 1
                else:
                    self._idle += 1
            if claimed:
                try:
                    call.loop.call_soon_threadsafe(_settle, call.future, result, error)
                except RuntimeError:  # the loop is closed: nobody waits any more
                    pass
            del call, result, error


def _settle(future: "asyncio.Future[Any]", result: Any, error: Optional[BaseException]) -> None:
    if future.done():  # the waiter was cancelled meanwhile
        return
    if error is None:
        future.set_result(result)
    elif isinstance(error, StopIteration):  # a Future refuses it; it would hang the waiter
        future.set_exception(RuntimeError(f"the tool raised StopIteration: {error!r}"))
    else:
        future.set_exception(error)


def tool_threads() -> ToolThreads:
    """The bounded pool sync tools run in (``RUNWIRE_TOOL_THREADS``, default 32)."""
    global _pool
    pool = _pool
    if pool is None:
        with _lock:
            if _pool is None:
                _pool = ToolThreads(int(os.environ.get("RUNWIRE_TOOL_THREADS") or 32))
            pool = _pool
    return pool


def _forget_pool() -> None:  # a forked child has none of its parent's threads
    global _pool
    _pool = None


os.register_at_fork(after_in_child=_forget_pool)


async def run_tool_in_thread(tool_name: str, run_id: Optional[str], fn: Callable[..., T], *args: Any,
                             **kwargs: Any) -> T:
    """``await`` a sync tool's ``fn`` on the tool pool, in a copy of the caller's context.

    If the wait is cancelled (the tool's timeout, a cancelled run) before ``fn``
    starts, it never runs; if ``fn`` already runs, its thread is reported
    abandoned until ``fn`` returns.
    """
    loop = asyncio.get_running_loop()
    future: "asyncio.Future[T]" = loop.create_future()
    call = _Call(loop, future, fn, args, kwargs)
    tool_threads().submit(call)
    try:
        return await future
    except asyncio.CancelledError:
        try:
            call.token.pop()  # claimed first: it will not run
        except IndexError:  # already running: it cannot be stopped
            _abandon(call, tool_name, run_id)
        raise


def _abandon(call: _Call, tool_name: str, run_id: Optional[str]) -> None:
    with _lock:
        if call.done:  # it returned meanwhile
            return
        call.abandoned = True
        _abandoned[id(call)] = AbandonedToolCall(tool_name, run_id, time.time())
        count = len(_abandoned)
    logger.warning("runwire: tool %r (run %s) was stopped waiting for, but its thread cannot be interrupted and keeps "
                   "running; %d abandoned tool thread(s) in this process (runwire.run.executors.abandoned_tool_calls()). "
                   "Make the tool return on its own (a timeout on its I/O), or make it async", tool_name, run_id, count)


def abandoned_tool_calls() -> list[AbandonedToolCall]:
    """The sync tool calls still running in a thread after their run stopped waiting for them."""
    with _lock:
        return list(_abandoned.values())
