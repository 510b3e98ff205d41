"""A run whose process was killed is found, marked interrupted, and continued from its last completed step."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from runwire.agent import Agent
from runwire.run.continuation import ContinueRunError
from runwire.storage.liveness import recover_runs

from .victim import make_agent

VICTIM = Path(__file__).with_name("victim.py")


def start_victim(backend, run_id: str, effects: Path, block_at: int = 0) -> subprocess.Popen:
    args = [sys.executable, str(VICTIM), backend.kind, backend.url, backend.schema or "-", run_id, str(effects)]
    if block_at:
        args.append(str(block_at))
    return subprocess.Popen(args, stdout=subprocess.PIPE, text=True)


def kill_when(proc: subprocess.Popen, effects: Path, line: str) -> None:
    deadline = time.monotonic() + 60
    while line not in (effects.read_text() if effects.exists() else ""):
        assert proc.poll() is None and time.monotonic() < deadline, "the victim ended before it got there"
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)


async def test_a_killed_run_is_recovered_and_continued_without_repeating_completed_tools(backend, tmp_path):
    effects = tmp_path / "effects.txt"
    kill_when(start_victim(backend, "killed-run", effects, block_at=2), effects, "start 2")
    storage = backend.make()
    assert (await storage.get_run("killed-run", with_events=False)).status == "running"
    assert await recover_runs(storage) == ["killed-run"]
    assert await recover_runs(storage) == []  # marked once
    stored = await storage.get_run("killed-run", with_events=False)
    assert stored.status == "interrupted"
    assert [(t.tool_args["n"], t.status) for t in stored.tools] == [(1, "completed")]
    assert stored.messages[-1].tool_calls[0].arguments == {"n": 2}  # the last checkpoint: the model asked for step 2

    agent = make_agent(storage, str(effects))
    out = await agent.acontinue_run(run_id="killed-run")
    assert out.status == "completed" and "all steps finished" in out.content
    assert effects.read_text().splitlines() == ["start 1", "done 1", "start 2", "start 2", "done 2", "start 3", "done 3"]
    log = await storage.read_events("killed-run")
    assert [seq for seq, _ in log] == list(range(len(log)))  # no gap, no duplicate
    names = [e["event"] for _, e in log]
    assert names.count("RunStarted") == 1 and names.count("RunContinued") == 1 and names[-1] == "RunCompleted"
    assert [e["tool"]["tool_args"]["n"] for _, e in log if e["event"] == "ToolCallCompleted"] == [1, 2, 3]
    await storage.aclose()


async def test_an_interrupted_run_can_be_cancelled_and_then_stays_cancelled(backend, tmp_path):
    effects = tmp_path / "effects.txt"
    kill_when(start_victim(backend, "to-cancel", effects, block_at=1), effects, "start 1")
    storage = backend.make()
    agent = make_agent(storage, str(effects))
    assert await agent.arecover_runs() == ["to-cancel"]
    assert await agent.acancel_run("to-cancel")
    assert (await storage.get_run("to-cancel", with_events=False)).status == "cancelled"
    with pytest.raises(ContinueRunError, match="cancelled"):
        await agent.acontinue_run(run_id="to-cancel")
    await storage.aclose()


async def test_recover_leaves_live_runs_alone(storage):
    from runwire.testing import ScriptedModel

    release, started = asyncio.Event(), asyncio.Event()

    async def wait() -> str:
        """Wait."""
        started.set()
        await release.wait()
        return "ok"

    from .conftest import call_then_answer

    agent = Agent(model=ScriptedModel(call_then_answer("wait")), tools=[wait], db=storage)
    task = asyncio.ensure_future(agent.arun("go", run_id="alive", session_id="alive"))
    await started.wait()
    assert (await storage.get_run("alive", with_events=False)).status == "running"
    assert await recover_runs(storage) == []
    assert await recover_runs(storage, now=time.time() + 10**6) == []  # our own live process: not dead however late
    release.set()
    assert (await task).status == "completed"


def test_cli_runs_recover(tmp_path):
    from ..storage.conftest import Backend

    backend = Backend("sqlite", f"sqlite:///{tmp_path}/cli.db")
    effects = tmp_path / "effects.txt"
    kill_when(start_victim(backend, "cli-run", effects, block_at=1), effects, "start 1")
    result = subprocess.run([sys.executable, "-m", "runwire.cli", "runs", "recover", "--db", backend.url],
                            capture_output=True, text=True, timeout=120, env=os.environ)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["cli-run", "interrupted"]
    assert "1 run(s) marked interrupted" in result.stderr
