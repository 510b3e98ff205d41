"""One storage suite, passed by SQLite and PostgreSQL alike: the shipped suite
(runwire.testing.storage_conformance) plus what is particular to runwire's SQL backends."""

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from runwire.agent import Agent
from runwire.storage import SchemaVersionError
from runwire.storage.sql import SCHEMA_VERSION
from runwire.testing import ScriptedModel
from runwire.testing.events import event_names
from runwire.testing.storage_conformance import StorageConformance


class TestSqliteConformance(StorageConformance):
    @pytest.fixture(autouse=True)
    def _folder(self, tmp_path):
        self.folder = tmp_path

    def make_storage(self):
        from runwire.storage.sqlite import SqliteStorage

        return SqliteStorage(f"sqlite:///{self.folder}/conformance.db")


class TestPostgresConformance(StorageConformance):
    @pytest.fixture(autouse=True)
    def _schema(self):
        import uuid

        import psycopg

        from .conftest import PG_URL, require_postgres

        require_postgres()
        self.url, self.schema = PG_URL, "rw_" + uuid.uuid4().hex[:12]
        yield
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE")

    def make_storage(self):
        from runwire_postgres import PostgresStorage

        return PostgresStorage(self.url, schema=self.schema)


def echo_model(**kwargs):
    return ScriptedModel(lambda request: f"echo {request.messages[-1].text()}", **kwargs)


async def test_newer_schema_is_refused_and_older_is_upgraded(backend):
    storage = backend.make()
    await storage.setup()
    await storage._run("INSERT INTO runwire_schema (version) VALUES (?)", (99,))
    newer = backend.make()
    with pytest.raises(SchemaVersionError, match="schema version 99, newer than this runwire knows"):
        await newer.setup()
    await storage._run("DELETE FROM runwire_schema WHERE version = ?", (99,))
    await storage._run("DROP TABLE runwire_memories")
    await storage._run("DELETE FROM runwire_schema")  # an old database: version table empty, tables partly there
    fresh = backend.make()
    await fresh.setup()
    assert (await fresh._fetch("SELECT MAX(version) FROM runwire_schema"))[0][0] == SCHEMA_VERSION
    await fresh.get_memories("anyone")  # the missing table is back
    for made in (storage, newer, fresh):
        await made.aclose()


def test_a_killed_process_leaves_its_events_and_an_unfinished_run(backend, tmp_path):
    script = tmp_path / "victim.py"
    script.write_text(textwrap.dedent(f"""
        import sys
        from runwire.agent import Agent
        from runwire.testing import ScriptedModel
        sys.path.insert(0, {str(os.path.dirname(__file__))!r})
        from conftest import Backend
        backend = Backend({backend.kind!r}, {backend.url!r}, {backend.schema!r})
        words = " ".join(f"w{{i}}" for i in range(10000))
        agent = Agent(model=ScriptedModel([words], chunk_delay=0.002), db=backend.make())
        stream = agent.run("go", session_id="doomed", run_id="victim-run", stream=True)
        for i, event in enumerate(stream):
            if i == 300:
                print("READY", flush=True)
    """))
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "READY"
    time.sleep(0.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    reader = backend.make()

    async def read():
        try:
            return await reader.get_run("victim-run", "doomed")
        finally:
            await reader.aclose()

    run = asyncio.run(read())
    assert str(run.status) == "running" and run.session_id == "doomed"
    names = event_names(run.events)
    assert names[:2] == ["RunStarted", "ModelRequestStarted"] and "RunCompleted" not in names
    streamed = "".join(e.content for e in run.events if e.event == "RunContent")
    assert streamed.startswith("w0 w1 w2") and len(streamed.split()) >= 300


def test_cli_lists_sessions_and_shows_a_run(tmp_path):
    url = f"sqlite:///{tmp_path}/cli.db"
    out = Agent(model=echo_model(), db=url).run("hello", user_id="ann", session_id="cli-s")
    env = {**os.environ, "RUNWIRE_DB": url}
    listing = subprocess.run([sys.executable, "-m", "runwire.cli", "sessions"], capture_output=True, text=True, env=env, timeout=60)
    assert "cli-s" in listing.stdout and "user=ann" in listing.stdout and "completed" in listing.stdout
    show = subprocess.run([sys.executable, "-m", "runwire.cli", "runs", "show", out.run_id], capture_output=True, text=True, env=env, timeout=60)
    assert show.returncode == 0 and "RunStarted" in show.stdout and "'echo hello'" in show.stdout


async def test_a_failing_event_log_is_reported_and_the_run_row_still_written(storage, monkeypatch):
    from runwire.exceptions import StorageError

    async def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(storage, "append_events", broken)
    agent = Agent(model=echo_model(), db=storage, store_events=True)
    with pytest.raises(StorageError, match=r"event\(s\) of run .* could not be stored \(OSError: disk full\)"):
        await agent.arun("x", session_id="broken-log", run_id="broken-run")
    monkeypatch.undo()
    stored = await storage.get_run("broken-run")
    assert stored.status == "completed" and stored.content == "echo x"  # the row was still saved
