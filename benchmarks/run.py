"""Run runwire's benchmarks; print a table and save it as JSON.

    scripts/dev bench                      # everything (a few minutes)
    scripts/dev bench --only core,http     # some sections
    RUNWIRE_BENCH_QUICK=1 scripts/dev bench  # tiny sizes: checks that it runs, numbers mean little

Every ratio compares two things measured in the same process run, on the same
machine, so the noise of a shared machine hits both. Results go to
benchmarks/results/latest.json (and are published in README.md by hand).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from common import QUICK, Result  # noqa: E402

SECTIONS = ("core", "http", "http-scale", "instructions", "llamacpp", "storage", "cancel", "plugins", "mcp", "server", "dbos")


async def collect(only: set[str]) -> list[Result]:
    results: list[Result] = []

    def step(name: str) -> bool:
        if name in only:
            print(f"== {name}", file=sys.stderr, flush=True)
            return True
        return False

    if step("core"):
        from bench_core import bench_concurrency, bench_construction, bench_import, bench_runs

        results += bench_import()
        results += bench_construction()
        results += await bench_runs()
        results += await bench_concurrency()
    if step("http"):
        from bench_http import bench_http

        results += await bench_http()
    if step("http-scale"):
        from bench_http_scale import bench_concurrency as bench_http_concurrency
        from bench_http_scale import bench_connections, bench_memory, bench_tools

        results += await bench_http_concurrency()
        results += await bench_memory()
        results += await bench_tools()
        results += await bench_connections()
    if step("instructions"):
        from bench_instructions import bench_instructions

        results += await bench_instructions()
    if step("llamacpp"):
        from bench_llamacpp import bench_llamacpp

        results += await asyncio.to_thread(bench_llamacpp)
    if step("storage"):
        from bench_storage import bench_storage
        from bench_storage_size import bench_storage_size

        results += await bench_storage()
        results += await bench_storage_size()
    if step("cancel"):
        from bench_cancel import bench_cancel

        results += await bench_cancel()
    if step("plugins"):
        from bench_plugins import bench_plugins

        results += await bench_plugins()
    if step("mcp"):
        from bench_mcp import bench_mcp

        results += await bench_mcp()
    if step("server"):
        from bench_server import bench_server

        results += await bench_server()
    if step("dbos"):
        from bench_dbos import bench_dbos

        results += await bench_dbos()
    return results


def machine() -> dict[str, object]:
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "quick": QUICK,
    }


def render(results: list[Result]) -> str:
    """A Markdown table (what README.md publishes)."""
    lines = ["| section | measure | value | baseline | ratio | target | met |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for r in results:
        value = f"{r.value:,.2f} {r.unit}" if r.unit else "-"
        base = f"{r.baseline_name}: {r.baseline:,.2f} {r.unit}" if r.baseline is not None else ""
        ratio = f"{r.ratio:.2f} x" if r.ratio is not None else ""
        met = {True: "yes", False: "**no**", None: ""}[r.ok]
        note = f" ({r.note})" if r.note else ""
        lines.append(f"| {r.section} | {r.name}{note} | {value} | {base} | {ratio} | {r.target or ''} | {met} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated sections: {', '.join(SECTIONS)}")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "latest.json"))
    args = parser.parse_args(argv)
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    unknown = only - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections {sorted(unknown)}; choose from {', '.join(SECTIONS)}")
    started = time.perf_counter()
    results = asyncio.run(collect(only))
    table = render(results)
    print(table)
    report = {"machine": machine(), "seconds": round(time.perf_counter() - started, 1),
              "command": "scripts/dev bench " + " ".join(argv or sys.argv[1:]),
              "results": [r.to_dict() for r in results]}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    (out.with_suffix(".md")).write_text(table + "\n")
    missed = [r for r in results if r.ok is False]
    print(f"\n{len(results)} measures, {len(missed)} targets missed; saved to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
