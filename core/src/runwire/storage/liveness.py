"""Which process runs a run, and whether that process is still alive.

A running run's row names its owner (``host:pid:start``) and carries a lease
(``lease_until``, renewed while the run is live). A run is dead when its owner
is a process of this host that no longer exists (or a new process reusing its
pid), or when its lease has expired. :func:`recover_runs` marks dead runs
``interrupted``; they can then be continued (from their last checkpoint:
completed tools are not run again) or cancelled.
"""

from __future__ import annotations

import os
import socket
import time
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    from runwire.storage.base import Storage

LEASE_SECONDS = float(os.environ.get("RUNWIRE_RUN_LEASE", "60"))
_owner: Optional[tuple[int, str]] = None


def _start_time(pid: int) -> Optional[str]:
    """The process's start time in clock ticks since boot (Linux), telling a pid's reuse apart."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read().decode("ascii", "replace")
    except OSError:
        return None
    return stat.rsplit(")", 1)[-1].split()[19]  # field 22 of stat; fields after the command name start at 3


def _pid_namespace() -> str:
    """This process's pid namespace (containers sharing a host name have different ones)."""
    try:
        return str(os.stat("/proc/self/ns/pid").st_ino)
    except OSError:
        return "?"


def process_owner() -> str:
    """This process as a run owner: ``host:pid:start``."""
    global _owner
    pid = os.getpid()
    if _owner is None or _owner[0] != pid:  # a forked child is another owner
        _owner = (pid, f"{socket.gethostname()}:{pid}:{_start_time(pid) or '?'}:{_pid_namespace()}")
    return _owner[1]


def lease_deadline() -> float:
    return time.time() + LEASE_SECONDS


def owner_alive(owner: Optional[str]) -> Optional[bool]:
    """True/False for an owner on this host; None when it cannot be told from here (another host)."""
    if not owner:
        return False
    host, _, rest = owner.partition(":")
    if host != socket.gethostname():
        return None
    pid_text, _, start = rest.partition(":")
    start, _, namespace = start.partition(":")
    if namespace and namespace != "?" and namespace != _pid_namespace():
        return None  # another container with our host name: its pids are not ours to check
    try:
        pid = int(pid_text)
    except ValueError:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, owned by someone else
    current = _start_time(pid)
    return current is None or start in ("?", current)


async def recover_runs(storage: "Storage", *, now: Optional[float] = None) -> list[str]:
    """Mark every run whose process is dead ``interrupted``; returns their ids.

    A run counts as dead when its owner is a vanished process of this host, or
    when its lease expired (owners on other hosts). Safe to call from many
    processes at once: each run is marked by one compare-and-set.
    """
    now = time.time() if now is None else now
    recovered = []
    for run_id, owner, lease_until in await storage.list_live_runs():
        alive = owner_alive(owner)
        by_lease = alive is None
        if by_lease:
            alive = lease_until is not None and lease_until > now
        if not alive and await storage.mark_interrupted(run_id, owner, expired_before=now if by_lease else None):
            recovered.append(run_id)
    return recovered
