"""MCPTools against MCP servers written with the official SDK's MCPServer: over stdio, Streamable HTTP and SSE."""

from __future__ import annotations

import asyncio
import sys

import pytest
from runwire.agent import Agent
from runwire.exceptions import RunFailedError
from runwire.testing import ScriptedModel, ToolCall
from runwire_mcp import MCPLogEvent, MCPProgressEvent, MCPTools

from .conftest import write_server

STDIO_TOOLS = """
mcp = MCPServer("stdio-test")

@mcp.tool()
def pid() -> str:
    \"\"\"The server's process id.\"\"\"
    return str(os.getpid())

@mcp.tool()
def crash() -> str:
    \"\"\"Exits the server in the middle of the call.\"\"\"
    os._exit(3)

@mcp.tool()
def fail(reason: str) -> str:
    \"\"\"Fails with a message for the model.\"\"\"
    from mcp.server.mcpserver.exceptions import ToolError
    raise ToolError(reason)

@mcp.tool()
async def slow(marker: str, ctx: Context) -> str:
    \"\"\"Waits for a minute; writes `marker` if it is cancelled.\"\"\"
    try:
        await ctx.report_progress(0, None, "started")
        await asyncio.sleep(60)
    except BaseException:
        open(marker, "w").write("cancelled")
        raise
    return "slept"

if __name__ == "__main__":
    mcp.run("stdio")
"""


@pytest.fixture
def stdio_server(tmp_path):
    script = write_server(tmp_path, STDIO_TOOLS)
    return lambda **options: MCPTools(sys.executable, [str(script)], name="py", **options)


def pid_model() -> ScriptedModel:
    """Calls `pid` on each new message, then answers."""
    return ScriptedModel(lambda request: [ToolCall("pid", {})] if request.messages[-1].role == "user" else "ok")


async def test_one_session_serves_sequential_and_concurrent_runs_and_reopens_after_aclose(stdio_server):
    agent = Agent(model=pid_model(), tools=[stdio_server()])
    async with agent:
        first = await agent.arun("pid?")
        second = await agent.arun("pid?")
        together = await asyncio.gather(*(agent.arun("pid?") for _ in range(3)))
    pids = {out.tools[0].result for out in [first, second, *together]}
    assert len(pids) == 1 and pids.pop().isdigit()  # one server process served all five runs
    async with agent:  # closed, then used again: a new process
        again = await agent.arun("pid?")
    assert again.tools[0].result != first.tools[0].result


async def test_a_server_dying_mid_call_is_a_tool_error_and_the_next_run_reconnects(stdio_server):
    model = ScriptedModel([[ToolCall("crash", {})], "it crashed", [ToolCall("pid", {})], "back"])
    async with Agent(model=model, tools=[stdio_server()]) as agent:
        crashed = await agent.arun("crash")
        after = await agent.arun("pid?")
    (call,) = crashed.tools
    assert crashed.status == "completed" and call.status == "error"
    assert "tool 'crash' of MCP server 'py'" in call.error and "connection to the server was lost" in call.error
    assert after.tools[0].status == "completed" and after.tools[0].result.isdigit()


async def test_a_server_that_cannot_restart_gives_tool_errors_until_it_can(tmp_path):
    flag = tmp_path / "down"
    script = write_server(tmp_path, f"if os.path.exists({str(flag)!r}): sys.exit('down for maintenance')\n"
                          + STDIO_TOOLS)
    model = ScriptedModel(lambda request: [ToolCall("pid", {})] if request.messages[-1].role == "user" else "ok")
    async with Agent(model=model, tools=[MCPTools(sys.executable, [str(script)], name="py")]) as agent:
        up = await agent.arun("pid?")
        flag.touch()
        await agent.aclose()  # the server ends; it cannot start again while the flag is there
        down = await agent.arun("pid?")
    assert up.tools[0].status == "completed"
    assert down.status == "completed" and down.tools[0].status == "error"
    assert "tool 'pid' of MCP server 'py': could not connect" in down.tools[0].error
    assert "down for maintenance" in down.tools[0].error
    flag.unlink()
    async with agent:
        back = await agent.arun("pid?")
    assert back.tools[0].status == "completed" and back.tools[0].result != up.tools[0].result


async def test_a_tool_that_raises_is_a_tool_error_with_the_servers_message(stdio_server):
    model = ScriptedModel([[ToolCall("fail", {"reason": "disk full"})], "sorry"])
    async with Agent(model=model, tools=[stdio_server()]) as agent:
        out = await agent.arun("go")
    assert out.tools[0].status == "error"
    assert "tool 'fail' of MCP server 'py' failed" in out.tools[0].error and "disk full" in out.tools[0].error


async def test_a_call_over_timeout_fails_and_the_session_goes_on(stdio_server, tmp_path):
    marker = tmp_path / "cancelled.txt"
    model = ScriptedModel([[ToolCall("slow", {"marker": str(marker)})], "too slow", [ToolCall("pid", {})], "ok"])
    async with Agent(model=model, tools=[stdio_server(timeout_seconds=1)]) as agent:
        slow = await agent.arun("go")
        after = await agent.arun("pid?")
    assert "tool 'slow' of MCP server 'py' did not answer within 1 s" in slow.tools[0].error
    assert after.tools[0].result.isdigit()


async def test_cancelling_the_run_cancels_the_call_on_the_server(stdio_server, tmp_path):
    marker = tmp_path / "cancelled.txt"
    model = ScriptedModel([[ToolCall("slow", {"marker": str(marker)})], "never"])
    async with Agent(model=model, tools=[stdio_server()]) as agent:
        stream = agent.arun("go", stream=True, stream_events=True)
        async for event in stream:
            if isinstance(event, MCPProgressEvent):  # the server is running the tool
                agent.cancel_run(event.run_id)
        assert stream.run_output.status == "cancelled"
        for _ in range(100):  # the server hears of the cancellation (a bound on polls, not a timing assertion)
            if marker.exists():
                break
            await asyncio.sleep(0.05)
    assert marker.read_text() == "cancelled"


async def test_a_server_that_fails_to_start_fails_the_run_naming_the_server(tmp_path):
    script = tmp_path / "broken.py"
    script.write_text("import sys\nprint('missing API key BROKEN_KEY', file=sys.stderr)\nsys.exit(1)\n")
    agent = Agent(model=ScriptedModel(["unused"]), tools=[MCPTools(sys.executable, [str(script)], name="broken")])
    with pytest.raises(RunFailedError) as failure:
        await agent.arun("go")
    message = str(failure.value)
    assert "could not connect to MCP server 'broken'" in message and "missing API key BROKEN_KEY" in message
    await agent.aclose()


HTTP_TOOLS = """
from typing import Annotated
from pydantic import BaseModel, Field
from mcp.server.mcpserver import Elicit, Resolve

mcp = MCPServer("http-test")

@mcp.tool()
async def count(n: int, ctx: Context) -> str:
    \"\"\"Counts to n, reporting progress and logging.\"\"\"
    await ctx.info(f"counting to {n}")
    for i in range(1, n + 1):
        await ctx.report_progress(i, n, f"step {i}")
    return f"counted to {n}"

@mcp.tool()
def whoami(ctx: Context) -> str:
    \"\"\"The Authorization header the request came with.\"\"\"
    return (ctx.headers or {}).get("authorization", "anonymous")

class Region(BaseModel):
    region: str = Field(description="Where the database lives")

async def ask_region(name: str) -> Elicit[Region]:
    return Elicit(f"Which region for {name}?", Region)

@mcp.tool()
async def provision(name: str, region: Annotated[Region, Resolve(ask_region)]) -> str:
    \"\"\"Provisions a database; asks the user for the region.\"\"\"
    return f"provisioned {name} in {region.region}"
"""


async def test_streamable_http_progress_logs_and_headers(http_server):
    url = http_server(HTTP_TOOLS)
    mcp = MCPTools(url=url, headers={"Authorization": "Bearer t0ken"}, name="http")
    model = ScriptedModel([[ToolCall("count", {"n": 3}), ToolCall("whoami", {})], "done"])
    async with Agent(model=model, tools=[mcp]) as agent:
        events = [e async for e in agent.arun("go", stream=True, stream_events=True)]
    progress = [e for e in events if isinstance(e, MCPProgressEvent)]
    logs = [e for e in events if isinstance(e, MCPLogEvent)]
    assert [(p.progress, p.total, p.message) for p in progress] == [(1, 3, "step 1"), (2, 3, "step 2"), (3, 3, "step 3")]
    assert [(log.level, log.data) for log in logs] == [("info", "counting to 3")]
    completed = {e.tool.tool_name: e.tool.result for e in events if e.event == "ToolCallCompleted"}
    assert completed == {"count": "counted to 3", "whoami": "Bearer t0ken"}


async def test_a_2026_server_asking_the_user_pauses_and_resumes_with_its_request_state(http_server):
    url = http_server(HTTP_TOOLS)
    model = ScriptedModel([[ToolCall("provision", {"name": "orders"})], "provisioned"])
    async with Agent(model=model, tools=[MCPTools(url=url, name="http")]) as agent:
        paused = await agent.arun("make a database")
        (waiting,) = paused.tools_requiring_user_input
        assert waiting.input_request["message"] == "tool 'provision' of MCP server 'http' asks: Which region for orders?"
        assert [(f.name, f.description) for f in waiting.user_input_schema] == [
            ("region", "Region — Where the database lives")]
        waiting.user_input_schema[0].value = "eu-west-1"
        done = await agent.acontinue_run(paused)
    assert done.tools[0].result == "provisioned orders in eu-west-1"


async def test_sse_transport(http_server):
    url = http_server(HTTP_TOOLS, transport="sse")
    model = ScriptedModel([[ToolCall("count", {"n": 2})], "done"])
    async with Agent(model=model, tools=[MCPTools(url=url, transport="sse")]) as agent:
        out = await agent.arun("go")
    assert out.tools[0].result == "counted to 2"


def test_sync_runs_share_one_session_on_their_threads_loop(stdio_server):
    from runwire.run.sync_bridge import get_runner

    agent = Agent(model=pid_model(), tools=[stdio_server()])
    first = agent.run("pid?")
    second = agent.run("pid?")
    get_runner()(agent.aclose())  # sync code closes it on the same loop the runs used
    assert first.tools[0].result == second.tools[0].result and first.tools[0].result.isdigit()


TWO_QUESTIONS = """
from typing import Annotated
from pydantic import BaseModel
from mcp.server.mcpserver import Elicit, Resolve

mcp = MCPServer("two-questions")
CALLS = []

class Name(BaseModel):
    name: str

class Color(BaseModel):
    color: str

@mcp.tool()
async def profile_legacy(ctx: Context) -> str:
    \"\"\"Asks two questions in the middle of the call (2025-era elicitation/create).\"\"\"
    CALLS.append(1)
    name = await ctx.elicit("Your name?", Name)
    if name.action != "accept":
        return f"no name ({name.action})"
    color = await ctx.elicit("Your color?", Color)
    if color.action != "accept":
        return f"no color ({color.action})"
    return f"{name.data.name} likes {color.data.color} (call {len(CALLS)})"

async def ask_name() -> Elicit[Name]:
    return Elicit("Your name?", Name)

async def ask_color(name: Annotated[Name, Resolve(ask_name)]) -> Elicit[Color]:
    return Elicit(f"{name.name}, your color?", Color)

@mcp.tool()
async def profile(name: Annotated[Name, Resolve(ask_name)], color: Annotated[Color, Resolve(ask_color)]) -> str:
    \"\"\"Asks two questions, one round each (2026-07-28 input_required).\"\"\"
    return f"{name.name} likes {color.color}"

if __name__ == "__main__":
    mcp.run("stdio")
"""


@pytest.mark.parametrize("protocol,tool", [("legacy", "profile_legacy"), ("auto", "profile")])
async def test_two_questions_pause_twice_and_the_call_ends_with_both_answers(tmp_path, protocol, tool):
    script = write_server(tmp_path, TWO_QUESTIONS)
    mcp = MCPTools(sys.executable, [str(script)], name="py", protocol=protocol)
    model = ScriptedModel([[ToolCall(tool, {})], "nice"])
    async with Agent(model=model, tools=[mcp]) as agent:
        first = await agent.arun("profile me")
        (waiting,) = first.tools_requiring_user_input
        assert waiting.input_request["message"].endswith("asks: Your name?")
        waiting.user_input_schema[0].value = "Ada"
        second = await agent.acontinue_run(first)
        (waiting,) = second.tools_requiring_user_input
        assert waiting.input_request["message"].lower().endswith("your color?") and waiting.user_input_schema[0].name == "color"
        waiting.user_input_schema[0].value = "teal"
        done = await agent.acontinue_run(second)
    assert done.status == "completed" and done.content == "nice"
    assert done.tools[0].result.startswith("Ada likes teal")
    if protocol == "legacy":  # the server's tool ran once per answer round; the last one got both answers
        assert done.tools[0].result == "Ada likes teal (call 3)"


async def test_a_server_that_never_answers_fails_the_run_after_the_connect_timeout():
    silent = MCPTools(sys.executable, ["-c", "import time; time.sleep(60)"], name="silent", connect_timeout_seconds=1)
    async with Agent(model=ScriptedModel(["unused"]), tools=[silent]) as agent:
        with pytest.raises(RunFailedError, match="could not connect to MCP server 'silent': TimeoutError: no answer within 1 s"):
            await agent.arun("go")
