"""Runs driven by the server: each in its own task, its events published live with their event-log seq.

A run never depends on the request that started it: a client that goes away
does not stop it (unless it asked to), and anyone allowed to can stream it
from the event log and the broker, on any worker.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, AsyncIterator, Awaitable, Callable, Optional

from runwire.run.cancel import leave_interrupted
from runwire.run.output import RunOutput, RunStatus
from runwire.storage.base import Storage

from runwire_server.broker import Broker, LiveEvent, SegmentHandle

logger = logging.getLogger("runwire.server")

TERMINAL_EVENTS = frozenset({"RunCompleted", "RunError", "RunCancelled", "RunPaused"})


class TooManyRuns(Exception):
    """The user already has as many live runs as allowed."""


def _json(data: Any) -> str:
    return json.dumps(data, default=str)


class RunManager:
    """Starts runs in background tasks and publishes their events to the broker.

    The n-th event a run's stream yields is stored by the recorder at seq
    ``base + n`` (the server's storage does not coalesce content chunks), so the
    seq published live is the seq a later replay reads from the log.
    """

    def __init__(self, storage: Storage, broker: Broker, *, max_runs_per_user: int) -> None:
        self.storage, self.broker, self.max_runs_per_user = storage, broker, max_runs_per_user
        self.tasks: dict[asyncio.Task[Optional[RunOutput]], str] = {}  # the runs this process drives

    async def launch(self, user_id: str, run_id: str, events: Callable[[], AsyncIterator[Any]],
                     base_seq: Callable[[], Awaitable[int]]) -> tuple[asyncio.Task[Optional[RunOutput]], int]:
        """Start the run; once its first event is published, returns its task and that event's seq.

        Raises what stopped the run from starting (e.g. ContinueRunError), or TooManyRuns.
        """
        if not await self.broker.acquire(user_id, self.max_runs_per_user):
            raise TooManyRuns(f"user {user_id!r} already has {self.max_runs_per_user} live runs")
        started: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        started.add_done_callback(lambda f: f.cancelled() or f.exception())  # read even if the request went away
        task = asyncio.ensure_future(self._drive(user_id, run_id, events, base_seq, started))
        self.tasks[task] = run_id
        task.add_done_callback(lambda t: self.tasks.pop(t, None))
        first_seq = await asyncio.shield(started)  # a request that goes away meanwhile leaves the run going
        return task, first_seq

    async def _drive(self, user_id: str, run_id: str, events: Callable[[], AsyncIterator[Any]],
                     base_seq: Callable[[], Awaitable[int]], started: asyncio.Future[int]) -> Optional[RunOutput]:
        segment: Optional[SegmentHandle] = None  # the live segment this task opened: only it publishes to and closes it
        stream, opening = None, None
        try:
            seq = await base_seq()
            # the live segment opens while the run stores its first event: whatever the log lacks, it holds
            opening = asyncio.ensure_future(self.broker.open(run_id))
            stream = events()
            try:
                first = await stream.__anext__()
            except StopAsyncIteration:
                raise RuntimeError(f"run {run_id} ended before its first event") from None
            segment = await opening
            await self.broker.publish(segment, LiveEvent(seq, first.event, _json(first.to_dict())))
            started.set_result(seq)
            async for event in stream:  # each event is stored before it is yielded (the recorder's promise)
                seq += 1
                await self.broker.publish(segment, LiveEvent(seq, event.event, _json(event.to_dict())))
            output: RunOutput = stream.run_output  # type: ignore[attr-defined]
            return output
        except BaseException as exc:
            if not started.done():  # the request that launched the run gets the error (e.g. ContinueRunError: 409)
                if isinstance(exc, asyncio.CancelledError):
                    started.cancel()
                else:
                    started.set_exception(exc)
            elif not isinstance(exc, asyncio.CancelledError):
                logger.exception("runwire-server: run %s failed outside its event stream", run_id)
            if isinstance(exc, asyncio.CancelledError):
                raise
            return None
        finally:
            if stream is not None and hasattr(stream, "aclose"):
                await stream.aclose()  # a run left mid-way (the broker failed, or shutdown) records itself ended
            if opening is not None and segment is None:  # the run did not start: its segment closes empty
                done = (await asyncio.gather(opening, return_exceptions=True))[0]
                segment = done if isinstance(done, SegmentHandle) else None
            if segment is not None:  # a continue may have opened the run's next segment already: that one stays open
                await self.broker.close(segment)
            await self.broker.release(user_id)

    async def aclose(self) -> None:
        """Stop every run this process drives, each left ``interrupted`` (as a killed worker's run is once
        recovered): a client continues it through any worker (``POST /runs/{id}/continue``)."""
        for task, run_id in list(self.tasks.items()):
            leave_interrupted(run_id)
            task.cancel()
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)


async def run_events(storage: Storage, broker: Broker, run_id: str, after: int, *,
                     segment_start: Optional[int] = None, follow_log: bool = False) -> AsyncIterator[LiveEvent]:
    """Every event of the run after seq ``after``: the stored log, then the live segment, each once, in order.

    ``segment_start``: the first seq of the live segment, when the caller just started it (the log is
    not read if the segment holds everything asked for). ``follow_log``: a run with no live segment here
    may run in another process (a durable queue's worker): follow its stored log until it stops running.
    """
    # before reading the log: whatever the log lacks, the segment has
    live = await broker.subscribe(run_id, started_here=segment_start is not None)
    if live is None and follow_log:
        async for event in follow_stored_log(storage, run_id, after):
            yield event
        return
    last = after
    if live is None or segment_start is None or after + 1 < segment_start:
        for seq, data in await storage.read_events(run_id, after):
            yield LiveEvent(seq, str(data.get("event", "")), _json(data))
            last = seq
    if live is None:
        return
    ended = False
    try:
        async for event in live:
            if event.seq <= last:
                continue
            if event.seq > last + 1:  # the live path lost something: the log has it
                for seq, data in await storage.read_events(run_id, last):
                    if seq >= event.seq:
                        break
                    yield LiveEvent(seq, str(data.get("event", "")), _json(data))
                    last = seq
            yield event
            last = event.seq
            if event.name in TERMINAL_EVENTS:
                ended = True
                return
    finally:
        await live.aclose()  # type: ignore[attr-defined]
    if not ended:  # the segment closed without a last event (the run was stopped): the log has the rest
        for seq, data in await storage.read_events(run_id, last):
            yield LiveEvent(seq, str(data.get("event", "")), _json(data))


LOG_POLL_SECONDS = 0.1
UNFINISHED = frozenset({RunStatus.pending, RunStatus.running})


async def follow_stored_log(storage: Storage, run_id: str, after: int) -> AsyncIterator[LiveEvent]:
    """The run's stored events after seq ``after``, read as they are written, until the run stops running.

    The run's status is read before its events: a run's last events go in with its final row, so once it
    reads as not running, the events read next are all there are.
    """
    last = after
    while True:
        run = await storage.get_run(run_id, with_events=False)
        done = run is None or run.status not in UNFINISHED
        for seq, data in await storage.read_events(run_id, last):
            yield LiveEvent(seq, str(data.get("event", "")), _json(data))
            last = seq
        if done:
            return
        await asyncio.sleep(LOG_POLL_SECONDS)
