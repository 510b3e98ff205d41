"""The benchmarks run end to end (tiny sizes); their numbers are not asserted, only that they are produced."""

import json
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
    assert all(r["value"] >= 0 for r in report["results"])
    assert "| section | measure |" in result.stdout and report["machine"]["cpus"]
