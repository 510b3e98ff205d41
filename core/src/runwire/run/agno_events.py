"""Agno's event classes for features runwire does not have, so code that names them imports and type-checks.

runwire never emits these (it has no pre/post hooks, session summaries, tool
result compression, compaction or follow-up suggestions); they round-trip through
``to_dict()`` / ``run_output_event_from_dict`` like every event.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Optional

from runwire.run.events import RunOutputEvent


@dataclass(eq=False)
class PreHookStartedEvent(RunOutputEvent):
    event_name: ClassVar[str] = "PreHookStarted"
    event: Literal["PreHookStarted"] = "PreHookStarted"
    pre_hook_name: Optional[str] = None
    run_input: Any = None


@dataclass(eq=False)
class PreHookCompletedEvent(RunOutputEvent):
    event_name: ClassVar[str] = "PreHookCompleted"
    event: Literal["PreHookCompleted"] = "PreHookCompleted"
    pre_hook_name: Optional[str] = None
    run_input: Any = None


@dataclass(eq=False)
class PostHookStartedEvent(RunOutputEvent):
    event_name: ClassVar[str] = "PostHookStarted"
    event: Literal["PostHookStarted"] = "PostHookStarted"
    post_hook_name: Optional[str] = None


@dataclass(eq=False)
class PostHookCompletedEvent(RunOutputEvent):
    event_name: ClassVar[str] = "PostHookCompleted"
    event: Literal["PostHookCompleted"] = "PostHookCompleted"
    post_hook_name: Optional[str] = None


@dataclass(eq=False)
class SessionSummaryStartedEvent(RunOutputEvent):
    event_name: ClassVar[str] = "SessionSummaryStarted"
    event: Literal["SessionSummaryStarted"] = "SessionSummaryStarted"


@dataclass(eq=False)
class SessionSummaryCompletedEvent(RunOutputEvent):
    event_name: ClassVar[str] = "SessionSummaryCompleted"
    event: Literal["SessionSummaryCompleted"] = "SessionSummaryCompleted"
    session_summary: Any = None


@dataclass(eq=False)
class CompressionStartedEvent(RunOutputEvent):
    event_name: ClassVar[str] = "CompressionStarted"
    event: Literal["CompressionStarted"] = "CompressionStarted"


@dataclass(eq=False)
class CompressionCompletedEvent(RunOutputEvent):
    event_name: ClassVar[str] = "CompressionCompleted"
    event: Literal["CompressionCompleted"] = "CompressionCompleted"
    tool_results_compressed: Optional[int] = None
    original_size: Optional[int] = None
    compressed_size: Optional[int] = None


@dataclass(eq=False)
class CompactionStartedEvent(RunOutputEvent):
    event_name: ClassVar[str] = "CompactionStarted"
    event: Literal["CompactionStarted"] = "CompactionStarted"


@dataclass(eq=False)
class CompactionCompletedEvent(RunOutputEvent):
    event_name: ClassVar[str] = "CompactionCompleted"
    event: Literal["CompactionCompleted"] = "CompactionCompleted"
    messages_compacted: Optional[int] = None
    tokens_before: Optional[int] = None
    tokens_after: Optional[int] = None
    archived: Optional[bool] = None


@dataclass(eq=False)
class FollowupsStartedEvent(RunOutputEvent):
    event_name: ClassVar[str] = "FollowupsStarted"
    event: Literal["FollowupsStarted"] = "FollowupsStarted"


@dataclass(eq=False)
class FollowupsCompletedEvent(RunOutputEvent):
    event_name: ClassVar[str] = "FollowupsCompleted"
    event: Literal["FollowupsCompleted"] = "FollowupsCompleted"
    followups: Optional[list[str]] = None


@dataclass
class RunInput:
    """Agno's record of a run's raw input (runwire keeps it on ``RunOutput.input`` and the media fields)."""

    input_content: Any = None
    images: Optional[list[Any]] = None
    videos: Optional[list[Any]] = None
    audios: Optional[list[Any]] = None
    files: Optional[list[Any]] = None

    def input_content_string(self) -> str:
        import json

        from runwire._codec import to_jsonable

        content = self.input_content
        return content if isinstance(content, str) else json.dumps(to_jsonable(content))
