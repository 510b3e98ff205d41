"""A runwire agent as an MCP server: one tool that runs the agent on a message and returns its answer.

Every event of the run goes to the client as a progress notification (when the
client asked for progress); a client that cancels its request cancels the run.
``agent_server(agent)`` is the ``MCPServer``: run it yourself, or mount its
``streamable_http_app()`` in an ASGI app (behind your own auth: ``user_id_for``
names the caller whose run it is); ``runwire mcp serve module:agent`` serves it
over stdio or Streamable HTTP, and runwire-server at ``/mcp/{agent_id}``.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import re
import sys
import uuid
from typing import TYPE_CHECKING, Annotated, Any, Callable, Optional

if TYPE_CHECKING:
    from mcp.server.mcpserver import Context, MCPServer
    from runwire.agent import Agent
    from runwire.run.events import RunOutputEvent


class AgentRunError(Exception):
    """The agent's run did not end with an answer (the MCP client sees the message as a tool error)."""


def agent_server(agent: "Agent", *, tool_name: Optional[str] = None, description: Optional[str] = None,
                 user_id_for: Optional[Callable[["Context"], Optional[str]]] = None) -> "MCPServer":
    """An MCP server whose one tool asks ``agent``: input ``message``, output the agent's answer.

    ``user_id_for(ctx)``: the user the run belongs to (e.g. read from the authenticated HTTP request,
    ``ctx.request_context.request``); given, a call it names no user for is refused. Without it runs have no user.
    """
    import anyio
    from mcp.server.mcpserver import Context, MCPServer
    from mcp.server.mcpserver.exceptions import ToolError
    from pydantic import Field

    name = tool_name or _tool_name(agent)
    about = description or agent.description or f"Ask the {agent.name or 'runwire'} agent; it answers in text."
    server: MCPServer = MCPServer(agent.name or "runwire-agent", instructions=agent.description)

    async def ask(message: str, ctx: Context) -> str:
        """Run the agent on the message and return its answer."""
        try:
            return await answer(message, ctx)
        except AgentRunError as exc:  # a ToolError's text reaches the client; any other exception's stays here
            raise ToolError(str(exc)) from exc

    async def answer(message: str, ctx: "Context") -> str:
        user_id = None
        if user_id_for is not None:
            user_id = user_id_for(ctx)
            if not user_id:
                raise AgentRunError("this server could not tell who is calling, so it runs nothing: authenticate")
        # The run gets its own task: a cancelled MCP request must end it through cancel_run (so it is
        # recorded as cancelled), not by cancelling whatever the run awaits in the request's cancel scope.
        run_id = str(uuid.uuid4())
        events: asyncio.Queue[Any] = asyncio.Queue()
        stream = agent.arun(message, stream=True, stream_events=True, run_id=run_id, user_id=user_id)

        async def drive() -> None:
            try:
                async for event in stream:
                    events.put_nowait(event)
            finally:
                events.put_nowait(None)

        task = asyncio.ensure_future(drive())
        step = 0
        try:
            while (event := await events.get()) is not None:
                step += 1
                await ctx.report_progress(step, None, _progress_message(event))
            task.result()
        except BaseException:  # the client cancelled its request (or the server stops): the run ends cancelled
            from runwire.run.cancel import cancel_run

            if not cancel_run(run_id, "the MCP client cancelled the request"):
                task.cancel()  # not started yet
            with anyio.CancelScope(shield=True):
                await asyncio.gather(task, return_exceptions=True)
            raise
        out = stream.run_output
        status = str(out.status)
        if status == "completed":
            return out.get_content_as_string()
        if status == "paused":
            waiting = ", ".join(t.tool_name for t in out.tools if t.is_paused)
            raise AgentRunError(f"the agent paused for a human ({waiting}), which an MCP call cannot give; "
                                f"continue run {out.run_id} with runwire instead")
        raise AgentRunError(f"the agent's run ended {status}: {out.error or out.cancel_reason or 'no details'}")

    # the annotations as objects (this module's are strings): the SDK builds the input schema from them
    message_type = Annotated[str, Field(description="What to ask the agent")]
    ask.__annotations__ = {"message": message_type, "ctx": Context, "return": str}
    server.add_tool(ask, name=name, description=about, structured_output=False)
    return server


def _tool_name(agent: "Agent") -> str:
    if not agent.name:
        return "ask"
    return re.sub(r"[^A-Za-z0-9_-]+", "_", agent.name).strip("_")[:64] or "ask"


def _progress_message(event: "RunOutputEvent") -> str:
    """One line per event: its name, and what it is about."""
    kind = event.event
    if kind in ("RunContent", "RunIntermediateContent"):
        return f"{kind}: {getattr(event, 'content', '')}"
    tool = getattr(event, "tool", None)
    if tool is not None:
        return f"{kind}: {tool.tool_name}"
    if kind == "RunError":
        return f"{kind}: {getattr(event, 'content', '')}"
    return kind


def load_agent(spec: str) -> "Agent":
    """``module:attribute`` (the module found from the current directory) as an Agent; a function is called."""
    from runwire.agent import Agent

    module_name, sep, attribute = spec.partition(":")
    if not sep or not module_name or not attribute:
        raise ValueError(f"name the agent as module:attribute (e.g. app:agent), got {spec!r}")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    module = importlib.import_module(module_name)
    target: Any = module
    for part in attribute.split("."):
        if not hasattr(target, part):
            raise ValueError(f"module {module_name!r} has no attribute {attribute!r}")
        target = getattr(target, part)
    if not isinstance(target, Agent) and callable(target):
        target = target()
    if not isinstance(target, Agent):
        raise ValueError(f"{spec} is a {type(target).__name__}, not a runwire Agent")
    return target


def serve_command(args: argparse.Namespace) -> int:
    """``runwire mcp serve module:agent``: serve until interrupted."""
    import anyio

    try:
        agent = load_agent(args.agent)
    except (ImportError, ValueError) as exc:
        print(f"runwire mcp serve: {exc}", file=sys.stderr)
        return 2
    server = agent_server(agent, tool_name=args.tool_name)

    async def main() -> None:
        try:
            if args.transport == "stdio":
                await server.run_stdio_async()
            else:
                print(f"runwire mcp serve: {args.agent} at http://{args.host}:{args.port}{args.path}", file=sys.stderr)
                await server.run_streamable_http_async(host=args.host, port=args.port, streamable_http_path=args.path)
        finally:
            with anyio.CancelScope(shield=True):
                await agent.aclose()

    try:
        anyio.run(main)
    except KeyboardInterrupt:
        pass
    return 0
