"""Cancellation: finding a live run by its id and stopping it, in this process or (with a plugin) anywhere.

The in-process registry always works. A cancellation backend registered by a
plugin (``runwire_register_cancellation``, e.g. runwire-redis) and selected with
``RUNWIRE_CANCELLATION=redis://...`` or :func:`set_cancellation_backend` also
reaches runs in other processes.

A cancel that arrives before its run starts (the caller named the run with
``run(..., run_id=...)``) is remembered for ``PENDING_TTL`` seconds, and the run
is cancelled as it starts. A cancel of a run that already finished is not: the
ids of the last ``FINISHED_MEMORY`` runs to finish here are remembered, so a late
cancel returns False and leaves the id free for a later run.

The backend is best-effort: if it fails (Redis down), the run goes on, cancellable
in this process only, and the failure is logged (``runwire.cancel``).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Optional, cast

if TYPE_CHECKING:
    from runwire.run.context import RunContext

logger = logging.getLogger("runwire.cancel")

PENDING_TTL = 60.0
FINISHED_MEMORY = 10_000
_live: dict[str, "RunContext"] = {}
_pending: dict[str, tuple[str, float]] = {}
_finished: "OrderedDict[str, None]" = OrderedDict()
_lock = threading.Lock()
_backend: Any = None
_backend_resolved = False


class CancellationBackend:
    """Reaches runs in other processes. ``cancel`` returns True if the run is live somewhere."""

    def run_started(self, run_id: str) -> Optional[str]:
        """Record a live run; returns a cancel reason if it was cancelled before it started."""
        return None

    async def arun_started(self, run_id: str) -> Optional[str]:
        """:meth:`run_started` from a run's event loop. The default calls it there; a backend that waits on the
        network overrides this so the loop (every other run on it) goes on meanwhile."""
        return self.run_started(run_id)

    def run_finished(self, run_id: str) -> None:
        """The run ended for good: a later cancel of ``run_id`` must not wait for it to start again."""
        return None

    def run_paused(self, run_id: str) -> None:
        """The run paused for a human: no longer live, but it may start again (``continue_run``)."""
        self.run_finished(run_id)

    def cancel(self, run_id: str, reason: str) -> bool:
        raise NotImplementedError


def set_cancellation_backend(backend: Optional[CancellationBackend]) -> None:
    """Use ``backend`` for every run of this process (None: only the in-process registry)."""
    global _backend, _backend_resolved
    _backend, _backend_resolved = backend, True


def get_cancellation_backend() -> Optional[CancellationBackend]:
    global _backend, _backend_resolved
    if not _backend_resolved:  # read twice per run: once resolved, this is one test
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
    return cast("Optional[CancellationBackend]", _backend)  # a string: no typing subscription per call


def _backend_failed(what: str, run_id: str, exc: Exception) -> None:
    logger.warning("runwire: the cancellation backend failed to %s for run %s (%s: %s); the run goes on, "
                   "cancellable from this process only", what, run_id, type(exc).__name__, exc)


def _register_here(ctx: "RunContext") -> Optional[CancellationBackend]:
    with _lock:
        _live[ctx.run_id] = ctx
        _finished.pop(ctx.run_id, None)
        pending = _pending.pop(ctx.run_id, None)
    if pending is not None and pending[1] > time.monotonic():
        ctx.request_cancel(pending[0])
    return get_cancellation_backend()


def register_run(ctx: "RunContext") -> None:
    """Record ``ctx`` as live (here and with the backend); cancel it at once if a cancel was waiting for it."""
    backend = _register_here(ctx)
    if backend is not None:
        try:
            reason = backend.run_started(ctx.run_id)
        except Exception as exc:  # best-effort: a backend never takes a run down
            _backend_failed("record the start", ctx.run_id, exc)
            return
        if reason:
            ctx.request_cancel(reason)


async def aregister_run(ctx: "RunContext") -> None:
    """:func:`register_run` from the run's event loop, awaiting the backend (``arun_started``) rather than
    blocking the loop on it."""
    backend = _register_here(ctx)
    if backend is not None:
        try:
            started = getattr(backend, "arun_started", None)  # (a backend need not subclass CancellationBackend)
            reason = await started(ctx.run_id) if started is not None else backend.run_started(ctx.run_id)
        except Exception as exc:  # best-effort: a backend never takes a run down
            _backend_failed("record the start", ctx.run_id, exc)
            return
        if reason:
            ctx.request_cancel(reason)


def unregister_run(run_id: str) -> None:
    """The run ended: forget it as live and, unless it paused, remember it finished (a late cancel is refused)."""
    with _lock:
        ctx = _live.pop(run_id, None)
        paused = ctx is not None and ctx.output.status == "paused"  # continue_run may start it again
        if not paused:
            _pending.pop(run_id, None)
            _finished[run_id] = None
            _finished.move_to_end(run_id)
            while len(_finished) > FINISHED_MEMORY:
                _finished.popitem(last=False)
    backend = get_cancellation_backend()
    if backend is not None:
        try:
            backend.run_paused(run_id) if paused else backend.run_finished(run_id)
        except Exception as exc:
            _backend_failed("record the end", run_id, exc)


def cancel_local(run_id: str, reason: str, *, remember: bool = True) -> bool:
    """Cancel a run live in this process; False if it is not live here.

    With ``remember``, a run that has not started yet (and did not finish
    recently) is cancelled as it starts, within ``PENDING_TTL`` seconds.
    """
    with _lock:
        ctx = _live.get(run_id)
        if ctx is None:
            if not remember or run_id in _finished:
                return False
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
    if backend is None:
        return False
    try:
        return bool(backend.cancel(run_id, reason))
    except Exception as exc:
        logger.warning("runwire: the cancellation backend failed to reach other processes for run %s (%s: %s)",
                       run_id, type(exc).__name__, exc)
        return False


def leave_interrupted(run_id: str) -> bool:
    """Have the live run ``run_id`` left ``interrupted`` when its task is stopped next (its host is shutting
    down), as a killed process's run is once recovered: its log keeps what it showed, its row its last
    checkpoint, and ``continue_run`` resumes it (here or in another process). A cancel of the task would
    otherwise record it cancelled. False if it is not live here."""
    with _lock:
        ctx = _live.get(run_id)
    if ctx is None:
        return False
    ctx.leave_interrupted = True
    return True


def is_live(run_id: str) -> bool:
    """True while the run ``run_id`` runs in this process."""
    return run_id in _live


def finished_recently(run_id: str) -> bool:
    """True if ``run_id`` is among the last ``FINISHED_MEMORY`` runs to finish in this process."""
    return run_id in _finished
