"""HTTP at scale: concurrent runs, memory per in-flight run, cost against the number of tools, connections.

Same server, clients and request modes as bench_http (tool-calling runs, each
client in its natural mode); comparisons are median paired ratios over
interleaved rounds.
"""

from __future__ import annotations

import asyncio
import gc
import json
import statistics
import time
import tracemalloc
import urllib.request
from typing import Any, Awaitable, Callable

from bench_http import FLOOR, KEY, agno_work, compare, floor_work, interleaved, peers, runwire_work, start_stub, weather_tools
from common import Result, installed, scale
from floor_clients import RawSocketClient

RW = "runwire + runwire-openai"


def lean(url: str) -> Callable[[], Any]:
    from runwire_openai import OpenAIChat

    return lambda: OpenAIChat(id="stub-model", base_url=url, api_key=KEY, max_retries=0)


def plain_runs(url: str) -> dict[str, Callable[[], Awaitable[Any]]]:
    """One single-request run (no tools, not streamed) per client."""
    raw = RawSocketClient(url, KEY)
    out: dict[str, Callable[[], Awaitable[Any]]] = {
        FLOOR: lambda: raw.chat({"model": "stub-model", "messages": [{"role": "user", "content": "hi"}], "stream": False})}
    if installed("runwire_openai"):
        from runwire.agent import Agent

        agent = Agent(model=lean(url)())
        out[RW] = lambda: agent.arun("hi")
    if installed("agno"):
        from agno.agent import Agent as AgnoAgent
        from agno.models.openai import OpenAIChat as AgnoOpenAI

        agno = AgnoAgent(model=AgnoOpenAI(id="stub-model", base_url=url, api_key=KEY, max_retries=0), telemetry=False)
        out["agno (OpenAIChat)"] = lambda: agno.arun("hi")
    if installed("pydantic_ai"):
        from pydantic_ai import Agent as PAgent
        from pydantic_ai.models.openai import OpenAIChatModel
        from pydantic_ai.providers.openai import OpenAIProvider

        pai = PAgent(OpenAIChatModel("stub-model", provider=OpenAIProvider(base_url=url, api_key=KEY)))
        out["pydantic-ai (OpenAIChatModel)"] = lambda: pai.run("hi")
    return out


def tool_runs(url: str) -> dict[str, Callable[[], Awaitable[Any]]]:
    """One tool-calling run per client: the floor, runwire-openai and the peers."""
    out = {FLOOR: floor_work(RawSocketClient(url, KEY))["tool"]}
    if installed("runwire_openai"):
        out[RW] = runwire_work(lean(url))["tool"]
    out.update({name: work["tool"] for name, work in peers(url).items()})
    return out


async def bench_concurrency() -> list[Result]:
    proc, url = start_stub()
    results: list[Result] = []
    try:
        runs = tool_runs(url)
        for count, rounds in ((scale(200, 20), scale(7, 1)), (scale(1000, 50), scale(3, 1))):
            failures: dict[str, int] = {}

            async def all_runs(name: str, fn: Callable[[], Awaitable[Any]], n: int) -> None:
                # a client that fails some runs (a connect timeout under load) is timed anyway, its failures counted
                outcomes = await asyncio.gather(*(fn() for _ in range(n)), return_exceptions=True)
                failed = [o for o in outcomes if isinstance(o, BaseException)]
                if failed:
                    failures[name] = failures.get(name, 0) + len(failed)
                    failures.setdefault(f"{name}: error", type(failed[0]).__name__)  # type: ignore[arg-type]

            table = {name: {"wall": (lambda name=name, fn=fn, n=count: all_runs(name, fn, n))} for name, fn in runs.items()}
            samples = await interleaved(table, rounds, quiet=0.2)
            section = f"HTTP: {count:,} concurrent tool-calling runs"
            floor = statistics.median(samples[(FLOOR, "wall")])
            for name in table:
                note = (f"{failures[name]} of {count * (rounds + 1)} runs failed: {failures[name + ': error']}"
                        if name in failures else "")
                results.append(Result(section, f"{name}: wall", statistics.median(samples[(name, "wall")]), "s", FLOOR,
                                      floor, note=note))
            for peer in [n for n in table if n.startswith("agno")]:
                results.append(compare(section, samples, (RW, "wall"), (peer, "wall"), f"runwire-openai vs {peer}",
                                       0.5, unit_scale=1.0, unit="s"))
            for peer in [n for n in table if n.startswith("pydantic-ai")]:
                results.append(compare(section, samples, (RW, "wall"), (peer, "wall"), f"runwire-openai vs {peer}",
                                       None, unit_scale=1.0, unit="s"))
    finally:
        proc.kill()
    return results


def _stats(url: str) -> dict[str, int]:
    with urllib.request.urlopen(url + "/stub/stats", timeout=10) as response:
        return json.loads(response.read())


async def bench_memory() -> list[Result]:
    """Traced memory held per run while its request waits on a slow server (runs started, none answered)."""
    delay = scale(10, 2)
    proc, url = start_stub(delay=delay)
    results: list[Result] = []
    count = scale(200, 20)
    try:
        runs = plain_runs(url)
        for fn in runs.values():
            await fn()  # warm: imports, the first connection, caches
        per_run: dict[str, float] = {}
        for name, fn in runs.items():
            await asyncio.sleep(0.1)
            gc.collect()
            before_requests = (await asyncio.to_thread(_stats, url))["requests"]
            tracemalloc.start()
            base = tracemalloc.get_traced_memory()[0]
            tasks = [asyncio.ensure_future(fn()) for _ in range(count)]
            deadline = time.perf_counter() + delay * 0.9
            while (await asyncio.to_thread(_stats, url))["requests"] < before_requests + count:
                if time.perf_counter() > deadline:
                    break
                await asyncio.sleep(0.05)
            in_flight = (await asyncio.to_thread(_stats, url))["requests"] - before_requests
            held = tracemalloc.get_traced_memory()[0] - base
            tracemalloc.stop()
            await asyncio.gather(*tasks)
            per_run[name] = held / count / 1024
            note = f"{in_flight} of {count} requests in flight when measured"
            target = "<= 25 KiB" if name == RW else None
            results.append(Result("HTTP: memory per in-flight run (one non-streamed request)", name, per_run[name], "KiB", FLOOR, None,
                                  target=target, ok=(per_run[name] <= 25) if target else None, note=note))
        for result in results:
            result.baseline = per_run[FLOOR]
    finally:
        proc.kill()
    return results


async def bench_tools() -> list[Result]:
    """A tool-calling run with 100 tools against one tool: runwire's cost over the floor should stay flat."""
    proc, url = start_stub()
    try:
        table = {
            "floor, 1 tool": {"t": floor_work(RawSocketClient(url, KEY), tools=1)["tool"]},
            "floor, 100 tools": {"t": floor_work(RawSocketClient(url, KEY), tools=100)["tool"]},
            "runwire-openai, 1 tool": {"t": runwire_work(lean(url), tools=1)["tool"]},
            "runwire-openai, 100 tools": {"t": runwire_work(lean(url), tools=100)["tool"]},
        }
        if installed("agno"):
            table["agno, 1 tool"] = {"t": agno_work(url)["tool"]}
            table["agno, 100 tools"] = {"t": _agno_tools(url, 100)}
        samples = await interleaved(table, scale(21, 2))
    finally:
        proc.kill()
    med = {name: statistics.median(samples[(name, "t")]) for name in table}
    results = [Result("HTTP: tool-calling run, 1 vs 100 tools", name, med[name] * 1000, "ms") for name in table]
    def over_floor(tools: str) -> float:  # the median of per-round differences: runwire's time over the floor
        return statistics.median(r - f for r, f in zip(samples[(f"runwire-openai, {tools}", "t")],
                                                       samples[(f"floor, {tools}", "t")], strict=True))

    over1, over100 = over_floor("1 tool"), over_floor("100 tools")
    ratio = over100 / over1
    results.append(Result("HTTP: tool-calling run, 1 vs 100 tools", "runwire-openai over the floor, 100 tools vs 1",
                          over100 * 1000, "ms", "over the floor with 1 tool", over1 * 1000, target="<= 1.2 x (paired differences)",
                          ok=ratio <= 1.2, note="medians of per-round differences from the floor", extra={"ratio": ratio}))
    return results


def _agno_tools(url: str, count: int) -> Callable[[], Awaitable[Any]]:
    from agno.agent import Agent as AgnoAgent
    from agno.models.openai import OpenAIChat as AgnoOpenAI

    agent = AgnoAgent(model=AgnoOpenAI(id="stub-model", base_url=url, api_key=KEY, max_retries=0),
                      tools=weather_tools(count), telemetry=False)
    return lambda: agent.arun("weather in Paris?")


async def bench_connections() -> list[Result]:
    """TCP connections opened by sequential tool-calling runs (each client in its natural mode)."""
    from runwire.testing import ToolCall
    from runwire.testing.openai_stub import OpenAIStub

    def respond(body: dict[str, Any]) -> Any:
        if body.get("tools") and body["messages"][-1].get("role") == "user":
            return [ToolCall("get_weather", {"city": "Paris"}, id="call_bench")]
        return "sunny"

    count = scale(200, 20)
    results = []
    for name in [FLOOR, RW, "agno (OpenAIChat)", "pydantic-ai (OpenAIChatModel)"]:
        with OpenAIStub(respond) as stub:
            runs = tool_runs(stub.url)
            if name not in runs:
                continue
            for _ in range(count):
                await runs[name]()
            target = "<= 2" if name == RW else None
            results.append(Result("HTTP: connections opened", f"{name}, {count} sequential tool-calling runs",
                                  stub.connections, "connections", target=target, ok=stub.connections <= 2 if target else None))
    return results
