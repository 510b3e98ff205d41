"""Driving the async run loop from sync code.

Outside an event loop, each thread gets a private event loop that stays open
between calls (cheap: no loop is created per run). Inside a running loop (a
notebook, an async framework calling sync code), the work goes to one shared
background thread that runs its own loop.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any, Awaitable, Callable, Optional, TypeVar

T = TypeVar("T")

_local = threading.local()
_worker_loop: Optional[asyncio.AbstractEventLoop] = None
_worker_lock = threading.Lock()


def _thread_loop() -> asyncio.AbstractEventLoop:
    loop = getattr(_local, "loop", None)
    if loop is None or loop.is_closed():
        loop = asyncio.new_event_loop()
        _local.loop = loop
    return loop


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
        return loop.run_until_complete  # type: ignore[return-value]
    background = _background_loop()

    def run_in_background(awaitable: Awaitable[Any]) -> Any:
        async def wrap() -> Any:
            return await awaitable

        return asyncio.run_coroutine_threadsafe(wrap(), background).result()

    return run_in_background
