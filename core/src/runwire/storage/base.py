"""The storage interface: sessions, runs, their event logs and user memories."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Optional
from uuid import uuid4

from runwire.run.output import RunOutput


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


@dataclass
class UserMemory:
    """Something remembered about a user, kept across sessions."""

    memory: str
    user_id: Optional[str] = None
    memory_id: str = field(default_factory=lambda: uuid4().hex)
    topics: list[str] = field(default_factory=list)
    created_at: float = field(default_factory=time.time)
    updated_at: float = field(default_factory=time.time)


class SchemaVersionError(RuntimeError):
    """The database was written by a newer runwire than this one."""


class Storage(ABC):
    """Where runs live. Every method is async; backends create and migrate their own schema.

    A run is one row, written when it starts and updated when it ends; its
    events are an append-only log written as they happen. Nothing rewrites a
    session's earlier runs.
    """

    @abstractmethod
    async def setup(self) -> None:
        """Create or migrate the schema (idempotent)."""

    @abstractmethod
    async def upsert_session(self, session: Session) -> None: ...

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
    async def list_runs(self, session_id: str, *, last: Optional[int] = None, status: Optional[str] = None) -> list[RunOutput]:
        """The session's runs, oldest first (the ``last`` N when given)."""

    @abstractmethod
    async def append_events(self, run_id: str, session_id: Optional[str], start_seq: int, events: list[dict[str, Any]]) -> None:
        """Append events to the run's log at sequence numbers ``start_seq``, ``start_seq + 1``, ..."""

    @abstractmethod
    async def get_events(self, run_id: str) -> list[dict[str, Any]]: ...

    @abstractmethod
    async def next_event_seq(self, run_id: str) -> int: ...

    @abstractmethod
    async def get_memories(self, user_id: Optional[str]) -> list[UserMemory]: ...

    @abstractmethod
    async def upsert_memory(self, memory: UserMemory) -> None: ...

    @abstractmethod
    async def delete_memory(self, memory_id: str) -> None: ...

    async def aclose(self) -> None:
        return None
