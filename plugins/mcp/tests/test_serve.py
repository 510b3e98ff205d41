"""``runwire mcp serve``: a runwire agent as an MCP server, driven by the official SDK's own client."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap

import pytest
from mcp import Client, StdioServerParameters, types
from runwire.storage import resolve_storage

from .conftest import free_port, wait_for_port

APP = """
import asyncio
from runwire.agent import Agent
from runwire.testing import ScriptedModel, ToolCall
from runwire.tools import tool


@tool
async def wait_forever(marker: str) -> str:
    \"\"\"Waits a minute; writes `marker` when cancelled.\"\"\"
    try:
        await asyncio.sleep(60)
    except BaseException:
        open(marker, "w").write("cancelled")
        raise
    return "waited"


def respond(request):
    last = request.messages[-1]
    if last.role == "user" and last.content.startswith("wait:"):
        return [ToolCall("wait_forever", {"marker": last.content[5:]})]
    return f"You said: {last.content}"


agent = Agent(model=ScriptedModel(respond), name="Echo agent", description="Repeats what you say.",
              tools=[wait_forever], db="sqlite:///{db}")
"""


@pytest.fixture
def app(tmp_path):
    db = tmp_path / "runs.db"
    (tmp_path / "echo_app.py").write_text(textwrap.dedent(APP).replace("{db}", str(db)))
    return tmp_path, f"sqlite:///{db}"


def serve_args(*extra: str) -> list[str]:
    return ["-m", "runwire.cli", "mcp", "serve", "echo_app:agent", *extra]


async def ask(client: Client, message: str) -> tuple[types.CallToolResult, list[str]]:
    progress: list[str] = []

    async def on_progress(value: float, total: float | None, text: str | None) -> None:
        progress.append(text or "")

    result = await client.call_tool("Echo_agent", {"message": message}, progress_callback=on_progress)
    return result, progress


async def test_the_sdk_client_asks_the_agent_over_stdio_and_sees_its_events(app):
    cwd, _ = app
    server = StdioServerParameters(command=sys.executable, args=serve_args(), cwd=str(cwd))
    async with Client(server) as client:
        (tool,) = (await client.list_tools()).tools
        result, progress = await ask(client, "hello there")
    assert tool.name == "Echo_agent" and tool.description == "Repeats what you say."
    assert tool.input_schema["required"] == ["message"]
    assert not result.is_error and [c.text for c in result.content] == ["You said: hello there"]
    assert progress[0] == "RunStarted" and progress[-1] == "RunCompleted"
    assert "".join(p.removeprefix("RunContent: ") for p in progress if p.startswith("RunContent: ")) == "You said: hello there"


async def test_a_client_cancelling_its_request_cancels_the_run(app):
    cwd, db = app
    marker = cwd / "cancelled.txt"
    server = StdioServerParameters(command=sys.executable, args=serve_args(), cwd=str(cwd))
    async with Client(server) as client:
        started = asyncio.Event()

        async def on_progress(value: float, total: float | None, text: str | None) -> None:
            if text == "ToolCallStarted: wait_forever":
                started.set()

        call = asyncio.ensure_future(client.call_tool("Echo_agent", {"message": f"wait:{marker}"},
                                                      progress_callback=on_progress))
        await started.wait()
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
        for _ in range(200):  # the server hears of it (a bound on polls, not a timing assertion)
            if marker.exists() and marker.read_text():  # (the server process may have created it, not yet written)
                break
            await asyncio.sleep(0.05)
        assert marker.read_text() == "cancelled"
        storage = resolve_storage(db)
        try:
            for _ in range(200):  # the run's end is written just after the tool's cancellation
                (session,) = await storage.list_sessions()
                (run,) = await storage.list_runs(session.session_id)
                if str(run.status) != "running":
                    break
                await asyncio.sleep(0.05)
        finally:
            await storage.aclose()
    assert str(run.status) == "cancelled" and run.cancel_reason == "the MCP client cancelled the request"


async def test_the_sdk_client_asks_the_agent_over_streamable_http(app):
    cwd, _ = app
    port = free_port()
    process = subprocess.Popen([sys.executable, *serve_args("--transport", "streamable-http", "--port", str(port))],
                               cwd=cwd, stderr=subprocess.PIPE, text=True)
    try:
        wait_for_port(port, process, "runwire mcp serve")
        async with Client(f"http://127.0.0.1:{port}/mcp") as client:
            result, progress = await ask(client, "over http")
    finally:
        process.terminate()
        process.wait(10)
        process.stderr.close()
    assert [c.text for c in result.content] == ["You said: over http"]
    assert progress[0] == "RunStarted" and progress[-1] == "RunCompleted"


def test_serve_names_a_bad_agent_spec_clearly(app):
    cwd, _ = app
    done = subprocess.run([sys.executable, "-m", "runwire.cli", "mcp", "serve", "echo_app:nobody"], cwd=cwd,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "module 'echo_app' has no attribute 'nobody'" in done.stderr


async def test_user_id_for_names_whose_run_it_is_and_refuses_an_unknown_caller(tmp_path):
    from runwire.agent import Agent
    from runwire.testing import ScriptedModel
    from runwire_mcp import agent_server

    db = f"sqlite:///{tmp_path}/runs.db"
    agent = Agent(model=ScriptedModel(lambda request: "hi"), name="greeter", db=db)
    callers = iter(["carol", None])
    async with Client(agent_server(agent, user_id_for=lambda ctx: next(callers))) as client:
        served = await client.call_tool("greeter", {"message": "hello"})
        refused = await client.call_tool("greeter", {"message": "hello"})
    await agent.aclose()
    assert [c.text for c in served.content] == ["hi"]
    assert refused.is_error and "could not tell who is calling" in refused.content[0].text
    storage = resolve_storage(db)
    try:
        (session,) = await storage.list_sessions()
        (run,) = await storage.list_runs(session.session_id)
    finally:
        await storage.aclose()
    assert run.user_id == "carol" and str(run.status) == "completed"
