"""Continuing and recovering runs: ``continue_run`` / ``acontinue_run``, ``recover_runs``, stopping stored runs.

Mixed into :class:`runwire.agent.Agent`; a run continued by id is read from the
agent's storage, whose status has the last word (see ``storage.claim_run``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, AsyncIterator, Coroutine, Generic, Literal, Optional, Sequence, Union, overload

from runwire._typing import SchemaT

from runwire.run.context import RunContext
from runwire.run.continuation import apply_updates, check_continuable, tools_from_requirements
from runwire.run.events import RunCancelledEvent, RunOutputEvent
from runwire.run.output import RunOutput, RunStatus
from runwire.run.stream import AsyncRunStream, RunStream, StreamItem
from runwire.run.sync_bridge import get_runner

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from runwire.agent.options import ContinueOptions, ContinueStreamOptions
    from runwire.models.base import Model
    from runwire.run.durability import Durability
    from runwire.storage.base import Storage
    from runwire.tools.function import Function


class AgentContinuing(Generic[SchemaT]):
    """Human-in-the-loop continuation, recovery of interrupted runs and cancelling of stored runs."""

    if TYPE_CHECKING:  # provided by Agent
        stream: bool
        store_events: bool
        events_to_skip: frozenset[str]
        session_state: Optional[dict[str, Any]]
        max_turns: int
        tool_call_limit: Optional[int]
        durability: Optional[Durability]

        def get_model(self) -> Model: ...
        def get_functions(self) -> dict[str, Function[..., Any]]: ...
        def get_storage(self) -> Optional[Storage]: ...
        def _require_storage(self) -> Storage: ...
        def _recent_run(self, run_id: str) -> Optional[RunOutput]: ...
        def _events(self, ctx: RunContext, continued: bool = False) -> Any: ...
        def _all_events(self, stream_events: Optional[bool], stream_intermediate_steps: Optional[bool]) -> bool: ...
        async def _drain(self, ctx: RunContext, continued: bool = False) -> RunOutput: ...

    # -- human in the loop ---------------------------------------------------
    async def _continuable(self, run_response: Optional[RunOutput], run_id: Optional[str],
                           session_id: Optional[str], updated_tools: Optional[Sequence[Any]]) -> RunOutput:
        if isinstance(run_response, RunOutputEvent):  # the RunPaused event itself, as some Agno code passes it
            run_id, session_id = run_response.run_id, session_id or run_response.session_id
            updated_tools = updated_tools or getattr(run_response, "tools", None)
            run_response = None
        run = run_response
        if run is None:
            if run_id is None:
                raise ValueError("continue_run needs run_response=, or run_id= (with session_id=) of a stored run")
            storage = self.get_storage()
            run = self._recent_run(run_id)  # paused by this agent in this process: continue its live output
            if storage is None:
                if run is None:
                    raise ValueError(f"continue_run(run_id={run_id!r}): this agent has no such run in memory; "
                                     "give the agent db=... to continue runs across processes")
            else:  # storage has the last word; the live output is used while both say paused
                stored = await storage.get_run(run_id, session_id, with_events=False)
                if stored is not None and stored.status == RunStatus.interrupted:
                    from runwire.run.continuation import apply_logged_tool_results

                    apply_logged_tool_results(stored, [e for _, e in await storage.read_events(stored.run_id)])
                if run is None or stored is None or not (run.status == stored.status == RunStatus.paused):
                    run = stored
        if run is not None:
            apply_updates(run, updated_tools)
        run = check_continuable(run, run_id)
        if self.get_storage() is None:  # claim the in-memory run (with storage, the stored status is claimed)
            run.status = RunStatus.running
        return run

    def _continue_context(self, run: RunOutput) -> "RunContext":
        model = self.get_model()
        return RunContext(
            self, run, model, run.messages, self.get_functions(),  # type: ignore[arg-type]  # self is an Agent
            store_events=self.store_events, events_to_skip=self.events_to_skip,
            session_state=run.session_state if run.session_state is not None else dict(self.session_state or {}),
            max_turns=self.max_turns,
            tool_call_limit=self.tool_call_limit, storage=self.get_storage(),
        )

    @overload
    def continue_run(
        self, run_response: Optional[RunOutput] = ..., *, stream: Literal[False] = ...,
        **options: Unpack[ContinueOptions],
    ) -> RunOutput[SchemaT]: ...

    @overload
    def continue_run(
        self, run_response: Optional[RunOutput] = ..., *, stream: Literal[True], yield_run_output: Literal[False] = ...,
        **options: Unpack[ContinueStreamOptions],
    ) -> RunStream[SchemaT]: ...

    @overload
    def continue_run(  # type: ignore[overload-overlap]  # the last one catches only a stream= that is not a literal
        self, run_response: Optional[RunOutput] = ..., *, stream: Literal[True], yield_run_output: Literal[True],
        **options: Unpack[ContinueStreamOptions],
    ) -> RunStream[SchemaT, StreamItem[SchemaT]]: ...

    @overload
    def continue_run(
        self, run_response: Optional[RunOutput] = ..., *, stream: Optional[bool] = ...,
        **options: Unpack[ContinueOptions],
    ) -> Union[RunOutput[SchemaT], RunStream[SchemaT]]: ...

    def continue_run(
        self,
        run_response: Optional[RunOutput] = None,
        *,
        run_id: Optional[str] = None,
        session_id: Optional[str] = None,
        updated_tools: Optional[Sequence[Any]] = None,
        requirements: Optional[Sequence[Any]] = None,
        stream: Optional[bool] = None,
        stream_events: Optional[bool] = None,
        stream_intermediate_steps: Optional[bool] = None,
        yield_run_output: bool = False,
    ) -> Union[RunOutput[SchemaT], RunStream[SchemaT, StreamItem[SchemaT]]]:
        """Resume a paused run once its waiting tools are confirmed, answered or executed.

        Give the paused ``run_response``, or ``run_id`` (and ``session_id``) of a run
        in this agent's storage, possibly paused by another process, with
        ``updated_tools`` or Agno's ``requirements``. The run keeps its ids; it may pause again.
        """
        runner = get_runner()
        updated_tools = _answers(updated_tools, requirements)
        run = runner(self._continuable(run_response, run_id, session_id, updated_tools))
        ctx = self._continue_context(run)
        if self.stream if stream is None else stream:
            return RunStream(self._events(ctx, True), ctx, self._all_events(stream_events, stream_intermediate_steps), runner,
                             yield_run_output=yield_run_output)
        return runner(self._drain(ctx, True))

    @overload
    def acontinue_run(
        self, run_response: Optional[RunOutput] = ..., *, stream: Literal[False] = ...,
        **options: Unpack[ContinueOptions],
    ) -> Coroutine[Any, Any, RunOutput[SchemaT]]: ...

    @overload
    def acontinue_run(
        self, run_response: Optional[RunOutput] = ..., *, stream: Literal[True], yield_run_output: Literal[False] = ...,
        **options: Unpack[ContinueStreamOptions],
    ) -> AsyncRunStream[SchemaT]: ...

    @overload
    def acontinue_run(
        self, run_response: Optional[RunOutput] = ..., *, stream: Literal[True], yield_run_output: Literal[True],
        **options: Unpack[ContinueStreamOptions],
    ) -> AsyncRunStream[SchemaT, StreamItem[SchemaT]]: ...

    @overload
    def acontinue_run(
        self, run_response: Optional[RunOutput] = ..., *, stream: Optional[bool] = ...,
        **options: Unpack[ContinueOptions],
    ) -> Union[Coroutine[Any, Any, RunOutput[SchemaT]], AsyncRunStream[SchemaT]]: ...

    def acontinue_run(
        self,
        run_response: Optional[RunOutput] = None,
        *,
        run_id: Optional[str] = None,
        session_id: Optional[str] = None,
        updated_tools: Optional[Sequence[Any]] = None,
        requirements: Optional[Sequence[Any]] = None,
        stream: Optional[bool] = None,
        stream_events: Optional[bool] = None,
        stream_intermediate_steps: Optional[bool] = None,
        yield_run_output: bool = False,
    ) -> Union[Coroutine[Any, Any, RunOutput[SchemaT]], AsyncRunStream[SchemaT, StreamItem[SchemaT]]]:
        """Async :meth:`continue_run`: awaitable, or with ``stream=True`` an async iterator."""
        all_events = self._all_events(stream_events, stream_intermediate_steps)
        updated_tools = _answers(updated_tools, requirements)
        if self.stream if stream is None else stream:
            holder: list[AsyncRunStream[SchemaT]] = []  # the run is read from storage once iteration starts
            stream_obj = AsyncRunStream(self._deferred(holder, run_response, run_id, session_id, updated_tools),
                                        None, all_events, yield_run_output=yield_run_output)
            holder.append(stream_obj)
            return stream_obj

        async def resume() -> RunOutput:
            run = await self._continuable(run_response, run_id, session_id, updated_tools)
            return await self._drain(self._continue_context(run), True)

        return resume()

    async def _deferred(self, holder: list[Any], run_response: Optional[RunOutput], run_id: Optional[str],
                        session_id: Optional[str], updated_tools: Optional[Sequence[Any]]) -> AsyncIterator[RunOutputEvent]:
        run = await self._continuable(run_response, run_id, session_id, updated_tools)
        ctx = self._continue_context(run)
        holder[0]._ctx = ctx
        ctx.wants_deltas = True  # a consumer reads the continued run as it comes
        async for event in self._events(ctx, True):
            yield event

    async def arecover_runs(self) -> list[str]:
        """Mark this storage's runs whose process died ``interrupted`` (see ``runwire runs recover``);
        returns their ids. Each can then be continued with ``continue_run(run_id=...)`` or cancelled."""
        from runwire.storage.liveness import recover_runs

        return await recover_runs(self._require_storage())

    def recover_runs(self) -> list[str]:
        return get_runner()(self.arecover_runs())

    async def _cancel_stored(self, run_id: str, reason: str) -> bool:
        storage = self.get_storage()
        if storage is None:
            return False
        run = await storage.get_run(run_id, with_events=False)
        if run is None or run.status not in (RunStatus.paused, RunStatus.interrupted):
            return False
        if await storage.claim_run(run_id, to_status=RunStatus.cancelled.value) is not None:
            return False  # a continue (or another cancel) took it first
        run.status = RunStatus.cancelled
        run.cancel_reason = reason
        for te in run.tools:
            if te.status == "paused":
                te.status = "interrupted"
        event = RunCancelledEvent(reason=reason, run_id=run.run_id, session_id=run.session_id,
                                  agent_id=run.agent_id, agent_name=run.agent_name)
        await storage.save_run_state(run, [event.to_json_dict()], await storage.next_event_seq(run.run_id))
        if self.durability is not None:  # a durable engine ends the run's workflow too
            await self.durability.run_cancelled(run_id)
        return True


def _answers(updated_tools: Optional[Sequence[Any]], requirements: Optional[Sequence[Any]]) -> Optional[list[Any]]:
    """The answered tool calls of ``continue_run(updated_tools=..., requirements=...)``, as one list."""
    if not requirements:
        return list(updated_tools) if updated_tools else None
    return [*(updated_tools or []), *tools_from_requirements(requirements)]
