"""Storage on SQL: the schema, its migrations and every query, shared by SQLite and PostgreSQL.

A backend supplies four primitives (run, fetch, run a migration in one
transaction, and its JSON column type); queries are written with ``?``
placeholders, which a backend may rewrite.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from abc import abstractmethod
from typing import Any, Callable, Optional, Sequence

from runwire.run.output import RunOutput, RunStatus
from runwire.storage.base import CLAIMABLE, SchemaVersionError, Session, Storage, UserMemory
from runwire.storage.compact import compact, compact_event, expand_event
from runwire.storage.jsoncodec import dumps as _dump
from runwire.storage.jsoncodec import escape_text, unescape_text
from runwire.storage.jsoncodec import loads as _load

SCHEMA_VERSION = 3

Op = tuple[str, Sequence[Sequence[Any]]]  # a statement and the parameter rows to run it with


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
        [  # 2: liveness of running runs (owner process, lease) and versioned session state
            "ALTER TABLE runwire_runs ADD COLUMN IF NOT EXISTS owner TEXT",
            "ALTER TABLE runwire_runs ADD COLUMN IF NOT EXISTS lease_until DOUBLE PRECISION",
            "ALTER TABLE runwire_sessions ADD COLUMN IF NOT EXISTS state_version INTEGER NOT NULL DEFAULT 0",
            "CREATE INDEX IF NOT EXISTS runwire_runs_status ON runwire_runs (status)",
        ],
        # 3: runs and events are stored compacted (runwire.storage.compact): no DDL, but a runwire older than
        # this must not read them, and the version says so
        [],
    ]


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
    async def _locked(self, select: str, params: Sequence[Any],
                      decide: Callable[[list[tuple[Any, ...]]], Sequence[Op]]) -> None:
        """In one transaction: read ``select``'s rows, locking them against other writers until the end, then
        run the statements ``decide(rows)`` returns."""

    @abstractmethod
    async def _write(self, ops: Sequence[Op], *, durable: bool = True) -> list[int]:
        """Run every statement of ``ops`` with each of its parameter rows, all in one transaction;
        returns the number of rows each op changed. ``durable=False`` allows a backend to acknowledge the
        commit before it reaches disk (it still survives the death of *this* process): event-log appends."""

    async def _append(self, ops: Sequence[Op], *, durable: bool = True) -> None:
        """``_write`` for a run's records (its events and row), whose row counts nobody reads: a backend may
        commit several runs' appends in one transaction (each run's all or nothing, as with ``_write``)."""
        await self._write(ops, durable=durable)

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
        await self._write([(
            "INSERT INTO runwire_sessions (session_id, user_id, agent_id, session_state, created_at, updated_at, "
            "state_version) VALUES (?, ?, ?, ?, ?, ?, 0) ON CONFLICT (session_id) DO UPDATE SET "
            "user_id = COALESCE(excluded.user_id, runwire_sessions.user_id), "
            "agent_id = COALESCE(excluded.agent_id, runwire_sessions.agent_id), "
            "session_state = excluded.session_state, state_version = runwire_sessions.state_version + 1, "
            "updated_at = excluded.updated_at",
            [self._session_row(session)],
        )])

    async def ensure_session(self, session: Session) -> None:
        await self._ensure()
        await self._write([self._ensure_session_op(session)])

    def _ensure_session_op(self, session: Session) -> Op:
        return ("INSERT INTO runwire_sessions (session_id, user_id, agent_id, session_state, created_at, updated_at, "
                "state_version) VALUES (?, ?, ?, ?, ?, ?, 0) ON CONFLICT (session_id) DO NOTHING",
                [self._session_row(session)])

    def _session_row(self, session: Session) -> tuple[Any, ...]:
        return (escape_text(session.session_id), escape_text(session.user_id), escape_text(session.agent_id),
                _dump(session.session_state), session.created_at, time.time())

    def _session(self, row: tuple[Any, ...]) -> Session:
        return Session(session_id=unescape_text(row[0]), user_id=unescape_text(row[1]), agent_id=unescape_text(row[2]),
                       session_state=_load(row[3]) or {}, created_at=row[4], updated_at=row[5])

    async def get_session(self, session_id: str, *, with_runs: bool = True) -> Optional[Session]:
        await self._ensure()
        rows = await self._fetch(
            "SELECT session_id, user_id, agent_id, session_state, created_at, updated_at FROM runwire_sessions "
            "WHERE session_id = ?", (escape_text(session_id),))
        if not rows:
            return None
        session = self._session(rows[0])
        if with_runs:
            session.runs = await self.list_runs(session_id)
        return session

    async def delete_session(self, session_id: str) -> None:
        await self._ensure()
        sid = escape_text(session_id)
        runs = "SELECT run_id FROM runwire_runs WHERE session_id = ?"
        await self._run(f"DELETE FROM runwire_events WHERE session_id = ? OR run_id IN ({runs})", (sid, sid))
        await self._run("DELETE FROM runwire_runs WHERE session_id = ?", (sid,))
        await self._run("DELETE FROM runwire_sessions WHERE session_id = ?", (sid,))

    async def list_sessions(self, user_id: Optional[str] = None, limit: int = 100) -> list[Session]:
        await self._ensure()
        where, params = ("WHERE user_id = ?", [escape_text(user_id)]) if user_id is not None else ("", [])
        rows = await self._fetch(
            "SELECT session_id, user_id, agent_id, session_state, created_at, updated_at FROM runwire_sessions "
            f"{where} ORDER BY updated_at DESC LIMIT ?", (*params, limit))
        return [self._session(r) for r in rows]

    async def update_session_state(self, session: Session, update: Callable[[dict[str, Any]], Any]) -> dict[str, Any]:
        """Apply ``update`` to the stored state inside one transaction that locks the session's row,
        so concurrent updates queue up instead of overwriting each other; returns the new state."""
        await self._ensure()
        await self.ensure_session(Session(session.session_id, session.user_id, session.agent_id, {}))
        sid = escape_text(session.session_id)
        result: dict[str, Any] = {}

        def decide(rows: list[tuple[Any, ...]]) -> list[Op]:
            state = _load(rows[0][0]) or {}
            update(state)
            result.update(state)
            return [("UPDATE runwire_sessions SET session_state = ?, state_version = state_version + 1, "
                     "updated_at = ? WHERE session_id = ?", [(_dump(state), time.time(), sid)])]

        await self._locked("SELECT session_state FROM runwire_sessions WHERE session_id = ?", (sid,), decide)
        return result

    # -- runs --------------------------------------------------------------------
    _RUN_UPSERT = (
        "INSERT INTO runwire_runs (run_id, session_id, user_id, agent_id, status, created_at, updated_at, data, "
        "owner, lease_until) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id) DO UPDATE SET "
        "status = excluded.status, updated_at = excluded.updated_at, data = excluded.data, "
        "owner = excluded.owner, lease_until = excluded.lease_until"
    )

    def _run_row(self, run: RunOutput, owner: Optional[str], lease_until: Optional[float],
                 data: Optional[dict[str, Any]] = None) -> tuple[Any, ...]:
        if data is None:
            data = run.to_json_dict()
            data.pop("events", None)
        messages = data.get("messages")
        if messages and any(isinstance(m, dict) and m.get("from_history") for m in messages):
            # history is a copy of earlier runs' messages: not stored again with every run (it is rebuilt from
            # those runs when this one is continued), so a session's size grows with its runs, not their square
            data = {**data, "messages": [m for m in messages if not (isinstance(m, dict) and m.get("from_history"))]}
        return (escape_text(run.run_id), escape_text(run.session_id), escape_text(run.user_id),
                escape_text(run.agent_id), str(data.get("status") or run.status), run.created_at, time.time(),
                _dump(compact(RunOutput, data)), owner, lease_until)

    async def save_run(self, run: RunOutput) -> None:
        await self.save_run_state(run)

    async def save_run_state(self, run: RunOutput, events: Sequence[dict[str, Any]] = (), start_seq: int = 0, *,
                             owner: Optional[str] = None, lease_until: Optional[float] = None,
                             data: Optional[dict[str, Any]] = None, durable: bool = True,
                             session: Optional[Session] = None) -> None:
        """Append ``events`` and write the run's row (``data``: a snapshot of it), in one transaction."""
        await self._ensure()
        ops: list[Op] = [self._ensure_session_op(session)] if session is not None else []
        if events:
            ops.append(self._events_op(run.run_id, run.session_id, start_seq, events))
        ops.append((self._RUN_UPSERT, [self._run_row(run, owner, lease_until, data)]))
        await self._append(ops, durable=durable)

    async def claim_run(self, run_id: str, *, owner: Optional[str] = None, lease_until: Optional[float] = None,
                        from_statuses: Sequence[str] = CLAIMABLE, to_status: str = "running") -> Optional[str]:
        await self._ensure()
        marks = ", ".join("?" for _ in from_statuses)
        changed = await self._write([(
            f"UPDATE runwire_runs SET status = ?, owner = ?, lease_until = ?, updated_at = ? "
            f"WHERE run_id = ? AND status IN ({marks})",
            [(to_status, owner, lease_until, time.time(), escape_text(run_id), *from_statuses)],
        )])
        if changed[0]:
            return None
        rows = await self._fetch("SELECT status FROM runwire_runs WHERE run_id = ?", (escape_text(run_id),))
        return rows[0][0] if rows else "missing"

    async def renew_lease(self, run_id: str, owner: str, lease_until: float) -> Optional[bool]:
        changed = await self._write([("UPDATE runwire_runs SET lease_until = ? WHERE run_id = ? AND owner = ? "
                                      "AND status = ?", [(lease_until, escape_text(run_id), owner,
                                                          str(RunStatus.running))])])
        return bool(changed[0])

    async def list_live_runs(self) -> list[tuple[str, Optional[str], Optional[float]]]:
        """Runs stored as running: (run_id, owner, lease_until)."""
        await self._ensure()
        rows = await self._fetch("SELECT run_id, owner, lease_until FROM runwire_runs WHERE status = ?",
                                 (str(RunStatus.running),))
        return [(unescape_text(r[0]), r[1], r[2]) for r in rows]

    async def mark_interrupted(self, run_id: str, owner: Optional[str], expired_before: Optional[float] = None) -> bool:
        await self._ensure()
        sql = "UPDATE runwire_runs SET status = ?, updated_at = ? WHERE run_id = ? AND status = ? AND "
        params: list[Any] = [str(RunStatus.interrupted), time.time(), escape_text(run_id), str(RunStatus.running)]
        if owner is None:
            sql += "owner IS NULL"
        else:
            sql += "owner = ?"
            params.append(owner)
        if expired_before is not None:  # judged by its lease: not if it was renewed since it was read
            sql += " AND (lease_until IS NULL OR lease_until < ?)"
            params.append(expired_before)
        changed = await self._write([(sql, [tuple(params)])])
        return bool(changed[0])

    async def get_run(self, run_id: str, session_id: Optional[str] = None, *, with_events: bool = True) -> Optional[RunOutput]:
        await self._ensure()
        sql = "SELECT data, status FROM runwire_runs WHERE run_id = ?"
        params: list[Any] = [escape_text(run_id)]
        if session_id is not None:
            sql += " AND session_id = ?"
            params.append(escape_text(session_id))
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

    async def list_runs(self, session_id: str, *, last: Optional[int] = None, status: Optional[str] = None,
                        before: Optional[float] = None) -> list[RunOutput]:
        await self._ensure()
        sql = "SELECT data, status FROM runwire_runs WHERE session_id = ?"
        params: list[Any] = [escape_text(session_id)]
        if status is not None:
            sql += " AND status = ?"
            params.append(status)
        if before is not None:
            sql += " AND created_at < ?"
            params.append(before)
        sql += " ORDER BY created_at DESC"
        if last is not None:
            sql += " LIMIT ?"
            params.append(last)
        rows = await self._fetch(sql, params)
        return [self._run_output(r) for r in reversed(rows)]

    # -- events ------------------------------------------------------------------
    def _events_op(self, run_id: str, session_id: Optional[str], start_seq: int,
                   events: Sequence[dict[str, Any]]) -> Op:
        rid, sid = escape_text(run_id), escape_text(session_id)
        return (
            "INSERT INTO runwire_events (run_id, seq, session_id, event, created_at, data) VALUES (?, ?, ?, ?, ?, ?)",
            [(rid, start_seq + i, sid, escape_text(e.get("event")), e.get("created_at"),
              _dump(compact_event(e, run_id, session_id))) for i, e in enumerate(events)],
        )

    async def append_events(self, run_id: str, session_id: Optional[str], start_seq: int, events: list[dict[str, Any]]) -> None:
        if not events:
            return
        await self._ensure()
        await self._append([self._events_op(run_id, session_id, start_seq, events)], durable=False)

    async def get_events(self, run_id: str) -> list[dict[str, Any]]:
        return [event for _, event in await self.read_events(run_id)]

    async def read_events(self, run_id: str, after: int = -1) -> list[tuple[int, dict[str, Any]]]:
        await self._ensure()
        rows = await self._fetch("SELECT seq, data, event, created_at, session_id FROM runwire_events "
                                 "WHERE run_id = ? AND seq > ? ORDER BY seq", (escape_text(run_id), after))
        return [(int(r[0]), expand_event(_load(r[1]), unescape_text(r[2]), r[3], run_id, unescape_text(r[4])))
                for r in rows]

    async def next_event_seq(self, run_id: str) -> int:
        await self._ensure()
        rows = await self._fetch("SELECT MAX(seq) FROM runwire_events WHERE run_id = ?", (escape_text(run_id),))
        return 0 if not rows or rows[0][0] is None else int(rows[0][0]) + 1

    # -- memories ----------------------------------------------------------------
    async def get_memories(self, user_id: Optional[str]) -> list[UserMemory]:
        await self._ensure()
        rows = await self._fetch(
            "SELECT memory_id, user_id, memory, topics, created_at, updated_at FROM runwire_memories "
            "WHERE user_id = ? ORDER BY created_at", (escape_text(user_id),))
        return [UserMemory(memory_id=r[0], user_id=unescape_text(r[1]), memory=unescape_text(r[2]),
                           topics=_load(r[3]) or [], created_at=r[4], updated_at=r[5]) for r in rows]

    async def upsert_memory(self, memory: UserMemory) -> None:
        await self._ensure()
        await self._run(
            "INSERT INTO runwire_memories (memory_id, user_id, memory, topics, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (memory_id) DO UPDATE SET memory = excluded.memory, "
            "topics = excluded.topics, updated_at = excluded.updated_at",
            (escape_text(memory.memory_id), escape_text(memory.user_id), escape_text(memory.memory),
             _dump(memory.topics), memory.created_at, time.time()),
        )

    async def delete_memory(self, memory_id: str) -> None:
        await self._ensure()
        await self._run("DELETE FROM runwire_memories WHERE memory_id = ?", (escape_text(memory_id),))
