"""The benchmarks run end to end (tiny sizes); their numbers are not asserted, only that they are produced."""

import json
import math
import os
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "run.py"


def test_benchmarks_run_and_write_a_report(tmp_path):
    out = tmp_path / "bench.json"
    env = {**os.environ, "RUNWIRE_BENCH_QUICK": "1"}
    result = subprocess.run([sys.executable, str(BENCH), "--only", "core,storage,cancel,plugins,mcp", "--out", str(out)],
                            capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(out.read_text())
    sections = {r["section"] for r in report["results"]}
    assert {"import", "construction", "runs (scripted model)", "concurrency", "cancel latency", "plugins", "mcp"} <= sections
    assert any(s.startswith("storage: ") for s in sections)
    # every figure is produced and finite; its sign is not asserted: at tiny sizes on a busy machine a figure
    # that is a difference of two timings (persistence per event) can come out below zero
    assert all(isinstance(r["value"], (int, float)) and math.isfinite(r["value"]) for r in report["results"])
    assert "| section | measure |" in result.stdout and report["machine"]["cpus"]
    # database size per run of a session (against Agno's when Agno is installed): a stored run takes room
    sizes = [r for r in report["results"] if r["name"].startswith("database size per run")]
    assert sizes and all(r["value"] > 0 for r in sizes)
