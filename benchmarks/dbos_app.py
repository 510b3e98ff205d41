"""Child processes of bench_dbos.py: ``cost`` measures durability in one process, ``worker`` serves the queue.

python dbos_app.py cost SYSDB SCHEMA ROUNDS      prints one JSON line of paired timings
python dbos_app.py worker SYSDB SCHEMA           serves the queue until killed
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import sys
import time
from typing import Any

from runwire.agent import Agent
from runwire.testing import ScriptedModel, ToolCall
from runwire_dbos import DBOSDurability
from runwire_postgres import PostgresStorage

PG_URL = os.environ.get("RUNWIRE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
TOOL_TURNS = 10


def noop(i: int) -> str:
    """Do nothing."""
    return "ok"


def tool_script(request: Any) -> Any:
    done = sum(1 for m in request.messages if m.role == "tool")
    return "done" if done >= TOOL_TURNS else [ToolCall("noop", {"i": done})]


def durability(sysdb: str, **options: Any) -> DBOSDurability:
    return DBOSDurability({"name": "runwire-bench", "system_database_url": sysdb, "log_level": "WARNING",
                           "executor_id": f"bench-{os.getpid()}"}, **options)


async def cost(sysdb: str, schema: str, rounds: int) -> dict[str, Any]:
    storage = PostgresStorage(PG_URL, schema=schema)
    durable = durability(sysdb)
    agents = {
        "plain": Agent(model=ScriptedModel(lambda r: "hello world"), name="b-plain", db=storage),
        "durable": Agent(model=ScriptedModel(lambda r: "hello world"), name="b-durable", db=storage,
                         durability=durable),
        "plain_tools": Agent(model=ScriptedModel(tool_script), name="b-plain-tools", tools=[noop], db=storage),
        "durable_tools": Agent(model=ScriptedModel(tool_script), name="b-durable-tools", tools=[noop], db=storage,
                               durability=durable),
    }
    await durable.alaunch()
    for agent in agents.values():  # warm up: connections, migrations
        await agent.arun("x")
    samples: dict[str, list[float]] = {name: [] for name in agents}
    for _ in range(rounds):  # the four take turns in every round, so drift hits them alike
        for name, agent in agents.items():
            gc.collect()
            start = time.perf_counter()
            await agent.arun("x", session_id="bench")
            samples[name].append(time.perf_counter() - start)
    durable.shutdown()
    await storage.aclose()
    return {"samples": samples, "tool_turns": TOOL_TURNS}


def main() -> None:
    mode, sysdb, schema = sys.argv[1:4]
    if mode == "cost":
        print(json.dumps(asyncio.run(cost(sysdb, schema, int(sys.argv[4])))), flush=True)
        return
    durable = durability(sysdb, worker_concurrency=int(os.environ.get("BENCH_WORKER_CONCURRENCY", "1")))
    Agent(model=ScriptedModel(lambda r: "hello world", latency=0.05), name="b-queue",
          db=PostgresStorage(PG_URL, schema=schema), durability=durable)
    durable.launch()
    print("ready", flush=True)
    while True:
        time.sleep(1)


if __name__ == "__main__":
    main()
