"""Opening a path under a root directory so that it cannot leave the root, even while the tree changes.

The path is walked one component at a time, each opened relative to the
directory descriptor before it with ``O_NOFOLLOW`` (the ``openat`` way), so a
symlink swapped in between a check and an open is never followed. Symlinks met
on the way are resolved by the walk itself: a relative target continues from
the directory holding the link (``..`` pops back along the directories already
open, never above the root), an absolute target must lie under the root.
Anything that is neither a directory nor a regular file (FIFO, socket, device)
is refused before it is opened.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional, Union

MAX_SYMLINKS = 40
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | _O_CLOEXEC | _O_NONBLOCK
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | _O_CLOEXEC | _O_NONBLOCK  # NONBLOCK: a FIFO swapped in cannot block


class PathOutsideRootError(PermissionError):
    """A path leaves the directory the file tools are confined to."""


class NotARegularFileError(OSError):
    """A path names a FIFO, socket or device: the file tools read regular files only."""


class PathChangedError(OSError):
    """The tree changed between looking at a path component and opening it (a symlink swapped in, say)."""


@dataclass
class Opened:
    """A descriptor opened under the root, and the path it was reached by (relative to the root)."""

    fd: int
    relative: str
    is_dir: bool


def relative_parts(path: str) -> list[str]:
    """The components of a path given by a model, refusing absolute paths, ``~`` and ``..``."""
    if not path or not path.strip():
        return []
    if os.path.isabs(path) or path.startswith(("~", "\\")):
        raise PathOutsideRootError(f"{path!r} is an absolute path; give a path relative to the root directory")
    if "\x00" in path:
        raise PathOutsideRootError(f"{path!r} contains a NUL character")
    parts = [p for p in Path(path).parts if p not in ("", ".")]
    if ".." in parts:
        raise PathOutsideRootError(f"{path!r} contains '..'; paths must stay inside the root directory")
    return parts


def open_under(root: Union[str, Path], path: str) -> Opened:
    """Open ``path`` (relative, as a model gives it) under ``root``; the caller closes ``fd``.

    Raises PathOutsideRootError when the path or a symlink on it leads outside
    the root, FileNotFoundError / NotADirectoryError / NotARegularFileError otherwise.
    """
    pending = list(reversed(relative_parts(path)))
    prefixes = {os.path.abspath(root), os.path.realpath(root)}
    stack = [os.open(root, os.O_RDONLY | os.O_DIRECTORY | _O_CLOEXEC)]
    names: list[str] = []
    hops = 0
    try:
        while pending:
            name = pending.pop()
            if name in ("", "."):
                continue
            if name == "..":  # only from a symlink's target: go back along what is open
                if len(stack) == 1:
                    raise PathOutsideRootError(f"{path!r} leads outside the root directory (through a symlink)")
                os.close(stack.pop())
                names.pop()
                continue
            try:
                info = os.stat(name, dir_fd=stack[-1], follow_symlinks=False)
            except FileNotFoundError:
                raise FileNotFoundError(f"no file or directory at {path!r}") from None
            if stat.S_ISLNK(info.st_mode):
                hops += 1
                if hops > MAX_SYMLINKS:
                    raise OSError(f"{path!r} goes through too many symlinks")
                target = os.readlink(name, dir_fd=stack[-1])
                if os.path.isabs(target):
                    inside = _under(target, prefixes)
                    if inside is None:
                        raise PathOutsideRootError(f"{path!r} leads outside the root directory (through a symlink)")
                    while len(stack) > 1:  # restart from the root
                        os.close(stack.pop())
                    names.clear()
                    target = inside
                pending.extend(reversed(target.split("/")))
                continue
            if stat.S_ISDIR(info.st_mode):
                stack.append(_open_at(name, _DIR_FLAGS, stack[-1], path))
                names.append(name)
                continue
            if pending:
                raise NotADirectoryError(f"{path!r}: {'/'.join([*names, name])!r} is not a directory")
            if not stat.S_ISREG(info.st_mode):
                raise NotARegularFileError(f"{path!r} is not a regular file (a FIFO, socket or device)")
            fd = _open_at(name, _FILE_FLAGS, stack[-1], path)
            if not stat.S_ISREG(os.fstat(fd).st_mode):  # swapped between the stat and the open
                os.close(fd)
                raise NotARegularFileError(f"{path!r} changed while it was opened; try again")
            return Opened(fd, "/".join([*names, name]), is_dir=False)
        return Opened(stack.pop(), "/".join(names) or ".", is_dir=True)
    finally:
        for fd in stack:
            os.close(fd)


def regular_files(dir_fd: int, limit: int, *, max_depth: int = 64) -> Iterator[tuple[str, bytes]]:
    """Every regular file under the directory ``dir_fd``, as (path relative to it, its first ``limit`` bytes).

    Files of a directory come first (sorted), then its subdirectories, each
    opened relative to its parent with ``O_NOFOLLOW``. Symlinks, FIFOs,
    sockets and devices are skipped without being opened.
    """
    with os.scandir(dir_fd) as it:
        entries = sorted(it, key=lambda e: e.name)
    subdirs = []
    for entry in entries:
        try:
            mode = entry.stat(follow_symlinks=False).st_mode
        except OSError:
            continue
        if stat.S_ISDIR(mode):
            subdirs.append(entry.name)
        elif stat.S_ISREG(mode):
            data = _read_regular_at(entry.name, dir_fd, limit)
            if data is not None:
                yield entry.name, data
    if max_depth <= 0:
        return
    for name in subdirs:
        try:
            child = os.open(name, _DIR_FLAGS, dir_fd=dir_fd)
        except OSError:  # gone, or swapped for a symlink
            continue
        try:
            for relative, data in regular_files(child, limit, max_depth=max_depth - 1):
                yield f"{name}/{relative}", data
        finally:
            os.close(child)


def _read_regular_at(name: str, dir_fd: int, limit: int) -> Optional[bytes]:
    try:
        fd = os.open(name, _FILE_FLAGS, dir_fd=dir_fd)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # swapped since the directory was listed
            return None
        try:
            return f.read(limit)
        except OSError:
            return None


def _open_at(name: str, flags: int, dir_fd: int, path: str) -> int:
    try:
        return os.open(name, flags, dir_fd=dir_fd)
    except OSError as exc:  # O_NOFOLLOW met a symlink, O_DIRECTORY a file: swapped since the stat
        if exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.ENOENT):
            raise PathChangedError(f"{path!r} changed while it was opened; try again") from None
        raise


def _under(target: str, prefixes: set[str]) -> Union[str, None]:
    """``target`` relative to the first of ``prefixes`` it lies under (textually), else None."""
    for prefix in prefixes:
        if target == prefix:
            return "."
        if target.startswith(prefix.rstrip("/") + "/"):
            return target[len(prefix.rstrip("/")) + 1:]
    return None
