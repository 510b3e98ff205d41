"""Cancellation: from another task or thread, at every point of a run, promptly, keeping what was produced."""

import asyncio
import threading
import time

import pytest

from runwire.agent import Agent
from runwire.testing import ScriptedModel, ToolCall
from runwire.testing.events import event_names

LONG = " ".join(f"w{i}" for i in range(2000))


async def test_streaming_run_stops_within_one_chunk_and_keeps_its_content():
    agent = Agent(model=ScriptedModel([LONG], chunk_delay=0.001), store_events=True)
    stream = agent.arun("go", stream=True, stream_events=True)
    seen = []
    async for event in stream:
        seen.append(event)
        if event.event == "RunContent" and len([e for e in seen if e.event == "RunContent"]) == 10:
            assert await agent.acancel_run(stream.run_id, "enough")
    names = event_names(seen)
    assert names[-1] == "RunCancelled" and seen[-1].reason == "enough"
    assert names.count("RunContent") <= 11
    out = stream.run_output
    assert out.status == "cancelled" and out.is_cancelled and out.content.startswith("w0 w1 ")
    assert event_names(out.events)[-1] == "RunCancelled"


async def test_non_streaming_run_is_interrupted_while_waiting_for_the_model():
    agent = Agent(model=ScriptedModel(["never"], latency=30))
    task = asyncio.ensure_future(agent.arun("go", run_id="slow-model"))
    await asyncio.sleep(0.1)
    started = time.perf_counter()
    assert agent.cancel_run("slow-model")
    out = await asyncio.wait_for(task, 5)
    assert time.perf_counter() - started < 5  # interrupted, not the model's 30 s
    assert out.status == "cancelled" and out.cancel_reason == "cancelled by the user"


async def test_a_slow_tool_is_interrupted_and_recorded():
    async def slow_tool() -> str:
        await asyncio.sleep(30)
        return "late"

    agent = Agent(model=ScriptedModel([[ToolCall("slow_tool", {})], "never"]), tools=[slow_tool], store_events=True,
                  events_to_skip=[])
    task = asyncio.ensure_future(agent.arun("go", run_id="slow-tool"))
    await asyncio.sleep(0.2)
    assert agent.cancel_run("slow-tool")
    out = await asyncio.wait_for(task, 5)
    assert out.status == "cancelled" and out.tools[0].status == "interrupted"
    names = event_names(out.events)
    assert names[-1] == "RunCancelled" and "ToolCallCompleted" not in names


async def test_parallel_tools_are_all_interrupted():
    async def wait(seconds: float) -> str:
        await asyncio.sleep(seconds)
        return "ok"

    agent = Agent(model=ScriptedModel([[ToolCall("wait", {"seconds": 0.01}), ToolCall("wait", {"seconds": 30})], "x"]),
                  tools=[wait])
    task = asyncio.ensure_future(agent.arun("go", run_id="parallel"))
    await asyncio.sleep(0.3)
    agent.cancel_run("parallel")
    out = await asyncio.wait_for(task, 5)
    assert [t.status for t in out.tools] == ["completed", "interrupted"]


def test_sync_run_cancelled_from_another_thread():
    agent = Agent(model=ScriptedModel(["never"], latency=30))
    timer = threading.Timer(0.2, agent.cancel_run, args=("threaded", "from a thread"))
    timer.start()
    started = time.perf_counter()
    out = agent.run("go", run_id="threaded")
    assert time.perf_counter() - started < 10 and out.status == "cancelled" and out.cancel_reason == "from a thread"


def test_cancel_before_start_cancels_the_named_run_as_it_starts():
    agent = Agent(model=ScriptedModel(["never"]))
    assert agent.cancel_run("named-up-front") is False  # not running (yet)
    out = agent.run("go", run_id="named-up-front")
    assert out.status == "cancelled"


def test_cancelling_unknown_or_finished_runs_returns_false():
    agent = Agent(model=ScriptedModel(["done"]))
    out = agent.run("go")
    assert agent.cancel_run(out.run_id) is False
    assert agent.cancel_run("no-such-run") is False


def test_nothing_is_emitted_after_run_cancelled():
    agent = Agent(model=ScriptedModel([LONG]))
    stream = agent.run("go", stream=True, stream_events=True)
    events = []
    for event in stream:
        events.append(event)
        if len(events) == 5:
            agent.cancel_run(stream.run_id)
    assert event_names(events)[-1] == "RunCancelled" and event_names(events).count("RunCancelled") == 1


async def test_cancelling_the_callers_task_is_not_swallowed():
    agent = Agent(model=ScriptedModel(["never"], latency=30))
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(agent.arun("go"), 0.1)


def test_closing_a_stream_early_ends_the_run_as_cancelled(tmp_path):
    agent = Agent(model=ScriptedModel([LONG]), db=f"sqlite:///{tmp_path}/closed.db", store_events=True)
    stream = agent.run("go", stream=True)
    for i, _ in enumerate(stream):
        if i == 3:
            break
    stream.close()
    assert stream.run_output.status == "cancelled"
    assert "closed the stream" in stream.run_output.cancel_reason
    stored = agent.get_run_output(stream.run_id)
    assert stored.status == "cancelled" and stored.events[-1].event == "RunCancelled"
