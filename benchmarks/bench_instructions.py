"""CPU instructions per tool-calling run, counted by valgrind: 1 tool against 100, runwire-openai and the floor.

Wall time cannot tell a cost that stays flat from one that grows by a few
hundred microseconds on a shared machine (the paired differences of
bench_http_scale.bench_tools swing by more than the effect). Instructions can:
callgrind counts every instruction the client process executes, the same count
for the same work whatever else the machine does. Each client runs in its own
process under callgrind, once with ``WARM`` runs and once with ``WARM + RUNS``;
the difference divided by ``RUNS`` is one run's instructions, start-up and
warm-up cancelled out. The stub server runs outside valgrind.

    python benchmarks/bench_instructions.py            # the table
    python benchmarks/bench_instructions.py --child floor 100 25 URL   # one counted process (internal)
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from common import Result, installed, scale

WARM = 5
SECTION = "HTTP: instructions per tool-calling run, 1 vs 100 tools"


async def _child(kind: str, tools: int, runs: int, url: str) -> None:
    from bench_http import KEY, floor_work, runwire_work
    from floor_clients import RawSocketClient, close_all

    if kind == "floor":
        run = floor_work(RawSocketClient(url, KEY), tools=tools)["tool"]
    else:
        from bench_http_scale import lean

        run = runwire_work(lean(url), tools=tools)["tool"]
    for _ in range(runs):
        await run()
    await close_all()


def count(kind: str, tools: int, runs: int, url: str) -> int:
    """Instructions executed by a process doing ``runs`` tool-calling runs of ``kind`` with ``tools`` tools."""
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/cg.out", sys.executable,
             __file__, "--child", kind, str(tools), str(runs), url],
            capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"}, timeout=900)
    found = re.search(r"Collected : (\d+)", out.stderr)
    if out.returncode != 0 or not found:
        raise RuntimeError(f"callgrind run of {kind} failed ({out.returncode}): {out.stderr[-2000:]}")
    return int(found.group(1))


def per_run(kind: str, tools: int, runs: int, url: str) -> float:
    return (count(kind, tools, WARM + runs, url) - count(kind, tools, WARM, url)) / runs


async def bench_instructions() -> list[Result]:
    if shutil.which("valgrind") is None or not installed("runwire_openai"):
        return [Result(SECTION, "instructions per run", 0, "", note="valgrind or runwire-openai not installed")]
    from bench_http import start_stub

    runs = scale(20, 2)
    proc, url = start_stub()
    try:
        figures = {(kind, tools): await asyncio.to_thread(per_run, kind, tools, runs, url)
                   for kind in ("floor", "runwire") for tools in (1, 100)}
    finally:
        proc.kill()
    names = {"floor": "floor: raw asyncio socket", "runwire": "runwire + runwire-openai"}
    results = [Result(SECTION, f"{names[kind]}, {tools} tool{'s' if tools > 1 else ''}", figures[kind, tools] / 1e6,
                      "M instructions") for kind, tools in figures]
    over = {tools: figures["runwire", tools] - figures["floor", tools] for tools in (1, 100)}
    ratio = over[100] / over[1]
    results.append(Result(SECTION, "runwire-openai over the floor, 100 tools vs 1", over[100] / 1e6, "M instructions",
                          "over the floor with 1 tool", over[1] / 1e6, target="<= 1.2 x", ok=ratio <= 1.2,
                          note=f"callgrind, ({WARM}+{runs} runs) - ({WARM} runs)", extra={"ratio": ratio}))
    for tools in (1, 100):
        results.append(Result(SECTION, f"runwire-openai vs the floor, {tools} tool{'s' if tools > 1 else ''}",
                              figures["runwire", tools] / 1e6, "M instructions", "floor",
                              figures["floor", tools] / 1e6))
    return results


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    if sys.argv[1:2] == ["--child"]:
        asyncio.run(_child(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]))
    else:
        for result in asyncio.run(bench_instructions()):
            print(f"{result.name}: {result.value:.3f} {result.unit}"
                  + (f" (baseline {result.baseline:.3f}, ratio {result.ratio:.2f})" if result.baseline else ""))
