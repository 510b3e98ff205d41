"""A cancelled run always ends as a cancelled RunOutput: the interrupt never escapes as CancelledError."""

from __future__ import annotations

import asyncio
import random

import pytest

from runwire.agent import Agent
from runwire.sinks.base import EventSink
from runwire.testing import ScriptedModel

from .conftest import call_then_answer


class SlowSink(EventSink):
    """A well-behaved sink that takes a little time per event."""

    async def handle(self, event) -> None:
        await asyncio.sleep(0)

    async def flush(self) -> None:
        await asyncio.sleep(0.001)


async def _slow_tool() -> str:
    await asyncio.sleep(0.002)
    return "ok"


@pytest.mark.parametrize("attached", ["db", "sink", "both"])
async def test_cancels_at_random_points_never_escape(attached, tmp_path):
    rng = random.Random(12)
    db = f"sqlite:///{tmp_path}/c.db" if attached in ("db", "both") else None
    sinks = [SlowSink()] if attached in ("sink", "both") else None
    model = ScriptedModel(call_then_answer("_slow_tool", answer="a b c d e f g h"), chunk_delay=0.0005)
    agent = Agent(model=model, tools=[_slow_tool], db=db, sinks=sinks)
    statuses = set()
    for trial in range(40):
        run_id = f"r{trial}"
        task = asyncio.ensure_future(agent.arun("go", run_id=run_id, session_id="s"))
        await asyncio.sleep(rng.uniform(0, 0.03))
        await agent.acancel_run(run_id)
        out = await task  # never raises CancelledError
        statuses.add(str(out.status))
        assert out.status in ("cancelled", "completed")
        assert task.cancelling() == 0
        if db:
            stored = await agent.aget_run_output(run_id)
            assert stored.status == out.status
            log = await agent.aget_run_events(run_id)  # the full log (the run keeps no events: store_events is off)
            assert log[-1].event == ("RunCancelled" if out.status == "cancelled" else "RunCompleted")
    assert "cancelled" in statuses
    await agent.get_storage().aclose() if db else None


@pytest.mark.parametrize("with_db", [True, False])
async def test_a_run_cancelled_before_it_starts_ends_cancelled(with_db, tmp_path):
    agent = Agent(model=ScriptedModel(["never"]), db=f"sqlite:///{tmp_path}/p.db" if with_db else None)
    run_id = f"early-{with_db}-{random.getrandbits(64):x}"  # an id no earlier run used: a cancel of a finished run is refused
    assert not agent.cancel_run(run_id)  # not running yet: remembered for when it starts
    out = await agent.arun("go", run_id=run_id)
    assert out.status == "cancelled"
    assert asyncio.current_task().cancelling() == 0
    if with_db:
        assert (await agent.aget_run_output(run_id)).status == "cancelled"
        await agent.get_storage().aclose()


async def test_a_timeout_around_arun_still_cancels_the_caller():
    """A cancellation of the caller's own task (a timeout) is never swallowed."""
    agent = Agent(model=ScriptedModel(["slow " * 100], chunk_delay=0.01))
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.05):
            await agent.arun("go")
