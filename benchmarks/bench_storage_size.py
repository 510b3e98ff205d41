"""Database size per run: the same 1,000-run session (history on) stored by runwire and by Agno 3.1.10.

Both agents run the same tool-calling run against the benchmarks' OpenAI-compatible stub (one tool call, an
eight-word answer), so what they store has the same content. SQLite: the file's size after a WAL checkpoint
and VACUUM. PostgreSQL: ``pg_total_relation_size`` (tables, indexes, TOAST) of every table in the
framework's own schema, after VACUUM FULL. Bytes per run are the growth from the first run to the last,
divided by the runs in between, so the empty schema is not counted.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
import uuid
from typing import Any, Awaitable, Callable

from bench_http import KEY, get_weather, start_stub
from bench_storage import PG_URL
from common import Result, installed, scale

Measure = Callable[[], Awaitable[int]]


def sqlite_bytes(path: str) -> int:
    """The SQLite file's size once its WAL is folded in and free pages are dropped."""
    db = sqlite3.connect(path)
    try:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.execute("VACUUM")
    finally:
        db.close()
    return os.path.getsize(path)


def postgres_bytes(schema: str) -> int:
    """Every table of ``schema``, with its indexes and TOAST, after VACUUM FULL."""
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as db:
        tables = [r[0] for r in db.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,))]
        for table in tables:
            db.execute(f'VACUUM FULL "{schema}"."{table}"')
        row = db.execute("SELECT COALESCE(SUM(pg_total_relation_size(format('%%I.%%I', schemaname, tablename))), 0) "
                         "FROM pg_tables WHERE schemaname = %s", (schema,)).fetchone()
    return int(row[0]) if row else 0


def drop_schema(schema: str) -> None:
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as db:
        db.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def postgres_reachable() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_URL, connect_timeout=3):
            return True
    except Exception:
        return False


async def per_run(run: Callable[[], Awaitable[Any]], size: Measure, runs: int) -> float:
    """Bytes per run: the growth of the database from after the first run to after the last."""
    await run()
    first = await size()
    for _ in range(runs - 1):
        await run()
    return (await size() - first) / (runs - 1)


async def runwire_session(url: str, backend: str, runs: int) -> float:
    from runwire.agent import Agent
    from runwire_openai import OpenAIChat

    measure: Measure
    if backend == "SQLite":
        from runwire.storage.sqlite import SqliteStorage

        path = os.path.join(tempfile.mkdtemp(), "runwire.db")
        storage: Any = SqliteStorage(path)

        async def measure() -> int:
            return sqlite_bytes(path)
    else:
        from runwire_postgres import PostgresStorage

        schema = "bench_size_rw_" + uuid.uuid4().hex[:8]
        storage = PostgresStorage(PG_URL, schema=schema)

        async def measure() -> int:
            return postgres_bytes(schema)
    agent = Agent(model=OpenAIChat(id="stub-model", base_url=url, api_key=KEY, max_retries=0), tools=[get_weather],
                  db=storage, add_history_to_context=True, num_history_runs=3)
    session = "size-" + uuid.uuid4().hex[:8]
    try:
        return await per_run(lambda: agent.arun("weather in Paris?", session_id=session), measure, runs)
    finally:
        await agent.aclose()
        await storage.aclose()
        if backend != "SQLite":
            drop_schema(schema)


async def agno_session(url: str, backend: str, runs: int) -> float:
    from agno.agent import Agent as AgnoAgent
    from agno.models.openai import OpenAIChat as AgnoOpenAI

    measure: Measure
    if backend == "SQLite":
        from agno.db.sqlite import SqliteDb

        path = os.path.join(tempfile.mkdtemp(), "agno.db")
        db: Any = SqliteDb(db_file=path)

        async def measure() -> int:
            return sqlite_bytes(path)
    else:
        from agno.db.postgres import PostgresDb

        schema = "bench_size_agno_" + uuid.uuid4().hex[:8]
        db = PostgresDb(db_url=PG_URL.replace("postgresql://", "postgresql+psycopg://", 1), db_schema=schema)

        async def measure() -> int:
            return postgres_bytes(schema)
    agent = AgnoAgent(model=AgnoOpenAI(id="stub-model", base_url=url, api_key=KEY, max_retries=0), tools=[get_weather],
                      db=db, add_history_to_context=True, num_history_runs=3, telemetry=False)
    session = "size-" + uuid.uuid4().hex[:8]
    try:
        return await per_run(lambda: agent.arun("weather in Paris?", session_id=session), measure, runs)
    finally:
        if backend != "SQLite":
            db.db_engine.dispose()
            drop_schema(schema)


async def bench_storage_size() -> list[Result]:
    runs = scale(1000, 20)
    backends = ["SQLite"] + (["PostgreSQL"] if installed("runwire_postgres") and postgres_reachable() else [])
    results: list[Result] = []
    proc, url = start_stub(words=8)
    try:
        for backend in backends:
            ours = await runwire_session(url, backend, runs)
            theirs = await agno_session(url, backend, runs) if installed("agno") else None
            label = f"database size per run, {runs:,}-run session with history (one tool call, 8-word answer)"
            results.append(Result(f"storage: {backend}", label, ours / 1024, "KiB",
                                  "agno" if theirs is not None else None, theirs / 1024 if theirs is not None else None,
                                  extra={"bytes_per_run": ours, "agno_bytes_per_run": theirs}))
    finally:
        proc.kill()
    return results
