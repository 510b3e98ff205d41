"""Continuing a paused run claims it atomically: a confirmed tool runs once, a cancelled run stays cancelled."""

from __future__ import annotations

import asyncio

import pytest

from runwire.agent import Agent
from runwire.run.continuation import ContinueRunError
from runwire.testing import ScriptedModel
from runwire.tools import tool

from .conftest import call_then_answer


def _agent(storage, runs: list[str]) -> Agent:
    @tool(requires_confirmation=True)
    def transfer(amount: int) -> str:
        """Move money."""
        runs.append("transfer")
        return f"moved {amount}"

    return Agent(model=ScriptedModel(call_then_answer("transfer", {"amount": 5})), tools=[transfer], db=storage)


async def _paused(agent: Agent, session: str):
    out = await agent.arun("pay", session_id=session)
    assert out.is_paused
    return out


@pytest.mark.parametrize("contenders", [2, 8])
async def test_concurrent_continues_run_the_confirmed_tool_once(storage, contenders):
    runs: list[str] = []
    agent = _agent(storage, runs)
    paused = await _paused(agent, "claim")
    stored = await agent.aget_run_output(paused.run_id)
    for te in stored.tools:
        te.confirmed = True

    async def contender():
        return await agent.acontinue_run(run_id=paused.run_id, updated_tools=stored.tools)

    results = await asyncio.gather(*[contender() for _ in range(contenders)], return_exceptions=True)
    won = [r for r in results if not isinstance(r, BaseException)]
    lost = [r for r in results if isinstance(r, BaseException)]
    assert runs == ["transfer"]
    assert len(won) == 1 and won[0].status == "completed" and won[0].content == "done"
    # a loser that claims while the winner runs is told so; one that claims after it finished sees "completed"
    assert all(isinstance(e, ContinueRunError) and ("already being continued" in str(e) or "is completed in storage"
                                                    in str(e)) for e in lost), lost
    final = await agent.aget_run_output(paused.run_id)
    assert final.status == "completed"
    assert [e.event for e in await agent.aget_run_events(paused.run_id)].count("ToolCallCompleted") == 1


async def test_a_cancelled_paused_run_cannot_be_continued_from_a_stale_object(storage):
    runs: list[str] = []
    agent = _agent(storage, runs)
    paused = await _paused(agent, "stale")
    assert await agent.acancel_run(paused.run_id)
    paused.tools[0].confirmed = True  # the caller still holds the paused RunOutput
    with pytest.raises(ContinueRunError, match="is cancelled in storage"):
        await agent.acontinue_run(paused)
    assert runs == []
    assert (await agent.aget_run_output(paused.run_id)).status == "cancelled"


async def test_a_continued_run_cannot_be_cancelled_as_paused_after_the_claim(storage):
    runs: list[str] = []
    agent = _agent(storage, runs)
    paused = await _paused(agent, "after")
    paused.tools[0].confirmed = True
    done = await agent.acontinue_run(paused)
    assert done.status == "completed"
    assert not await agent.acancel_run(paused.run_id)  # finished: nothing to cancel
    assert (await agent.aget_run_output(paused.run_id)).status == "completed"


async def test_without_storage_only_one_concurrent_continue_of_an_object_wins():
    runs: list[str] = []
    agent = _agent(None, runs)
    paused = await agent.arun("pay")
    paused.tools[0].confirmed = True
    results = await asyncio.gather(*[agent.acontinue_run(paused) for _ in range(4)], return_exceptions=True)
    assert runs == ["transfer"]
    assert sum(not isinstance(r, BaseException) for r in results) == 1
    assert all(isinstance(r, ContinueRunError) for r in results if isinstance(r, BaseException))


def test_continue_from_another_process_object_is_refused_once_completed(storage_sync):
    runs: list[str] = []
    agent = _agent(storage_sync, runs)
    paused = agent.run("pay", session_id="sync")
    paused.tools[0].confirmed = True
    assert agent.continue_run(paused).status == "completed"
    with pytest.raises(ContinueRunError, match="completed, not paused"):
        agent.continue_run(paused)
    assert runs == ["transfer"]


@pytest.fixture
def storage_sync(backend):
    made = backend.make()
    yield made
    from runwire.run.sync_bridge import get_runner

    get_runner()(made.aclose())


async def test_a_continue_that_fails_before_it_starts_gives_its_claim_back(storage, monkeypatch):
    runs: list[str] = []
    agent = _agent(storage, runs)
    paused = await _paused(agent, "giveback")
    paused.tools[0].confirmed = True
    original = storage.next_event_seq

    async def broken(run_id):
        raise OSError("the database went away for a moment")

    monkeypatch.setattr(storage, "next_event_seq", broken)
    with pytest.raises(OSError):
        await agent.acontinue_run(paused)
    assert (await storage.get_run(paused.run_id, with_events=False)).status == "paused"  # not stuck running
    monkeypatch.setattr(storage, "next_event_seq", original)
    assert paused.status == "paused"
    done = await agent.acontinue_run(paused)
    assert done.status == "completed" and runs == ["transfer"]
