"""The cost of persistence: per run and per event, SQLite and PostgreSQL, and its growth with session size."""

from __future__ import annotations

import os
import statistics
import tempfile
import uuid
from typing import Any

from common import Result, amedian_time, scale

from runwire.agent import Agent
from runwire.testing import ScriptedModel, ToolCall

PG_URL = os.environ.get("RUNWIRE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def noop(i: int) -> str:
    """Do nothing."""
    return "ok"


def _backends() -> dict[str, Any]:
    from runwire.storage.sqlite import SqliteStorage

    backends: dict[str, Any] = {"SQLite": lambda: SqliteStorage(os.path.join(tempfile.mkdtemp(), "bench.db"))}
    try:
        import psycopg

        with psycopg.connect(PG_URL, connect_timeout=3):
            pass
        from runwire_postgres import PostgresStorage

        backends["PostgreSQL"] = lambda: PostgresStorage(PG_URL, schema="bench_" + uuid.uuid4().hex[:8])
    except Exception:
        pass
    return backends


async def bench_storage() -> list[Result]:
    results: list[Result] = []
    number = scale(200, 10)
    calls = 25

    def tool_script(request: Any) -> Any:
        if request.messages[-1].role == "tool":
            return "done"
        return [ToolCall("noop", {"i": i}) for i in range(calls)]

    plain = Agent(model=ScriptedModel(lambda r: "hello world"))
    plain_tools = Agent(model=ScriptedModel(tool_script), tools=[noop])
    await plain.arun("x"), await plain_tools.arun("x")
    base_run = await amedian_time(lambda: plain.arun("x"), repeat=3, number=number)
    base_tools = await amedian_time(lambda: plain_tools.arun("x"), repeat=3, number=number // 5)
    for name, make in _backends().items():
        storage = make()
        stored = Agent(model=ScriptedModel(lambda r: "hello world"), db=storage)
        stored_tools = Agent(model=ScriptedModel(tool_script), tools=[noop], db=storage)
        await stored.arun("x"), await stored_tools.arun("x")
        run = await amedian_time(lambda a=stored: a.arun("x", session_id="bench"), repeat=3, number=number)
        tools = await amedian_time(lambda a=stored_tools: a.arun("x", session_id="bench-tools"), repeat=3, number=number // 5)
        per_event = ((tools - base_tools) - (run - base_run)) / (2 * calls)
        results.append(Result(f"storage: {name}", "persistence per run", (run - base_run) * 1000, "ms",
                              extra={"run_without_ms": base_run * 1000, "run_with_ms": run * 1000}))
        results.append(Result(f"storage: {name}", "persistence per event", per_event * 1e6, "us"))
        # history on: each run loads the session's last 3 runs into its context, as chat apps do
        history = Agent(model=ScriptedModel(lambda r: "hello world"), db=storage, add_history_to_context=True,
                        num_history_runs=3)
        sessions = {}
        for size in (1, 100, 1000) if number > 10 else (1, 20):
            sessions[size] = f"grow-{size}-{uuid.uuid4().hex[:6]}"
            for _ in range(size):
                await history.arun("x", session_id=sessions[size])
        samples: dict[int, list[float]] = {size: [] for size in sessions}
        for _ in range(scale(5, 1)):  # sizes take turns, so drift hits them alike
            for size, session in sessions.items():
                samples[size].append(await amedian_time(lambda a=history, s=session: a.arun("x", session_id=s),
                                                        repeat=1, number=scale(60, 5)))
        growth = {size: statistics.median(values) for size, values in samples.items()}
        sizes = sorted(growth)
        flat = growth[sizes[-1]] / growth[sizes[0]]
        results.append(Result(f"storage: {name}", f"run time with history, session of {sizes[-1]} runs vs 1 run", growth[sizes[-1]] * 1000,
                              "ms", f"session of {sizes[0]}", growth[sizes[0]] * 1000, target="flat (< 1.5 x)", ok=flat < 1.5,
                              extra={str(k): v * 1000 for k, v in growth.items()}))
        rows = await storage._fetch("SELECT SUM(LENGTH(CAST(data AS TEXT))), COUNT(*) FROM runwire_runs "
                                    "WHERE session_id = ?", (sessions[sizes[-1]],))
        results.append(Result(f"storage: {name}", f"run row size with history on ({sizes[-1]}-run session)",
                              (rows[0][0] or 0) / 1024 / max(rows[0][1], 1), "KiB/run"))
        await storage.aclose()
    return results
