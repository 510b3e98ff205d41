"""Media attached to a run: ``Image``, ``Audio``, ``Video`` and ``File``.

Each names exactly one source: a ``url``, a local ``filepath`` or raw
``content`` bytes. Providers turn them into their own content parts.
"""

from __future__ import annotations

import base64
import mimetypes
import os
import stat
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
            root = getattr(self, "_media_root", None)
            if root is not None:  # named by run input data: read only what lies under the root
                return _read_under(str(self.filepath), root, type(self).__name__)
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


class MediaPathError(PermissionError):
    """Run input data named a local file that the agent may not read (see ``Agent(media_root=...)``)."""


def confine_media(media: Media, root: Union[str, "os.PathLike[str]", None]) -> None:
    """Confine ``media``, built from run input data, to ``root``: a local ``filepath`` must lie under it.

    Without a root, a local path in input data is refused. With one, the path
    (relative to the root, or absolute) is resolved, symlinks included, and
    must stay under it; reading it later checks again on the opened descriptor.
    """
    if media.filepath is None:
        return
    kind = type(media).__name__
    if root is None:
        raise MediaPathError(
            f"the run input names a local file ({kind}(filepath={str(media.filepath)!r})) in a message dict; "
            "local paths in input data are refused. To fix: give the Agent media_root= (the directory such files "
            "must lie under), send the media as url= or content=, or attach File(filepath=...) objects you build yourself"
        )
    real_root = os.path.realpath(root)
    real = _resolve_under(str(media.filepath), real_root, kind)
    if os.path.exists(real) and not os.path.isfile(real):
        raise MediaPathError(f"{kind}(filepath={str(media.filepath)!r}) is not a regular file")
    media.filepath = real
    media._media_root = real_root  # type: ignore[attr-defined]


def _inside(path: str, real_root: str) -> bool:
    return path == real_root or path.startswith(real_root.rstrip(os.sep) + os.sep)


def _resolve_under(filepath: str, real_root: str, kind: str) -> str:
    real = os.path.realpath(os.path.join(real_root, filepath))
    if not _inside(real, real_root):
        raise MediaPathError(
            f"{kind}(filepath={filepath!r}) lies outside the agent's media_root {real_root!r}; "
            "only files under media_root may be named in run input data"
        )
    return real


def _read_under(filepath: str, real_root: str, kind: str) -> bytes:
    real = _resolve_under(filepath, real_root, kind)
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(real, flags)
    except FileNotFoundError:
        raise FileNotFoundError(f"{kind}(filepath={filepath!r}) does not exist") from None
    except OSError as exc:  # a symlink swapped in since the path was resolved
        raise MediaPathError(f"{kind}(filepath={filepath!r}) could not be opened safely: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise MediaPathError(f"{kind}(filepath={filepath!r}) is not a regular file")
        opened = f"/proc/self/fd/{fd}"  # where the descriptor really points (Linux)
        if os.path.islink(opened) and not _inside(os.readlink(opened), real_root):
            raise MediaPathError(f"{kind}(filepath={filepath!r}) changed to lead outside media_root while it was opened")
        return f.read()


__all__ = ["Audio", "File", "Image", "Media", "MediaPathError", "Video", "confine_media"]
