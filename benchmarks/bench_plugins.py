"""Plugin discovery with many installed distributions, and the cost of an event sink on a streamed run."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from common import Result, amedian_time, scale

from runwire.agent import Agent
from runwire.sinks import EventSink
from runwire.testing import ScriptedModel

DISCOVER = "import time; t = time.perf_counter(); from runwire.plugins import build_registry; r = build_registry(); " \
           "print((time.perf_counter() - t) * 1000, len(r.plugins))"


def _fake_distributions(root: Path, count: int) -> None:
    for i in range(count):
        module = f"rw_bench_plugin_{i}"
        (root / f"{module}.py").write_text(
            "from runwire import hookimpl\n\n@hookimpl\ndef runwire_register_tools(register):\n"
            f"    def tool_{i}(x: int) -> int:\n        return x\n    register(tool_{i})\n")
        info = root / f"{module}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 1.0\n")
        (info / "entry_points.txt").write_text(f"[runwire]\nbench{i} = {module}\n")


def _discover(env: dict[str, str]) -> float:
    samples = []
    for _ in range(scale(5, 2)):
        out = subprocess.run([sys.executable, "-c", DISCOVER], capture_output=True, text=True, env=env, check=True)
        samples.append(float(out.stdout.split()[0]))
    return statistics.median(samples)


class NullSink(EventSink):
    async def handle(self, event: object) -> None:
        return None


async def bench_plugins() -> list[Result]:
    count = scale(50, 10)
    with tempfile.TemporaryDirectory() as tmp:
        _fake_distributions(Path(tmp), count)
        base = _discover(dict(os.environ))
        many = _discover({**os.environ, "PYTHONPATH": tmp + os.pathsep + os.environ.get("PYTHONPATH", "")})
    results = [Result("plugins", f"plugin discovery with {count} more distributions", many, "ms",
                      "discovery with the installed ones", base, note="once per process")]
    words = " ".join(["w"] * 1000)
    bare = Agent(model=ScriptedModel(lambda r: words))
    sunk = Agent(model=ScriptedModel(lambda r: words), sinks=[NullSink()])

    async def drain(agent: Agent) -> None:
        async for _ in agent.arun("x", stream=True, stream_events=True):
            pass

    await drain(bare), await drain(sunk)
    reps = scale(20, 2)
    without = await amedian_time(lambda: drain(bare), repeat=5, number=reps)
    with_sink = await amedian_time(lambda: drain(sunk), repeat=5, number=reps)
    results.append(Result("plugins", "1,000-chunk streamed run with a sink", with_sink * 1000, "ms", "without a sink",
                          without * 1000))
    return results
