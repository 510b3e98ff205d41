"""The storage interface: sessions, runs, their event logs and user memories."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Sequence

from runwire._closing import Closeable
from runwire.run.output import RunOutput, RunStatus
from runwire.user_memory import UserMemory as UserMemory  # re-exported: storage's users import it from here

CLAIMABLE = (RunStatus.paused.value, RunStatus.interrupted.value)  # the stored statuses a continue may take over


@dataclass
class Session:
    """A conversation: its runs share ``session_id`` and ``session_state``."""

    session_id: str
    user_id: Optional[str] = None
    agent_id: Optional[str] = None
    session_state: dict[str, Any] = field(default_factory=dict)
    created_at: float = field(default_factory=time.time)
    updated_at: float = field(default_factory=time.time)
    runs: list[RunOutput] = field(default_factory=list)


class SchemaVersionError(RuntimeError):
    """The database was written by a newer runwire than this one."""


class Storage(Closeable, ABC):
    """Where runs live. Every method is async; backends create and migrate their own schema.

    A run is one row, written when it starts and updated when it ends; its
    events are an append-only log written as they happen. Nothing rewrites a
    session's earlier runs.
    """

    #: Merge RunContent chunks in the event log (per model response, or every 64 chunks / 0.25 s).
    #: A server that resumes streams by event seq sets it False: then each event has its own seq.
    coalesce_content: bool = True

    @abstractmethod
    async def setup(self) -> None:
        """Create or migrate the schema (idempotent)."""

    @abstractmethod
    async def upsert_session(self, session: Session) -> None:
        """Write the session, its state included (replacing the stored state)."""

    async def ensure_session(self, session: Session) -> None:
        """Create the session if it does not exist; an existing one is left as it is."""
        if await self.get_session(session.session_id, with_runs=False) is None:
            await self.upsert_session(session)

    @abstractmethod
    async def get_session(self, session_id: str, *, with_runs: bool = True) -> Optional[Session]: ...

    @abstractmethod
    async def list_sessions(self, user_id: Optional[str] = None, limit: int = 100) -> list[Session]: ...

    @abstractmethod
    async def save_run(self, run: RunOutput) -> None:
        """Insert or update the run's row (everything but its events)."""

    @abstractmethod
    async def get_run(self, run_id: str, session_id: Optional[str] = None, *, with_events: bool = True) -> Optional[RunOutput]: ...

    @abstractmethod
    async def list_runs(self, session_id: str, *, last: Optional[int] = None, status: Optional[str] = None,
                        before: Optional[float] = None) -> list[RunOutput]:
        """The session's runs, oldest first (the ``last`` N when given; only those started before ``before``)."""

    @abstractmethod
    async def append_events(self, run_id: str, session_id: Optional[str], start_seq: int, events: list[dict[str, Any]]) -> None:
        """Append events to the run's log at sequence numbers ``start_seq``, ``start_seq + 1``, ..."""

    @abstractmethod
    async def get_events(self, run_id: str) -> list[dict[str, Any]]: ...

    @abstractmethod
    async def next_event_seq(self, run_id: str) -> int: ...

    async def delete_session(self, session_id: str) -> None:
        """Delete a session with its runs and their event logs."""
        raise NotImplementedError(f"{type(self).__name__} cannot delete sessions: implement delete_session()")

    @abstractmethod
    async def get_memories(self, user_id: Optional[str]) -> list[UserMemory]: ...

    @abstractmethod
    async def upsert_memory(self, memory: UserMemory) -> None: ...

    @abstractmethod
    async def delete_memory(self, memory_id: str) -> None: ...

    # -- run integrity: backends should make these atomic; the defaults below are not ---------------
    async def save_run_state(self, run: RunOutput, events: Sequence[dict[str, Any]] = (), start_seq: int = 0, *,
                             owner: Optional[str] = None, lease_until: Optional[float] = None,
                             data: Optional[dict[str, Any]] = None, durable: bool = True,
                             session: Optional[Session] = None) -> None:
        """Append ``events`` at ``start_seq`` and write the run's row (one transaction where the backend can).
        ``owner`` names the process running it and ``lease_until`` when it counts as dead if not renewed;
        ``data`` is a snapshot of the row to write instead of the run's current state; ``durable=False``
        lets the database acknowledge before its disk does (still safe when this process dies); ``session``
        is created first if it does not exist."""
        if session is not None:
            await self.ensure_session(session)
        if events:
            await self.append_events(run.run_id, run.session_id, start_seq, list(events))
        await self.save_run(run)

    async def claim_run(self, run_id: str, *, owner: Optional[str] = None, lease_until: Optional[float] = None,
                        from_statuses: Sequence[str] = CLAIMABLE, to_status: str = "running") -> Optional[str]:
        """Set the stored run's status to ``to_status`` if it is one of ``from_statuses``, as one atomic step.
        Returns None when this caller won the claim, else the status found (``"missing"`` for no run)."""
        run = await self.get_run(run_id, with_events=False)
        if run is None:
            return "missing"
        if str(run.status) not in from_statuses:
            return str(run.status)
        run.status = RunStatus(to_status)
        await self.save_run(run)
        return None

    async def update_session_state(self, session: Session, update: Callable[[dict[str, Any]], Any]) -> dict[str, Any]:
        """Apply ``update`` (a pure function that edits the dict it is given) to the stored session state
        atomically and return the new state; create the session if needed."""
        stored = await self.get_session(session.session_id, with_runs=False)
        state = dict(stored.session_state) if stored is not None else {}
        update(state)
        await self.upsert_session(Session(session.session_id, session.user_id, session.agent_id, state))
        return state

    async def renew_lease(self, run_id: str, owner: str, lease_until: float) -> Optional[bool]:
        """Keep a running run's lease (liveness record) fresh; False when the run is no longer ``owner``'s
        (recovered elsewhere), None when the backend cannot tell."""
        return None

    async def list_live_runs(self) -> list[tuple[str, Optional[str], Optional[float]]]:
        """Runs stored as running: (run_id, owner, lease_until)."""
        return []

    async def mark_interrupted(self, run_id: str, owner: Optional[str], expired_before: Optional[float] = None) -> bool:
        """Mark a running run whose owner is ``owner`` as interrupted (its process died)."""
        return False

    async def read_events(self, run_id: str, after: int = -1) -> list[tuple[int, dict[str, Any]]]:
        """The run's stored events after seq ``after``, as (seq, event dict), in order."""
        return [(i, e) for i, e in enumerate(await self.get_events(run_id)) if i > after]

    async def aclose(self) -> None:
        """Close connections and threads (also ``close()``, ``with``, ``async with``)."""
        return None
