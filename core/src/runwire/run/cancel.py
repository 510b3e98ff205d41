"""The in-process cancellation registry: ``Agent.cancel_run(run_id)`` finds live runs here."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    from runwire.run.context import RunContext

_live: dict[str, "RunContext"] = {}
_lock = threading.Lock()


def register_run(ctx: "RunContext") -> None:
    with _lock:
        _live[ctx.run_id] = ctx


def unregister_run(run_id: str) -> None:
    with _lock:
        _live.pop(run_id, None)


def cancel_run(run_id: str, reason: Optional[str] = None) -> bool:
    """Ask the live run ``run_id`` to stop; False if no such run is in progress here."""
    with _lock:
        ctx = _live.get(run_id)
    if ctx is None:
        return False
    ctx.request_cancel(reason or "cancelled by the user")
    return True


def is_live(run_id: str) -> bool:
    return run_id in _live
