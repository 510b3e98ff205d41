"""Core benchmarks: import, agent construction, run overhead on the scripted model, concurrency.

Framework time is measured against the floor of the same work without runwire:
the scripted model's own stream, consumed directly, in the same process run.
"""

from __future__ import annotations

import asyncio
import gc
import time
import tracemalloc
from typing import Any

from common import Result, amedian_time, cold_import_ms, installed, median_time, scale

from runwire.agent import Agent
from runwire.models.base import ModelRequest
from runwire.models.message import Message
from runwire.testing import ScriptedModel, ToolCall


def get_weather(city: str) -> str:
    """Get the weather in a city."""
    return f"sunny in {city}"


def bench_import() -> list[Result]:
    runwire_ms = cold_import_ms("import runwire")
    agent_ms = cold_import_ms("from runwire.agent import Agent")
    results = [Result("import", "import runwire", runwire_ms, "ms", target="< 50 ms", ok=runwire_ms < 50)]
    if installed("agno"):
        agno_ms = cold_import_ms("import agno.agent")
        results.append(Result("import", "import runwire, vs import agno.agent", runwire_ms, "ms", "import agno.agent",
                              agno_ms, target="< 0.10 x", ok=runwire_ms < agno_ms * 0.1))
        results.append(Result("import", "from runwire.agent import Agent, vs agno", agent_ms, "ms", "import agno.agent", agno_ms))
    else:
        results.append(Result("import", "from runwire.agent import Agent", agent_ms, "ms", note="agno not installed"))
    if installed("pydantic_ai"):
        pai_ms = cold_import_ms("import pydantic_ai")
        results.append(Result("import", "from runwire.agent import Agent, vs pydantic_ai", agent_ms, "ms", "import pydantic_ai", pai_ms))
    return results


def bench_construction() -> list[Result]:
    model = ScriptedModel(["x"])
    number = scale(100_000, 5_000)
    per_agent = median_time(lambda: Agent(model=model, tools=[get_weather]), repeat=5, number=number)
    count = scale(10_000, 1_000)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    agents = [Agent(model=model, tools=[get_weather]) for _ in range(count)]
    memory = (tracemalloc.get_traced_memory()[0] - before) / count
    tracemalloc.stop()
    del agents
    results = [
        Result("construction", "Agent(model, tools=[fn]): time", per_agent * 1e6, "us", target="< 5 us", ok=per_agent < 5e-6),
        Result("construction", "Agent(model, tools=[fn]): memory", memory / 1024, "KiB", target="< 3 KiB", ok=memory < 3 * 1024),
    ]
    peers = _peer_constructors()
    for name, make in peers.items():
        try:
            peer = median_time(make, repeat=3, number=max(number // 20, 200))
        except Exception as exc:  # a peer that will not build is reported, not fatal
            results.append(Result("construction", f"vs {name}", per_agent * 1e6, "us", note=f"{name} failed: {exc}"[:120]))
            continue
        results.append(Result("construction", f"Agent construction vs {name}", per_agent * 1e6, "us", name, peer * 1e6,
                              target="faster", ok=per_agent < peer))
    return results


def _peer_constructors() -> dict[str, Any]:
    peers: dict[str, Any] = {}
    if installed("pydantic_ai"):
        from pydantic_ai import Agent as PAgent
        from pydantic_ai.models.test import TestModel

        test_model = TestModel()
        peers["pydantic-ai"] = lambda: PAgent(test_model, tools=[get_weather])
    if installed("agno"):
        import os

        os.environ.setdefault("OPENAI_API_KEY", "sk-bench-not-used")
        from agno.agent import Agent as AgnoAgent
        from agno.models.openai import OpenAIChat

        agno_model = OpenAIChat(id="gpt-4o-mini")
        peers["agno"] = lambda: AgnoAgent(model=agno_model, tools=[get_weather])
    return peers


async def _floor(model: ScriptedModel, text: str) -> None:
    async for _ in model.astream(ModelRequest(messages=[Message(role="user", content=text)])):
        pass


async def bench_runs() -> list[Result]:
    results: list[Result] = []
    number = scale(5_000, 300)
    one = ScriptedModel(lambda request: "hello world")
    agent = Agent(model=one)
    await agent.arun("hi")
    floor = await amedian_time(lambda: _floor(one, "hi"), repeat=5, number=number)
    full = await amedian_time(lambda: agent.arun("hi"), repeat=5, number=number)
    framework = full - floor
    results.append(Result("runs (scripted model)", "one-turn run: framework time", framework * 1e6, "us",
                          target="< 50 us", ok=framework < 50e-6, extra={"run_us": full * 1e6, "model_floor_us": floor * 1e6}))

    def tool_script(request: ModelRequest) -> Any:
        return "It is sunny." if request.messages[-1].role == "tool" else [ToolCall("get_weather", {"city": "Paris"})]

    tool_model = ScriptedModel(tool_script)
    tool_agent = Agent(model=tool_model, tools=[get_weather])
    await tool_agent.arun("weather?")
    tool_run = await amedian_time(lambda: tool_agent.arun("weather?"), repeat=5, number=number // 2)
    results.append(Result("runs (scripted model)", "run with one tool call", tool_run * 1e6, "us"))

    words = " ".join(["w"] * 1000)
    big = ScriptedModel(lambda request: words)
    stream_agent = Agent(model=big)

    async def stream_all() -> None:
        async for _ in stream_agent.arun("hi", stream=True, stream_events=True):
            pass

    await stream_all()
    reps = scale(30, 3)
    floor = await amedian_time(lambda: _floor(big, "hi"), repeat=5, number=reps)
    full = await amedian_time(stream_all, repeat=5, number=reps)
    per_chunk = (full - floor) / 1000
    results.append(Result("runs (scripted model)", "streamed run, 1,000 chunks, stream_events: per chunk", per_chunk * 1e6,
                          "us", target="< 5 us", ok=per_chunk < 5e-6))
    results.extend(await _peer_runs(full / 1000, tool_run))
    return results


async def _peer_runs(per_chunk_full: float, tool_run: float) -> list[Result]:
    if not installed("pydantic_ai"):
        return [Result("runs (scripted model)", "peers", 0, "", note="pydantic-ai not installed")]
    from pydantic_ai import Agent as PAgent
    from pydantic_ai.messages import ModelResponse, TextPart, ToolCallPart, ToolReturnPart
    from pydantic_ai.models.function import FunctionModel

    results = []
    number = scale(2_000, 100)
    try:
        one = PAgent(FunctionModel(lambda messages, info: ModelResponse(parts=[TextPart("hello world")])))
        one_r = Agent(model=ScriptedModel(lambda request: "hello world"))
        await one.run("hi")
        peer = await amedian_time(lambda: one.run("hi"), repeat=5, number=number)
        ours = await amedian_time(lambda: one_r.arun("hi"), repeat=5, number=number)
        results.append(Result("runs (scripted model)", "one-turn run vs pydantic-ai (FunctionModel)", ours * 1e6, "us",
                              "pydantic-ai", peer * 1e6, target="faster", ok=ours < peer))

        def tool_fn(messages: Any, info: Any) -> ModelResponse:
            last = messages[-1].parts[-1]
            if isinstance(last, ToolReturnPart):
                return ModelResponse(parts=[TextPart("It is sunny.")])
            return ModelResponse(parts=[ToolCallPart("get_weather", {"city": "Paris"})])

        tools = PAgent(FunctionModel(tool_fn), tools=[get_weather])
        await tools.run("weather?")
        peer = await amedian_time(lambda: tools.run("weather?"), repeat=5, number=number // 2)
        results.append(Result("runs (scripted model)", "tool-call run vs pydantic-ai", tool_run * 1e6, "us",
                              "pydantic-ai", peer * 1e6, target="faster", ok=tool_run < peer))

        async def stream_fn(messages: Any, info: Any) -> Any:
            for _ in range(1000):
                yield "w "

        streaming = PAgent(FunctionModel(stream_function=stream_fn))

        async def peer_stream() -> None:
            async with streaming.run_stream("hi") as result:
                async for _ in result.stream_text(delta=True, debounce_by=None):
                    pass

        await peer_stream()
        peer = await amedian_time(peer_stream, repeat=5, number=scale(10, 2))
        results.append(Result("runs (scripted model)", "1,000-chunk stream vs pydantic-ai: per chunk", per_chunk_full * 1e6,
                              "us", "pydantic-ai", peer / 1000 * 1e6, target="faster", ok=per_chunk_full < peer / 1000))
    except Exception as exc:
        results.append(Result("runs (scripted model)", "pydantic-ai comparison", 0, "", note=f"failed: {exc}"[:150]))
    return results


async def bench_concurrency() -> list[Result]:
    count = scale(10_000, 500)
    agent = Agent(model=ScriptedModel(lambda request: "done", latency=0.05))
    await agent.arun("warm up")
    gc.collect()
    start = time.perf_counter()
    await asyncio.gather(*(agent.arun(f"q{i}") for i in range(count)))
    wall = time.perf_counter() - start
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    tasks = [asyncio.ensure_future(agent.arun(f"q{i}")) for i in range(count)]
    await asyncio.sleep(0.02)  # every run is in flight, waiting on the model
    in_flight = tracemalloc.get_traced_memory()[0] - base
    await asyncio.gather(*tasks)
    tracemalloc.stop()
    per_run = in_flight / count
    return [
        Result("concurrency", f"{count:,} concurrent runs, 50 ms model: wall", wall, "s",
               target="< 2 s" if count == 10_000 else "", ok=wall < 2 if count == 10_000 else None),
        Result("concurrency", "memory per in-flight run", per_run / 1024, "KiB", target="< 20 KiB", ok=per_run < 20 * 1024),
    ]
