"""Storage on SQL: the schema, its migrations and every query, shared by SQLite and PostgreSQL.

A backend supplies four primitives (run, fetch, run a migration in one
transaction, and its JSON column type); queries are written with ``?``
placeholders, which a backend may rewrite.
"""

from __future__ import annotations

import asyncio
import json
import time
import weakref
from abc import abstractmethod
from typing import Any, Optional, Sequence

from runwire.run.output import RunOutput
from runwire.storage.base import SchemaVersionError, Session, Storage, UserMemory

SCHEMA_VERSION = 1


def migrations(json_type: str) -> list[list[str]]:
    """Statements that take the schema from version N to N+1 (index N)."""
    return [
        [
            "CREATE TABLE IF NOT EXISTS runwire_sessions (session_id TEXT PRIMARY KEY, user_id TEXT, agent_id TEXT, "
            f"session_state {json_type}, created_at DOUBLE PRECISION, updated_at DOUBLE PRECISION)",
            "CREATE INDEX IF NOT EXISTS runwire_sessions_user ON runwire_sessions (user_id, updated_at)",
            "CREATE TABLE IF NOT EXISTS runwire_runs (run_id TEXT PRIMARY KEY, session_id TEXT, user_id TEXT, "
            f"agent_id TEXT, status TEXT, created_at DOUBLE PRECISION, updated_at DOUBLE PRECISION, data {json_type})",
            "CREATE INDEX IF NOT EXISTS runwire_runs_session ON runwire_runs (session_id, created_at)",
            "CREATE TABLE IF NOT EXISTS runwire_events (run_id TEXT NOT NULL, seq INTEGER NOT NULL, session_id TEXT, "
            f"event TEXT, created_at DOUBLE PRECISION, data {json_type}, PRIMARY KEY (run_id, seq))",
            "CREATE TABLE IF NOT EXISTS runwire_memories (memory_id TEXT PRIMARY KEY, user_id TEXT, memory TEXT, "
            f"topics {json_type}, created_at DOUBLE PRECISION, updated_at DOUBLE PRECISION)",
            "CREATE INDEX IF NOT EXISTS runwire_memories_user ON runwire_memories (user_id, created_at)",
        ],
    ]


def _dump(value: Any) -> str:
    return json.dumps(value, default=str)


def _load(value: Any) -> Any:
    return json.loads(value) if isinstance(value, (str, bytes)) else value


class SQLStorage(Storage):
    """The queries; subclasses provide the connection."""

    json_type = "TEXT"

    def __init__(self) -> None:
        self._ready = False
        self._setup_locks: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock]" = weakref.WeakKeyDictionary()

    # -- primitives a backend implements -----------------------------------
    @abstractmethod
    async def _run(self, sql: str, params: Sequence[Any] = ()) -> None: ...

    @abstractmethod
    async def _fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    @abstractmethod
    async def _migrate(self, current: Optional[int], statements: list[str], version: int) -> None:
        """Run ``statements`` and record ``version``, all in one transaction, guarded against
        another process migrating at the same time."""

    @abstractmethod
    async def _schema_version(self) -> Optional[int]: ...

    # -- schema --------------------------------------------------------------
    async def setup(self) -> None:
        if self._ready:
            return
        current = await self._schema_version()
        if current is not None and current > SCHEMA_VERSION:
            raise SchemaVersionError(
                f"this database has runwire schema version {current}, newer than this runwire knows "
                f"({SCHEMA_VERSION}); upgrade runwire (pip install -U runwire) to open it. Nothing was changed."
            )
        steps = migrations(self.json_type)
        for version in range((current or 0) + 1, SCHEMA_VERSION + 1):
            await self._migrate(current, steps[version - 1], version)
            current = version
        self._ready = True

    async def _ensure(self) -> None:
        if self._ready:
            return
        lock = self._setup_locks.setdefault(asyncio.get_running_loop(), asyncio.Lock())
        async with lock:  # concurrent first runs set the schema up once
            if not self._ready:
                await self.setup()

    # -- sessions --------------------------------------------------------------
    async def upsert_session(self, session: Session) -> None:
        await self._ensure()
        await self._run(
            "INSERT INTO runwire_sessions (session_id, user_id, agent_id, session_state, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (session_id) DO UPDATE SET "
            "user_id = COALESCE(excluded.user_id, runwire_sessions.user_id), "
            "agent_id = COALESCE(excluded.agent_id, runwire_sessions.agent_id), "
            "session_state = excluded.session_state, updated_at = excluded.updated_at",
            (session.session_id, session.user_id, session.agent_id, _dump(session.session_state),
             session.created_at, time.time()),
        )

    def _session(self, row: tuple[Any, ...]) -> Session:
        return Session(session_id=row[0], user_id=row[1], agent_id=row[2], session_state=_load(row[3]) or {},
                       created_at=row[4], updated_at=row[5])

    async def get_session(self, session_id: str, *, with_runs: bool = True) -> Optional[Session]:
        await self._ensure()
        rows = await self._fetch(
            "SELECT session_id, user_id, agent_id, session_state, created_at, updated_at FROM runwire_sessions "
            "WHERE session_id = ?", (session_id,))
        if not rows:
            return None
        session = self._session(rows[0])
        if with_runs:
            session.runs = await self.list_runs(session_id)
        return session

    async def list_sessions(self, user_id: Optional[str] = None, limit: int = 100) -> list[Session]:
        await self._ensure()
        where, params = ("WHERE user_id = ?", [user_id]) if user_id is not None else ("", [])
        rows = await self._fetch(
            "SELECT session_id, user_id, agent_id, session_state, created_at, updated_at FROM runwire_sessions "
            f"{where} ORDER BY updated_at DESC LIMIT ?", (*params, limit))
        return [self._session(r) for r in rows]

    # -- runs --------------------------------------------------------------------
    async def save_run(self, run: RunOutput) -> None:
        await self._ensure()
        data = run.to_dict()
        data.pop("events", None)
        await self._run(
            "INSERT INTO runwire_runs (run_id, session_id, user_id, agent_id, status, created_at, updated_at, data) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id) DO UPDATE SET status = excluded.status, "
            "updated_at = excluded.updated_at, data = excluded.data",
            (run.run_id, run.session_id, run.user_id, run.agent_id, str(run.status), run.created_at, time.time(),
             _dump(data)),
        )

    async def get_run(self, run_id: str, session_id: Optional[str] = None, *, with_events: bool = True) -> Optional[RunOutput]:
        await self._ensure()
        sql = "SELECT data, status FROM runwire_runs WHERE run_id = ?"
        params: list[Any] = [run_id]
        if session_id is not None:
            sql += " AND session_id = ?"
            params.append(session_id)
        rows = await self._fetch(sql, params)
        if not rows:
            return None
        run = self._run_output(rows[0])
        if with_events:
            from runwire.run.events import run_output_event_from_dict

            run.events = [run_output_event_from_dict(e) for e in await self.get_events(run_id)]
        return run

    def _run_output(self, row: tuple[Any, ...]) -> RunOutput:
        data = _load(row[0])
        data["status"] = row[1]
        return RunOutput.from_dict(data)

    async def list_runs(self, session_id: str, *, last: Optional[int] = None, status: Optional[str] = None) -> list[RunOutput]:
        await self._ensure()
        sql = "SELECT data, status FROM runwire_runs WHERE session_id = ?"
        params: list[Any] = [session_id]
        if status is not None:
            sql += " AND status = ?"
            params.append(status)
        sql += " ORDER BY created_at DESC"
        if last is not None:
            sql += " LIMIT ?"
            params.append(last)
        rows = await self._fetch(sql, params)
        return [self._run_output(r) for r in reversed(rows)]

    # -- events ------------------------------------------------------------------
    async def append_events(self, run_id: str, session_id: Optional[str], start_seq: int, events: list[dict[str, Any]]) -> None:
        if not events:
            return
        await self._ensure()
        await self._run_many(
            "INSERT INTO runwire_events (run_id, seq, session_id, event, created_at, data) VALUES (?, ?, ?, ?, ?, ?)",
            [(run_id, start_seq + i, session_id, e.get("event"), e.get("created_at"), _dump(e)) for i, e in enumerate(events)],
        )

    async def _run_many(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        for row in rows:
            await self._run(sql, row)

    async def get_events(self, run_id: str) -> list[dict[str, Any]]:
        await self._ensure()
        rows = await self._fetch("SELECT data FROM runwire_events WHERE run_id = ? ORDER BY seq", (run_id,))
        return [_load(r[0]) for r in rows]

    async def next_event_seq(self, run_id: str) -> int:
        await self._ensure()
        rows = await self._fetch("SELECT MAX(seq) FROM runwire_events WHERE run_id = ?", (run_id,))
        return 0 if not rows or rows[0][0] is None else int(rows[0][0]) + 1

    # -- memories ----------------------------------------------------------------
    async def get_memories(self, user_id: Optional[str]) -> list[UserMemory]:
        await self._ensure()
        rows = await self._fetch(
            "SELECT memory_id, user_id, memory, topics, created_at, updated_at FROM runwire_memories "
            "WHERE user_id = ? ORDER BY created_at", (user_id,))
        return [UserMemory(memory_id=r[0], user_id=r[1], memory=r[2], topics=_load(r[3]) or [], created_at=r[4],
                           updated_at=r[5]) for r in rows]

    async def upsert_memory(self, memory: UserMemory) -> None:
        await self._ensure()
        await self._run(
            "INSERT INTO runwire_memories (memory_id, user_id, memory, topics, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (memory_id) DO UPDATE SET memory = excluded.memory, "
            "topics = excluded.topics, updated_at = excluded.updated_at",
            (memory.memory_id, memory.user_id, memory.memory, _dump(memory.topics), memory.created_at, time.time()),
        )

    async def delete_memory(self, memory_id: str) -> None:
        await self._ensure()
        await self._run("DELETE FROM runwire_memories WHERE memory_id = ?", (memory_id,))
