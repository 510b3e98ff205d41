"""An agent's run as Agno's ``agno.run.agent`` exports it: ``from runwire.run.agent import RunEvent, CustomEvent``.

The names are listed one by one (no ``import *``) so type checkers see them.
"""

from runwire.media import Audio, File, Image, Video
from runwire.metrics import Metrics
from runwire.metrics import Metrics as RunMetrics
from runwire.models.message import Message
from runwire.run.agno_events import (
    CompactionCompletedEvent,
    CompactionStartedEvent,
    CompressionCompletedEvent,
    CompressionStartedEvent,
    FollowupsCompletedEvent,
    FollowupsStartedEvent,
    PostHookCompletedEvent,
    PostHookStartedEvent,
    PreHookCompletedEvent,
    PreHookStartedEvent,
    RunInput,
    SessionSummaryCompletedEvent,
    SessionSummaryStartedEvent,
)
from runwire.run.events import (
    ALWAYS_STREAMED,
    CustomEvent,
    MemoryUpdateCompletedEvent,
    MemoryUpdateStartedEvent,
    ModelRequestCompletedEvent,
    ModelRequestStartedEvent,
    OutputModelResponseCompletedEvent,
    OutputModelResponseStartedEvent,
    ParserModelResponseCompletedEvent,
    ParserModelResponseStartedEvent,
    ReasoningCompletedEvent,
    ReasoningContentDeltaEvent,
    ReasoningStartedEvent,
    ReasoningStepEvent,
    RunCancelledEvent,
    RunCompletedEvent,
    RunContentCompletedEvent,
    RunContentEvent,
    RunContinuedEvent,
    RunErrorEvent,
    RunEvent,
    RunIntermediateContentEvent,
    RunOutputEvent,
    RunPausedEvent,
    RunStartedEvent,
    ToolCallCompletedEvent,
    ToolCallErrorEvent,
    ToolCallStartedEvent,
    event_types,
    register_event_type,
    run_output_event_from_dict,
)
from runwire.run.event_union import RunStreamEvent
from runwire.run.output import RunOutput, RunStatus
from runwire.run.requirement import RunRequirement
from runwire.run.tool_execution import ReasoningStep, ReasoningSteps, ToolExecution, UserInputField
from runwire.user_memory import UserMemory

# Agno's names for the same classes.
IntermediateRunContentEvent = RunIntermediateContentEvent
BaseAgentRunEvent = RunOutputEvent
BaseRunOutputEvent = RunOutputEvent

RUN_EVENT_TYPE_REGISTRY: dict[str, type[RunOutputEvent]] = {
    cls.event_name: cls for cls in event_types().values()
    if cls.__module__ in ("runwire.run.events", "runwire.run.agno_events") and cls.event_name
}
RUN_OUTPUT_EVENT_TYPES: tuple[type[RunOutputEvent], ...] = tuple(RUN_EVENT_TYPE_REGISTRY.values())

__all__ = [
    "ALWAYS_STREAMED",
    "Audio",
    "BaseAgentRunEvent",
    "BaseRunOutputEvent",
    "CompactionCompletedEvent",
    "CompactionStartedEvent",
    "CompressionCompletedEvent",
    "CompressionStartedEvent",
    "CustomEvent",
    "RunStreamEvent",
    "File",
    "FollowupsCompletedEvent",
    "FollowupsStartedEvent",
    "Image",
    "IntermediateRunContentEvent",
    "MemoryUpdateCompletedEvent",
    "MemoryUpdateStartedEvent",
    "Message",
    "Metrics",
    "ModelRequestCompletedEvent",
    "ModelRequestStartedEvent",
    "OutputModelResponseCompletedEvent",
    "OutputModelResponseStartedEvent",
    "ParserModelResponseCompletedEvent",
    "ParserModelResponseStartedEvent",
    "PostHookCompletedEvent",
    "PostHookStartedEvent",
    "PreHookCompletedEvent",
    "PreHookStartedEvent",
    "RUN_EVENT_TYPE_REGISTRY",
    "RUN_OUTPUT_EVENT_TYPES",
    "ReasoningCompletedEvent",
    "ReasoningContentDeltaEvent",
    "ReasoningStartedEvent",
    "ReasoningStep",
    "ReasoningStepEvent",
    "ReasoningSteps",
    "RunCancelledEvent",
    "RunCompletedEvent",
    "RunContentCompletedEvent",
    "RunContentEvent",
    "RunContinuedEvent",
    "RunErrorEvent",
    "RunEvent",
    "RunInput",
    "RunIntermediateContentEvent",
    "RunMetrics",
    "RunOutput",
    "RunOutputEvent",
    "RunPausedEvent",
    "RunRequirement",
    "RunStartedEvent",
    "RunStatus",
    "SessionSummaryCompletedEvent",
    "SessionSummaryStartedEvent",
    "ToolCallCompletedEvent",
    "ToolCallErrorEvent",
    "ToolCallStartedEvent",
    "ToolExecution",
    "UserInputField",
    "UserMemory",
    "Video",
    "event_types",
    "register_event_type",
    "run_output_event_from_dict",
]
