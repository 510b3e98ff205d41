"""runwire messages as OpenAI-style chat messages: the lingua franca most providers accept."""

from __future__ import annotations

from typing import Any, Iterable, Optional

from runwire.media import Media
from runwire.models.message import Message, ToolCall


def _data_uri(media: Media, default_mime: str) -> str:
    return f"data:{media.mime_type or default_mime};base64,{media.to_base64()}"


def media_parts(message: Message) -> list[dict[str, Any]]:
    """Content parts for the images, audio, videos and files attached to ``message``."""
    parts: list[dict[str, Any]] = []
    for image in message.images or ():
        url = image.url or _data_uri(image, "image/png")
        image_url: dict[str, Any] = {"url": url}
        if image.detail:
            image_url["detail"] = image.detail
        parts.append({"type": "image_url", "image_url": image_url})
    for clip in message.audio or ():
        fmt = clip.format or (clip.mime_type or "audio/wav").rsplit("/", 1)[-1]
        if clip.url:
            parts.append({"type": "audio_url", "audio_url": {"url": clip.url}})
        else:
            parts.append({"type": "input_audio", "input_audio": {"data": clip.to_base64(), "format": fmt}})
    for video in message.videos or ():
        parts.append({"type": "video_url", "video_url": {"url": video.url or _data_uri(video, "video/mp4")}})
    for file in message.files or ():
        if file.url:
            parts.append({"type": "file", "file": {"file_id": file.url}})
        else:
            name = file.name or (str(file.filepath).rsplit("/", 1)[-1] if file.filepath else "file")
            parts.append({"type": "file", "file": {"filename": name, "file_data": _data_uri(file, "application/pdf")}})
    return parts


def to_openai_message(message: Message, *, tool_names: bool = True) -> dict[str, Any]:
    """One message in the OpenAI chat format (``tool_names``: name the tool on tool results, which
    litellm's translations to other providers use and strict OpenAI-compatible servers may refuse)."""
    content: Any = message.content
    extra = media_parts(message)
    if extra:
        text = content if isinstance(content, list) else ([{"type": "text", "text": content}] if content else [])
        content = [*text, *extra]
    data: dict[str, Any] = {"role": message.role, "content": content}
    if tool_names and message.name and message.role == "tool":
        data["name"] = message.name
    if message.tool_call_id:
        data["tool_call_id"] = message.tool_call_id
    if message.tool_calls:
        data["tool_calls"] = tool_call_dicts(message.tool_calls)
    return data


def tool_call_dicts(calls: Iterable[ToolCall]) -> list[dict[str, Any]]:
    """Tool calls as the OpenAI format writes them in an assistant message."""
    return [{"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments_json()}} for c in calls]


def to_openai_messages(messages: list[Message], *, tool_names: bool = True) -> list[dict[str, Any]]:
    return [to_openai_message(m, tool_names=tool_names) for m in messages]


def request_fields(request: Any, *, max_tokens_key: str = "max_tokens", tool_names: bool = True) -> dict[str, Any]:
    """The OpenAI chat request fields for a :class:`~runwire.models.base.ModelRequest`:
    messages, and tools, tool_choice, response_format, stop and max tokens when set."""
    body: dict[str, Any] = {"messages": to_openai_messages(request.messages, tool_names=tool_names)}
    if request.tools:
        body["tools"] = request.tools
        if request.tool_choice is not None:
            body["tool_choice"] = request.tool_choice
    if request.output_schema is not None:
        body["response_format"] = response_format(request.output_schema)
    if request.stop:
        body["stop"] = request.stop
    if request.max_tokens:
        body[max_tokens_key] = request.max_tokens
    return body


def response_format(schema: Any) -> Optional[dict[str, Any]]:
    """The ``response_format`` asking for JSON that matches ``schema`` (a pydantic model or a JSON-schema dict)."""
    if schema is None:
        return None
    as_json = getattr(schema, "model_json_schema", None)
    spec = as_json() if as_json is not None else schema
    name = getattr(schema, "__name__", None) or spec.get("title") or "output"
    return {"type": "json_schema", "json_schema": {"name": name, "schema": spec}}
