"""Closing an Agent closes what it made from names and URLs, and nothing it was given (item 6 of issue 12)."""

from __future__ import annotations

import sqlite3

import pytest

from runwire.agent import Agent
from runwire.sinks import EventSink
from runwire.storage.sqlite import SqliteStorage
from runwire.testing import ScriptedModel


class Closing(EventSink):
    def __init__(self) -> None:
        self.closed = 0

    async def handle(self, event):
        return None

    async def aclose(self):
        self.closed += 1


def test_with_an_agent_closes_the_sqlite_storage_it_made(tmp_path):
    with Agent(model=ScriptedModel(lambda r: "ok"), db=f"sqlite:///{tmp_path}/a.db") as agent:
        assert agent.run("x").status == "completed"
        made = agent.get_storage()
    assert isinstance(made, SqliteStorage)
    with pytest.raises(sqlite3.ProgrammingError):
        made._conn.execute("SELECT 1")  # closed
    assert agent.run("again").status == "completed"  # used again: it opens a new one
    agent.close()


async def test_async_with_closes_named_sinks_but_not_given_ones(tmp_path, monkeypatch):
    from runwire.plugins import get_registry

    made: list[Closing] = []
    monkeypatch.setitem(get_registry().sinks, "closing", lambda *args: made.append(Closing()) or made[-1])
    given = Closing()
    async with Agent(model=ScriptedModel(lambda r: "ok"), sinks=["closing", given]) as agent:
        assert (await agent.arun("x")).status == "completed"
    assert [s.closed for s in made] == [1] and given.closed == 0


async def test_a_storage_passed_in_stays_open(tmp_path):
    storage = SqliteStorage(tmp_path / "shared.db")
    async with Agent(model=ScriptedModel(lambda r: "ok"), db=storage) as agent:
        out = await agent.arun("x")
    assert (await storage.get_run(out.run_id)).status == "completed"  # still usable
    async with storage:
        pass
    with pytest.raises(sqlite3.ProgrammingError):
        storage._conn.execute("SELECT 1")
