"""PostgreSQL connections are bounded and closed (item 6 of issue 12): sync runs from many
short-lived threads share one pool; closing the storage or the Agent that made it closes it.
Connections are counted on the real server, in pg_stat_activity, by application_name."""

from __future__ import annotations

import gc
import threading
import time
import uuid

import pytest

from runwire.agent import Agent
from runwire.testing import ScriptedModel

from ..storage.conftest import PG_URL, require_postgres

THREADS = 30


@pytest.fixture
def app_url():
    """A URL whose connections carry an application_name of this test's own, and a fresh schema."""
    require_postgres()
    import psycopg

    name = "rwrel-" + uuid.uuid4().hex[:10]
    schema = "rw_" + uuid.uuid4().hex[:12]
    sep = "&" if "?" in PG_URL else "?"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    yield name, schema, f"{PG_URL}{sep}application_name={name}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s", (name,))
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def connections(name: str) -> int:
    """The connections the server lists for ``name`` now."""
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", (name,)).fetchone()
        return int(row[0]) if row else 0


def all_closed(name: str) -> bool:
    """True once the server lists no connection for ``name`` (a backend leaves pg_stat_activity a moment after its
    client hung up, so a non-zero count is read again for a while before it is believed)."""
    deadline = time.monotonic() + 10
    while connections(name):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_sync_runs_from_short_lived_threads_share_one_bounded_pool(app_url):
    from runwire_postgres import PostgresStorage

    name, schema, url = app_url
    storage = PostgresStorage(url, schema=schema, max_size=4)
    agent = Agent(model=ScriptedModel(lambda r: "stored"), db=storage)
    statuses: list[str] = []

    def one_run() -> None:
        statuses.append(agent.run("x").status)

    for _ in range(THREADS):  # like a thread-per-request server calling the sync API
        thread = threading.Thread(target=one_run)
        thread.start()
        thread.join()
    gc.collect()
    assert statuses == ["completed"] * THREADS
    assert 1 <= connections(name) <= 4  # one pool of at most max_size, not one per thread
    storage.close()
    assert all_closed(name)
    assert agent.run("after close").status == "completed"  # a closed storage opens a new pool when used again
    storage.close()
    assert all_closed(name)


async def test_async_with_an_agent_closes_the_storage_it_made_from_a_url(app_url):
    name, schema, url = app_url
    async with Agent(model=ScriptedModel(lambda r: "stored"), db=f"{url}&options=-csearch_path%3D{schema}") as agent:
        out = await agent.arun("x")
        assert out.status == "completed" and connections(name) >= 1
    assert all_closed(name)


def test_with_an_agent_closes_its_storage_but_not_a_storage_passed_in(app_url):
    from runwire_postgres import PostgresStorage

    name, schema, url = app_url
    with Agent(model=ScriptedModel(lambda r: "ok"), db=f"{url}&options=-csearch_path%3D{schema}") as agent:
        assert agent.run("x").status == "completed"
    assert all_closed(name)

    shared = PostgresStorage(url, schema=schema)
    with Agent(model=ScriptedModel(lambda r: "ok"), db=shared) as agent:
        agent.run("x")
    assert connections(name) >= 1  # the caller's, maybe shared with other agents
    with shared:
        assert Agent(model=ScriptedModel(lambda r: "ok"), db=shared).run("y").status == "completed"
    assert all_closed(name)


async def test_one_storage_serves_several_event_loops(app_url):
    """The pool does not belong to the loop that first used it (asyncio.run, pytest loops, sync runs)."""
    import asyncio

    from runwire_postgres import PostgresStorage

    name, schema, url = app_url
    storage = PostgresStorage(url, schema=schema, max_size=2)
    agent = Agent(model=ScriptedModel(lambda r: "ok"), db=storage)
    first = await agent.arun("here")
    other = await asyncio.to_thread(lambda: asyncio.run(agent.arun("in another loop")))
    assert first.status == other.status == "completed"
    assert (await agent.aget_run_output(other.run_id)).status == "completed"
    await storage.aclose()
    assert all_closed(name)
