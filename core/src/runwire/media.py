"""Media attached to a run: ``Image``, ``Audio``, ``Video`` and ``File``.

Each names exactly one source: a ``url``, a local ``filepath`` or raw
``content`` bytes. Providers turn them into their own content parts.
"""

from __future__ import annotations

import base64
import mimetypes
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Optional, Union
from uuid import uuid4

from runwire._codec import dataclass_from_dict, dataclass_to_dict


@dataclass
class Media:
    """A piece of media given by exactly one of ``url``, ``filepath`` or ``content``."""

    url: Optional[str] = None
    filepath: Optional[Union[str, Path]] = None
    content: Optional[bytes] = None
    mime_type: Optional[str] = None
    format: Optional[str] = None
    id: str = field(default_factory=lambda: uuid4().hex)

    kind: ClassVar[str] = "media"

    def __post_init__(self) -> None:
        if isinstance(self.content, str):  # base64 from a stored dict
            self.content = base64.b64decode(self.content)
        given = [n for n in ("url", "filepath", "content") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError(
                f"{type(self).__name__} needs exactly one of url=, filepath= or content=; "
                f"got {', '.join(given) or 'none'}"
            )
        if self.filepath is not None:
            self.filepath = str(self.filepath)
        if self.mime_type is None:
            guess = self.url or self.filepath
            if guess:
                self.mime_type = mimetypes.guess_type(str(guess))[0]

    def get_bytes(self) -> bytes:
        """Return the media's bytes (reads ``filepath``; a ``url`` is not fetched here)."""
        if self.content is not None:
            return self.content
        if self.filepath is not None:
            path = Path(self.filepath)
            if not path.is_file():
                raise FileNotFoundError(f"{type(self).__name__}(filepath={str(path)!r}) does not exist")
            return path.read_bytes()
        raise ValueError(f"{type(self).__name__}(url=...) has no local bytes; the provider fetches the URL")

    def to_base64(self) -> str:
        return base64.b64encode(self.get_bytes()).decode("ascii")

    def to_dict(self) -> dict[str, Any]:
        return dataclass_to_dict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Media":
        return dataclass_from_dict(cls, data)


@dataclass
class Image(Media):
    """An image, e.g. ``Image(url="https://example.com/image.jpg")``."""

    detail: Optional[str] = None
    kind: ClassVar[str] = "image"


@dataclass
class Audio(Media):
    """An audio clip, e.g. ``Audio(filepath="clip.wav")``."""

    kind: ClassVar[str] = "audio"


@dataclass
class Video(Media):
    """A video, e.g. ``Video(filepath="clip.mp4")``."""

    kind: ClassVar[str] = "video"


@dataclass
class File(Media):
    """A document such as a PDF or a text file."""

    name: Optional[str] = None
    kind: ClassVar[str] = "file"


__all__ = ["Audio", "File", "Image", "Media", "Video"]
