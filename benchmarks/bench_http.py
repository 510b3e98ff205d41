"""Over real HTTP: runwire's providers against a local OpenAI-compatible server (its own process), next to
floors (a raw asyncio-socket client, bare httpx, bare aiohttp), the SDKs called directly and peer frameworks.

Workloads: a tool-calling run (two requests and one tool call) and a 100-chunk
streamed answer. Everyone sends requests in its natural mode: a non-streamed run
sends non-streamed requests (runwire, Agno, pydantic-ai all do), a streamed run
streamed ones; litellm streams both (as runwire-litellm does). Clients take turns
round by round, and comparisons are median paired ratios (both sides measured
back to back in each round), so drift on a shared machine hits both alike.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Awaitable, Callable

from common import Result, installed, scale
from floor_clients import AiohttpClient, Http11Client, HttpxClient, RawSocketClient, close_all

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
KEY = "sk-bench-0000000000000000"
CHUNKS = 100
FLOOR = "floor: raw asyncio socket"
Work = dict[str, Callable[[], Awaitable[Any]]]
MODES = {  # what each client sends, said in the table
    FLOOR: "tool run non-streamed, stream streamed",
    "bare httpx": "tool run non-streamed, stream streamed",
    "bare aiohttp": "tool run non-streamed, stream streamed",
    "bare runwire http11": "tool run non-streamed, stream streamed",
    "openai SDK directly": "tool run non-streamed, stream streamed",
    "litellm directly": "streamed both, include_usage",
    "runwire + runwire-openai": "lean http11 path; non-streamed run sends non-streamed requests",
    "runwire + runwire-openai (official client)": "use_sdk=True; same request modes",
    "runwire + runwire-litellm": "streamed both, include_usage",
    "agno (OpenAIChat)": "arun() non-streamed, arun(stream=True) streamed",
    "pydantic-ai (OpenAIChatModel)": "run() non-streamed, run_stream() streamed",
}


def get_weather(city: str) -> str:
    """Get the weather in a city."""
    return f"sunny in {city}"


def tool_specs(count: int) -> list[dict[str, Any]]:
    """``get_weather`` and ``count - 1`` more tools of the same shape."""
    def spec(name: str) -> dict[str, Any]:
        return {"type": "function", "function": {"name": name, "description": "Get the weather in a city.",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}
    return [spec("get_weather")] + [spec(f"tool_{i}") for i in range(1, count)]


def weather_tools(count: int) -> list[Callable[..., str]]:
    """The same tools as functions, for agents."""
    tools: list[Callable[..., str]] = [get_weather]
    for i in range(1, count):
        def fn(city: str) -> str:
            """Get the weather in a city."""
            return f"sunny in {city}"
        fn.__name__ = fn.__qualname__ = f"tool_{i}"
        tools.append(fn)
    return tools


def start_stub(delay: float = 0.0, words: int = CHUNKS) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, str(Path(__file__).parent / "stub_server.py"), "--words", str(words),
                             "--delay", str(delay)], stdout=subprocess.PIPE, text=True)
    url = proc.stdout.readline().strip()  # type: ignore[union-attr]
    return proc, url


def floor_work(client: Any, tools: int = 1) -> Work:
    """The two workloads done by a framework-less client (RawSocketClient, HttpxClient, AiohttpClient)."""
    specs = tool_specs(tools)

    async def tool() -> None:
        messages: list[dict[str, Any]] = [{"role": "user", "content": "weather in Paris?"}]
        _, calls = await client.chat({"model": "stub-model", "messages": messages, "tools": specs, "stream": False})
        call = calls[0]
        messages += [{"role": "assistant", "content": None, "tool_calls": [
            {"id": call["id"], "type": "function", "function": {"name": call["name"], "arguments": call["args"]}}]},
            {"role": "tool", "tool_call_id": call["id"], "content": get_weather(**json.loads(call["args"]))}]
        await client.chat({"model": "stub-model", "messages": messages, "tools": specs, "stream": False})

    async def stream() -> None:
        await client.chat({"model": "stub-model", "messages": [{"role": "user", "content": "hi"}], "stream": True,
                           "stream_options": {"include_usage": True}})

    return {"tool": tool, "stream": stream}


def runwire_work(model_factory: Callable[[], Any], tools: int = 1) -> Work:
    from runwire.agent import Agent

    tool_agent = Agent(model=model_factory(), tools=weather_tools(tools))
    stream_agent = Agent(model=model_factory())

    async def stream() -> None:
        async for _ in stream_agent.arun("hi", stream=True, stream_events=True):
            pass

    return {"tool": lambda: tool_agent.arun("weather in Paris?"), "stream": stream}


def sdk_work(url: str) -> Work:
    import openai

    sdk = openai.AsyncOpenAI(base_url=url, api_key=KEY, max_retries=0)
    specs: Any = tool_specs(1)

    async def tool() -> None:
        messages: list[Any] = [{"role": "user", "content": "weather in Paris?"}]
        first = await sdk.chat.completions.create(model="stub-model", messages=messages, tools=specs)
        call = first.choices[0].message.tool_calls[0]  # type: ignore[index]
        messages += [{"role": "assistant", "content": None, "tool_calls": [
            {"id": call.id, "type": "function", "function": {"name": call.function.name, "arguments": call.function.arguments}}]},
            {"role": "tool", "tool_call_id": call.id, "content": get_weather(**json.loads(call.function.arguments))}]
        await sdk.chat.completions.create(model="stub-model", messages=messages, tools=specs)

    async def stream() -> None:
        async for _ in await sdk.chat.completions.create(model="stub-model", stream=True, stream_options={"include_usage": True},
                                                         messages=[{"role": "user", "content": "hi"}]):
            pass

    return {"tool": tool, "stream": stream}


def litellm_work(url: str) -> Work:
    import litellm

    litellm.suppress_debug_info = True
    litellm.disable_aiohttp_transport = True
    specs = tool_specs(1)

    async def ll_stream(messages: list[dict[str, Any]], tools: Any = None) -> list[Any]:
        kwargs: dict[str, Any] = {"tools": tools} if tools else {}
        # asks for usage, as runwire-litellm does (metrics need it): the same request on both sides
        stream = await litellm.acompletion(model="openai/stub-model", api_base=url, api_key=KEY, messages=messages,
                                           stream=True, stream_options={"include_usage": True}, max_retries=0, **kwargs)
        calls: dict[int, dict[str, str]] = {}
        text: list[str] = []
        async for chunk in stream:
            if chunk.choices:
                delta = chunk.choices[0].delta
                if delta.content:  # the answer, as its users read it (runwire-litellm reads it too)
                    text.append(delta.content)
                for frag in delta.tool_calls or ():
                    slot = calls.setdefault(frag.index or 0, {"id": frag.id or "", "name": "", "args": ""})
                    slot["id"] = slot["id"] or frag.id or ""
                    slot["name"] += frag.function.name or ""
                    slot["args"] += frag.function.arguments or ""
        return list(calls.values())

    async def tool() -> None:
        messages: list[dict[str, Any]] = [{"role": "user", "content": "weather in Paris?"}]
        call = (await ll_stream(messages, specs))[0]
        messages += [{"role": "assistant", "content": None, "tool_calls": [
            {"id": call["id"], "type": "function", "function": {"name": call["name"], "arguments": call["args"]}}]},
            {"role": "tool", "tool_call_id": call["id"], "content": get_weather(**json.loads(call["args"]))}]
        await ll_stream(messages, specs)

    return {"tool": tool, "stream": lambda: ll_stream([{"role": "user", "content": "hi"}])}


def agno_work(url: str) -> Work:
    from agno.agent import Agent as AgnoAgent
    from agno.models.openai import OpenAIChat as AgnoOpenAI

    def model() -> Any:
        return AgnoOpenAI(id="stub-model", base_url=url, api_key=KEY, max_retries=0)

    tool_agent = AgnoAgent(model=model(), tools=[get_weather], telemetry=False)
    stream_agent = AgnoAgent(model=model(), telemetry=False)

    async def stream() -> None:
        async for _ in stream_agent.arun("hi", stream=True, stream_events=True):
            pass

    return {"tool": lambda: tool_agent.arun("weather in Paris?"), "stream": stream}


def pydantic_ai_work(url: str) -> Work:
    from pydantic_ai import Agent as PAgent
    from pydantic_ai.models.openai import OpenAIChatModel
    from pydantic_ai.providers.openai import OpenAIProvider

    model = OpenAIChatModel("stub-model", provider=OpenAIProvider(base_url=url, api_key=KEY))
    tool_agent = PAgent(model, tools=[get_weather])
    stream_agent = PAgent(model)

    async def stream() -> None:
        async with stream_agent.run_stream("hi") as result:
            async for _ in result.stream_text(delta=True, debounce_by=None):
                pass

    return {"tool": lambda: tool_agent.run("weather in Paris?"), "stream": stream}


def clients(url: str) -> dict[str, Work]:
    out: dict[str, Work] = {FLOOR: floor_work(RawSocketClient(url, KEY)), "bare httpx": floor_work(HttpxClient(url, KEY)),
                            "bare aiohttp": floor_work(AiohttpClient(url, KEY))}
    if installed("runwire_openai"):
        out["bare runwire http11"] = floor_work(Http11Client(url, KEY))
    if installed("openai"):
        out["openai SDK directly"] = sdk_work(url)
    if installed("litellm"):
        out["litellm directly"] = litellm_work(url)
    if installed("runwire_openai"):
        from runwire_openai import OpenAIChat

        out["runwire + runwire-openai"] = runwire_work(lambda: OpenAIChat(id="stub-model", base_url=url, api_key=KEY, max_retries=0))
        out["runwire + runwire-openai (official client)"] = runwire_work(
            lambda: OpenAIChat(id="stub-model", base_url=url, api_key=KEY, max_retries=0, use_sdk=True))
    if installed("runwire_litellm"):
        from runwire_litellm import LiteLLM

        out["runwire + runwire-litellm"] = runwire_work(lambda: LiteLLM(id="openai/stub-model", api_base=url, api_key=KEY, max_retries=0))
    out.update(peers(url))
    return out


def peers(url: str) -> dict[str, Work]:
    found: dict[str, Work] = {}
    for name, module, make in (("agno (OpenAIChat)", "agno", agno_work),
                               ("pydantic-ai (OpenAIChatModel)", "pydantic_ai", pydantic_ai_work)):
        if installed(module):
            try:
                found[name] = make(url)
            except Exception as exc:  # reported, not fatal
                print(f"{name} could not be set up: {exc}", file=sys.stderr)
    return found


def paired(samples: dict[Any, list[float]], ours: Any, theirs: Any) -> float:
    """The median over rounds of ours / theirs, both measured in the same round."""
    return statistics.median(o / t for o, t in zip(samples[ours], samples[theirs], strict=True))


async def interleaved(table: dict[str, Work], rounds: int, quiet: float = 0.02) -> dict[tuple[str, str], list[float]]:
    """Seconds per call of every (client, workload), client after client in each round."""
    samples: dict[tuple[str, str], list[float]] = {}
    for work in table.values():  # warm up: imports, connections
        for fn in work.values():
            await fn()
    for _ in range(rounds):
        for name, work in table.items():
            for kind, fn in work.items():
                await asyncio.sleep(quiet)
                gc.collect()
                before = asyncio.all_tasks()
                start = time.perf_counter()
                await fn()
                samples.setdefault((name, kind), []).append(time.perf_counter() - start)
                await _settle(before)
    return samples


async def _settle(before: set[asyncio.Task[Any]], limit: float = 1.0) -> None:
    """Let the tasks a call left behind finish before the next call is timed: litellm ends each stream by
    scheduling its logging (``Logging.dispatch_success_handlers``, ``async_cache_streaming_response``: about
    1.5 ms of event-loop work), which is that call's work, not the next one's."""
    left = [t for t in asyncio.all_tasks() - before if not t.done() and t is not asyncio.current_task()]
    if left:
        await asyncio.wait(left, timeout=limit)


def compare(section: str, samples: dict[Any, list[float]], ours: Any, theirs: Any, label: str,
            limit: float | None, unit_scale: float = 1000.0, unit: str = "ms") -> Result:
    """One 'ours vs theirs' row: medians shown, the median paired ratio checked against ``limit``."""
    ratio = paired(samples, ours, theirs)
    mine, other = statistics.median(samples[ours]), statistics.median(samples[theirs])
    target = f"<= {limit:g} x (median paired ratio)" if limit is not None else None
    return Result(section, f"{label}", mine * unit_scale, unit, str(theirs[0] if isinstance(theirs, tuple) else theirs),
                  other * unit_scale, target=target, ok=None if limit is None else ratio <= limit,
                  note=f"median paired ratio {ratio:.3f}", extra={"paired_ratio": ratio})


async def bench_http() -> list[Result]:
    proc, url = start_stub()
    try:
        table = clients(url)
        samples = await interleaved(table, scale(21, 2))
        await close_all()
    finally:
        proc.kill()
    results: list[Result] = []
    rw = "runwire + runwire-openai"
    for kind, label, peer_limits in (("tool", "tool-calling run", {"agno": 0.5, "pydantic-ai": 0.5}),
                                     ("stream", f"{CHUNKS}-chunk stream", {"agno": 0.2, "pydantic-ai": None})):
        section = f"HTTP: {label}"
        floor = statistics.median(samples[(FLOOR, kind)])
        for name in table:
            value = statistics.median(samples[(name, kind)])
            extra = {"per_chunk_over_floor_us": (value - floor) / CHUNKS * 1e6} if kind == "stream" else {}
            results.append(Result(section, name, value * 1000, "ms", FLOOR, floor * 1000, note=MODES.get(name, ""), extra=extra))
        if (rw, kind) in samples:
            results.append(compare(section, samples, (rw, kind), (FLOOR, kind), "runwire-openai vs the raw-socket floor", 2.0))
            for peer in [n for n in table if n.startswith(("agno", "pydantic-ai"))]:
                limit = peer_limits[peer.split(" ")[0]]
                results.append(compare(section, samples, (rw, kind), (peer, kind), f"runwire-openai vs {peer}", limit))
                if limit is None:
                    results[-1].target, results[-1].ok = "faster", results[-1].extra["paired_ratio"] < 1
        if ("runwire + runwire-litellm", kind) in samples and ("litellm directly", kind) in samples:
            results.append(compare(section, samples, ("runwire + runwire-litellm", kind), ("litellm directly", kind),
                                   "runwire-litellm vs litellm directly", 1.10))
    return results
