"""Persisting a run as it happens: its row first, then its events, then its final state.

What a consumer has seen is stored: every event but RunContent is written
(with the RunContent chunks before it) before it is handed on, and the run's
final row is written, in the same transaction as its terminal event, before
that event is handed on, so a caller that stops reading at RunCompleted leaves
a complete record. RunContent chunks are coalesced and written in the
background: per model response, every 64 chunks, and at most 0.25 s after the
first unwritten chunk even when the model goes quiet.

Each model turn also checkpoints the run's row (messages, tools) and each tool
result is in its event, so a run whose process dies can be continued from its
last completed step (see ``runwire.storage.liveness``). The row names its owner process and carries a
lease, renewed while the run is live.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, AsyncGenerator, Optional

from runwire.exceptions import StorageError
from runwire.run.context import RunContext
from runwire.run.events import RunContentEvent, RunOutputEvent
from runwire.run.output import RunStatus
from runwire.storage.base import CLAIMABLE, Session, Storage
from runwire.storage.liveness import LEASE_SECONDS, lease_deadline, process_owner

logger = logging.getLogger("runwire.storage")

MAX_CHUNKS = 64
MAX_DELAY = 0.25
TERMINAL = frozenset({"RunCompleted", "RunError", "RunCancelled", "RunPaused"})
# A model turn checkpoints the row (its messages); tool results need no checkpoint of their own: their
# ToolCallCompleted / ToolCallError events carry them, and a resumed run reads them back from the log.
CHECKPOINTS = frozenset({"ModelRequestCompleted"})


def _coalesce(chunks: list[RunOutputEvent]) -> dict[str, Any]:
    first = chunks[0]
    merged = RunContentEvent(
        content="".join(c.content for c in chunks),
        created_at=first.created_at,
    )
    merged.run_id, merged.session_id = first.run_id, first.session_id
    merged.agent_id, merged.agent_name = first.agent_id, first.agent_name
    return merged.to_json_dict()


def snapshot_run(ctx: RunContext) -> dict[str, Any]:
    """The run's row as of now (its content so far included), for a checkpoint."""
    data = ctx.output.to_json_dict()
    data.pop("events", None)
    if ctx.streamed and isinstance(data.get("content"), (str, type(None))):
        data["content"] = "".join(ctx.streamed)
    return data


class EventWriter:
    """Writes one run's events in the background: in order, each batch in one transaction.

    ``add`` hands a record over; ``flushed`` waits until everything handed over
    so far is written. RunContent chunks wait in ``chunks`` until a flush point.
    """

    MAX_PENDING = 2048

    def __init__(self, storage: Storage, ctx: RunContext, seq: int, owner: str) -> None:
        self.storage, self.ctx, self.seq, self.owner = storage, ctx, seq, owner
        self.run_id, self.session_id = ctx.run_id, ctx.session_id
        self.pending: list[dict[str, Any]] = []
        self.snapshot: Optional[dict[str, Any]] = None
        self.session: Optional[Session] = None  # a new session to create with the next write
        self.chunks: list[RunOutputEvent] = []
        self.handed = 0  # records handed over (chunks count once coalesced)
        self.written = 0
        self.waiters: list[tuple[int, asyncio.Future[None]]] = []
        self.wakeup = asyncio.Event()
        self.closing = False
        self.error: Optional[BaseException] = None
        self.lost = 0
        self.loop = asyncio.get_running_loop()
        durability = ctx.durability
        # A durable run's log depends on its events alone: content waits for the next non-content event.
        self.timed = durability is None or not durability.deterministic_log
        self.skip = ctx.log_replay  # records an earlier execution of this run already stored
        self._chunk_timer: Optional[asyncio.TimerHandle] = None
        self._lease_timer: Optional[asyncio.TimerHandle] = None
        self._lease_due = False
        self.task = asyncio.ensure_future(self._write())
        self._arm_lease()

    # -- handing over (the run's side) ------------------------------------------
    def add_chunk(self, event: RunOutputEvent) -> None:
        chunks = self.chunks
        chunks.append(event)
        if not self.timed:
            return
        if len(chunks) == 1:
            self._chunk_timer = self.loop.call_later(MAX_DELAY, self._chunks_due)
        elif len(chunks) >= MAX_CHUNKS:
            self._move_chunks()
            self.wakeup.set()

    def add(self, record: dict[str, Any], snapshot: Optional[dict[str, Any]] = None) -> None:
        self._move_chunks()
        self.pending.append(record)
        self.handed += 1
        if snapshot is not None:
            self.snapshot = snapshot
        self.wakeup.set()

    def _move_chunks(self) -> None:
        chunks = self.chunks
        if chunks:
            if self.storage.coalesce_content:
                self.pending.append(_coalesce(chunks))
                self.handed += 1
            else:  # a durable run on a storage that keeps one record per chunk: held, never merged
                self.pending.extend(chunk.to_dict() for chunk in chunks)
                self.handed += len(chunks)
            self.chunks = []
        if self._chunk_timer is not None:
            self._chunk_timer.cancel()
            self._chunk_timer = None

    def _chunks_due(self) -> None:
        self._chunk_timer = None
        self._move_chunks()
        self.wakeup.set()

    def _arm_lease(self) -> None:
        self._lease_timer = self.loop.call_later(LEASE_SECONDS / 3, self._lease_expiring)

    def _lease_expiring(self) -> None:
        self._lease_due = True
        self.wakeup.set()
        self._arm_lease()

    @property
    def backlogged(self) -> bool:
        return len(self.pending) >= self.MAX_PENDING

    async def flushed(self) -> None:
        """Wait until every record handed over so far is written (or failed to be)."""
        self._move_chunks()
        if self.written >= self.handed:
            return
        future = self.loop.create_future()
        self.waiters.append((self.handed, future))
        self.wakeup.set()
        await future

    # -- writing (the writer task) -------------------------------------------------
    async def _write(self) -> None:
        while True:
            await self.wakeup.wait()
            self.wakeup.clear()
            while self.pending:
                batch, self.pending = self.pending, []
                snapshot, self.snapshot = self.snapshot, None
                await self._write_batch(batch, snapshot)
            if self.closing:
                return
            if self._lease_due:  # after the batches: a tick that came with work is not skipped
                self._lease_due = False
                await self._renew()

    def _unstored(self, batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """``batch`` without the records a replayed durable run already stored (they count as written)."""
        if not self.skip:
            return batch
        dropped = min(self.skip, len(batch))
        self.skip -= dropped
        self.written += dropped
        return batch[dropped:]

    async def _write_batch(self, batch: list[dict[str, Any]], snapshot: Optional[dict[str, Any]]) -> None:
        storage, out = self.storage, self.ctx.output
        batch = self._unstored(batch)
        try:
            if not batch and snapshot is None:
                pass
            elif snapshot is not None:
                self._lease_due = False
                session, self.session = self.session, None
                await storage.save_run_state(out, batch, self.seq, owner=self.owner, lease_until=lease_deadline(),
                                             data=snapshot, durable=False, session=session)
            else:
                await storage.append_events(self.run_id, self.session_id, self.seq, batch)
        except Exception as exc:  # kept and raised when the run ends; later batches still try
            logger.error("runwire: could not store %d event(s) of run %s: %s", len(batch), self.run_id, exc)
            self.error = self.error or exc
            self.lost += len(batch)
        self.seq += len(batch)
        self.written += len(batch)
        self._wake_waiters()

    def _wake_waiters(self) -> None:
        if not self.waiters:
            return
        still = []
        for target, future in self.waiters:
            if target <= self.written:
                if not future.done():
                    future.set_result(None)
            else:
                still.append((target, future))
        self.waiters = still

    async def _renew(self) -> None:
        try:
            kept = await self.storage.renew_lease(self.run_id, self.owner, lease_deadline())
        except Exception as exc:
            logger.warning("runwire: could not renew the lease of run %s: %s", self.run_id, exc)
            return
        if kept is False:  # marked interrupted (and maybe continued) elsewhere: this process must stop
            logger.error("runwire: run %s is no longer this process's (recovered elsewhere); stopping it", self.run_id)
            self.ctx.request_cancel("this process lost the run: it was recovered by another process")

    async def stop(self) -> None:
        """Write what was handed over and stop, leaving the run's row as it is."""
        self._move_chunks()
        if self._lease_timer is not None:
            self._lease_timer.cancel()
        self.closing = True
        self.wakeup.set()
        await self.task

    async def finish(self, final: Optional[dict[str, Any]]) -> None:
        """Write what is left, ``final`` (the terminal event, if any) and the run's final row in one transaction."""
        await self.stop()  # the writer's last batches; the terminal event waits for the final row's transaction
        if final is not None:
            self.pending.append(final)
            self.handed += 1
        out = self.ctx.output
        batch, self.pending = self._unstored(self.pending), []
        session, self.session = self.session, None
        try:
            await self.storage.save_run_state(out, batch, self.seq, owner=None, lease_until=None, session=session)
        except Exception as exc:
            self.error = self.error or exc
            self.lost += len(batch)
            await self._save_failure(exc)
        self.seq += len(batch)
        self.written += len(batch)
        self.ctx.log_replay = self.skip  # a replayed durable run's next part skips what is left
        self._wake_waiters()
        if self.error is not None:
            raise StorageError(
                f"{self.lost} event(s) of run {self.run_id} could not be stored ({type(self.error).__name__}: "
                f"{self.error}); the run's events are still on RunOutput.events when store_events=True"
            ) from self.error

    async def _save_failure(self, exc: BaseException) -> None:
        """The final row could not be written as it is: record the run as failed rather than leave it running."""
        out = self.ctx.output
        try:
            from runwire.run.output import RunOutput

            stub = RunOutput(run_id=out.run_id, agent_id=out.agent_id, agent_name=out.agent_name,
                             session_id=out.session_id, user_id=out.user_id, model=out.model,
                             model_provider=out.model_provider, created_at=out.created_at,
                             status=RunStatus.error, error_type="StorageError",
                             error=f"the run ended {out.status} but its record could not be stored: "
                                   f"{type(exc).__name__}: {exc}")
            await self.storage.save_run_state(stub)
        except Exception as again:
            logger.error("runwire: run %s could not be recorded at all: %s", self.run_id, again)


async def _merge_state(ctx: RunContext, storage: Storage) -> None:
    from runwire.run import state_merge

    changed, removed = state_merge.diff(ctx.session_state_base, ctx.session_state)
    if not changed and not removed:
        return
    out = ctx.output
    session = Session(out.session_id or "", out.user_id, out.agent_id)
    merged = await storage.update_session_state(session, lambda s: state_merge.apply(s, changed, removed))
    ctx.session_state.clear()
    ctx.session_state.update(merged)
    ctx.session_state_base = state_merge.snapshot(merged)


async def _claim(ctx: RunContext, storage: Storage, owner: str) -> None:
    from runwire.run.continuation import ContinueRunError

    found = await storage.claim_run(ctx.run_id, owner=owner, lease_until=lease_deadline())
    if found is None:
        return
    if found == RunStatus.running.value:
        raise ContinueRunError(f"run {ctx.run_id} is already being continued (its stored status is running): "
                               "only one continue_run of a paused run wins; the others get this error")
    raise ContinueRunError(f"run {ctx.run_id} is {found} in storage, not paused or interrupted: "
                           "only a paused (or interrupted) run can be continued")


async def with_storage(events: AsyncGenerator[RunOutputEvent, None], ctx: RunContext, storage: Storage,
                       *, continued: bool = False) -> AsyncGenerator[RunOutputEvent, None]:
    """Pass ``events`` through, persisting the run and its event log as they go."""
    out = ctx.output
    owner = process_owner()
    from runwire.run.session_io import load_session_context

    claimed_from: Optional[str] = None
    if continued:
        if not ctx.claimed:  # a durable engine may have claimed it for this continuation already
            previous = str(out.status)
            await _claim(ctx, storage, owner)  # exactly one continue of a paused run gets past this
            claimed_from = previous if previous in CLAIMABLE else RunStatus.interrupted.value
    try:
        stored_session = await load_session_context(ctx, continued=continued)
        out.status = RunStatus.running
        first_seq = await storage.next_event_seq(out.run_id) if continued else ctx.log_replay
    except BaseException:
        if claimed_from is not None:  # give the claim back: the run is as it was, and can be continued again
            out.status = RunStatus(claimed_from)
            await asyncio.shield(asyncio.ensure_future(
                storage.claim_run(out.run_id, from_statuses=(RunStatus.running.value,), to_status=claimed_from)))
        raise
    writer = EventWriter(storage, ctx, first_seq, owner)
    if not continued:  # the run's row (and its session, if new) go in one transaction with its first event
        writer.snapshot = snapshot_run(ctx)
        if stored_session is None:
            writer.session = Session(out.session_id or "", out.user_id, out.agent_id, dict(ctx.session_state))
    finished = False
    coalesce = storage.coalesce_content
    try:
        async for event in events:
            name = event.event
            if name == "RunContent" and isinstance(getattr(event, "content", None), str):
                if coalesce or not writer.timed:  # a durable run's chunks wait for the next step's event
                    writer.add_chunk(event)
                else:  # one record (one seq) per chunk, still written in the background
                    writer.add(event.to_dict())
                if writer.backlogged:
                    await _wait(writer.flushed())
            elif name in TERMINAL:
                finished = True
                await _wait(_finish(ctx, storage, writer, event.to_json_dict()))
            else:
                writer.add(event.to_json_dict(), snapshot_run(ctx) if name in CHECKPOINTS else None)
                await _wait(writer.flushed())  # what the consumer sees is stored first
            yield event
    finally:
        if not finished:  # the caller left early, or the run was torn down: record how it ended
            await events.aclose()  # a run closed early records itself as cancelled (ctx.unyielded)
            if ctx.leave_interrupted:  # its host is shutting down: left as a killed process's run, to go on
                out.status, ctx.unyielded = RunStatus.interrupted, None
                await asyncio.shield(asyncio.ensure_future(_leave_interrupted(ctx, storage, writer)))
            else:
                final = ctx.unyielded.to_json_dict() if ctx.unyielded is not None else None
                await asyncio.shield(asyncio.ensure_future(_finish(ctx, storage, writer, final)))


async def _wait(awaitable: Any) -> None:
    """Await storage work shielded: a cancel of the caller's task never tears a write in flight. (The run's own
    cancel cannot land here: it interrupts only inside the run loop's body, see ``RunContext.interruptible``.)"""
    await asyncio.shield(asyncio.ensure_future(awaitable))


async def _leave_interrupted(ctx: RunContext, storage: Storage, writer: EventWriter) -> None:
    """Store every event handed on, then mark the run interrupted as recovery would: its row keeps its last
    checkpoint, from which ``continue_run`` resumes it."""
    await writer.stop()
    try:
        await storage.mark_interrupted(ctx.run_id, writer.owner)
    except Exception as exc:  # it stays running with a lease that runs out: recover_runs will find it
        logger.error("runwire: could not mark run %s interrupted: %s", ctx.run_id, exc)


async def _finish(ctx: RunContext, storage: Storage, writer: EventWriter, final: Optional[dict[str, Any]]) -> None:
    try:
        await writer.finish(final)
    finally:
        await _merge_state(ctx, storage)
