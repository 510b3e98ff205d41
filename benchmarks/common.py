"""Shared pieces of the benchmarks: results, timing helpers, quick mode."""

from __future__ import annotations

import gc
import os
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Optional

QUICK = os.environ.get("RUNWIRE_BENCH_QUICK") == "1"


@dataclass
class Result:
    """One measured quantity. ``ratio`` compares it with ``baseline`` measured in the same run."""

    section: str
    name: str
    value: float
    unit: str
    baseline_name: Optional[str] = None
    baseline: Optional[float] = None
    target: Optional[str] = None
    ok: Optional[bool] = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> Optional[float]:
        if self.baseline in (None, 0):
            return None
        return self.value / self.baseline  # type: ignore[operator]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ratio"] = self.ratio
        return data


def scale(full: int, quick: int) -> int:
    return quick if QUICK else full


def median_time(fn: Callable[[], Any], *, repeat: int = 5, number: int = 1) -> float:
    """Median seconds per call of ``fn`` over ``repeat`` rounds of ``number`` calls (GC off while timing)."""
    samples = []
    for _ in range(repeat):
        gc.collect()
        gc.disable()
        try:
            start = time.perf_counter()
            for _ in range(number):
                fn()
            samples.append((time.perf_counter() - start) / number)
        finally:
            gc.enable()
    return statistics.median(samples)


async def amedian_time(fn: Callable[[], Any], *, repeat: int = 5, number: int = 1) -> float:
    """Async :func:`median_time`: ``fn`` returns an awaitable."""
    samples = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        for _ in range(number):
            await fn()
        samples.append((time.perf_counter() - start) / number)
    return statistics.median(samples)


def cold_import_ms(statement: str, repeat: int = 7) -> float:
    """Median wall time of ``python -c statement`` minus ``python -c pass``, in ms."""
    def run(code: str) -> float:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
        return time.perf_counter() - start

    base = statistics.median(run("pass") for _ in range(repeat))
    return (statistics.median(run(statement) for _ in range(repeat)) - base) * 1000


def installed(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None
