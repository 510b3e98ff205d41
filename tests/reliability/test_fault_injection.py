"""SIGKILL a streaming process at random points; the record it leaves must be whole and recoverable.

Checked after each kill: the database's integrity, every stored event is valid JSON, the event
log has no gap or duplicate, every non-content event the consumer had seen is stored, and the run
is recoverable (marked interrupted, then continued to completion without re-running a completed
tool). 3 trials per backend in the default run; 20 per backend with ``-m slow``.
"""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from runwire.storage.liveness import recover_runs

from .victim import STEPS, make_agent

VICTIM = Path(__file__).with_name("victim.py")
FULL_RUN_SECONDS = 0.3  # the victim's run takes about 0.35 s after its first event here: most kills land inside it


def _trial(backend, tmp_path: Path, trial: int, rng: random.Random) -> dict:
    effects = tmp_path / f"effects-{trial}.txt"
    run_id = f"fi-{trial}"
    proc = subprocess.Popen([sys.executable, str(VICTIM), backend.kind, backend.url, backend.schema or "-", run_id,
                             str(effects)], stdout=subprocess.PIPE, text=True)
    seen: list[dict] = []

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            seen.append(json.loads(line))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    while not seen and proc.poll() is None:  # wait for the run to start, then kill at a random point in it
        time.sleep(0.005)
    time.sleep(rng.uniform(0, FULL_RUN_SECONDS))
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    reader.join(timeout=10)
    return {"run_id": run_id, "effects": effects, "seen": list(seen)}


async def _check(backend, trial: dict) -> str:
    storage = backend.make()
    try:
        if backend.kind == "sqlite":
            path = backend.url[len("sqlite:///"):]
            with sqlite3.connect(path) as conn:
                assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
                for (data,) in conn.execute("SELECT data FROM runwire_events"):
                    json.loads(data)  # no corrupt JSON
        log = await storage.read_events(trial["run_id"])
        assert [seq for seq, _ in log] == list(range(len(log)))
        stored = {(e["event"], e["created_at"]) for _, e in log}
        lost = [s for s in trial["seen"] if s["event"] != "RunContent" and (s["event"], s["created_at"]) not in stored]
        assert lost == [], f"events the consumer saw but storage lost: {lost}"
        run = await storage.get_run(trial["run_id"], with_events=False)
        if run is None:  # killed before the run's row was written: nothing was shown, nothing to recover
            assert all(s["event"] == "RunContent" for s in trial["seen"]) or not trial["seen"]
            return "not started"
        if run.status == "completed":
            return "completed"
        assert run.status == "running"
        recorded = [e["tool"]["tool_args"]["n"] for _, e in log if e["event"] == "ToolCallCompleted"]
        assert await recover_runs(storage) == [trial["run_id"]]
        agent = make_agent(storage, str(trial["effects"]))
        out = await agent.acontinue_run(run_id=trial["run_id"])
        assert out.status == "completed"
        effects = trial["effects"].read_text().splitlines() if trial["effects"].exists() else []
        for n in range(1, STEPS + 1):
            assert effects.count(f"done {n}") >= 1, effects
            if n in recorded:  # a tool recorded as completed is never run again (one cut off mid-call may be)
                assert effects.count(f"start {n}") == 1, effects
        log = await storage.read_events(trial["run_id"])
        assert [seq for seq, _ in log] == list(range(len(log))) and log[-1][1]["event"] == "RunCompleted"
        return "recovered"
    finally:
        await storage.aclose()


async def _campaign(backend, tmp_path: Path, trials: int) -> None:
    rng = random.Random(2026)
    outcomes = []
    for i in range(trials):
        outcomes.append(await _check(backend, _trial(backend, tmp_path, i, rng)))
    print(f"{backend.kind}: {trials} kills -> " + ", ".join(f"{o}: {outcomes.count(o)}" for o in sorted(set(outcomes))))
    assert "recovered" in outcomes


async def test_sigkill_at_random_points(backend, tmp_path):
    await _campaign(backend, tmp_path, 3)


@pytest.mark.slow
async def test_sigkill_at_random_points_many(backend, tmp_path):
    await _campaign(backend, tmp_path, 20)
