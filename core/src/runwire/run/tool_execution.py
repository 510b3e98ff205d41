"""The record of one tool call within a run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from runwire._codec import dataclass_from_dict, dataclass_to_dict
from runwire.media import Audio, File, Image


@dataclass
class UserInputField:
    """A field a human fills in before a ``requires_user_input`` tool runs."""

    name: str
    field_type: str = "str"
    description: Optional[str] = None
    value: Any = None


@dataclass
class ToolExecution:
    """A tool call: what the model asked for, and what came of it.

    ``status`` is one of: pending, running, completed, error, paused,
    interrupted, rejected.
    """

    tool_call_id: str = ""
    tool_name: str = ""
    tool_args: Optional[dict[str, Any]] = None
    result: Optional[str] = None
    tool_call_error: bool = False
    error: Optional[str] = None
    status: str = "pending"
    started_at: Optional[float] = None
    duration: Optional[float] = None
    requires_confirmation: bool = False
    confirmed: Optional[bool] = None
    confirmation_note: Optional[str] = None
    requires_user_input: bool = False
    user_input_schema: Optional[list[UserInputField]] = None
    external_execution_required: bool = False
    answered: bool = False
    # set when the tool itself paused the run (ToolInputRequired): its question and what it keeps for the retry
    input_request: Optional[dict[str, Any]] = None
    # media the tool returned (a ToolResult): shown to the model in a message after the tool results
    images: Optional[list[Image]] = None
    audio: Optional[list[Audio]] = None
    files: Optional[list[File]] = None

    @property
    def is_paused(self) -> bool:
        return self.status == "paused"

    def to_dict(self) -> dict[str, Any]:
        return dataclass_to_dict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ToolExecution":
        return dataclass_from_dict(cls, data)


@dataclass
class ToolResult:
    """What a tool returns when it has media for the model: text, and images, audio or files.

    The text is the tool's result; the media go to the model in a user message
    right after the turn's tool results (most models take media only there).
    """

    content: str = ""
    images: Optional[list[Image]] = None
    audio: Optional[list[Audio]] = None
    files: Optional[list[File]] = None


@dataclass
class ReasoningStep:
    """One step of a reasoning pass."""

    title: Optional[str] = None
    reasoning: Optional[str] = None
    action: Optional[str] = None
    result: Optional[str] = None
    next_action: Optional[str] = None
    confidence: Optional[float] = None
