"""Cancellation: finding a live run by its id and stopping it, in this process or (with a plugin) anywhere.

The in-process registry always works. A cancellation backend registered by a
plugin (``runwire_register_cancellation``, e.g. runwire-redis) and selected with
``RUNWIRE_CANCELLATION=redis://...`` or :func:`set_cancellation_backend` also
reaches runs in other processes.

A cancel that arrives before its run starts (the caller named the run with
``run(..., run_id=...)``) is remembered for ``PENDING_TTL`` seconds, and the run
is cancelled as it starts.
"""

from __future__ import annotations

import os
import threading
import time
from typing import TYPE_CHECKING, Any, Optional

if TYPE_CHECKING:
    from runwire.run.context import RunContext

PENDING_TTL = 60.0
_live: dict[str, "RunContext"] = {}
_pending: dict[str, tuple[str, float]] = {}
_lock = threading.Lock()
_backend: Any = None
_backend_resolved = False


class CancellationBackend:
    """Reaches runs in other processes. ``cancel`` returns True if the run is live somewhere."""

    def run_started(self, run_id: str) -> Optional[str]:
        """Record a live run; returns a cancel reason if it was cancelled before it started."""
        return None

    def run_finished(self, run_id: str) -> None:
        return None

    def cancel(self, run_id: str, reason: str) -> bool:
        raise NotImplementedError


def set_cancellation_backend(backend: Optional[CancellationBackend]) -> None:
    """Use ``backend`` for every run of this process (None: only the in-process registry)."""
    global _backend, _backend_resolved
    _backend, _backend_resolved = backend, True


def get_cancellation_backend() -> Optional[CancellationBackend]:
    global _backend, _backend_resolved
    if not _backend_resolved:
        url = os.environ.get("RUNWIRE_CANCELLATION")
        if url:
            from runwire.plugins import get_registry

            scheme = url.split("://", 1)[0]
            factory = get_registry().cancellation.get(scheme)
            if factory is None:
                raise LookupError(f"RUNWIRE_CANCELLATION={url!r}: no cancellation backend for {scheme}:// "
                                  f"(registered: {', '.join(get_registry().cancellation) or 'none'}; pip install runwire-redis)")
            _backend = factory(url)
        _backend_resolved = True
    return _backend


def register_run(ctx: "RunContext") -> None:
    with _lock:
        _live[ctx.run_id] = ctx
        pending = _pending.pop(ctx.run_id, None)
    if pending is not None and pending[1] > time.monotonic():
        ctx.request_cancel(pending[0])
    backend = get_cancellation_backend()
    if backend is not None:
        reason = backend.run_started(ctx.run_id)
        if reason:
            ctx.request_cancel(reason)


def unregister_run(run_id: str) -> None:
    with _lock:
        _live.pop(run_id, None)
    backend = get_cancellation_backend()
    if backend is not None:
        backend.run_finished(run_id)


def cancel_local(run_id: str, reason: str) -> bool:
    """Cancel a run live in this process; remember the request briefly if it has not started yet."""
    with _lock:
        ctx = _live.get(run_id)
        if ctx is None:
            now = time.monotonic()
            for stale in [k for k, (_, expiry) in _pending.items() if expiry <= now]:
                del _pending[stale]
            _pending[run_id] = (reason, now + PENDING_TTL)
            return False
    ctx.request_cancel(reason)
    return True


def cancel_run(run_id: str, reason: Optional[str] = None) -> bool:
    """Ask the live run ``run_id`` to stop, here or (with a backend) anywhere; False if it is not running."""
    reason = reason or "cancelled by the user"
    if cancel_local(run_id, reason):
        return True
    backend = get_cancellation_backend()
    return bool(backend is not None and backend.cancel(run_id, reason))


def is_live(run_id: str) -> bool:
    return run_id in _live
