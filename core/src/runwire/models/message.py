"""Messages exchanged with a model, and the tool calls a model asks for."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Optional, Union
from random import getrandbits

from runwire._codec import dataclass_from_dict, dataclass_to_dict
from runwire.media import Audio, File, Image, Video


def _call_id() -> str:
    return f"call_{getrandbits(96):024x}"  # names a call within a run: not a secret, so no uuid4 system call


@dataclass
class ToolCall:
    """A tool call requested by a model: a tool ``name`` and its ``arguments``.

    ``arguments`` is what the model produced: a JSON string (possibly malformed)
    or an already-decoded dict.
    """

    name: str
    arguments: Union[str, dict[str, Any]] = field(default_factory=dict)
    id: str = field(default_factory=_call_id)

    def arguments_json(self) -> str:
        if isinstance(self.arguments, str):
            return self.arguments
        return json.dumps(self.arguments)

    def to_dict(self) -> dict[str, Any]:
        return dataclass_to_dict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ToolCall":
        return dataclass_from_dict(cls, data)


@dataclass
class Message:
    """One chat message: ``role`` is system, user, assistant or tool."""

    role: str
    content: Optional[Any] = None
    name: Optional[str] = None
    tool_call_id: Optional[str] = None
    tool_calls: Optional[list[ToolCall]] = None
    reasoning_content: Optional[str] = None
    images: Optional[list[Image]] = None
    audio: Optional[list[Audio]] = None
    videos: Optional[list[Video]] = None
    files: Optional[list[File]] = None
    from_history: bool = False

    def text(self) -> str:
        """The message content as plain text."""
        if self.content is None:
            return ""
        if isinstance(self.content, str):
            return self.content
        if isinstance(self.content, list):
            parts = []
            for part in self.content:
                if isinstance(part, dict) and part.get("type") == "text":
                    parts.append(str(part.get("text", "")))
                elif isinstance(part, str):
                    parts.append(part)
            return "".join(parts)
        return json.dumps(self.content) if isinstance(self.content, dict) else str(self.content)

    def to_dict(self) -> dict[str, Any]:
        data = dataclass_to_dict(self)
        return {k: v for k, v in data.items() if v is not None and v is not False}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Message":
        return dataclass_from_dict(cls, data)
