"""Hung sync tools cannot starve storage (item 7 of issue 12): tools and storage have their own
thread pools, and a tool thread left running after its timeout is reported."""

from __future__ import annotations

import asyncio
import logging
import threading

from runwire.agent import Agent
from runwire.run.executors import abandoned_tool_calls
from runwire.testing import ScriptedModel, ToolCall
from runwire.tools import tool

HUNG_RUNS = 12  # more than asyncio's default executor has threads on this machine (min(32, cores + 4))


async def test_a_sqlite_run_completes_while_timed_out_tools_still_hold_their_threads(tmp_path, caplog):
    release = threading.Event()
    entered = threading.Semaphore(0)

    @tool(timeout_seconds=0.2)
    def stuck(n: int) -> str:
        """Blocks until the test ends (a hung network call, say)."""
        entered.release()
        release.wait()
        return "late"

    hung = Agent(model=ScriptedModel(lambda r: [ToolCall("stuck", {"n": 1})] if len(r.messages) < 3 else "gave up"),
                 tools=[stuck])
    before = len(abandoned_tool_calls())
    try:
        with caplog.at_level(logging.WARNING, logger="runwire.tools"):
            outs = await asyncio.gather(*[hung.arun("x") for _ in range(HUNG_RUNS)])
        assert all(o.tools[0].status == "error" and "timed out" in o.tools[0].error for o in outs)
        for _ in range(HUNG_RUNS):  # every hung tool really holds a thread right now
            assert entered.acquire(timeout=30)
        assert len(abandoned_tool_calls()) - before == HUNG_RUNS
        assert all(c.tool_name == "stuck" for c in abandoned_tool_calls()[before:])
        warnings = [r for r in caplog.records if "'stuck'" in r.getMessage() and "abandoned" in r.getMessage()]
        assert len(warnings) == HUNG_RUNS

        stored = Agent(model=ScriptedModel(["stored fine"]), db=f"sqlite:///{tmp_path}/run.db")
        # would wait for a free thread until the hung tools return (never, here) if storage shared their pool
        out = await asyncio.wait_for(stored.arun("y"), timeout=120)
        assert out.status == "completed" and not release.is_set()
        assert (await stored.aget_run_output(out.run_id)).content == "stored fine"
        await stored.aclose()
    finally:
        release.set()
    for _ in range(200):  # the threads return; they are no longer reported
        if len(abandoned_tool_calls()) == before:
            break
        await asyncio.sleep(0.05)
    assert len(abandoned_tool_calls()) == before
