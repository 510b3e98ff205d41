"""The thread pool of sync tools, and the tool calls it had to abandon.

Sync tools run on a bounded pool of their own (``RUNWIRE_TOOL_THREADS``, default
32, read on first use), never on asyncio's default executor, which the loop's
own work (DNS lookups) and plugins share; storage has its own threads too (a
thread per SQLite storage, an event-loop thread per PostgreSQL storage). A tool
that hangs past its ``timeout_seconds`` keeps its thread (a thread cannot be
stopped), but it cannot starve anything else. Such a thread is *abandoned*: it is
logged as a warning naming the tool and listed by :func:`abandoned_tool_calls`
until it returns.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import functools
import logging
import os
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Optional, TypeVar

logger = logging.getLogger("runwire.tools")
T = TypeVar("T")

_lock = threading.Lock()
_pools: dict[str, concurrent.futures.ThreadPoolExecutor] = {}
_abandoned: dict[int, AbandonedToolCall] = {}


@dataclass(frozen=True)
class AbandonedToolCall:
    """A sync tool call that outlived its run's wait for it and still holds a thread."""

    tool_name: str
    run_id: Optional[str]
    since: float  # time.time() when it was abandoned


def _pool(kind: str, env: str, default: int) -> concurrent.futures.ThreadPoolExecutor:
    pool = _pools.get(kind)
    if pool is None:
        with _lock:
            pool = _pools.get(kind)
            if pool is None:
                size = int(os.environ.get(env) or default)
                pool = concurrent.futures.ThreadPoolExecutor(max_workers=max(1, size), thread_name_prefix=f"runwire-{kind}")
                _pools[kind] = pool
    return pool


def tool_executor() -> concurrent.futures.ThreadPoolExecutor:
    """The bounded pool sync tools run in (``RUNWIRE_TOOL_THREADS``, default 32)."""
    return _pool("tool", "RUNWIRE_TOOL_THREADS", 32)


async def run_tool_in_thread(tool_name: str, run_id: Optional[str], fn: Callable[..., T], *args: Any,
                             **kwargs: Any) -> T:
    """``await`` a sync tool's ``fn`` on the tool pool.

    If the wait is cancelled (the tool's timeout, a cancelled run) while ``fn``
    still runs, its thread is reported abandoned until ``fn`` returns.
    """
    call = functools.partial(contextvars.copy_context().run, fn, *args, **kwargs)
    future = tool_executor().submit(call)
    try:
        return await asyncio.wrap_future(future)
    except asyncio.CancelledError:
        if not future.cancel():  # already running: it cannot be stopped
            _abandon(future, tool_name, run_id)
        raise


def _abandon(future: "concurrent.futures.Future[Any]", tool_name: str, run_id: Optional[str]) -> None:
    key = id(future)
    with _lock:
        _abandoned[key] = AbandonedToolCall(tool_name, run_id, time.time())
        count = len(_abandoned)
    if future.done():  # it returned meanwhile
        _release(key)
        return
    future.add_done_callback(lambda _: _release(key))
    logger.warning("runwire: tool %r (run %s) was stopped waiting for, but its thread cannot be interrupted and keeps "
                   "running; %d abandoned tool thread(s) in this process (runwire.run.executors.abandoned_tool_calls()). "
                   "Make the tool return on its own (a timeout on its I/O), or make it async", tool_name, run_id, count)


def _release(key: int) -> None:
    with _lock:
        _abandoned.pop(key, None)


def abandoned_tool_calls() -> list[AbandonedToolCall]:
    """The sync tool calls still running in a thread after their run stopped waiting for them."""
    with _lock:
        return list(_abandoned.values())
