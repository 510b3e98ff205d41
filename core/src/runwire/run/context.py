"""``RunContext``: the state of one run (nothing of it lives on the Agent)."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any, Callable, Optional

from runwire.models.message import Message
from runwire.run.events import RunOutputEvent
from runwire.run.output import RunOutput

if TYPE_CHECKING:
    from runwire.agent.agent import Agent
    from runwire.models.base import Model
    from runwire.run.durability import Durability
    from runwire.storage.base import Storage
    from runwire.tools.function import Function


class RunContext:
    """One run's state: its output, messages, tools and cancellation flag.

    Tools may take a ``run_context`` parameter to read it (``run_id``,
    ``session_id``, ``user_id``, ``session_state``).
    """

    def __init__(
        self,
        agent: "Agent",
        output: RunOutput,
        model: "Model",
        messages: list[Message],
        functions: dict[str, "Function[..., Any]"],
        *,
        store_events: bool,
        events_to_skip: frozenset[str],
        session_state: Optional[dict[str, Any]] = None,
        max_turns: int,
        tool_call_limit: Optional[int],
        storage: Optional["Storage"] = None,
        session_state_given: bool = False,
    ) -> None:
        self.agent = agent
        self.output = output
        self.model = model
        self.messages = messages
        self.functions = functions
        self.run_id = output.run_id
        self.session_id = output.session_id
        self.user_id = output.user_id
        self.agent_id = output.agent_id
        self.agent_name = output.agent_name
        self.store_events = store_events
        self.events_to_skip = events_to_skip
        self.session_state = session_state if session_state is not None else {}
        self.session_state_base: dict[str, Any] = {}  # the stored state this run started from (set by storage)
        self.max_turns = max_turns
        self.tool_call_limit = tool_call_limit
        self.tool_calls_made = 0
        self.turns = 0
        self.started = time.perf_counter()
        self.first_token_at: Optional[float] = None
        self.cancel_reason: Optional[str] = None
        # The task currently inside the run loop (None while the caller holds an event), and its loop.
        self.driver_task: Optional["asyncio.Task[Any]"] = None
        # True while control is inside the run loop's own body (not in a wrapper, not with the caller):
        # only then may a cancel interrupt the driver task, so the interrupt always lands where it is handled.
        self.interruptible = False
        self.loop: Optional[asyncio.AbstractEventLoop] = None
        self.error: Optional[BaseException] = None
        self.tool_specs = [fn.spec() for fn in functions.values()]
        self.last_parsed: Any = None
        self.stop_after_tools = False
        self.paused = False
        self.storage = storage
        self.session_state_given = session_state_given
        self.memories: list[Any] = []
        self.durability: Optional["Durability"] = getattr(agent, "durability", None)  # a durable engine, or None
        self.run_inputs: Optional[dict[str, Any]] = None  # what the run was started with, for a durable engine
        self.log_replay = 0  # event-log records already stored by an earlier execution of this run (durable replay)
        self.claimed = False  # a continuation whose stored run a durable engine already claimed
        self.unyielded: Optional[RunOutputEvent] = None  # a last event the caller was gone to receive
        self.leave_interrupted = False  # its host is shutting down: stopped, it is left interrupted, not cancelled
        # True when no one can see this run's events: the caller drains them (a non-streamed run) and no
        # storage, sink, durable engine or store_events takes them. The loop then skips building the
        # per-step events (model requests, content chunks, tool calls); the RunOutput is the same.
        self.quiet = False
        self.streamed: list[str] = [output.content] if isinstance(output.content, str) and output.content else []
        # Whether anyone wants model responses piece by piece (ModelRequest.stream): stored RunContent
        # events here; a stream consumer (run/stream.py) and sinks asking for deltas set it too.
        self.wants_deltas = store_events and "RunContent" not in events_to_skip
        if store_events and output.events is None:
            output.events = []
        output.store_events, output.events_to_skip = store_events, sorted(events_to_skip)

    @property
    def cancel_requested(self) -> bool:
        return self.cancel_reason is not None

    def request_cancel(self, reason: str = "cancelled by the user") -> None:
        """Stop the run: at the next chunk or tool boundary, and at once if it is waiting
        (the in-flight model call or tool await is interrupted). Thread-safe."""
        if self.cancel_reason is None:
            self.cancel_reason = reason
        loop = self.loop
        if loop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(self._interrupt)
            except RuntimeError:  # the loop just closed: the run is over
                pass

    def _interrupt(self) -> None:
        task = self.driver_task
        if task is not None and self.interruptible and not task.done():
            task.cancel()

    async def aupdate_session_state(self, update: Callable[[dict[str, Any]], Any]) -> dict[str, Any]:
        """Apply ``update`` to the session state atomically against storage (safe under concurrent runs).

        ``update`` edits the dict it is given and may be called more than once (on
        a conflict it is applied again to the fresher state), so it must depend
        only on that dict: ``lambda s: s.update(count=s.get("count", 0) + 1)``.
        This run's earlier changes are committed with it. Returns the new state.
        """
        from runwire.run import state_merge

        if self.storage is None:
            update(self.session_state)
            return self.session_state
        from runwire.storage.base import Session

        before = state_merge.snapshot(self.session_state)
        changed, removed = state_merge.diff(self.session_state_base, before)

        def apply(state: dict[str, Any]) -> None:
            state_merge.apply(state, changed, removed)
            update(state)

        out = self.output
        merged = await self.storage.update_session_state(Session(out.session_id or "", out.user_id, out.agent_id), apply)
        # what other tools of this run changed while the update was in flight stays, as a change still to merge
        later_changed, later_removed = state_merge.diff(before, self.session_state)
        self.session_state_base = state_merge.snapshot(merged)
        self.session_state.clear()
        self.session_state.update(merged)
        state_merge.apply(self.session_state, later_changed, later_removed)
        return self.session_state

    def update_session_state(self, update: Callable[[dict[str, Any]], Any]) -> dict[str, Any]:
        """:meth:`aupdate_session_state` for sync tools (which run in worker threads)."""
        loop = self.loop
        if loop is None or loop.is_closed():
            raise RuntimeError("update_session_state is for tools of a live run")
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            raise RuntimeError("inside the run's event loop (an async tool), use: await run_context.aupdate_session_state(fn)")
        return asyncio.run_coroutine_threadsafe(self.aupdate_session_state(update), loop).result()

    def stamp(self, event: RunOutputEvent) -> RunOutputEvent:
        """Fill in the run's ids and keep the event on the output when store_events asks for it."""
        event.run_id = self.run_id
        event.session_id = self.session_id
        event.agent_id = self.agent_id
        event.agent_name = self.agent_name
        if self.store_events and event.event not in self.events_to_skip:
            self.output.events.append(event)  # type: ignore[union-attr]
        return event
