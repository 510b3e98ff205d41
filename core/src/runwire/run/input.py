"""Turn a run's input (str, list, dict, Message, pydantic model, messages) into messages."""

from __future__ import annotations

import json
import os
from typing import Any, Optional, Sequence, Union

from runwire.media import Audio, File, Image, Video, confine_media
from runwire.models.message import Message

ACCEPTED = "a str, a list (of messages or content parts), a dict, a Message, a pydantic model or a list of Messages"


def _is_message_like(item: Any) -> bool:
    return isinstance(item, Message) or (isinstance(item, dict) and "role" in item)


def _to_message(item: Any, media_root: Union[str, "os.PathLike[str]", None]) -> Message:
    if isinstance(item, Message):
        return item
    try:
        message = Message.from_dict(item)
    except TypeError as exc:
        raise TypeError(f"a message dict needs 'role' and may have 'content', 'name', ...: {exc}") from None
    # media named by data (client JSON, say) may not read the server's files outside media_root
    for media in (*(message.images or ()), *(message.audio or ()), *(message.videos or ()), *(message.files or ())):
        confine_media(media, media_root)
    return message


def input_to_messages(
    value: Any,
    *,
    images: Optional[Sequence[Union[Image, str]]] = None,
    audio: Optional[Sequence[Union[Audio, str]]] = None,
    videos: Optional[Sequence[Union[Video, str]]] = None,
    files: Optional[Sequence[Union[File, str]]] = None,
    media_root: Union[str, "os.PathLike[str]", None] = None,
) -> list[Message]:
    """The messages a run's input becomes; media go on the last user message.

    Media with a local ``filepath`` inside message dicts must lie under
    ``media_root`` (refused without one); Message and media objects are the
    application's own and are taken as they are.
    """
    if type(value) is str and images is None and audio is None and videos is None and files is None:
        return [Message(role="user", content=value)]  # the common case, first
    images, audio, videos, files = run_media(images, audio, videos, files)
    has_media = bool(images or audio or videos or files)
    if value is None:
        if not has_media:
            raise TypeError(f"run input is None: give a prompt ({ACCEPTED}), or media alone (images=, audio=, ...)")
        messages = []
    elif isinstance(value, str):
        messages = [Message(role="user", content=value)]
    elif isinstance(value, Message):
        messages = [value]
    elif isinstance(value, dict):
        messages = [_to_message(value, media_root)] if "role" in value else [Message(role="user", content=json.dumps(value, default=str))]
    elif isinstance(value, (list, tuple)):
        if value and all(_is_message_like(item) for item in value):
            messages = [_to_message(item, media_root) for item in value]
        else:
            parts = [{"type": "text", "text": p} if isinstance(p, str) else p for p in value]
            if not all(isinstance(p, dict) for p in parts):
                raise TypeError(f"a list input holds messages or content parts (str or dict), got {value!r}")
            messages = [Message(role="user", content=parts)]
    elif hasattr(value, "model_dump_json") and hasattr(type(value), "model_fields"):
        messages = [Message(role="user", content=value.model_dump_json())]
    else:
        raise TypeError(f"run input must be {ACCEPTED}; got {type(value).__name__}")
    if has_media:
        users = [m for m in messages if m.role == "user"]
        if not users:
            messages.append(Message(role="user", content=""))
            users = messages[-1:]
        target = users[-1]
        target.images = [*(target.images or []), *(images or [])] or None
        target.audio = [*(target.audio or []), *(audio or [])] or None
        target.videos = [*(target.videos or []), *(videos or [])] or None
        target.files = [*(target.files or []), *(files or [])] or None
    return messages


def run_media(images: Any, audio: Any, videos: Any, files: Any) -> tuple[
        Optional[list[Image]], Optional[list[Audio]], Optional[list[Video]], Optional[list[File]]]:
    """A run's ``images=`` / ``audio=`` / ``videos=`` / ``files=`` as media objects (URL strings converted)."""
    return (_media_list(images, Image, "images"), _media_list(audio, Audio, "audio"),
            _media_list(videos, Video, "videos"), _media_list(files, File, "files"))


def _media_list(items: Any, cls: type[Any], arg: str) -> Optional[list[Any]]:
    """``items`` as ``cls`` objects: an http(s) URL string becomes ``cls(url=...)``; anything else is refused."""
    if items is None:
        return None
    if isinstance(items, (str, cls)):
        items = [items]
    out = []
    for item in items:
        if isinstance(item, str) and item.startswith(("http://", "https://")):
            item = cls(url=item)
        if not isinstance(item, cls):
            name = cls.__name__
            raise TypeError(
                f"{arg}= takes {name} objects, got {type(item).__name__} {str(item)[:80]!r}: write "
                f"{name}(url='https://...'), {name}(filepath='path/to/file') or {name}(content=raw_bytes)"
            )
        out.append(item)
    return out
