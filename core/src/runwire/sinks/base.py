"""``EventSink``: where a run's events go besides the caller (files, queues, tracing)."""

from __future__ import annotations

from runwire.run.events import RunOutputEvent


class EventSink:
    """Receives every event of every run it is attached to, in order per run.

    Override :meth:`handle`; :meth:`flush` is awaited when a run ends and
    :meth:`aclose` when the sink is discarded. A sink that raises or takes longer
    than ``timeout`` seconds is reported once and skipped for the rest of that
    run; the run itself never fails because of a sink.
    """

    name: str = "sink"
    timeout: float = 5.0

    async def handle(self, event: RunOutputEvent) -> None:
        raise NotImplementedError

    async def flush(self) -> None:
        return None

    async def aclose(self) -> None:
        await self.flush()
