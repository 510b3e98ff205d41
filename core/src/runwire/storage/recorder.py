"""Persisting a run as it happens: its row first, then its events, then its final state.

Events are appended by a background writer as they are emitted, batched into
one transaction per write; RunContent chunks are coalesced (per model response,
or every 64 chunks / 0.25 s). A killed process loses at most the batch in flight.
A run whose process dies keeps the status "running": unfinished.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, AsyncGenerator, Optional

from runwire.exceptions import StorageError
from runwire.run.context import RunContext
from runwire.run.events import RunContentEvent, RunOutputEvent
from runwire.run.output import RunStatus
from runwire.storage.base import Session, Storage

logger = logging.getLogger("runwire.storage")

MAX_CHUNKS = 64
MAX_DELAY = 0.25


def _coalesce(chunks: list[RunOutputEvent]) -> dict[str, Any]:
    first = chunks[0]
    merged = RunContentEvent(
        content="".join(c.content for c in chunks),  # type: ignore[attr-defined]
        created_at=first.created_at,
    )
    merged.run_id, merged.session_id = first.run_id, first.session_id
    merged.agent_id, merged.agent_name = first.agent_id, first.agent_name
    return merged.to_dict()


class EventWriter:
    """Appends one run's events in the background: in order, each batch in one transaction.

    The run only hands records over; writes happen in their own task, so a
    cancelled run never tears a write, and a slow database costs the run
    nothing until ``MAX_PENDING`` records wait (then the run waits: back-pressure).
    """

    MAX_PENDING = 2048

    def __init__(self, storage: Storage, run_id: str, session_id: Optional[str], seq: int) -> None:
        self.storage, self.run_id, self.session_id, self.seq = storage, run_id, session_id, seq
        self.pending: list[dict[str, Any]] = []
        self.wakeup = asyncio.Event()
        self.drained = asyncio.Event()
        self.closing = False
        self.error: Optional[BaseException] = None
        self.lost = 0
        self.task = asyncio.ensure_future(self._write())

    def add(self, record: dict[str, Any]) -> None:
        self.pending.append(record)
        self.wakeup.set()

    @property
    def backlogged(self) -> bool:
        return len(self.pending) >= self.MAX_PENDING

    async def _write(self) -> None:
        while True:
            await self.wakeup.wait()
            self.wakeup.clear()
            while self.pending:
                batch, self.pending = self.pending, []
                try:
                    await self.storage.append_events(self.run_id, self.session_id, self.seq, batch)
                except Exception as exc:  # kept and raised when the run ends; later batches still try
                    logger.error("runwire: could not store %d event(s) of run %s: %s", len(batch), self.run_id, exc)
                    self.error = self.error or exc
                    self.lost += len(batch)
                self.seq += len(batch)
            self.drained.set()
            if self.closing:
                return

    async def wait_drained(self) -> None:
        self.drained.clear()
        self.wakeup.set()
        await self.drained.wait()

    async def close(self) -> None:
        self.closing = True
        self.wakeup.set()
        await asyncio.shield(self.task)
        if self.error is not None:
            raise StorageError(
                f"{self.lost} event(s) of run {self.run_id} could not be stored ({type(self.error).__name__}: "
                f"{self.error}); the run's events are still on RunOutput.events when store_events=True"
            ) from self.error


async def with_storage(events: AsyncGenerator[RunOutputEvent, None], ctx: RunContext, storage: Storage,
                       *, continued: bool = False) -> AsyncGenerator[RunOutputEvent, None]:
    """Pass ``events`` through, persisting the run and its event log as they go."""
    out = ctx.output
    from runwire.run.session_io import load_session_context

    if await load_session_context(ctx, continued=continued) is None:
        await storage.upsert_session(Session(out.session_id or "", out.user_id, out.agent_id, ctx.session_state))
    out.status = RunStatus.running
    await storage.save_run(out)
    writer = EventWriter(storage, out.run_id, out.session_id, await storage.next_event_seq(out.run_id) if continued else 0)
    chunks: list[RunOutputEvent] = []
    chunks_since = 0.0
    try:
        async for event in events:
            if event.event == "RunContent" and isinstance(getattr(event, "content", None), str):
                if not chunks:
                    chunks_since = time.monotonic()
                chunks.append(event)
                if len(chunks) >= MAX_CHUNKS or time.monotonic() - chunks_since >= MAX_DELAY:
                    writer.add(_coalesce(chunks))
                    chunks = []
            else:
                if chunks:
                    writer.add(_coalesce(chunks))
                    chunks = []
                writer.add(event.to_dict())
            if writer.backlogged:
                driver, ctx.driver_task = ctx.driver_task, None  # waiting on the database is not the run's work
                try:
                    await writer.wait_drained()
                finally:
                    ctx.driver_task = driver
            yield event
    finally:
        await events.aclose()  # a caller that stopped early ends the run first (it records itself as cancelled)
        if chunks:
            writer.add(_coalesce(chunks))
        if ctx.unyielded is not None:  # the run's last event, which nobody was left to receive
            writer.add(ctx.unyielded.to_dict())
        try:
            await writer.close()
        finally:
            await storage.save_run(out)
            await storage.upsert_session(Session(out.session_id or "", out.user_id, out.agent_id, ctx.session_state))
