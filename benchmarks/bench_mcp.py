"""MCP (runwire-mcp): a tool call to an MCP server through a runwire run, against the bare SDK call.

Both sides talk to the same kind of server (the SDK's MCPServer over stdio, one
process each, started before timing) and run back to back in each round; the
median of the per-round ratios is what counts.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from common import Result, installed, scale

SERVER = """
from mcp.server.mcpserver import MCPServer
mcp = MCPServer("bench")

@mcp.tool()
def echo(text: str) -> str:
    \"\"\"Echoes the text.\"\"\"
    return text

mcp.run("stdio")
"""


async def bench_mcp() -> list[Result]:
    if not installed("runwire_mcp"):
        return []
    from mcp import Client, StdioServerParameters
    from runwire.agent import Agent
    from runwire.testing import ScriptedModel, ToolCall
    from runwire_mcp import MCPTools

    def respond(request):  # type: ignore[no-untyped-def]
        return [ToolCall("echo", {"text": "hi"})] if request.messages[-1].role == "user" else "done"

    calls, rounds = scale(50, 3), scale(7, 2)
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "server.py"
        script.write_text(SERVER)
        tools = MCPTools(sys.executable, [str(script)])
        agent = Agent(model=ScriptedModel(respond), tools=[tools])
        started = time.perf_counter()
        await agent.arun("x")  # the first run starts the server and lists its tools
        first_run = time.perf_counter() - started
        bare_server = StdioServerParameters(command=sys.executable, args=[str(script)])
        async with Client(bare_server) as client, agent:
            await client.call_tool("echo", {"text": "hi"})
            ratios, bare_times, run_times = [], [], []
            for _ in range(rounds):
                t0 = time.perf_counter()
                for _ in range(calls):
                    await client.call_tool("echo", {"text": "hi"})
                bare = (time.perf_counter() - t0) / calls
                t0 = time.perf_counter()
                for _ in range(calls):
                    await agent.arun("x")
                run = (time.perf_counter() - t0) / calls
                ratios.append(run / bare)
                bare_times.append(bare)
                run_times.append(run)
    median_ratio = statistics.median(ratios)
    return [
        Result("mcp", "run with one MCP tool call (stdio, session reused)", statistics.median(run_times) * 1000, "ms",
               "bare SDK call_tool", statistics.median(bare_times) * 1000,
               note=f"median paired ratio {median_ratio:.2f} x; two model turns included",
               extra={"median_paired_ratio": median_ratio}),
        Result("mcp", "first run: start the server, list its tools, call", first_run * 1000, "ms", note="once"),
    ]
