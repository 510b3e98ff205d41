"""File tools confined to a root directory: read, list and search files.

A path given by the model is relative to the root. Absolute paths, ``..``
components and symlinks that resolve outside the root are refused.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional, Union

from runwire.run.agent import CustomEvent
from runwire.tools import Function, tool


class PathOutsideRootError(PermissionError):
    """A path leaves the directory the file tools are confined to."""


@dataclass
class FileSearchProgress(CustomEvent):
    """Progress of ``search_files``: files scanned and matches so far."""

    files_scanned: int = 0
    matches: int = 0
    current: Optional[str] = None
    done: bool = False


def default_root() -> Path:
    return Path(os.environ.get("RUNWIRE_TOOLS_ROOT") or os.getcwd())


def confine(root: Path, path: str) -> Path:
    """``root / path``, resolved, or PathOutsideRootError naming why not."""
    if not path or path.strip() == "":
        path = "."
    candidate = Path(path)
    if candidate.is_absolute() or path.startswith(("~", "\\")):
        raise PathOutsideRootError(f"{path!r} is an absolute path; give a path relative to the root directory")
    if ".." in candidate.parts:
        raise PathOutsideRootError(f"{path!r} contains '..'; paths must stay inside the root directory")
    real_root = root.resolve()
    real = (real_root / candidate).resolve()
    if not real.is_relative_to(real_root):
        raise PathOutsideRootError(f"{path!r} leads outside the root directory (through a symlink)")
    return real


def file_tools(root: Union[str, Path, None] = None, *, progress_every: int = 25) -> list[Function]:
    """The file tools confined to ``root`` (default: RUNWIRE_TOOLS_ROOT, else the working directory)."""

    def get_root() -> Path:
        return Path(root) if root is not None else default_root()

    @tool
    def read_file(path: str, max_bytes: int = 65536) -> str:
        """Read a text file under the root directory.

        Args:
            path: The file's path, relative to the root directory.
            max_bytes: Read at most this many bytes.
        """
        target = confine(get_root(), path)
        if not target.is_file():
            raise FileNotFoundError(f"no file at {path!r}")
        with target.open("rb") as f:
            data = f.read(max_bytes + 1)
        text = data[:max_bytes].decode("utf-8", errors="replace")
        return text + ("\n[... truncated]" if len(data) > max_bytes else "")

    @tool
    def list_files(path: str = ".") -> list[str]:
        """List the entries of a directory under the root directory (directories end with '/').

        Args:
            path: The directory, relative to the root directory.
        """
        target = confine(get_root(), path)
        if not target.is_dir():
            raise NotADirectoryError(f"{path!r} is not a directory")
        return sorted(entry.name + ("/" if entry.is_dir() else "") for entry in target.iterdir())

    @tool
    def search_files(text: str, path: str = ".") -> Iterator[Union[FileSearchProgress, str]]:
        """Find the files under a directory that contain some text; reports progress while it works.

        Args:
            text: The text to look for.
            path: The directory to search, relative to the root directory.
        """
        real_root = get_root().resolve()
        start = confine(real_root, path)
        scanned = 0
        found: list[str] = []
        for folder, dirs, files in os.walk(start):
            dirs.sort()
            for name in sorted(files):
                file_path = Path(folder) / name
                try:
                    if not file_path.resolve().is_relative_to(real_root):
                        continue  # a symlink out of the root
                    with file_path.open("rb") as f:
                        if text.encode() in f.read(1 << 20):
                            found.append(str(file_path.relative_to(real_root)))
                except OSError:
                    continue
                scanned += 1
                if scanned % progress_every == 0:
                    yield FileSearchProgress(files_scanned=scanned, matches=len(found), current=name)
        yield FileSearchProgress(files_scanned=scanned, matches=len(found), done=True)
        yield "\n".join(found) if found else f"no file under {path!r} contains {text!r}"

    return [read_file, list_files, search_files]
