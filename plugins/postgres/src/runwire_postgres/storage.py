"""``PostgresStorage``: runwire's SQL storage on PostgreSQL with psycopg 3.

One connection pool per storage object, whatever threads and event loops use
it: the pool lives on the storage's own event loop, in a daemon thread
(``runwire-postgres``), and every query is handed to that loop. A process
therefore holds at most ``max_size`` connections per storage object, however
many threads call sync ``agent.run()``, and a pool never dies with a caller's
loop. ``close()`` / ``aclose()`` (or ``with`` / ``async with``) closes the pool and
stops the thread; a storage object that is garbage-collected, or still open when
the interpreter exits, is closed the same way. A closed storage opens a new pool
if it is used again.
"""

from __future__ import annotations

import asyncio
import collections
import re
import threading
import weakref
from typing import Any, Awaitable, Callable, Optional, Sequence, TypeVar

from dataclasses import dataclass

from psycopg.types.json import set_json_loads
from psycopg_pool import AsyncConnectionPool

from runwire.storage.sql import Op, SQLStorage

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
T = TypeVar("T")


async def _configure(conn: Any) -> None:
    """JSON columns come back as text: runwire's storage codec decodes them (and its escapes) itself."""
    set_json_loads(_as_text, conn)


def _as_text(data: Any) -> str:
    return bytes(data).decode("utf-8") if isinstance(data, (bytes, bytearray, memoryview)) else data


MAX_GROUP = 32  # appends per shared transaction: several transactions (connections) share a burst
CONNECT_TIMEOUT = 5  # seconds for the first connection: a server that is down fails fast, with one error


class _Gate:
    """Lets at most ``size`` queries at a time reach the pool, the rest wait in line: O(1) per query.

    psycopg_pool takes an asyncio.Lock per request, and asyncio's Lock scans its waiters on every acquire:
    hundreds of queries queued at once (a server starting 200 runs) made that quadratic, about a quarter
    of this thread's time.
    """

    def __init__(self, size: int) -> None:
        self.free = size
        self.waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(self, *exc: object) -> None:
        self.release()

    async def acquire(self) -> None:
        """Wait for a slot (first come, first served)."""
        if self.free > 0 and not self.waiters:
            self.free -= 1
            return
        waiter = asyncio.get_running_loop().create_future()
        self.waiters.append(waiter)
        try:
            await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self.release()  # handed a slot just as it was cancelled: pass it on
            elif waiter in self.waiters:
                self.waiters.remove(waiter)
            raise

    def release(self) -> None:
        """Give a slot back: to the next in line, if any."""
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)  # the slot goes straight to the next in line
                return
        self.free += 1


@dataclass(eq=False)
class _Append:
    """One caller's records waiting to be committed (maybe with other callers')."""

    ops: Sequence[Op]
    durable: bool
    done: "asyncio.Future[None]"
    taken: bool = False


def _settle(item: "_Append", error: Optional[BaseException]) -> None:
    """Tell an append's caller how its records fared (once: a caller may be told already)."""
    if item.done.done():
        return
    if error is None:
        item.done.set_result(None)
    else:
        item.done.set_exception(error)


def _retrieve(future: "asyncio.Future[None]") -> None:
    """Read the outcome nobody waits for any more (asyncio logs a never-retrieved exception otherwise)."""
    if not future.cancelled():
        future.exception()


def _merged(batch: list[_Append]) -> list[Op]:
    """The batch's statements, the rows of each distinct statement together: one executemany each."""
    rows: dict[str, list[Sequence[Any]]] = {}
    for item in batch:
        for sql, op_rows in item.ops:
            rows.setdefault(sql, []).extend(op_rows)
    return list(rows.items())


class _PoolHome:
    """A thread running the event loop that owns one connection pool (it holds no reference to the storage)."""

    def __init__(self, url: str, kwargs: dict[str, Any], min_size: int, max_size: int) -> None:
        self.url, self.kwargs, self.min_size, self.max_size = url, kwargs, min_size, max_size
        self.pool: Optional[AsyncConnectionPool] = None
        self.opening: Optional[asyncio.Lock] = None
        self.lock = threading.Lock()
        self.closing = False
        self.gate = _Gate(max_size)
        self.appends: list[_Append] = []
        self.commits: set["asyncio.Task[None]"] = set()  # group commits in flight (their callers may be gone)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._serve, name="runwire-postgres", daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_forever()
        finally:
            self.loop.close()

    async def _pool(self) -> AsyncConnectionPool:
        if self.pool is None:
            if self.opening is None:
                self.opening = asyncio.Lock()
            async with self.opening:
                if self.pool is None:
                    await self._reachable()
                    pool = AsyncConnectionPool(self.url, min_size=self.min_size, max_size=self.max_size,
                                               kwargs=self.kwargs, open=False, configure=_configure)
                    await pool.open(wait=True, timeout=30)
                    self.pool = pool
        return self.pool

    async def _reachable(self) -> None:
        """One connection attempt with a short timeout before the pool (which retries for 30 s, logging as it goes)."""
        import psycopg

        from runwire.exceptions import StorageError
        from runwire.utils.redact import redact

        try:
            conn = await psycopg.AsyncConnection.connect(self.url, connect_timeout=CONNECT_TIMEOUT, **self.kwargs)
        except psycopg.OperationalError as exc:
            reason = " ".join(str(exc).split())  # one line: libpq's message spans several
            raise StorageError(
                f"cannot connect to PostgreSQL at {redact(self.url)}: {redact(reason, [self.url])}. "
                "Check that the server is running and the URL (host, port, user, password, database) is right"
            ) from None
        await conn.close()

    async def _with_pool(self, fn: Callable[[AsyncConnectionPool], Awaitable[T]]) -> T:
        pool = await self._pool()
        async with self.gate:
            return await fn(pool)

    async def append(self, ops: Sequence[Op], durable: bool,
                     write: Callable[[Any, Sequence[Op], bool], Awaitable[Any]]) -> None:
        """Group commit: whoever gets a connection commits every append waiting by then in one transaction.

        Under load (hundreds of runs) one commit carries many runs' records; alone, an append is its own
        transaction as before. If the shared transaction fails, each append is retried alone, so an error
        reaches only the caller whose records caused it.
        """
        pool = await self._pool()
        item = _Append(ops, durable, asyncio.get_running_loop().create_future())
        self.appends.append(item)
        try:
            await self.gate.acquire()
        except BaseException:  # cancelled while waiting for a connection
            if not item.taken and item in self.appends:  # nobody commits it later
                self.appends.remove(item)
            raise
        if item.taken:  # another caller's transaction carries it
            self.gate.release()
        else:
            batch, self.appends = self.appends[:MAX_GROUP], self.appends[MAX_GROUP:]
            for waiting in batch:
                waiting.taken = True
            # The commit belongs to every caller in the batch, so no one caller's cancel may stop it: it runs
            # as its own task, which gives the connection slot back when it is done.
            task = asyncio.ensure_future(self._commit(pool, batch, write))
            self.commits.add(task)
            task.add_done_callback(self._committed)
        try:
            await asyncio.shield(item.done)  # a caller that gives up does not cancel the others' outcome
        except asyncio.CancelledError:
            if not item.done.done():
                item.done.add_done_callback(_retrieve)
            raise

    def _committed(self, task: "asyncio.Task[None]") -> None:
        self.commits.discard(task)
        self.gate.release()

    async def _commit(self, pool: AsyncConnectionPool, batch: list[_Append],
                      write: Callable[[Any, Sequence[Op], bool], Awaitable[Any]]) -> None:
        try:
            async with pool.connection() as conn:
                if len(batch) == 1:
                    await write(conn, batch[0].ops, batch[0].durable)
                else:
                    try:
                        await write(conn, _merged(batch), any(item.durable for item in batch))
                    except Exception:  # one of them is at fault: each alone, so only its caller hears of it
                        for item in batch:
                            try:
                                await write(conn, item.ops, item.durable)
                            except Exception as exc:
                                _settle(item, exc)
                            else:
                                _settle(item, None)
                        return
        except Exception as exc:  # no connection, say: every caller of the batch hears of it
            for item in batch:
                _settle(item, exc)
            return
        except BaseException:  # the storage's loop is shutting down: the batch's fate is unknown
            for item in batch:
                if not item.done.done():
                    item.done.cancel()
            raise
        for item in batch:
            _settle(item, None)

    async def run(self, fn: Callable[[AsyncConnectionPool], Awaitable[T]]) -> T:
        """Await ``fn(pool)`` on this home's loop, from any other loop."""
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(self._with_pool(fn), self.loop))

    async def _close_pool(self) -> None:
        pool, self.pool = self.pool, None
        if pool is not None:
            await pool.close()

    def _claim_shutdown(self) -> bool:
        with self.lock:
            if self.closing or not self.thread.is_alive():
                return False
            self.closing = True
            return True

    def shutdown(self, timeout: float = 30.0) -> None:
        """Close the pool and stop the thread (sync; the first call does it, later ones return)."""
        if not self._claim_shutdown():
            return
        closed = asyncio.run_coroutine_threadsafe(self._close_pool(), self.loop)
        try:
            if threading.current_thread() is not self.thread:  # (a finalizer may run on any thread)
                closed.result(timeout)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            if threading.current_thread() is not self.thread:
                self.thread.join(timeout)

    async def ashutdown(self) -> None:
        """Close the pool and stop the thread, from another loop."""
        if not self._claim_shutdown():
            return
        try:
            await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(self._close_pool(), self.loop))
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)


class PostgresStorage(SQLStorage):
    """Sessions, runs, event logs and memories in PostgreSQL (``schema`` defaults to ``public``).

    Holds one pool of ``min_size``..``max_size`` connections, shared by every
    thread and event loop of the process that uses this object (see the module
    docstring); close it with ``close()``/``aclose()`` or a ``with`` block.
    Event-log appends are committed with ``synchronous_commit off`` (they survive
    the death of the runwire process, which is what runwire promises; a crash of
    the database server may lose its last fraction of a second of events); run
    rows, claims and session state always wait for the disk.
    ``synchronous_events=True`` makes appends wait too.
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
        self._home: Optional[_PoolHome] = None
        self._home_lock = threading.Lock()

    def __repr__(self) -> str:
        from runwire.utils.redact import redact_url

        return f"PostgresStorage({redact_url(self.url)!r})"

    def _ensure_home(self) -> _PoolHome:
        home = self._home
        if home is None:
            with self._home_lock:
                home = self._home
                if home is None:
                    kwargs: dict[str, Any] = {"autocommit": True}
                    if self.schema:
                        kwargs["options"] = f"-c search_path={self.schema}"
                    home = self._home = _PoolHome(self.url, kwargs, self.min_size, self.max_size)
                    weakref.finalize(self, home.shutdown)  # garbage-collected or open at exit: still closed
        return home

    async def _on_pool(self, fn: Callable[[AsyncConnectionPool], Awaitable[T]]) -> T:
        """Await ``fn(pool)`` with this storage's one pool, from whatever loop the caller runs on."""
        return await self._ensure_home().run(fn)

    @staticmethod
    def _sql(sql: str) -> str:
        return sql.replace("?", "%s")

    async def _run(self, sql: str, params: Sequence[Any] = ()) -> None:
        async def run(pool: AsyncConnectionPool) -> None:
            async with pool.connection() as conn:
                await conn.execute(self._sql(sql), tuple(params))

        await self._on_pool(run)

    async def _transaction(self, conn: Any, ops: Sequence[Op], durable: bool) -> list[int]:
        """``ops`` in one transaction, in pipeline mode (BEGIN, the statements and COMMIT in one round trip)."""
        done: list[tuple[Any, int]] = []
        async with conn.pipeline(), conn.transaction():
            if not durable and not self.synchronous_events:
                # acknowledged once in the server's WAL buffer: safe when *this* process dies (the
                # guarantee runwire gives); a crash of the database server itself may lose the last
                # fraction of a second of events, never the final record of a run
                await conn.execute("SET LOCAL synchronous_commit TO OFF")
            for sql, rows in ops:
                cur = conn.cursor()
                if len(rows) == 1:
                    await cur.execute(self._sql(sql), tuple(rows[0]))
                else:
                    await cur.executemany(self._sql(sql), [tuple(r) for r in rows])
                done.append((cur, len(rows)))
        return [cur.rowcount if count == 1 else count for cur, count in done]  # (known once the pipeline synced)

    async def _write(self, ops: Sequence[Op], *, durable: bool = True) -> list[int]:
        async def write(pool: AsyncConnectionPool) -> list[int]:
            async with pool.connection() as conn:
                return await self._transaction(conn, ops, durable)

        return await self._on_pool(write)

    async def _append(self, ops: Sequence[Op], *, durable: bool = True) -> None:
        home = self._ensure_home()

        async def append() -> None:
            await home.append(ops, durable, self._transaction)

        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(append(), home.loop))

    async def _locked(self, select: str, params: Sequence[Any],
                      decide: Callable[[list[tuple[Any, ...]]], Sequence[Op]]) -> None:
        async def locked(pool: AsyncConnectionPool) -> None:
            async with pool.connection() as conn:
                async with conn.transaction():
                    cur = await conn.execute(self._sql(select) + " FOR UPDATE", tuple(params))
                    rows = list(await cur.fetchall())
                    for sql, rows_ in decide(rows):
                        for row in rows_:
                            await conn.execute(self._sql(sql), tuple(row))

        await self._on_pool(locked)

    async def _fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        async def fetch(pool: AsyncConnectionPool) -> list[tuple[Any, ...]]:
            async with pool.connection() as conn:
                cur = await conn.execute(self._sql(sql), tuple(params))
                return list(await cur.fetchall())

        return await self._on_pool(fetch)

    async def _schema_version(self) -> Optional[int]:
        return await self._on_pool(self._read_schema_version)

    async def _read_schema_version(self, pool: AsyncConnectionPool) -> Optional[int]:
        async with pool.connection() as conn:
            async with conn.transaction():  # other processes may be starting too
                await conn.execute("SELECT pg_advisory_xact_lock(hashtext('runwire_schema'))")
                if self.schema:
                    await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {self.schema}")
                await conn.execute("CREATE TABLE IF NOT EXISTS runwire_schema (version INTEGER NOT NULL)")
                cur = await conn.execute("SELECT MAX(version) FROM runwire_schema")
                row = await cur.fetchone()
                return row[0] if row else None

    async def _migrate(self, current: Optional[int], statements: list[str], version: int) -> None:
        async def migrate(pool: AsyncConnectionPool) -> None:
            await self._migrate_on(pool, statements, version)

        await self._on_pool(migrate)

    async def _migrate_on(self, pool: AsyncConnectionPool, statements: list[str], version: int) -> None:
        async with pool.connection() as conn:
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
        """Close the connection pool and stop its thread (from any loop)."""
        with self._home_lock:
            home, self._home = self._home, None
        if home is not None:
            await home.ashutdown()

    def close(self) -> None:
        """Close the connection pool and stop its thread (sync code)."""
        with self._home_lock:
            home, self._home = self._home, None
        if home is not None:
            home.shutdown()
