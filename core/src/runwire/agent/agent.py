"""``Agent``: configuration plus ``run`` / ``arun`` / ``continue_run`` / ``cancel_run``.

An Agent holds no run state: one instance serves any number of concurrent runs.
"""

from __future__ import annotations

import os
import uuid
from typing import (
    TYPE_CHECKING,
    Any,
    AsyncGenerator,
    Coroutine,
    Iterable,
    Literal,
    Optional,
    Sequence,
    Union,
    overload,
)

from runwire._ids import new_id
from runwire._typing import SchemaT
from runwire.agent.cancelling import acancel_run_method, cancel_run_method
from runwire.agent.checks import check_options, check_output_schema
from runwire.agent.continuing import AgentContinuing
from runwire.agent.lifecycle import AgentLifecycle
from runwire.agent.prompt import system_message
from runwire.agent.session_api import SessionAPI, stored_events_view
from runwire.exceptions import RunFailedError
from runwire.media import Audio, File, Image, Video
from runwire.run.context import RunContext
from runwire.run.events import RunEvent, RunOutputEvent
from runwire.run.input import input_to_messages, run_media
from runwire.run.loop import current_task, run_loop
from runwire.run.output import RunOutput, RunStatus
from runwire.run.stream import AsyncRunStream, RunStream, StreamItem
from runwire.run.sync_bridge import get_runner
from runwire.sinks.dispatch import default_sinks, resolve_sink, with_sinks

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from runwire.agent.options import RunOptions, RunStreamOptions
    from runwire.models.base import Model
    from runwire.run.durability import Durability
    from runwire.sinks.base import EventSink
    from runwire.storage.base import Session, Storage, UserMemory
    from runwire.tools.function import Function
    from runwire.tools.toolkit import Toolkit

DEFAULT_EVENTS_TO_SKIP = frozenset({RunEvent.run_content.value})


class Agent(AgentContinuing[SchemaT], SessionAPI, AgentLifecycle):
    """An agent: a model, instructions and tools.

    ``model`` is a Model object or a string ``"provider:model-id"`` (e.g.
    ``"llamacpp:gemma-3-270m"``, ``"litellm:openai/gpt-5-mini"``); None uses the
    embedded default model when a provider plugin offers one.

    Generic in its output schema: ``Agent(output_schema=Movie)`` is an ``Agent[Movie]``, whose
    ``run()`` returns a ``RunOutput[Movie]`` (``content`` is a ``Movie`` for type checkers). Without
    a schema (or with a JSON-schema dict) it is an ``Agent[Any]`` and ``content`` is ``Any``.
    """

    def __init__(
        self,
        model: Union["Model", str, None] = None,
        *,
        name: Optional[str] = None,
        id: Optional[str] = None,
        description: Optional[str] = None,
        instructions: Union[str, Sequence[str], None] = None,
        expected_output: Optional[str] = None,
        system_message: Optional[str] = None,
        markdown: bool = False,
        tools: Optional[Sequence[Any]] = None,
        tool_choice: Union[str, dict[str, Any], None] = None,
        output_schema: Union[type[SchemaT], dict[str, Any], None] = None,
        stream: bool = False,
        stream_events: bool = False,
        stream_intermediate_steps: Optional[bool] = None,
        store_events: bool = False,
        events_to_skip: Optional[Iterable[Union[RunEvent, str]]] = None,
        tool_call_limit: Optional[int] = None,
        max_turns: int = 25,
        sinks: Optional[Sequence[Union["EventSink", str]]] = None,
        user_id: Optional[str] = None,
        session_id: Optional[str] = None,
        session_state: Optional[dict[str, Any]] = None,
        db: Union["Storage", str, None] = None,
        add_history_to_context: bool = False,
        num_history_runs: int = 3,
        enable_user_memories: bool = False,
        memory_model: Union["Model", str, None] = None,
        memory_updater: Any = "model",
        output_retries: int = 1,
        parser_model: Union["Model", str, None] = None,
        parser_model_prompt: Optional[str] = None,
        output_model: Union["Model", str, None] = None,
        output_model_prompt: Optional[str] = None,
        reasoning: bool = False,
        reasoning_model: Union["Model", str, None] = None,
        reasoning_max_steps: int = 10,
        media_root: Union[str, "os.PathLike[str]", None] = None,
        durability: Optional["Durability"] = None,
    ) -> None:
        check_options(max_turns, tool_call_limit, tools, model, memory_model, parser_model, output_model, reasoning_model)
        check_output_schema(output_schema)
        self.model = model
        self.name = name
        self._id = id
        self.description = description
        self.instructions = instructions
        self.expected_output = expected_output
        self.system_message = system_message
        self.markdown = markdown
        self.tools = list(tools) if tools else []
        self.tool_choice = tool_choice
        self.output_schema = output_schema
        self.stream = stream
        self.stream_events = stream_events if stream_intermediate_steps is None else stream_intermediate_steps
        self.store_events = store_events
        self.events_to_skip = (
            DEFAULT_EVENTS_TO_SKIP if events_to_skip is None else frozenset(str(e) for e in events_to_skip)
        )
        self.tool_call_limit = tool_call_limit
        self.max_turns = max_turns
        self.sinks = sinks
        self.user_id = user_id
        self.session_id = session_id
        self.session_state = session_state
        self.db = db
        self.add_history_to_context = add_history_to_context
        self.num_history_runs = num_history_runs
        self.enable_user_memories = enable_user_memories
        self.memory_model = memory_model
        self.memory_updater = memory_updater
        self.output_retries = output_retries
        self.parser_model = parser_model
        self.parser_model_prompt = parser_model_prompt
        self.output_model = output_model
        self.output_model_prompt = output_model_prompt
        self.reasoning = reasoning or reasoning_model is not None
        self.reasoning_model = reasoning_model
        self.reasoning_max_steps = reasoning_max_steps
        self.media_root = media_root  # where local files named in run input dicts may lie (None: refused)
        self._helpers: dict[str, "Model"] = {}
        self._own_sinks: Optional[list["EventSink"]] = None
        self._model: Optional["Model"] = None
        self._functions: Optional[dict[str, "Function[..., Any]"]] = None
        self._toolkits: list["Toolkit"] = []
        self._storage: Optional["Storage"] = None
        self._memory_updater: Any = None
        self._recent = None
        self.durability = durability  # runwire.run.durability: a durable engine (runwire-dbos), None runs directly
        if durability is not None:
            durability.attach(self)

    # -- configuration resolved on first use -------------------------------
    @property
    def id(self) -> str:
        """The agent's id: given, or derived from its name, or a random one kept for its lifetime."""
        if self._id is None:
            self._id = str(uuid.uuid5(uuid.NAMESPACE_DNS, self.name)) if self.name else str(uuid.uuid4())
        return self._id

    @property
    def agent_id(self) -> str:
        return self.id

    def get_model(self) -> "Model":
        """The resolved Model (model strings are looked up in the plugin registry once)."""
        if self._model is None:
            from runwire.models.resolve import resolve_model

            self._model = resolve_model(self.model)
        return self._model

    def get_helper_model(self, kind: str) -> "Model":
        """The parser, output, reasoning or memory model (``kind`` is the attribute name); the agent's own when unset."""
        model = self._helpers.get(kind)
        if model is None:
            spec = getattr(self, kind)
            if spec is None:
                model = self.get_model()
            else:
                from runwire.models.resolve import resolve_model

                model = resolve_model(spec)
            self._helpers[kind] = model
        return model

    def get_storage(self) -> Optional["Storage"]:
        """The resolved storage (``db=``), or None when the agent keeps nothing."""
        if self._storage is None and self.db is not None:
            from runwire.storage import resolve_storage

            self._storage = resolve_storage(self.db)
        return self._storage

    def get_memory_updater(self) -> Any:
        """The memory updater: a registered name (``"model"``) or an object with ``async update(ctx, memories)``."""
        if self._memory_updater is None:
            updater = self.memory_updater
            if isinstance(updater, str):
                from runwire.plugins import get_registry

                factory = get_registry().memory.get(updater)
                if factory is None:
                    raise LookupError(f"no memory updater named {updater!r} (registered: {', '.join(get_registry().memory)})")
                updater = factory(model=self.memory_model)
            self._memory_updater = updater
        return self._memory_updater

    def get_functions(self) -> dict[str, "Function[..., Any]"]:
        """The agent's tools by name (names are looked up in the plugin registry once)."""
        if self._functions is None:
            from runwire.tools.function import as_function
            from runwire.tools.toolkit import is_toolkit

            functions: dict[str, Function[..., Any]] = {}
            toolkits = []
            for item in self.tools:
                if is_toolkit(item):  # its tools are found when a run starts (see get_toolkits)
                    toolkits.append(item)
                    continue
                if isinstance(item, str):
                    from runwire.plugins import get_registry

                    registered = get_registry().tools.get(item)
                    if registered is None:
                        known = ", ".join(sorted(get_registry().tools)) or "none"
                        raise LookupError(f"no tool named {item!r} is registered (registered tools: {known})")
                    fn = registered
                else:
                    fn = as_function(item)
                if fn.name in functions:
                    raise ValueError(f"two tools are named {fn.name!r}; give one of them another name with @tool(name=...)")
                functions[fn.name] = fn
            self._toolkits = toolkits
            self._functions = functions
        return self._functions

    def get_toolkits(self) -> list["Toolkit"]:
        """The toolkits among the agent's tools (objects with ``async get_functions()``, e.g. ``MCPTools``)."""
        if self._functions is None:
            self.get_functions()
        return self._toolkits

    async def aclose(self) -> None:
        """Release what the agent's toolkits hold (MCP connections, subprocesses), then the storage, models and
        sinks it made from names or URLs (:class:`AgentLifecycle`: also ``close()``, ``with``, ``async with``);
        the agent stays usable."""
        errors = []
        for toolkit in self._toolkits if self._functions is not None else []:
            try:
                await toolkit.aclose()
            except Exception as exc:  # close the others anyway
                errors.append(exc)
        await super().aclose()
        if errors:
            raise errors[0]

    # -- building a run -----------------------------------------------------
    def _context(
        self,
        input: Any,
        *,
        user_id: Optional[str],
        session_id: Optional[str],
        session_state: Optional[dict[str, Any]],
        run_id: Optional[str],
        images: Optional[Sequence[Union[Image, str]]],
        audio: Optional[Sequence[Union[Audio, str]]],
        videos: Optional[Sequence[Union[Video, str]]],
        files: Optional[Sequence[Union[File, str]]],
        store_events: Optional[bool],
        metadata: Optional[dict[str, Any]] = None,
    ) -> "RunContext":
        model = self.get_model()
        images, audio, videos, files = run_media(images, audio, videos, files)  # URL strings become media objects
        messages = input_to_messages(
            input, images=images, audio=audio, videos=videos, files=files, media_root=self.media_root
        )
        system = system_message(self)
        if system is not None:
            messages.insert(0, system)
        if session_id is None and self.session_id is None:  # as in Agno: the first run names the agent's session
            self.session_id = new_id()
        output = RunOutput(
            run_id=run_id or new_id(),
            agent_id=self.id,
            agent_name=self.name,
            session_id=session_id or self.session_id,
            user_id=user_id or self.user_id,
            model=model.id,
            model_provider=model.provider,
            messages=messages,
            input=input,
            images=images or None,
            audio=audio or None,
            videos=videos or None,
            files=files or None,
            metadata=metadata,
        )
        state = session_state if session_state is not None else dict(self.session_state or {})
        output.session_state = state
        self._remember(output)
        ctx = RunContext(
            self,
            output,
            model,
            messages,
            self.get_functions(),
            store_events=self.store_events if store_events is None else store_events,
            events_to_skip=self.events_to_skip,
            session_state=state,
            max_turns=self.max_turns,
            tool_call_limit=self.tool_call_limit,
            storage=self.get_storage(),
            session_state_given=session_state is not None,
        )
        if self.durability is not None:  # what a durable engine needs to build this run again elsewhere
            ctx.run_inputs = dict(input=input, user_id=output.user_id, session_id=output.session_id,
                                  session_state=session_state, run_id=output.run_id, images=images, audio=audio,
                                  videos=videos, files=files, store_events=store_events, metadata=metadata)
        return ctx

    def _events(self, ctx: "RunContext", continued: bool = False) -> AsyncGenerator[RunOutputEvent, None]:
        if self.durability is not None:
            return self.durability.run_events(self, ctx, continued, self._pipeline)
        return self._pipeline(ctx, continued)

    def _pipeline(self, ctx: "RunContext", continued: bool = False) -> AsyncGenerator[RunOutputEvent, None]:
        """The run's events: the loop, recorded by storage, fed to the sinks."""
        events = run_loop(ctx, continued=continued)
        if ctx.storage is not None:
            from runwire.storage.recorder import with_storage

            events = with_storage(events, ctx, ctx.storage, continued=continued)
        sinks = self._sinks()
        if sinks:
            events = with_sinks(events, sinks, ctx)
            if any(getattr(sink, "wants_deltas", False) for sink in sinks):
                ctx.wants_deltas = True
        return events

    def _sinks(self) -> list["EventSink"]:
        if self._own_sinks is None:
            self._own_sinks = [resolve_sink(s) for s in self.sinks] if self.sinks else []
        defaults = default_sinks()
        return self._own_sinks + defaults if defaults else self._own_sinks

    # -- running ---------------------------------------------------------------
    @overload
    def run(
        self, input: Any, *, stream: Literal[False] = ..., **options: Unpack[RunOptions]
    ) -> RunOutput[SchemaT]: ...

    @overload
    def run(
        self, input: Any, *, stream: Literal[True], yield_run_output: Literal[False] = ...,
        **options: Unpack[RunStreamOptions],
    ) -> RunStream[SchemaT]: ...

    @overload
    def run(
        self, input: Any, *, stream: Literal[True], yield_run_output: Literal[True], **options: Unpack[RunStreamOptions]
    ) -> RunStream[SchemaT, StreamItem[SchemaT]]: ...

    @overload
    def run(
        self, input: Any, *, stream: Optional[bool] = ..., **options: Unpack[RunOptions]
    ) -> Union[RunOutput[SchemaT], RunStream[SchemaT]]: ...

    def run(
        self,
        input: Any,
        *,
        stream: Optional[bool] = None,
        stream_events: Optional[bool] = None,
        stream_intermediate_steps: Optional[bool] = None,
        user_id: Optional[str] = None,
        session_id: Optional[str] = None,
        session_state: Optional[dict[str, Any]] = None,
        run_id: Optional[str] = None,
        images: Optional[Sequence[Union[Image, str]]] = None,
        audio: Optional[Sequence[Union[Audio, str]]] = None,
        videos: Optional[Sequence[Union[Video, str]]] = None,
        files: Optional[Sequence[Union[File, str]]] = None,
        store_events: Optional[bool] = None,
        yield_run_output: bool = False,
        metadata: Optional[dict[str, Any]] = None,
    ) -> Union[RunOutput[SchemaT], RunStream[SchemaT, StreamItem[SchemaT]]]:
        """Run the agent on ``input``; a RunOutput, or with ``stream=True`` an iterator of events.

        Streaming alone yields RunContent, custom events and the control events
        (RunPaused, RunError, RunCancelled); ``stream_events=True`` (or its older
        name ``stream_intermediate_steps``) yields every event; ``yield_run_output=True``
        yields the RunOutput last.
        """
        runner = get_runner()
        ctx = self._context(
            input, user_id=user_id, session_id=session_id, session_state=session_state, run_id=run_id,
            images=images, audio=audio, videos=videos, files=files, store_events=store_events, metadata=metadata,
        )
        if self.stream if stream is None else stream:
            return RunStream(self._events(ctx), ctx, self._all_events(stream_events, stream_intermediate_steps), runner,
                             yield_run_output=yield_run_output)
        return runner(self._drain(ctx))

    @overload
    def arun(
        self, input: Any, *, stream: Literal[False] = ..., **options: Unpack[RunOptions]
    ) -> Coroutine[Any, Any, RunOutput[SchemaT]]: ...

    @overload
    def arun(
        self, input: Any, *, stream: Literal[True], yield_run_output: Literal[False] = ...,
        **options: Unpack[RunStreamOptions],
    ) -> AsyncRunStream[SchemaT]: ...

    @overload
    def arun(
        self, input: Any, *, stream: Literal[True], yield_run_output: Literal[True], **options: Unpack[RunStreamOptions]
    ) -> AsyncRunStream[SchemaT, StreamItem[SchemaT]]: ...

    @overload
    def arun(
        self, input: Any, *, stream: Optional[bool] = ..., **options: Unpack[RunOptions]
    ) -> Union[Coroutine[Any, Any, RunOutput[SchemaT]], AsyncRunStream[SchemaT]]: ...

    def arun(
        self,
        input: Any,
        *,
        stream: Optional[bool] = None,
        stream_events: Optional[bool] = None,
        stream_intermediate_steps: Optional[bool] = None,
        user_id: Optional[str] = None,
        session_id: Optional[str] = None,
        session_state: Optional[dict[str, Any]] = None,
        run_id: Optional[str] = None,
        images: Optional[Sequence[Union[Image, str]]] = None,
        audio: Optional[Sequence[Union[Audio, str]]] = None,
        videos: Optional[Sequence[Union[Video, str]]] = None,
        files: Optional[Sequence[Union[File, str]]] = None,
        store_events: Optional[bool] = None,
        yield_run_output: bool = False,
        metadata: Optional[dict[str, Any]] = None,
    ) -> Union[Coroutine[Any, Any, RunOutput[SchemaT]], AsyncRunStream[SchemaT, StreamItem[SchemaT]]]:
        """Async :meth:`run`: ``await agent.arun(...)``, or ``async for event in agent.arun(..., stream=True)``."""
        ctx = self._context(
            input, user_id=user_id, session_id=session_id, session_state=session_state, run_id=run_id,
            images=images, audio=audio, videos=videos, files=files, store_events=store_events, metadata=metadata,
        )
        if self.stream if stream is None else stream:
            return AsyncRunStream(self._events(ctx), ctx, self._all_events(stream_events, stream_intermediate_steps),
                                  yield_run_output=yield_run_output)
        return self._drain(ctx)

    def _all_events(self, stream_events: Optional[bool], stream_intermediate_steps: Optional[bool]) -> bool:
        if stream_events is not None:
            return stream_events
        if stream_intermediate_steps is not None:
            return stream_intermediate_steps
        return self.stream_events

    async def _drain(self, ctx: "RunContext", continued: bool = False) -> RunOutput:
        # the events go nowhere unless something records or relays them: the loop then skips building them
        ctx.quiet = not ctx.store_events and ctx.storage is None and ctx.durability is None and not self._sinks()
        step = self._events(ctx, continued).__anext__
        task = current_task()
        while True:  # next_event(), inlined: this loop runs once per event
            ctx.driver_task = task
            try:
                await step()
            except StopAsyncIteration:
                break
            finally:
                ctx.driver_task = None
        output = ctx.output
        if output.status == RunStatus.error:
            raise RunFailedError(
                f"the run failed: {output.error_type}: {output.error}", output, output.error_type
            ) from ctx.error
        return output

    # -- reading what was stored -----------------------------------------------
    def _require_storage(self) -> "Storage":
        storage = self.get_storage()
        if storage is None:
            raise ValueError("this agent stores nothing: give it db='sqlite:///runwire.db' (or another storage)")
        return storage

    async def aget_run_output(self, run_id: str, session_id: Optional[str] = None) -> Optional[RunOutput]:
        """A stored run with its events as it kept them (``store_events``, ``events_to_skip``), or None.
        The whole event log: :meth:`get_run_events`."""
        run = await self._require_storage().get_run(run_id, session_id)
        if run is not None:
            run.events = stored_events_view(run, run.events or [])
        return run

    def get_run_output(self, run_id: str, session_id: Optional[str] = None) -> Optional[RunOutput]:
        return get_runner()(self.aget_run_output(run_id, session_id))

    async def aget_session(self, session_id: str) -> Optional["Session"]:
        """A stored session with its runs (each with its events, as it kept them), or None."""
        storage = self._require_storage()
        session = await storage.get_session(session_id)
        for run in session.runs if session is not None else ():
            await self._with_events(storage, run)
        return session

    def get_session(self, session_id: str) -> Optional["Session"]:
        return get_runner()(self.aget_session(session_id))

    def get_sessions(self, user_id: Optional[str] = None, limit: int = 100) -> list["Session"]:
        """Stored sessions, most recent first (of one user when ``user_id`` is given)."""
        return get_runner()(self._require_storage().list_sessions(user_id, limit))

    def get_user_memories(self, user_id: str) -> list["UserMemory"]:
        return get_runner()(self._require_storage().get_memories(user_id))

    # -- cancelling: Agent.cancel_run(run_id) or agent.cancel_run(run_id) (see agent/cancelling.py) ------------
    cancel_run = cancel_run_method
    acancel_run = acancel_run_method

    def __repr__(self) -> str:
        return f"Agent(name={self.name!r}, model={self.model!r})"

