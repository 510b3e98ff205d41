"""The record of one tool call within a run."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Optional

from runwire._codec import dataclass_from_dict, dataclass_to_dict
from runwire.media import Audio, File, Image
from runwire.metrics import ToolCallMetrics

_TYPES: dict[str, type] = {"str": str, "int": int, "float": float, "bool": bool, "list": list, "dict": dict}


@dataclass
class UserInputField:
    """A field a human fills in before a ``requires_user_input`` tool runs.

    ``field_type`` is a Python type (``str``, ``int``, ...), as in Agno; ``value``
    is pre-filled with the model's argument when it gave one. A ``required``
    field must have a value before the run continues.
    """

    name: str
    field_type: Any = str
    description: Optional[str] = None
    value: Any = None
    required: bool = True

    def to_dict(self) -> dict[str, Any]:
        kind = self.field_type
        return {"name": self.name, "field_type": getattr(kind, "__name__", None) or str(kind),
                "description": self.description, "value": self.value, "required": self.required}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "UserInputField":
        kind = data.get("field_type", "str")
        return cls(name=data["name"], field_type=_TYPES.get(kind, str) if isinstance(kind, str) else kind,
                   description=data.get("description"), value=data.get("value"), required=data.get("required", True))


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
    metrics: Optional[ToolCallMetrics] = None
    created_at: float = field(default_factory=time.time)

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


@dataclass
class ReasoningSteps:
    """The steps of a reasoning pass: the content of ReasoningCompleted (``content_type`` "ReasoningSteps")."""

    reasoning_steps: list[ReasoningStep] = field(default_factory=list)
