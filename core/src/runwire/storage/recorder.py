"""Persisting a run as it happens: its row first, then its events, then its final state.

RunContent chunks are coalesced (per model response, or every 64 chunks / 0.25 s
so a killed process loses at most that much); every other event is written as
it is emitted. A run whose process dies keeps the status "running": unfinished.
"""

from __future__ import annotations

import time
from typing import Any, AsyncIterator

from runwire.run.context import RunContext
from runwire.run.events import RunContentEvent, RunOutputEvent
from runwire.run.output import RunStatus
from runwire.storage.base import Session, Storage

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


async def with_storage(events: AsyncIterator[RunOutputEvent], ctx: RunContext, storage: Storage,
                       *, continued: bool = False) -> AsyncIterator[RunOutputEvent]:
    """Pass ``events`` through, persisting the run and its event log as they go."""
    out = ctx.output
    if not continued:
        from runwire.run.session_io import load_session_context

        if await load_session_context(ctx) is None:
            await storage.upsert_session(Session(out.session_id or "", out.user_id, out.agent_id, ctx.session_state))
    out.status = RunStatus.running
    await storage.save_run(out)
    seq = await storage.next_event_seq(out.run_id) if continued else 0
    chunks: list[RunOutputEvent] = []
    chunks_since = 0.0

    async def write(batch: list[dict[str, Any]]) -> None:
        nonlocal seq
        driver, ctx.driver_task = ctx.driver_task, None  # a cancel must not tear a write in half
        try:
            await storage.append_events(out.run_id, out.session_id, seq, batch)
        finally:
            ctx.driver_task = driver
        seq += len(batch)

    try:
        async for event in events:
            if event.event == "RunContent" and isinstance(getattr(event, "content", None), str):
                if not chunks:
                    chunks_since = time.monotonic()
                chunks.append(event)
                if len(chunks) >= MAX_CHUNKS or time.monotonic() - chunks_since >= MAX_DELAY:
                    await write([_coalesce(chunks)])
                    chunks = []
            else:
                batch = [_coalesce(chunks)] if chunks else []
                chunks = []
                batch.append(event.to_dict())
                await write(batch)
            yield event
    finally:
        if chunks:
            await write([_coalesce(chunks)])
        await storage.save_run(out)
        await storage.upsert_session(Session(out.session_id or "", out.user_id, out.agent_id, ctx.session_state))
