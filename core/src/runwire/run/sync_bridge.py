"""Driving the async run loop from sync code.

Outside an event loop, each thread gets a private event loop that stays open
between calls (cheap: no loop is created per run). Inside a running loop (a
notebook, an async framework calling sync code), the work goes to one shared
background thread that runs its own loop.
"""

from __future__ import annotations

import asyncio
import atexit
import threading
from typing import Any, Awaitable, Callable, Optional, TypeVar

T = TypeVar("T")

_local = threading.local()
_worker_loop: Optional[asyncio.AbstractEventLoop] = None
_worker_lock = threading.Lock()


class _LoopHolder:
    """Owns a thread's private loop and closes it when the thread (or the process) ends."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()

    def close(self) -> None:
        """Cancel what is left on the loop (connection pools, idle tasks), then close it."""
        loop = self.loop
        if loop.is_closed() or loop.is_running():
            return
        try:
            pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
        except Exception:
            pass
        finally:
            loop.close()

    def __del__(self) -> None:
        self.close()


def _thread_loop() -> asyncio.AbstractEventLoop:
    holder = getattr(_local, "holder", None)
    if holder is None or holder.loop.is_closed():
        holder = _LoopHolder()
        _local.holder = holder
    return holder.loop


@atexit.register
def _close_main_loop() -> None:
    holder = getattr(_local, "holder", None)
    if holder is not None:
        _local.holder = None
        holder.close()


def _background_loop() -> asyncio.AbstractEventLoop:
    global _worker_loop
    with _worker_lock:
        if _worker_loop is None:
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=loop.run_forever, name="runwire-sync-bridge", daemon=True)
            thread.start()
            _worker_loop = loop
    return _worker_loop


def get_runner() -> Callable[[Awaitable[T]], T]:
    """A function that runs an awaitable to completion from sync code, on a fixed loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        loop = _thread_loop()
        return loop.run_until_complete
    background = _background_loop()

    def run_in_background(awaitable: Awaitable[Any]) -> Any:
        async def wrap() -> Any:
            return await awaitable

        return asyncio.run_coroutine_threadsafe(wrap(), background).result()

    return run_in_background
