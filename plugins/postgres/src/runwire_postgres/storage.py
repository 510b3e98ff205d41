"""``PostgresStorage``: runwire's SQL storage on PostgreSQL with psycopg 3."""

from __future__ import annotations

import asyncio
import re
import weakref
from typing import Any, Callable, Optional, Sequence

from psycopg.types.json import set_json_loads
from psycopg_pool import AsyncConnectionPool

from runwire.storage.sql import Op, SQLStorage

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


async def _configure(conn: Any) -> None:
    """JSON columns come back as text: runwire's storage codec decodes them (and its escapes) itself."""
    set_json_loads(_as_text, conn)


def _as_text(data: Any) -> str:
    return data.decode("utf-8") if isinstance(data, (bytes, bytearray, memoryview)) else data


class PostgresStorage(SQLStorage):
    """Sessions, runs, event logs and memories in PostgreSQL (``schema`` defaults to ``public``).

    A connection pool is kept per event loop, so sync ``agent.run()`` and async
    code in the same process can share one storage object. Event-log appends are
    committed with ``synchronous_commit off`` (they survive the death of the
    runwire process, which is what runwire promises; a crash of the database
    server may lose its last fraction of a second of events); run rows, claims and
    session state always wait for the disk. ``synchronous_events=True`` makes
    appends wait too.
    """

    json_type = "JSONB"

    def __init__(self, url: str, *, schema: Optional[str] = None, min_size: int = 1, max_size: int = 10,
                 synchronous_events: bool = False) -> None:
        super().__init__()
        if schema is not None and not _IDENT.match(schema):
            raise ValueError(f"schema must be a plain identifier, got {schema!r}")
        self.url = url.replace("postgresql+psycopg://", "postgresql://", 1)
        self.schema = schema
        self.min_size = min_size
        self.max_size = max_size
        self.synchronous_events = synchronous_events  # True: every event-log append waits for the disk too
        self._pools: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, AsyncConnectionPool]" = weakref.WeakKeyDictionary()

    def __repr__(self) -> str:
        from runwire.utils.redact import redact

        return f"PostgresStorage({redact(self.url)!r})"

    async def _pool(self) -> AsyncConnectionPool:
        loop = asyncio.get_running_loop()
        pool = self._pools.get(loop)
        if pool is None:
            kwargs: dict[str, Any] = {"autocommit": True}
            if self.schema:
                kwargs["options"] = f"-c search_path={self.schema}"
            pool = AsyncConnectionPool(self.url, min_size=self.min_size, max_size=self.max_size, kwargs=kwargs,
                                       open=False, configure=_configure)
            await pool.open(wait=True, timeout=30)
            self._pools[loop] = pool
        return pool

    @staticmethod
    def _sql(sql: str) -> str:
        return sql.replace("?", "%s")

    async def _run(self, sql: str, params: Sequence[Any] = ()) -> None:
        async with (await self._pool()).connection() as conn:
            await conn.execute(self._sql(sql), tuple(params))

    async def _write(self, ops: Sequence[Op], *, durable: bool = True) -> list[int]:
        counts = []
        async with (await self._pool()).connection() as conn:
            async with conn.transaction():
                async with conn.cursor() as cur:
                    if not durable and not self.synchronous_events:
                        # acknowledged once in the server's WAL buffer: safe when *this* process dies (the
                        # guarantee runwire gives); a crash of the database server itself may lose the last
                        # fraction of a second of events, never the final record of a run
                        await cur.execute("SET LOCAL synchronous_commit TO OFF")
                    for sql, rows in ops:
                        if len(rows) == 1:
                            await cur.execute(self._sql(sql), tuple(rows[0]))
                            counts.append(cur.rowcount)
                        else:
                            await cur.executemany(self._sql(sql), [tuple(r) for r in rows])
                            counts.append(len(rows))
        return counts

    async def _locked(self, select: str, params: Sequence[Any],
                      decide: Callable[[list[tuple[Any, ...]]], Sequence[Op]]) -> None:
        async with (await self._pool()).connection() as conn:
            async with conn.transaction():
                cur = await conn.execute(self._sql(select) + " FOR UPDATE", tuple(params))
                rows = list(await cur.fetchall())
                for sql, rows_ in decide(rows):
                    for row in rows_:
                        await conn.execute(self._sql(sql), tuple(row))

    async def _fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        async with (await self._pool()).connection() as conn:
            cur = await conn.execute(self._sql(sql), tuple(params))
            return list(await cur.fetchall())

    async def _schema_version(self) -> Optional[int]:
        async with (await self._pool()).connection() as conn:
            async with conn.transaction():  # other processes may be starting too
                await conn.execute("SELECT pg_advisory_xact_lock(hashtext('runwire_schema'))")
                if self.schema:
                    await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {self.schema}")
                await conn.execute("CREATE TABLE IF NOT EXISTS runwire_schema (version INTEGER NOT NULL)")
                cur = await conn.execute("SELECT MAX(version) FROM runwire_schema")
                row = await cur.fetchone()
                return row[0] if row else None

    async def _migrate(self, current: Optional[int], statements: list[str], version: int) -> None:
        async with (await self._pool()).connection() as conn:
            async with conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock(hashtext('runwire_schema'))")
                cur = await conn.execute("SELECT MAX(version) FROM runwire_schema")
                row = await cur.fetchone()
                if row and row[0] is not None and row[0] >= version:
                    return
                for statement in statements:
                    await conn.execute(statement)
                await conn.execute("INSERT INTO runwire_schema (version) VALUES (%s)", (version,))

    async def aclose(self) -> None:
        pools = list(self._pools.items())
        self._pools.clear()
        for loop, pool in pools:
            if loop is asyncio.get_running_loop():
                await pool.close()
