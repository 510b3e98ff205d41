"""``EventSink``: where a run's events go besides the caller (files, queues, tracing)."""

from __future__ import annotations

from typing import Optional

from runwire.run.events import RunOutputEvent


class EventSink:
    """Receives every event of every run it is attached to, in order per run.

    Override :meth:`handle`. One sink object may serve many concurrent runs (a
    sink named by string is shared): :meth:`start_run` and :meth:`finish_run`
    bracket each run's events with its run id, so per-run state can be kept by
    run id; :meth:`flush` is awaited after each run's :meth:`finish_run`, and
    :meth:`aclose` when the sink is discarded (``Agent.aclose()`` for sinks it
    made from names). Every call runs on the sink's own thread and event loop,
    one at a time and in order, with the context variables of the code that
    started the run. A sink that raises, takes longer than ``timeout`` seconds, or
    blocks its thread is reported once and skipped for the rest of that run; the
    run never fails because of a sink, nor waits for one much past ``timeout``.

    Set ``wants_deltas = True`` to receive the model's answer chunk by chunk even
    in non-streamed runs (otherwise such runs may send one non-streamed request
    and emit one RunContent per model response).
    """

    name: str = "sink"
    timeout: float = 5.0
    wants_deltas: bool = False

    async def handle(self, event: RunOutputEvent) -> None:
        raise NotImplementedError

    async def start_run(self, run_id: Optional[str]) -> None:
        """A run begins; its events (with this ``run_id``) follow, then :meth:`finish_run`."""
        return None

    async def finish_run(self, run_id: Optional[str]) -> None:
        """The run ``run_id`` ended (its last event was handled): release what was kept for it."""
        return None

    async def flush(self) -> None:
        return None

    async def aclose(self) -> None:
        await self.flush()
