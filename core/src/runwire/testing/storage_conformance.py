# Test bodies read Optional results (stored runs, sessions, events) knowing they are there: an absent value
# fails the test at once, so these checks are left to the asserts rather than to the type checker.
# mypy: disable-error-code="union-attr, index, arg-type, no-untyped-def"
"""The storage conformance suite: what every storage backend must do, for any storage plugin.

Subclass :class:`StorageConformance` in your plugin's tests (pytest with
pytest-asyncio in auto mode) and say how to make a fresh, empty storage::

    from runwire.testing.storage_conformance import StorageConformance

    class TestMyStorage(StorageConformance):
        def make_storage(self):
            return MyStorage(url=..., namespace=fresh_name())

Each test gets its own storage (closed afterwards). The suite goes through the
public ``Storage`` API and through Agents using it: runs and their event logs,
sessions and session state, history, user memories, concurrency.
"""

from __future__ import annotations

import asyncio
from typing import Any, AsyncIterator

import pytest

from runwire.agent import Agent
from runwire.storage.base import Storage
from runwire.testing import ScriptedModel, ToolCall
from runwire.testing.events import event_names


def echo_model(**kwargs: Any) -> ScriptedModel:
    return ScriptedModel(lambda request: f"echo {request.messages[-1].text()}", **kwargs)


class StorageConformance:
    """Collected by pytest in subclasses named ``Test...``."""

    def make_storage(self) -> Storage:
        """A fresh, empty storage of your backend."""
        raise NotImplementedError("subclass StorageConformance and define make_storage(self)")

    @pytest.fixture
    async def storage(self) -> AsyncIterator[Storage]:
        made = self.make_storage()
        try:
            yield made
        finally:
            await made.aclose()

    async def test_a_run_and_its_events_are_stored_and_read_back(self, storage: Storage) -> None:
        def add(a: int, b: int) -> int:
            return a + b

        agent = Agent(model=ScriptedModel([[ToolCall("add", {"a": 1, "b": 2})], "three it is"]), tools=[add], db=storage,
                      store_events=True, events_to_skip=[])
        out = await agent.arun("1+2?", user_id="ann", session_id="s1")
        stored = await agent.aget_run_output(out.run_id, "s1")
        assert stored.status == "completed" and stored.content == "three it is" and stored.user_id == "ann"
        assert stored.tools[0].result == "3" and [m.role for m in stored.messages] == [m.role for m in out.messages]
        names = event_names(stored.events)
        # RunContent chunks are coalesced per model response; everything else is there, in order
        assert names == [n for i, n in enumerate(event_names(out.events))
                         if n != "RunContent" or event_names(out.events)[i - 1] != "RunContent"]
        assert [e.content for e in stored.events if e.event == "RunContent"] == ["three it is"]
        assert await agent.aget_run_output(out.run_id, "other-session") is None

    async def test_uncoalesced_storage_gives_every_event_its_own_seq(self, storage: Storage) -> None:
        storage.coalesce_content = False  # what runwire-server sets: a stream resumes by event seq
        agent = Agent(model=ScriptedModel(["one two three"]), db=storage, store_events=True, events_to_skip=[])
        out = await agent.arun("count")
        stored = await storage.get_events(out.run_id)
        assert [e["event"] for e in stored] == event_names(out.events)
        assert [e["content"] for e in stored if e["event"] == "RunContent"] == ["one ", "two ", "three"]
        assert await storage.next_event_seq(out.run_id) == len(out.events)

    async def test_delete_session_removes_its_runs_and_events(self, storage: Storage) -> None:
        agent = Agent(model=ScriptedModel(["a b", "c"]), db=storage)
        first = await agent.arun("x", session_id="doomed")
        await agent.arun("y", session_id="kept")
        logged = await storage.read_events(first.run_id)
        assert [seq for seq, _ in logged] == list(range(len(logged))) and logged[0][1]["event"] == "RunStarted"
        assert await storage.read_events(first.run_id, 1) == logged[2:]
        await storage.delete_session("doomed")
        assert await storage.get_session("doomed") is None and await storage.get_run(first.run_id) is None
        assert await storage.read_events(first.run_id) == []
        assert (await storage.get_session("kept")).runs[0].content == "c"

    async def test_history_puts_earlier_runs_into_context(self, storage: Storage) -> None:
        model = echo_model()
        agent = Agent(model=model, db=storage, add_history_to_context=True, num_history_runs=2)
        for word in ("one", "two", "three"):
            await agent.arun(word, session_id="hist")
        await agent.arun("four", session_id="hist")
        sent = [m.text() for m in model.requests[-1].messages]
        assert sent == ["two", "echo two", "three", "echo three", "four"]
        assert all(m.from_history for m in model.requests[-1].messages[:4])
        other = Agent(model=echo_model(), db=storage, add_history_to_context=True)
        await other.arun("alone", session_id="fresh")
        assert [m.text() for m in other.model.requests[-1].messages] == ["alone"]

    async def test_history_is_not_stored_again_with_each_run_and_comes_back_on_continue(self, storage: Storage) -> None:
        from runwire.tools import tool

        @tool(requires_confirmation=True)
        def ship() -> str:
            """Ship it."""
            return "shipped"

        def respond(request):
            last = request.messages[-1]
            if last.role == "tool":
                return "done"
            return [ToolCall("ship", {})] if last.text() == "ship" else f"echo {last.text()}"

        agent = Agent(model=ScriptedModel(respond), tools=[ship], db=storage, add_history_to_context=True,
                      num_history_runs=2)
        for word in ("one", "two", "three"):
            await agent.arun(word, session_id="nocopy")
        paused = await agent.arun("ship", session_id="nocopy")
        stored = await storage.get_run(paused.run_id, with_events=False)
        assert [m.text() for m in stored.messages] == ["ship", ""]  # no copy of "two", "echo two", ...
        sizes = [len(r.messages) for r in await storage.list_runs("nocopy")]
        assert sizes == [2, 2, 2, 2]  # flat: each run keeps its own messages only
        stored.tools[0].confirmed = True
        model = ScriptedModel(respond)
        other = Agent(model=model, tools=[ship], db=storage, add_history_to_context=True, num_history_runs=2)
        done = await other.acontinue_run(run_id=paused.run_id, updated_tools=stored.tools)
        assert done.content == "done"
        sent = [m.text() for m in model.requests[-1].messages]
        assert sent[:4] == ["two", "echo two", "three", "echo three"]  # the same history the run started with

    async def test_new_runs_never_rewrite_earlier_runs(self, storage: Storage) -> None:
        agent = Agent(model=echo_model(), db=storage)
        first = await agent.arun("a", session_id="s")
        before = (await storage.get_run(first.run_id)).to_json_dict()
        for i in range(5):
            await agent.arun(f"more {i}", session_id="s")
        assert (await storage.get_run(first.run_id)).to_json_dict() == before
        assert len(await storage.list_runs("s")) == 6

    async def test_sessions_by_user_and_session_state(self, storage: Storage) -> None:
        def remember(item: str, session_state) -> str:
            session_state.setdefault("items", []).append(item)
            return f"{len(session_state['items'])} items"

        script = lambda request: [ToolCall("remember", {"item": request.messages[-1].text()})] \
            if request.messages[-1].role == "user" else "noted"
        agent = Agent(model=ScriptedModel(script), tools=[remember], db=storage)
        await agent.arun("milk", user_id="ann", session_id="shop")
        out = await agent.arun("eggs", user_id="ann", session_id="shop")
        assert out.tools[0].result == "2 items"
        await agent.arun("x", user_id="bob", session_id="bob-1")
        session = await agent.aget_session("shop")
        assert session.session_state == {"items": ["milk", "eggs"]} and [r.input for r in session.runs] == ["milk", "eggs"]
        assert [s.session_id for s in await storage.list_sessions("ann")] == ["shop"]
        assert {s.session_id for s in await storage.list_sessions()} == {"shop", "bob-1"}

    async def test_user_memories_are_updated_and_used_later(self, storage: Storage) -> None:
        memory_model = ScriptedModel([
            '{"add": ["Ann likes green tea"], "update": [], "delete": []}',
            '{"add": [], "update": [], "delete": []}',
        ])
        model = echo_model()
        agent = Agent(model=model, db=storage, enable_user_memories=True, memory_model=memory_model,
                      store_events=True)
        first = await agent.arun("I love green tea", user_id="ann", session_id="m1")
        names = event_names(first.events)
        assert names[-3:] == ["MemoryUpdateStarted", "MemoryUpdateCompleted", "RunCompleted"]
        assert [m.memory for m in first.events[-2].memories] == ["Ann likes green tea"]  # UserMemory objects, as in Agno
        assert first.metrics.details["memory_model"][0].output_tokens > 0
        await agent.arun("What should I drink?", user_id="ann", session_id="m2")
        system = model.requests[-1].messages[0]
        assert system.role == "system" and "- Ann likes green tea" in system.text()
        assert [m.memory for m in await storage.get_memories("ann")] == ["Ann likes green tea"]

    async def test_memory_deletes_and_updates(self, storage: Storage) -> None:
        agent = Agent(model=echo_model(), db=storage, enable_user_memories=True,
                      memory_model=ScriptedModel(['{"add": ["a", "b"]}']))
        await agent.arun("x", user_id="u", session_id="s")
        a, b = await storage.get_memories("u")
        agent2 = Agent(model=echo_model(), db=storage, enable_user_memories=True,
                       memory_model=ScriptedModel([f'{{"update": [{{"memory_id": "{a.memory_id}", "memory": "A"}}], "delete": ["{b.memory_id}"]}}']))
        await agent2.arun("y", user_id="u", session_id="s")
        assert [m.memory for m in await storage.get_memories("u")] == ["A"]

    async def test_concurrent_runs_lose_nothing(self, storage: Storage) -> None:
        agent = Agent(model=echo_model(chunk_delay=0.001), db=storage)
        one_session = [agent.arun(f"q{i}", session_id="busy") for i in range(50)]
        many_sessions = [agent.arun(f"q{i}", session_id=f"s{i}") for i in range(50)]
        outs = await asyncio.gather(*one_session, *many_sessions)
        assert len(await storage.list_runs("busy")) == 50
        for i in range(50):
            assert [r.content for r in await storage.list_runs(f"s{i}")] == [f"echo q{i}"]
        logs = [await storage.read_events(out.run_id) for out in outs]
        assert [len(log) for log in logs] == [6] * 100  # started, request started, content, completed x3
        assert all([seq for seq, _ in log] == list(range(6)) for log in logs)
