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


async def test_a_tool_call_cancelled_while_queued_never_runs_and_its_thread_place_is_given_back(monkeypatch):
    """With every tool thread busy, a call waits in the pool's queue: if its run stops waiting (the tool's
    timeout here), the call must never run later, and the pool must stay usable at its bound."""
    from runwire.run import executors

    monkeypatch.setattr(executors, "_pool", executors.ToolThreads(1))
    release, entered = threading.Event(), threading.Event()
    ran: list[str] = []

    @tool(timeout_seconds=30)
    def hog() -> str:
        """Holds the pool's only thread until released."""
        entered.set()
        release.wait()
        return "hogged"

    @tool(timeout_seconds=0.2)
    def queued() -> str:
        """Would run once a thread is free."""
        ran.append("queued")
        return "ran"

    def script(name):
        return ScriptedModel(lambda r: [ToolCall(name, {})] if r.messages[-1].role != "tool" else "done")

    hog_run = asyncio.ensure_future(Agent(model=script("hog"), tools=[hog]).arun("x"))
    assert await asyncio.to_thread(entered.wait, 30)
    out = await Agent(model=script("queued"), tools=[queued]).arun("y")
    assert out.tools[0].status == "error" and "timed out" in out.tools[0].error
    release.set()
    assert (await hog_run).tools[0].result == "hogged"
    again = await Agent(model=script("hog"), tools=[hog]).arun("z")  # the one thread is free again
    assert again.tools[0].result == "hogged"
    await asyncio.sleep(0.1)
    assert ran == [] and executors._pool.threads == 1  # the abandoned-in-queue call never ran


async def test_a_sync_tool_sees_the_callers_context_variables_and_its_errors_reach_the_model():
    import contextvars

    request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

    def whoami() -> str:
        """The request id the tool sees."""
        seen = request_id.get()
        request_id.set("changed inside the tool")  # stays inside the tool's copy of the context
        return seen

    def stop() -> str:
        """Raises StopIteration, which an asyncio future refuses."""
        raise StopIteration("nothing left")

    agent = Agent(model=ScriptedModel(lambda r: [ToolCall("whoami", {}), ToolCall("stop", {})]
                                      if r.messages[-1].role != "tool" else "done"), tools=[whoami, stop])
    request_id.set("req-42")
    out = await asyncio.wait_for(agent.arun("x"), timeout=30)
    assert request_id.get() == "req-42"
    by_name = {te.tool_name: te for te in out.tools}
    assert by_name["whoami"].result == "req-42"
    assert by_name["stop"].status == "error" and "StopIteration" in by_name["stop"].error
