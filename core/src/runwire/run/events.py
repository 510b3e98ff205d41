"""The event taxonomy: every event a run can emit.

Events are dataclasses. Each carries ``event`` (its name, e.g. "RunContent"),
``created_at``, ``run_id``, ``session_id``, ``agent_id`` and ``agent_name``.
Subclass :class:`CustomEvent` with ``@dataclass`` for events of your own; every
subclass registers itself by name so it round-trips through
``to_dict()`` / ``from_dict()``.
"""

from __future__ import annotations

import inspect
import json
import time
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Optional

from runwire._codec import dataclass_from_dict, dataclass_to_dict
from runwire.metrics import Metrics
from runwire.run.tool_execution import ToolExecution
from runwire.user_memory import UserMemory

if TYPE_CHECKING:
    from runwire.run.requirement import RunRequirement


class RunEvent(str, Enum):
    """Names of the events a run emits (``event.event`` equals one of these values)."""

    run_started = "RunStarted"
    run_content = "RunContent"
    run_content_completed = "RunContentCompleted"
    run_intermediate_content = "RunIntermediateContent"
    run_completed = "RunCompleted"
    run_error = "RunError"
    run_cancelled = "RunCancelled"
    run_paused = "RunPaused"
    run_continued = "RunContinued"
    model_request_started = "ModelRequestStarted"
    model_request_completed = "ModelRequestCompleted"
    tool_call_started = "ToolCallStarted"
    tool_call_completed = "ToolCallCompleted"
    tool_call_error = "ToolCallError"
    reasoning_started = "ReasoningStarted"
    reasoning_step = "ReasoningStep"
    reasoning_content_delta = "ReasoningContentDelta"
    reasoning_completed = "ReasoningCompleted"
    memory_update_started = "MemoryUpdateStarted"
    memory_update_completed = "MemoryUpdateCompleted"
    parser_model_response_started = "ParserModelResponseStarted"
    parser_model_response_completed = "ParserModelResponseCompleted"
    output_model_response_started = "OutputModelResponseStarted"
    output_model_response_completed = "OutputModelResponseCompleted"
    custom_event = "CustomEvent"
    # Agno's events for features runwire does not have (hooks, summaries, compression, compaction,
    # follow-ups): runwire never emits them; their classes are in runwire.run.agno_events.
    pre_hook_started = "PreHookStarted"
    pre_hook_completed = "PreHookCompleted"
    post_hook_started = "PostHookStarted"
    post_hook_completed = "PostHookCompleted"
    session_summary_started = "SessionSummaryStarted"
    session_summary_completed = "SessionSummaryCompleted"
    compression_started = "CompressionStarted"
    compression_completed = "CompressionCompleted"
    compaction_started = "CompactionStarted"
    compaction_completed = "CompactionCompleted"
    followups_started = "FollowupsStarted"
    followups_completed = "FollowupsCompleted"

    def __str__(self) -> str:
        return self.value


_BY_EVENT: dict[str, type["RunOutputEvent"]] = {}
_BY_CLASS: dict[str, type["RunOutputEvent"]] = {}


@dataclass(eq=False)
class RunOutputEvent:
    """Base class of every event yielded by ``Agent.run(stream=True)``."""

    event: str = ""
    created_at: float = field(default_factory=time.time)
    run_id: Optional[str] = None
    session_id: Optional[str] = None
    agent_id: Optional[str] = None
    agent_name: Optional[str] = None
    content: Any = None  # on every event, as in Agno (None where the event carries none)

    event_name: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        register_event_type(cls)

    def __post_init__(self) -> None:
        if not self.event:
            self.event = type(self).event_name

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self.to_json_dict() == other.to_json_dict()

    @property
    def is_paused(self) -> bool:
        """True only on RunPaused, so a stream loop can test ``event.is_paused`` on every event."""
        return False

    @property
    def is_cancelled(self) -> bool:
        """True only on RunCancelled."""
        return False

    def to_dict(self) -> dict[str, Any]:
        """The event as a dict; values such as datetimes stay native (use :meth:`to_json_dict` for JSON)."""
        return self._as_dict(native=True)

    def to_json_dict(self) -> dict[str, Any]:
        """The event as JSON-ready data (datetimes in ISO 8601): what storage and the wire carry."""
        return self._as_dict(native=False)

    def _as_dict(self, native: bool) -> dict[str, Any]:
        data = dataclass_to_dict(self, native)
        if _BY_EVENT.get(self.event) is not type(self):
            data["event_class"] = _qualified(type(self))
        return data

    def to_json(self, indent: Optional[int] = None) -> str:
        return json.dumps(self.to_json_dict(), indent=indent, default=str)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "RunOutputEvent":
        return run_output_event_from_dict(data)


def _qualified(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def register_event_type(cls: type[RunOutputEvent], *, replace: bool = False) -> None:
    """Make ``cls`` rebuildable through :func:`run_output_event_from_dict`.

    Classes are known by their qualified name (``module.Class``) and, as a
    fallback for data written elsewhere, by their class name.
    """
    _BY_CLASS[_qualified(cls)] = cls
    if replace or cls.__name__ not in _BY_CLASS:
        _BY_CLASS[cls.__name__] = cls
    if cls.event_name:  # built-in classes come first and keep their event names
        _BY_EVENT.setdefault(cls.event_name, cls)


def run_output_event_from_dict(data: dict[str, Any]) -> RunOutputEvent:
    """Rebuild any event (custom ones included) from its ``to_dict()`` form."""
    if not isinstance(data, dict) or "event" not in data:
        raise ValueError("an event dict needs an 'event' key, e.g. {'event': 'RunContent', ...}")
    class_name = data.get("event_class")
    if class_name:
        cls = _BY_CLASS.get(class_name) or _BY_CLASS.get(class_name.rpartition(".")[2]) or CustomEvent
        if cls.__module__ == __name__ and _qualified(cls) != class_name:  # "x.RunCompletedEvent": not ours
            cls = CustomEvent
    else:
        cls = _BY_EVENT.get(data["event"], RunOutputEvent)
    if issubclass(cls, CustomEvent) and cls is not CustomEvent:
        from runwire.run.custom_decode import decode_custom_fields

        data = decode_custom_fields(cls, data)
    event: RunOutputEvent = dataclass_from_dict(cls, data)
    # Fields of an event class this process does not know are kept as attributes, and so is its stored name.
    for key in data:  # in stored order
        if key != "event_class" and not hasattr(event, key):
            setattr(event, key, data[key])
    if class_name and type(event) is CustomEvent:
        event.stored_class = class_name  # type: ignore[attr-defined]
    return event


def event_types() -> dict[str, type[RunOutputEvent]]:
    """Every registered event class, by qualified and by plain class name."""
    return dict(_BY_CLASS)


@dataclass(eq=False)
class RunStartedEvent(RunOutputEvent):
    event_name: ClassVar[str] = "RunStarted"
    event: Literal["RunStarted"] = "RunStarted"
    model: Optional[str] = None
    model_provider: Optional[str] = None


@dataclass(eq=False)
class RunContentEvent(RunOutputEvent):
    """A chunk of the model's answer (or the whole parsed answer for structured output)."""

    event_name: ClassVar[str] = "RunContent"
    event: Literal["RunContent"] = "RunContent"
    content: Any = None
    content_type: str = "str"
    reasoning_content: Optional[str] = None


@dataclass(eq=False)
class RunContentCompletedEvent(RunOutputEvent):
    event_name: ClassVar[str] = "RunContentCompleted"
    event: Literal["RunContentCompleted"] = "RunContentCompleted"


@dataclass(eq=False)
class RunIntermediateContentEvent(RunOutputEvent):
    """The main model's text when an ``output_model`` writes the final answer."""

    event_name: ClassVar[str] = "RunIntermediateContent"
    event: Literal["RunIntermediateContent"] = "RunIntermediateContent"
    content: Any = None
    content_type: str = "str"


@dataclass(eq=False)
class RunCompletedEvent(RunOutputEvent):
    event_name: ClassVar[str] = "RunCompleted"
    event: Literal["RunCompleted"] = "RunCompleted"
    content: Any = None
    content_type: str = "str"
    reasoning_content: Optional[str] = None
    metrics: Optional[Metrics] = None
    session_state: Optional[dict[str, Any]] = None
    metadata: Optional[dict[str, Any]] = None


@dataclass(eq=False)
class RunErrorEvent(RunOutputEvent):
    """The run failed: ``content`` is the message, ``error_type`` the exception's class."""

    event_name: ClassVar[str] = "RunError"
    event: Literal["RunError"] = "RunError"
    content: Optional[str] = None
    error_type: Optional[str] = None


@dataclass(eq=False)
class RunCancelledEvent(RunOutputEvent):
    event_name: ClassVar[str] = "RunCancelled"
    event: Literal["RunCancelled"] = "RunCancelled"
    reason: Optional[str] = None

    @property
    def is_cancelled(self) -> bool:
        return True


@dataclass(eq=False)
class RunPausedEvent(RunOutputEvent):
    """The run waits for a human: ``tools`` are the calls that need an answer."""

    event_name: ClassVar[str] = "RunPaused"
    event: Literal["RunPaused"] = "RunPaused"
    tools: Optional[list[ToolExecution]] = None

    @property
    def is_paused(self) -> bool:
        return True

    @property
    def tools_requiring_confirmation(self) -> list[ToolExecution]:
        return [t for t in self.tools or [] if t.requires_confirmation]

    @property
    def tools_requiring_user_input(self) -> list[ToolExecution]:
        return [t for t in self.tools or [] if t.requires_user_input]

    @property
    def tools_awaiting_external_execution(self) -> list[ToolExecution]:
        return [t for t in self.tools or [] if t.external_execution_required]

    @property
    def requirements(self) -> list["RunRequirement"]:
        """One requirement per waiting tool (Agno's requirements style of human in the loop)."""
        from runwire.run.requirement import requirements_for

        return requirements_for(self.tools or [])

    @property
    def active_requirements(self) -> list["RunRequirement"]:
        return [r for r in self.requirements if not r.is_resolved()]


@dataclass(eq=False)
class RunContinuedEvent(RunOutputEvent):
    event_name: ClassVar[str] = "RunContinued"
    event: Literal["RunContinued"] = "RunContinued"


@dataclass(eq=False)
class ModelRequestStartedEvent(RunOutputEvent):
    event_name: ClassVar[str] = "ModelRequestStarted"
    event: Literal["ModelRequestStarted"] = "ModelRequestStarted"
    model: Optional[str] = None
    model_provider: Optional[str] = None


@dataclass(eq=False)
class ModelRequestCompletedEvent(RunOutputEvent):
    event_name: ClassVar[str] = "ModelRequestCompleted"
    event: Literal["ModelRequestCompleted"] = "ModelRequestCompleted"
    model: Optional[str] = None
    model_provider: Optional[str] = None
    metrics: Optional[Metrics] = None
    input_tokens: Optional[int] = None
    output_tokens: Optional[int] = None
    total_tokens: Optional[int] = None
    time_to_first_token: Optional[float] = None
    reasoning_tokens: Optional[int] = None
    cache_read_tokens: Optional[int] = None
    cache_write_tokens: Optional[int] = None


@dataclass(eq=False)
class ToolCallStartedEvent(RunOutputEvent):
    event_name: ClassVar[str] = "ToolCallStarted"
    event: Literal["ToolCallStarted"] = "ToolCallStarted"
    tool: Optional[ToolExecution] = None


@dataclass(eq=False)
class ToolCallCompletedEvent(RunOutputEvent):
    """A tool call finished: ``content`` is the result the model sees."""

    event_name: ClassVar[str] = "ToolCallCompleted"
    event: Literal["ToolCallCompleted"] = "ToolCallCompleted"
    tool: Optional[ToolExecution] = None
    content: Any = None


@dataclass(eq=False)
class ToolCallErrorEvent(RunOutputEvent):
    """A tool call failed; the model is told ``error`` and the run goes on."""

    event_name: ClassVar[str] = "ToolCallError"
    event: Literal["ToolCallError"] = "ToolCallError"
    tool: Optional[ToolExecution] = None
    error: Optional[str] = None


@dataclass(eq=False)
class ReasoningStartedEvent(RunOutputEvent):
    event_name: ClassVar[str] = "ReasoningStarted"
    event: Literal["ReasoningStarted"] = "ReasoningStarted"


@dataclass(eq=False)
class ReasoningStepEvent(RunOutputEvent):
    event_name: ClassVar[str] = "ReasoningStep"
    event: Literal["ReasoningStep"] = "ReasoningStep"
    content: Any = None
    content_type: str = "str"
    reasoning_content: Optional[str] = None


@dataclass(eq=False)
class ReasoningContentDeltaEvent(RunOutputEvent):
    """A chunk of native reasoning text streamed by the provider."""

    event_name: ClassVar[str] = "ReasoningContentDelta"
    event: Literal["ReasoningContentDelta"] = "ReasoningContentDelta"
    reasoning_content: Optional[str] = None


@dataclass(eq=False)
class ReasoningCompletedEvent(RunOutputEvent):
    event_name: ClassVar[str] = "ReasoningCompleted"
    event: Literal["ReasoningCompleted"] = "ReasoningCompleted"
    content: Any = None
    content_type: str = "str"


@dataclass(eq=False)
class MemoryUpdateStartedEvent(RunOutputEvent):
    event_name: ClassVar[str] = "MemoryUpdateStarted"
    event: Literal["MemoryUpdateStarted"] = "MemoryUpdateStarted"


@dataclass(eq=False)
class MemoryUpdateCompletedEvent(RunOutputEvent):
    event_name: ClassVar[str] = "MemoryUpdateCompleted"
    event: Literal["MemoryUpdateCompleted"] = "MemoryUpdateCompleted"
    memories: Optional[list[UserMemory]] = None


@dataclass(eq=False)
class ParserModelResponseStartedEvent(RunOutputEvent):
    event_name: ClassVar[str] = "ParserModelResponseStarted"
    event: Literal["ParserModelResponseStarted"] = "ParserModelResponseStarted"


@dataclass(eq=False)
class ParserModelResponseCompletedEvent(RunOutputEvent):
    event_name: ClassVar[str] = "ParserModelResponseCompleted"
    event: Literal["ParserModelResponseCompleted"] = "ParserModelResponseCompleted"


@dataclass(eq=False)
class OutputModelResponseStartedEvent(RunOutputEvent):
    event_name: ClassVar[str] = "OutputModelResponseStarted"
    event: Literal["OutputModelResponseStarted"] = "OutputModelResponseStarted"


@dataclass(eq=False)
class OutputModelResponseCompletedEvent(RunOutputEvent):
    event_name: ClassVar[str] = "OutputModelResponseCompleted"
    event: Literal["OutputModelResponseCompleted"] = "OutputModelResponseCompleted"


@dataclass(eq=False)
class CustomEvent(RunOutputEvent):
    """Base for your own events; yield instances from a tool.

    ``tool_call_id`` is filled in with the call that yielded the event.
    """

    event_name: ClassVar[str] = "CustomEvent"
    event: Literal["CustomEvent"] = "CustomEvent"
    tool_call_id: Optional[str] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        if cls.event_name in BUILT_IN_EVENTS:
            raise TypeError(f"{cls.__qualname__}: a custom event cannot take the built-in event name {cls.event_name!r}")
        super().__init_subclass__(**kwargs)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.event == "CustomEvent" and type(self).event_name != "CustomEvent":
            self.event = type(self).event_name  # type: ignore[assignment]  # a subclass's own event name
        check_custom_event_name(self)

    def __new__(cls, *args: Any, **kwargs: Any) -> "CustomEvent":
        check_is_dataclass(cls)
        return super().__new__(cls)


def check_is_dataclass(cls: type) -> None:
    """Raise a TypeError naming the fix when an event class declares fields but is no ``@dataclass``."""
    for klass in cls.__mro__:
        if klass is CustomEvent:
            return
        own = [n for n, a in inspect.get_annotations(klass).items() if "ClassVar" not in str(a)]
        if own and "__dataclass_fields__" not in klass.__dict__:
            raise TypeError(
                f"{klass.__name__} subclasses CustomEvent but is not a dataclass, so its fields "
                f"({', '.join(own)}) are not set by its constructor: put @dataclass above "
                f"`class {klass.__name__}(...)` (from dataclasses import dataclass)"
            )


# Names a CustomEvent may not take: consumers trust them to come from the run itself.
BUILT_IN_EVENTS: frozenset[str] = frozenset(e.value for e in RunEvent) - {RunEvent.custom_event.value}


def check_custom_event_name(event: RunOutputEvent) -> None:
    """Refuse a custom event named like a built-in one (a tool faking ``RunCompleted``, say)."""
    if event.event in BUILT_IN_EVENTS:
        raise ValueError(
            f"{type(event).__name__}(event={event.event!r}): a custom event cannot take a built-in event's name; "
            "give it a name of its own"
        )


# Events a plain ``stream=True`` yields; ``stream_events=True`` yields them all.
ALWAYS_STREAMED: frozenset[str] = frozenset(
    {
        RunEvent.run_content.value,
        RunEvent.custom_event.value,
        RunEvent.run_paused.value,
        RunEvent.run_error.value,
        RunEvent.run_cancelled.value,
    }
)

__all__ = sorted(
    {name for name, obj in list(globals().items()) if isinstance(obj, type) and issubclass(obj, RunOutputEvent)}
    | {"ALWAYS_STREAMED", "BUILT_IN_EVENTS", "RunEvent", "check_custom_event_name", "event_types", "register_event_type",
       "run_output_event_from_dict"}
)
