"""Concurrent runs of one session never lose each other's session_state updates."""

from __future__ import annotations

import asyncio

from runwire.agent import Agent
from runwire.run.context import RunContext
from runwire.testing import ScriptedModel

from .conftest import call_then_answer

N = 200


async def test_runs_setting_different_keys_keep_every_key(storage):
    def remember(key: str, session_state: dict) -> str:
        """Remember a key."""
        session_state[key] = True
        return "ok"

    def respond(request):
        if request.messages[-1].role == "tool":
            return "done"
        from runwire.testing import ToolCall

        return [ToolCall("remember", {"key": request.messages[-1].text()})]

    agent = Agent(model=ScriptedModel(respond), tools=[remember], db=storage, session_state={"shared": 0})
    await asyncio.gather(*[agent.arun(f"k{i}", session_id="keys") for i in range(N)])
    state = (await storage.get_session("keys", with_runs=False)).session_state
    assert {k for k in state if k.startswith("k")} == {f"k{i}" for i in range(N)}
    assert state["shared"] == 0


async def test_atomic_increments_from_sync_and_async_tools_all_count(storage):
    def bump(run_context: RunContext) -> str:
        """Add one to the counter (sync tool, in a worker thread)."""
        run_context.update_session_state(lambda s: s.update(count=s.get("count", 0) + 1))
        return "bumped"

    async def abump(run_context: RunContext) -> str:
        """Add one to the other counter (async tool)."""
        await run_context.aupdate_session_state(lambda s: s.update(acount=s.get("acount", 0) + 1))
        return "bumped"

    sync_agent = Agent(model=ScriptedModel(call_then_answer("bump")), tools=[bump], db=storage)
    async_agent = Agent(model=ScriptedModel(call_then_answer("abump")), tools=[abump], db=storage)
    runs = [sync_agent.arun("+1", session_id="counter") for _ in range(N // 2)]
    runs += [async_agent.arun("+1", session_id="counter") for _ in range(N // 2)]
    outs = await asyncio.gather(*runs)
    assert all(o.status == "completed" for o in outs)
    state = (await storage.get_session("counter", with_runs=False)).session_state
    assert state == {"count": N // 2, "acount": N // 2}


async def test_a_run_sees_its_own_update_and_a_later_run_sees_the_total(storage):
    seen = []

    def bump(run_context: RunContext, session_state: dict) -> str:
        """Add one and report."""
        run_context.update_session_state(lambda s: s.update(count=s.get("count", 0) + 1))
        seen.append(session_state["count"])
        return "ok"

    agent = Agent(model=ScriptedModel(call_then_answer("bump")), tools=[bump], db=storage)
    for _ in range(3):
        await agent.arun("+1", session_id="seq")
    assert seen == [1, 2, 3]


async def test_without_storage_update_session_state_edits_the_run_state():
    def bump(run_context: RunContext) -> str:
        """Add one."""
        run_context.update_session_state(lambda s: s.update(count=s.get("count", 0) + 1))
        return "ok"

    agent = Agent(model=ScriptedModel(call_then_answer("bump", calls=3)), tools=[bump])
    state: dict = {}
    await agent.arun("go", session_state=state)
    assert state == {"count": 3}
