"""Request bodies: what an HTTP client may send, checked before anything runs."""

from __future__ import annotations

import base64
import binascii
from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, Field, field_validator

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}$"
MAX_MEDIA = 16


class MediaIn(BaseModel):
    """An image or file: an http(s) ``url`` or base64 ``content`` (local paths are never accepted)."""

    model_config = ConfigDict(extra="forbid")

    url: Optional[str] = Field(None, max_length=4096, pattern=r"^https?://")
    content: Optional[str] = Field(None, description="base64")
    mime_type: Optional[str] = Field(None, max_length=255)
    name: Optional[str] = Field(None, max_length=255)

    @field_validator("content")
    @classmethod
    def _base64(cls, value: Optional[str]) -> Optional[str]:
        if value is not None:
            try:
                base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                raise ValueError("content must be base64") from None
        return value

    def as_media(self, kind: str) -> Any:
        if (self.url is None) == (self.content is None):
            raise ValueError("give exactly one of url or content")
        from runwire.media import File, Image

        content = base64.b64decode(self.content) if self.content is not None else None
        if kind == "image":
            return Image(url=self.url, content=content, mime_type=self.mime_type)
        return File(url=self.url, content=content, mime_type=self.mime_type, name=self.name)


class RunRequest(BaseModel):
    """``POST /agents/{agent_id}/runs``. The user is the credential's: a body never names one."""

    model_config = ConfigDict(extra="forbid")

    message: str = Field(min_length=1, max_length=1_000_000)
    session_id: Optional[str] = Field(None, pattern=ID_PATTERN)
    stream: bool = True
    background: bool = False
    cancel_on_disconnect: bool = False
    images: Optional[list[MediaIn]] = Field(None, max_length=MAX_MEDIA)
    files: Optional[list[MediaIn]] = Field(None, max_length=MAX_MEDIA)


class ToolAnswer(BaseModel):
    """The human's answer for one paused tool call."""

    model_config = ConfigDict(extra="forbid")

    tool_call_id: str = Field(min_length=1, max_length=256)
    confirmed: Optional[bool] = None
    confirmation_note: Optional[str] = Field(None, max_length=10_000)
    user_input: Optional[dict[str, Any]] = Field(None, description="field name -> value")
    result: Optional[str] = Field(None, description="the result of a tool executed outside")


class ContinueRequest(BaseModel):
    """``POST /runs/{run_id}/continue``."""

    model_config = ConfigDict(extra="forbid")

    tools: list[ToolAnswer] = Field(default_factory=list, max_length=256)
    stream: bool = True
    background: bool = False
    cancel_on_disconnect: bool = False
