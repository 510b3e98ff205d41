"""The AG-UI endpoint, driven by the official AG-UI client (@ag-ui/client from npm, run with node).

`scripts/dev setup` installs the client's pinned packages (tests/agui_client/package-lock.json).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from rw_server_kit import ANN_KEY, BOB_KEY

CLIENT = Path(__file__).parent / "agui_client"


def drive(server, agent_id: str, message: str, thread_id: str, answer=None, key: str = ANN_KEY) -> dict:
    node = shutil.which("node")
    if node is None or not (CLIENT / "node_modules" / "@ag-ui" / "client").is_dir():
        why = "node and the AG-UI client (npm ci in plugins/server/tests/agui_client; scripts/dev setup does it)"
        if os.environ.get("RUNWIRE_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{why} are required")
        pytest.skip(f"needs {why}")
    cfg = {"url": f"{server.url}/agui/{agent_id}", "token": key, "threadId": thread_id, "message": message}
    if answer is not None:
        cfg["answer"] = answer
    done = subprocess.run([node, "drive.mjs", json.dumps(cfg)], cwd=CLIENT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def types(run: dict) -> list[str]:
    return [e["type"] for e in run["events"]]


def test_agui_client_streams_a_text_answer(server, ann):
    result = drive(server, "echo", "hello from ag-ui", "thread-1")
    (run,) = result["runs"]
    assert run["failed"] is None and run["outcome"] == "success"
    assert types(run)[0] == "RUN_STARTED" and types(run)[-1] == "RUN_FINISHED"
    assert types(run)[1:-1] == ["TEXT_MESSAGE_START", *["TEXT_MESSAGE_CONTENT"] * 4, "TEXT_MESSAGE_END"]
    assert result["text"] == "echo hello from ag-ui"
    session = ann.get("/sessions/thread-1").json()  # the thread is a session of the credential's user
    assert session["runs"][0]["content"] == "echo hello from ag-ui" and session["runs"][0]["user_id"] == "ann"


def test_agui_client_answers_a_pause_with_resume(server, ann):
    result = drive(server, "confirm", "invoices", "thread-2", answer={"confirmed": True})
    first, second = result["runs"]
    assert first["failed"] is None and first["outcome"] == "interrupt"
    (interrupt,) = first["interrupts"]
    assert interrupt["reason"] == "confirmation" and interrupt["toolCallId"] == interrupt["id"]
    assert types(first)[-4:] == ["TOOL_CALL_START", "TOOL_CALL_ARGS", "TOOL_CALL_END", "RUN_FINISHED"]
    assert second["failed"] is None and second["outcome"] == "success"
    assert "TOOL_CALL_RESULT" in types(second)
    assert result["text"].endswith("done: deleted every record of invoices")
    (run,) = ann.get("/sessions/thread-2").json()["runs"]  # one runwire run, paused then continued
    assert run["status"] == "completed" and run["tools"][0]["confirmed"] is True


def test_agui_threads_are_isolated_by_user(server):
    drive(server, "echo", "mine", "thread-3")
    result = drive(server, "echo", "yours?", "thread-3", key=BOB_KEY)
    (run,) = result["runs"]
    assert run["failed"] and "404" in run["failed"]
