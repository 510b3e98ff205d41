"""``RunOutput``: what a run adds up to."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, Generic, Optional

from runwire._codec import dataclass_from_dict, dataclass_to_dict, to_jsonable
from runwire._typing import ContentT
from runwire.media import Audio, File, Image, Video
from runwire.metrics import Metrics
from runwire.models.message import Message
from runwire.run.events import RunOutputEvent, run_output_event_from_dict
from runwire.run.tool_execution import ReasoningStep, ToolExecution

if TYPE_CHECKING:
    from runwire.run.requirement import RunRequirement


class RunStatus(str, Enum):
    """Where a run stands."""

    pending = "pending"
    running = "running"
    completed = "completed"
    paused = "paused"
    cancelled = "cancelled"
    error = "error"
    interrupted = "interrupted"  # its process died mid-run (found by ``runwire runs recover``); it can be continued

    def __str__(self) -> str:
        return self.value


@dataclass(eq=False)
class RunOutput(Generic[ContentT]):
    """The result of ``Agent.run()``: content, messages, tools, metrics and (optionally) events.

    Generic in its ``content``: ``Agent(output_schema=Movie).run(...)`` is a ``RunOutput[Movie]``
    whose ``content`` a type checker knows is a ``Movie`` (once the run completed; a paused or
    cancelled run holds the text so far or None, a run read back from storage holds plain JSON
    data). A bare ``RunOutput`` is ``RunOutput[Any]``.
    """

    run_id: str = ""
    agent_id: Optional[str] = None
    agent_name: Optional[str] = None
    session_id: Optional[str] = None
    user_id: Optional[str] = None
    content: ContentT = None  # type: ignore[assignment]  # None until the run produced its content
    content_type: str = "str"
    reasoning_content: Optional[str] = None
    reasoning_steps: Optional[list[ReasoningStep]] = None
    messages: list[Message] = field(default_factory=list)
    metrics: Metrics = field(default_factory=Metrics)
    model: Optional[str] = None
    model_provider: Optional[str] = None
    status: RunStatus = RunStatus.pending
    tools: list[ToolExecution] = field(default_factory=list)
    events: Optional[list[RunOutputEvent]] = None
    input: Any = None
    images: Optional[list[Image]] = None
    audio: Optional[list[Audio]] = None
    videos: Optional[list[Video]] = None
    files: Optional[list[File]] = None
    error: Optional[str] = None
    error_type: Optional[str] = None
    cancel_reason: Optional[str] = None
    created_at: float = field(default_factory=time.time)
    session_state: Optional[dict[str, Any]] = None
    metadata: Optional[dict[str, Any]] = None
    # How the run keeps its events, so a run read back from storage shows them the same way.
    store_events: Optional[bool] = None
    events_to_skip: Optional[list[str]] = None

    # -- human in the loop -------------------------------------------------
    @property
    def is_paused(self) -> bool:
        return self.status == RunStatus.paused

    @property
    def is_cancelled(self) -> bool:
        return self.status == RunStatus.cancelled

    @property
    def tools_requiring_confirmation(self) -> list[ToolExecution]:
        return [t for t in self.tools if t.is_paused and t.requires_confirmation]

    @property
    def tools_requiring_user_input(self) -> list[ToolExecution]:
        return [t for t in self.tools if t.is_paused and t.requires_user_input]

    @property
    def tools_awaiting_external_execution(self) -> list[ToolExecution]:
        return [t for t in self.tools if t.is_paused and t.external_execution_required]

    @property
    def requirements(self) -> list["RunRequirement"]:
        """One requirement per tool call that needed a human (Agno's requirements style)."""
        from runwire.run.requirement import requirements_for

        return requirements_for(self.tools)

    @property
    def active_requirements(self) -> list["RunRequirement"]:
        """The requirements still waiting for an answer."""
        return [r for r in self.requirements if not r.is_resolved()]

    # -- serialisation -----------------------------------------------------
    def get_content_as_string(self) -> str:
        if self.content is None:
            return ""
        if isinstance(self.content, str):
            return self.content
        dump = getattr(self.content, "model_dump_json", None)
        if dump is not None:
            return str(dump())
        return json.dumps(to_jsonable(self.content))

    def to_dict(self) -> dict[str, Any]:
        """The run as a dict; values such as datetimes stay native (use :meth:`to_json_dict` for JSON).

        As in Agno, a pydantic ``content`` is dumped in its JSON mode.
        """
        data = dataclass_to_dict(self, native=True)
        if hasattr(self.content, "model_dump"):
            data["content"] = to_jsonable(self.content)
        return data

    def to_json_dict(self) -> dict[str, Any]:
        """The run as JSON-ready data (datetimes in ISO 8601): what storage and the wire carry."""
        return dataclass_to_dict(self)

    def to_json(self, indent: Optional[int] = 2) -> str:
        return json.dumps(self.to_json_dict(), indent=indent, default=str)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "RunOutput":
        data = dict(data)
        events = data.pop("events", None)
        output: RunOutput = dataclass_from_dict(cls, data)
        if events is not None:
            output.events = [run_output_event_from_dict(e) for e in events]
        return output
