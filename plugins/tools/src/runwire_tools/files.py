"""File tools confined to a root directory: read, list and search files.

A path given by the model is relative to the root. Absolute paths, ``..``
components and symlinks that resolve outside the root are refused; paths are
opened component by component (see :mod:`runwire_tools.confined`), so a
symlink swapped in while a tool works cannot lead out either. Only regular
files and directories are read: a FIFO, socket or device is skipped.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Optional, Union

from runwire.exceptions import ToolArgumentsError
from runwire.run.agent import CustomEvent
from runwire.tools import Function, tool

from runwire_tools.confined import (
    NotARegularFileError,
    PathChangedError,
    PathOutsideRootError,
    open_under,
    regular_files,
)

__all__ = [
    "FileSearchProgress", "NotARegularFileError", "PathChangedError", "PathOutsideRootError", "file_tools",
]

MAX_READ_BYTES = 1 << 24  # 16 MiB: what one read_file call may ask for
SEARCH_BYTES = 1 << 20  # search_files looks at the first MiB of each file


@dataclass
class FileSearchProgress(CustomEvent):
    """Progress of ``search_files``: files scanned and matches so far."""

    files_scanned: int = 0
    matches: int = 0
    current: Optional[str] = None
    done: bool = False


def default_root() -> Path:
    return Path(os.environ.get("RUNWIRE_TOOLS_ROOT") or os.getcwd())


def file_tools(
    root: Union[str, Path, None] = None, *, progress_every: int = 25, max_read_bytes: int = MAX_READ_BYTES
) -> list[Function[..., Any]]:
    """The file tools confined to ``root`` (default: RUNWIRE_TOOLS_ROOT, else the working directory).

    ``max_read_bytes`` bounds what one ``read_file`` call may ask for.
    """
    if progress_every < 1:
        raise ValueError(f"progress_every must be at least 1, got {progress_every!r}")
    if max_read_bytes < 1:
        raise ValueError(f"max_read_bytes must be at least 1, got {max_read_bytes!r}")

    def get_root() -> Path:
        return Path(root) if root is not None else default_root()

    @tool
    def read_file(path: str, max_bytes: int = 65536) -> str:
        """Read a text file under the root directory.

        Args:
            path: The file's path, relative to the root directory.
            max_bytes: Read at most this many bytes.
        """
        if not 1 <= max_bytes <= max_read_bytes:
            raise ToolArgumentsError(f"max_bytes must be between 1 and {max_read_bytes}, got {max_bytes}")
        opened = open_under(get_root(), path)
        if opened.is_dir:
            os.close(opened.fd)
            raise IsADirectoryError(f"{path!r} is a directory; use list_files to see what it holds")
        with os.fdopen(opened.fd, "rb") as f:
            data = f.read(max_bytes + 1)
        text = data[:max_bytes].decode("utf-8", errors="replace")
        return text + ("\n[... truncated]" if len(data) > max_bytes else "")

    @tool
    def list_files(path: str = ".") -> list[str]:
        """List the entries of a directory under the root directory (directories end with '/').

        Args:
            path: The directory, relative to the root directory.
        """
        opened = open_under(get_root(), path)
        try:
            if not opened.is_dir:
                raise NotADirectoryError(f"{path!r} is not a directory")
            with os.scandir(opened.fd) as entries:
                return sorted(entry.name + ("/" if _is_dir(entry) else "") for entry in entries)
        finally:
            os.close(opened.fd)

    @tool
    def search_files(text: str, path: str = ".") -> Iterator[Union[FileSearchProgress, str]]:
        """Find the files under a directory that contain some text; reports progress while it works.

        Args:
            text: The text to look for.
            path: The directory to search, relative to the root directory.
        """
        opened = open_under(get_root(), path)
        if not opened.is_dir:
            os.close(opened.fd)
            raise NotADirectoryError(f"{path!r} is not a directory")
        needle = text.encode()
        scanned = 0
        found: list[str] = []
        try:
            for relative, data in regular_files(opened.fd, SEARCH_BYTES):
                scanned += 1
                if needle in data:
                    found.append(os.path.normpath(os.path.join(opened.relative, relative)))
                if scanned % progress_every == 0:
                    yield FileSearchProgress(files_scanned=scanned, matches=len(found), current=relative)
        finally:
            os.close(opened.fd)
        yield FileSearchProgress(files_scanned=scanned, matches=len(found), done=True)
        yield "\n".join(found) if found else f"no file under {path!r} contains {text!r}"

    return [read_file, list_files, search_files]


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False
