"""Durable runs (runwire-dbos): the cost of durability per run and per step, and queue throughput over workers.

Cost: in one child process, runs with and without the plugin (both stored on PostgreSQL) take turns in
every round; the ratio is the median of the per-round ratios. Throughput: 1, 2 and 4 worker processes
(one run at a time each) share a DBOS queue of runs whose model waits 50 ms.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

from common import Result, scale

PG_URL = os.environ.get("RUNWIRE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
APP = Path(__file__).with_name("dbos_app.py")


def _admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True, connect_timeout=3) as conn:
        conn.execute(sql)


def _paired(samples: dict[str, list[float]], a: str, b: str) -> float:
    return statistics.median(x / y for x, y in zip(samples[a], samples[b]))


async def bench_dbos() -> list[Result]:
    try:
        import runwire_dbos  # noqa: F401

        _admin("SELECT 1")
    except Exception as exc:
        print(f"dbos section skipped: {exc}", file=sys.stderr)
        return []
    name = f"rwbench_{uuid.uuid4().hex[:8]}"
    sysdb = PG_URL.rsplit("/", 1)[0] + "/" + name
    try:
        return _cost(sysdb, name) + await _throughput(sysdb, name)
    finally:
        _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        _admin(f"DROP SCHEMA IF EXISTS {name} CASCADE")


def _cost(sysdb: str, schema: str) -> list[Result]:
    done = subprocess.run([sys.executable, str(APP), "cost", sysdb, schema, str(scale(60, 3))],
                          capture_output=True, text=True, check=True, timeout=1800)
    data = json.loads(done.stdout.strip().splitlines()[-1])
    s, turns = data["samples"], data["tool_turns"]
    med = {k: statistics.median(v) for k, v in s.items()}
    steps = 2 * turns  # the tool run's extra steps over the one-turn run: `turns` tool calls + `turns` model requests
    per_step = ((med["durable_tools"] - med["plain_tools"]) - (med["durable"] - med["plain"])) / steps
    section = "durable runs (DBOS)"
    return [
        Result(section, f"one-turn run, stored on PostgreSQL: with runwire-dbos (median paired ratio "
                        f"{_paired(s, 'durable', 'plain'):.2f})", med["durable"] * 1000, "ms",
               baseline_name="without", baseline=med["plain"] * 1000),
        Result(section, f"{turns}-tool-call run: with runwire-dbos (median paired ratio "
                        f"{_paired(s, 'durable_tools', 'plain_tools'):.2f})", med["durable_tools"] * 1000, "ms",
               baseline_name="without", baseline=med["plain_tools"] * 1000),
        Result(section, "durability per run (workflow start, inputs, result)", (med["durable"] - med["plain"]) * 1000,
               "ms"),
        Result(section, "durability per step (model request or tool call checkpoint)", per_step * 1000, "ms"),
    ]


async def _throughput(sysdb: str, schema: str) -> list[Result]:
    from dbos import DBOSClient
    from runwire.agent import Agent
    from runwire.testing import ScriptedModel
    from runwire_dbos import DBOSDurability

    durable = DBOSDurability({"name": "runwire-bench", "system_database_url": sysdb})
    agent = Agent(model=ScriptedModel(lambda r: "hello world"), name="b-queue", durability=durable)
    runs = scale(40, 6)
    results, per_second = [], {}
    for workers in (1, 2, 4):
        procs = [subprocess.Popen([sys.executable, str(APP), "worker", sysdb, schema], stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, text=True) for _ in range(workers)]
        try:
            for proc in procs:
                if proc.stdout.readline().strip() != "ready":  # type: ignore[union-attr]
                    raise RuntimeError("a benchmark worker did not start")
            client = DBOSClient(system_database_url=sysdb)
            prefix = f"tp{workers}-{uuid.uuid4().hex[:6]}"
            start = time.perf_counter()
            for i in range(runs):
                await durable.enqueue(agent, "x", client=client, run_id=f"{prefix}-{i}")
            while _finished(sysdb, prefix) < runs:
                await asyncio.sleep(0.02)
            elapsed = time.perf_counter() - start
            client.destroy()
        finally:
            for proc in procs:
                proc.kill()
                proc.wait()
        per_second[workers] = runs / elapsed
        results.append(Result("durable runs (DBOS)", f"queue throughput, {workers} worker process(es), "
                               "1 run at a time each, 50 ms model", per_second[workers], "runs/s",
                               baseline_name="1 worker" if workers > 1 else None,
                               baseline=per_second[1] if workers > 1 else None))
    return results


def _finished(sysdb: str, prefix: str) -> int:
    import psycopg

    with psycopg.connect(sysdb, autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM dbos.workflow_status WHERE workflow_uuid LIKE %s "
                           "AND status = 'SUCCESS'", (prefix + "-%",)).fetchone()
    return int(row[0]) if row else 0
