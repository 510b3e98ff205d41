"""``RunStreamEvent``: what a run's stream yields, as a union type checkers narrow.

Every member has its own ``Literal`` ``event``, so ``if event.event == "ToolCallStarted":``,
``match event.event:`` and ``isinstance(event, ToolCallStartedEvent)`` all narrow to the class
(and ``event.tool`` type-checks). Your own events are ``CustomEvent`` subclasses.
"""

from __future__ import annotations

from typing import Union

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
    SessionSummaryCompletedEvent,
    SessionSummaryStartedEvent,
)
from runwire.run.events import (
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
    RunIntermediateContentEvent,
    RunPausedEvent,
    RunStartedEvent,
    ToolCallCompletedEvent,
    ToolCallErrorEvent,
    ToolCallStartedEvent,
)

RunStreamEvent = Union[
    RunStartedEvent,
    RunContentEvent,
    RunContentCompletedEvent,
    RunIntermediateContentEvent,
    RunCompletedEvent,
    RunErrorEvent,
    RunCancelledEvent,
    RunPausedEvent,
    RunContinuedEvent,
    ModelRequestStartedEvent,
    ModelRequestCompletedEvent,
    ToolCallStartedEvent,
    ToolCallCompletedEvent,
    ToolCallErrorEvent,
    ReasoningStartedEvent,
    ReasoningStepEvent,
    ReasoningContentDeltaEvent,
    ReasoningCompletedEvent,
    MemoryUpdateStartedEvent,
    MemoryUpdateCompletedEvent,
    ParserModelResponseStartedEvent,
    ParserModelResponseCompletedEvent,
    OutputModelResponseStartedEvent,
    OutputModelResponseCompletedEvent,
    CustomEvent,
    PreHookStartedEvent,
    PreHookCompletedEvent,
    PostHookStartedEvent,
    PostHookCompletedEvent,
    SessionSummaryStartedEvent,
    SessionSummaryCompletedEvent,
    CompressionStartedEvent,
    CompressionCompletedEvent,
    CompactionStartedEvent,
    CompactionCompletedEvent,
    FollowupsStartedEvent,
    FollowupsCompletedEvent,
]

__all__ = ["RunStreamEvent"]
