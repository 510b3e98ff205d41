"""Cancel latency: from cancel_run() to the run's end, during streaming and during a tool, in-process and via Redis."""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import textwrap
import time
import uuid

from common import Result, scale

from runwire.agent import Agent
from runwire.testing import ScriptedModel, ToolCall


async def _streaming_latency() -> float:
    agent = Agent(model=ScriptedModel([" ".join(["w"] * 100000)], chunk_delay=0.001))
    stream = agent.arun("go", stream=True)
    count, cancelled_at = 0, 0.0
    async for event in stream:
        count += 1
        if count == 50:
            cancelled_at = time.perf_counter()
            agent.cancel_run(stream.run_id)
        if event.event == "RunCancelled":
            return time.perf_counter() - cancelled_at
    raise RuntimeError("the run was not cancelled")


async def _tool_latency() -> float:
    async def slow() -> str:
        await asyncio.sleep(60)
        return "late"

    agent = Agent(model=ScriptedModel([[ToolCall("slow", {})]]), tools=[slow])
    run_id = uuid.uuid4().hex
    task = asyncio.ensure_future(agent.arun("go", run_id=run_id))
    await asyncio.sleep(0.05)
    start = time.perf_counter()
    agent.cancel_run(run_id)
    await task
    return time.perf_counter() - start


def _redis_latency() -> float:
    url = os.environ.get("RUNWIRE_TEST_REDIS", "redis://127.0.0.1:6379/0")
    from runwire.run.cancel import set_cancellation_backend
    from runwire_redis import RedisCancellation

    run_id = "bench-" + uuid.uuid4().hex
    child = textwrap.dedent("""
        import sys, time
        from runwire.agent import Agent
        from runwire.testing import ScriptedModel
        agent = Agent(model=ScriptedModel([" ".join(["w"] * 100000)], chunk_delay=0.001))
        for i, event in enumerate(agent.run("go", run_id=sys.argv[1], stream=True)):
            if i == 20:
                print("READY", flush=True)
            if event.event == "RunCancelled":
                print(time.time(), flush=True)
    """)
    proc = subprocess.Popen([sys.executable, "-c", child, run_id], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "RUNWIRE_CANCELLATION": url})
    assert proc.stdout.readline().strip() == "READY"  # type: ignore[union-attr]
    set_cancellation_backend(RedisCancellation(url))
    try:
        start = time.time()
        Agent(model=ScriptedModel([])).cancel_run(run_id)
        ended = float(proc.stdout.readline())  # type: ignore[union-attr]
    finally:
        set_cancellation_backend(None)
        proc.kill()
    return ended - start


async def bench_cancel() -> list[Result]:
    rounds = scale(7, 2)
    streaming = statistics.median([await _streaming_latency() for _ in range(rounds)])
    tool = statistics.median([await _tool_latency() for _ in range(rounds)])
    results = [
        Result("cancel latency", "in-process, during streaming", streaming * 1000, "ms"),
        Result("cancel latency", "in-process, during a slow tool", tool * 1000, "ms"),
    ]
    try:
        redis = statistics.median([await asyncio.to_thread(_redis_latency) for _ in range(rounds)])
        results.append(Result("cancel latency", "via Redis, from another process, during streaming", redis * 1000, "ms"))
    except Exception as exc:
        results.append(Result("cancel latency", "via Redis", 0, "", note=f"unavailable: {exc}"[:100]))
    return results
