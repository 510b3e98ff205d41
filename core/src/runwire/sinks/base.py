"""``EventSink``: where a run's events go besides the caller (files, queues, tracing)."""

from __future__ import annotations

from runwire.run.events import RunOutputEvent


class EventSink:
    """Receives every event of every run it is attached to, in order per run.

    Override :meth:`handle`; :meth:`flush` is awaited when a run ends and
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

    async def flush(self) -> None:
        return None

    async def aclose(self) -> None:
        await self.flush()
