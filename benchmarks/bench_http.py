"""Over real HTTP: runwire's providers against a local OpenAI-compatible server, next to the floor
(a bare httpx client), the SDKs called directly, and peer frameworks, in the same process run.

Workloads: a tool-calling run (two streamed requests and one tool call) and a
100-chunk streamed answer. Clients take turns round by round so drift hits all alike.
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

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
KEY = "sk-bench-0000000000000000"
CHUNKS = 100


def get_weather(city: str) -> str:
    """Get the weather in a city."""
    return f"sunny in {city}"


def start_stub() -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, str(Path(__file__).parent / "stub_server.py"), "--words", str(CHUNKS)],
                            stdout=subprocess.PIPE, text=True)
    url = proc.stdout.readline().strip()  # type: ignore[union-attr]
    return proc, url


def clients(url: str) -> dict[str, dict[str, Callable[[], Awaitable[Any]]]]:
    """name -> {"tool": coroutine factory, "stream": coroutine factory}."""
    import httpx

    out: dict[str, dict[str, Callable[[], Awaitable[Any]]]] = {}
    tool_spec = [{"type": "function", "function": {"name": "get_weather", "description": "Get the weather",
                  "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]
    http = httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {KEY}"}, timeout=60)

    async def raw_stream(messages: list[dict[str, Any]], tools: Any = None) -> tuple[str, list[dict[str, Any]]]:
        body: dict[str, Any] = {"model": "stub-model", "messages": messages, "stream": True}
        if tools:
            body["tools"] = tools
        text, calls = [], {}
        async with http.stream("POST", "/chat/completions", json=body) as response:
            async for line in response.aiter_lines():
                if not line.startswith("data:") or line.endswith("[DONE]"):
                    continue
                choices = json.loads(line[5:])["choices"]
                if choices:
                    delta = choices[0]["delta"]
                    if delta.get("content"):
                        text.append(delta["content"])
                    for frag in delta.get("tool_calls") or ():
                        slot = calls.setdefault(frag["index"], {"id": frag.get("id"), "name": "", "args": ""})
                        slot["name"] += (frag.get("function") or {}).get("name") or ""
                        slot["args"] += (frag.get("function") or {}).get("arguments") or ""
        return "".join(text), list(calls.values())

    async def floor_tool() -> None:
        messages = [{"role": "user", "content": "weather in Paris?"}]
        _, calls = await raw_stream(messages, tool_spec)
        call = calls[0]
        result = get_weather(**json.loads(call["args"]))
        messages += [{"role": "assistant", "content": None, "tool_calls": [
            {"id": call["id"], "type": "function", "function": {"name": call["name"], "arguments": call["args"]}}]},
            {"role": "tool", "tool_call_id": call["id"], "content": result}]
        await raw_stream(messages, tool_spec)

    out["floor: bare httpx"] = {"tool": floor_tool, "stream": lambda: raw_stream([{"role": "user", "content": "hi"}])}

    if installed("openai"):
        import openai

        sdk = openai.AsyncOpenAI(base_url=url, api_key=KEY, max_retries=0)

        async def sdk_stream(messages: list[dict[str, Any]], tools: Any = None) -> list[Any]:
            kwargs: dict[str, Any] = {"tools": tools} if tools else {}
            stream = await sdk.chat.completions.create(model="stub-model", messages=messages, stream=True, **kwargs)
            calls: dict[int, dict[str, str]] = {}
            async for chunk in stream:
                if chunk.choices:
                    for frag in chunk.choices[0].delta.tool_calls or ():
                        slot = calls.setdefault(frag.index, {"id": frag.id or "", "name": "", "args": ""})
                        slot["name"] += frag.function.name or ""
                        slot["args"] += frag.function.arguments or ""
            return list(calls.values())

        async def sdk_tool() -> None:
            messages: list[dict[str, Any]] = [{"role": "user", "content": "weather in Paris?"}]
            call = (await sdk_stream(messages, tool_spec))[0]
            messages += [{"role": "assistant", "content": None, "tool_calls": [
                {"id": call["id"], "type": "function", "function": {"name": call["name"], "arguments": call["args"]}}]},
                {"role": "tool", "tool_call_id": call["id"], "content": get_weather(**json.loads(call["args"]))}]
            await sdk_stream(messages, tool_spec)

        out["openai SDK directly"] = {"tool": sdk_tool, "stream": lambda: sdk_stream([{"role": "user", "content": "hi"}])}

    if installed("litellm"):
        import litellm

        litellm.suppress_debug_info = True
        litellm.disable_aiohttp_transport = True

        async def ll_stream(messages: list[dict[str, Any]], tools: Any = None) -> list[Any]:
            kwargs: dict[str, Any] = {"tools": tools} if tools else {}
            # asks for usage, as runwire-litellm does (metrics need it): the same request on both sides
            stream = await litellm.acompletion(model="openai/stub-model", api_base=url, api_key=KEY, messages=messages,
                                               stream=True, stream_options={"include_usage": True}, max_retries=0, **kwargs)
            calls: dict[int, dict[str, str]] = {}
            async for chunk in stream:
                if chunk.choices:
                    for frag in chunk.choices[0].delta.tool_calls or ():
                        slot = calls.setdefault(frag.index or 0, {"id": frag.id or "", "name": "", "args": ""})
                        slot["id"] = slot["id"] or frag.id or ""
                        slot["name"] += frag.function.name or ""
                        slot["args"] += frag.function.arguments or ""
            return list(calls.values())

        async def ll_tool() -> None:
            messages: list[dict[str, Any]] = [{"role": "user", "content": "weather in Paris?"}]
            call = (await ll_stream(messages, tool_spec))[0]
            messages += [{"role": "assistant", "content": None, "tool_calls": [
                {"id": call["id"], "type": "function", "function": {"name": call["name"], "arguments": call["args"]}}]},
                {"role": "tool", "tool_call_id": call["id"], "content": get_weather(**json.loads(call["args"]))}]
            await ll_stream(messages, tool_spec)

        out["litellm directly"] = {"tool": ll_tool, "stream": lambda: ll_stream([{"role": "user", "content": "hi"}])}

    from runwire.agent import Agent

    def runwire_pair(model_factory: Callable[[], Any]) -> dict[str, Callable[[], Awaitable[Any]]]:
        tool_agent = Agent(model=model_factory(), tools=[get_weather])
        stream_agent = Agent(model=model_factory())

        async def stream() -> None:
            async for _ in stream_agent.arun("hi", stream=True, stream_events=True):
                pass

        return {"tool": lambda: tool_agent.arun("weather in Paris?"), "stream": stream}

    if installed("runwire_openai"):
        from runwire_openai import OpenAIChat

        out["runwire + runwire-openai"] = runwire_pair(lambda: OpenAIChat(id="stub-model", base_url=url, api_key=KEY, max_retries=0))
    if installed("runwire_litellm"):
        from runwire_litellm import LiteLLM

        out["runwire + runwire-litellm"] = runwire_pair(lambda: LiteLLM(id="openai/stub-model", api_base=url, api_key=KEY, max_retries=0))
    out.update(_peers(url))
    return out


def _peers(url: str) -> dict[str, dict[str, Callable[[], Awaitable[Any]]]]:
    peers: dict[str, dict[str, Callable[[], Awaitable[Any]]]] = {}
    if installed("agno"):
        try:
            from agno.agent import Agent as AgnoAgent
            from agno.models.openai import OpenAIChat as AgnoOpenAI

            def agno_model() -> Any:
                return AgnoOpenAI(id="stub-model", base_url=url, api_key=KEY, max_retries=0)

            tool_agent = AgnoAgent(model=agno_model(), tools=[get_weather], telemetry=False)
            stream_agent = AgnoAgent(model=agno_model(), telemetry=False)

            async def agno_stream() -> None:
                async for _ in stream_agent.arun("hi", stream=True, stream_events=True):
                    pass

            peers["agno (OpenAIChat)"] = {"tool": lambda a=tool_agent: a.arun("weather in Paris?"), "stream": agno_stream}
        except Exception as exc:  # reported in the table, not fatal
            print(f"agno could not be set up: {exc}", file=sys.stderr)
    if installed("pydantic_ai"):
        try:
            from pydantic_ai import Agent as PAgent
            from pydantic_ai.models.openai import OpenAIChatModel
            from pydantic_ai.providers.openai import OpenAIProvider

            model = OpenAIChatModel("stub-model", provider=OpenAIProvider(base_url=url, api_key=KEY))
            pai_tool_agent = PAgent(model, tools=[get_weather])
            pai_stream_agent = PAgent(model)

            async def pai_stream() -> None:
                async with pai_stream_agent.run_stream("hi") as result:
                    async for _ in result.stream_text(delta=True, debounce_by=None):
                        pass

            peers["pydantic-ai (OpenAIChatModel)"] = {"tool": lambda: pai_tool_agent.run("weather in Paris?"), "stream": pai_stream}
        except Exception as exc:
            print(f"pydantic-ai could not be set up: {exc}", file=sys.stderr)
    return peers


async def bench_http() -> list[Result]:
    proc, url = start_stub()
    try:
        table = clients(url)
        rounds = scale(21, 2)
        samples: dict[tuple[str, str], list[float]] = {}
        for work in table.values():  # warm up: imports, connections
            for fn in work.values():
                await fn()
        for _ in range(rounds):
            for name, work in table.items():
                for kind, fn in work.items():
                    # background work left by the previous call (litellm logs in threads, garbage)
                    # is not this call's cost: let it finish first
                    await asyncio.sleep(0.02)
                    gc.collect()
                    start = time.perf_counter()
                    await fn()
                    samples.setdefault((name, kind), []).append(time.perf_counter() - start)
    finally:
        proc.kill()
    med = {key: statistics.median(values) for key, values in samples.items()}
    floor_name = "floor: bare httpx"
    results: list[Result] = []
    for kind, label in (("tool", "tool-calling run"), ("stream", f"{CHUNKS}-chunk stream")):
        floor = med[(floor_name, kind)]
        for name in table:
            value = med[(name, kind)]
            extra = {"per_chunk_over_floor_us": (value - floor) / CHUNKS * 1e6} if kind == "stream" else {}
            results.append(Result(f"HTTP: {label}", name, value * 1000, "ms", floor_name, floor * 1000, extra=extra))
        if ("runwire + runwire-litellm", kind) in med and ("litellm directly", kind) in med:
            ours, theirs = med[("runwire + runwire-litellm", kind)], med[("litellm directly", kind)]
            pairs = zip(samples[("runwire + runwire-litellm", kind)], samples[("litellm directly", kind)], strict=True)
            paired = statistics.median(o / t for o, t in pairs)  # same round, back to back: robust to drift
            results.append(Result(f"HTTP: {label}", "runwire-litellm vs litellm directly", ours * 1000, "ms",
                                  "litellm directly", theirs * 1000, target="<= 1.10 x (median paired ratio)",
                                  ok=paired <= 1.10, note=f"median paired ratio {paired:.3f}",
                                  extra={"paired_ratio": paired}))
        ours = med.get(("runwire + runwire-openai", kind))
        for peer in [n for n in table if n.startswith(("agno", "pydantic-ai"))]:
            theirs = med[(peer, kind)]
            results.append(Result(f"HTTP: {label}", f"runwire-openai vs {peer}", (ours or 0) * 1000, "ms", peer,
                                  theirs * 1000, target="faster", ok=ours is not None and ours < theirs))
    return results
