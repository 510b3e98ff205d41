"""SQLite storage (stdlib ``sqlite3``): the embedded default, ``Agent(db="sqlite:///runwire.db")``.

One connection per storage object, used from a worker thread under a lock;
WAL mode and a busy timeout let several processes share the file.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Optional, Sequence, Union

from runwire.storage.sql import Op, SQLStorage


def path_from_url(url: str) -> str:
    """``sqlite:///relative.db``, ``sqlite:////abs/path.db``, ``sqlite://:memory:`` or a plain path."""
    if url.startswith("sqlite://"):
        rest = url[len("sqlite://"):]
        if rest.startswith("/"):
            rest = rest[1:]
        return rest or ":memory:"
    return url


_ADD_COLUMN = re.compile(r"ALTER TABLE (\w+) ADD COLUMN IF NOT EXISTS (\w+) (.*)", re.S)


def _execute_ddl(conn: sqlite3.Connection, statement: str) -> None:
    """Run a schema statement; SQLite has no ``ADD COLUMN IF NOT EXISTS``, so that one is checked first."""
    match = _ADD_COLUMN.fullmatch(statement)
    if match is None:
        conn.execute(statement)
        return
    table, column, definition = match.groups()
    if column not in {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}:
        conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")


class SqliteStorage(SQLStorage):
    """Runs, events, sessions and memories in one SQLite file."""

    def __init__(self, url_or_path: Union[str, Path] = "runwire.db", *, timeout: float = 30.0) -> None:
        super().__init__()
        self.path = path_from_url(str(url_or_path))
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(self.path, timeout=timeout, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="runwire-sqlite")

    def __repr__(self) -> str:
        return f"SqliteStorage({self.path!r})"

    async def _in_thread(self, fn: Any) -> Any:
        """Run ``fn(connection)`` on this storage's own thread: never queued behind tools in the default executor."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._call, fn)

    def _call(self, fn: Any) -> Any:
        with self._lock:
            return fn(self._conn)

    async def _run(self, sql: str, params: Sequence[Any] = ()) -> None:
        await self._in_thread(lambda c: c.execute(sql, tuple(params)))

    async def _write(self, ops: Sequence[Op], *, durable: bool = True) -> list[int]:
        def write(conn: sqlite3.Connection) -> list[int]:
            conn.execute("BEGIN IMMEDIATE")
            try:
                counts = [conn.executemany(sql, [tuple(r) for r in rows]).rowcount for sql, rows in ops]
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            return counts

        result: list[int] = await self._in_thread(write)
        return result

    async def _locked(self, select: str, params: Sequence[Any],
                      decide: Callable[[list[tuple[Any, ...]]], Sequence[Op]]) -> None:
        def locked(conn: sqlite3.Connection) -> None:
            conn.execute("BEGIN IMMEDIATE")  # the database's write lock, held until COMMIT
            try:
                rows = conn.execute(select, tuple(params)).fetchall()
                for sql, rows_ in decide(rows):
                    conn.executemany(sql, [tuple(r) for r in rows_])
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

        await self._in_thread(locked)

    async def _fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = await self._in_thread(lambda c: c.execute(sql, tuple(params)).fetchall())
        return rows

    async def _schema_version(self) -> Optional[int]:
        def read(conn: sqlite3.Connection) -> Optional[int]:
            conn.execute("CREATE TABLE IF NOT EXISTS runwire_schema (version INTEGER NOT NULL)")
            row = conn.execute("SELECT MAX(version) FROM runwire_schema").fetchone()
            return row[0] if row else None

        version: Optional[int] = await self._in_thread(read)
        return version

    async def _migrate(self, current: Optional[int], statements: list[str], version: int) -> None:
        def migrate(conn: sqlite3.Connection) -> None:
            conn.execute("BEGIN IMMEDIATE")  # one migrator at a time across processes
            try:
                row = conn.execute("SELECT MAX(version) FROM runwire_schema").fetchone()
                if row and row[0] is not None and row[0] >= version:
                    conn.execute("ROLLBACK")
                    return
                for statement in statements:
                    _execute_ddl(conn, statement)
                conn.execute("INSERT INTO runwire_schema (version) VALUES (?)", (version,))
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

        await self._in_thread(migrate)

    async def aclose(self) -> None:
        self._call(lambda c: c.close())
        self._executor.shutdown(wait=False)
