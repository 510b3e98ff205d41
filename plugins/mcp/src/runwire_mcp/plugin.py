"""The runwire plugin: the ``runwire mcp serve`` command and the MCP event types."""

from __future__ import annotations

import argparse
from typing import Any

from runwire import hookimpl


@hookimpl
def runwire_register_event_types(register: Any) -> None:
    from runwire_mcp.events import MCPLogEvent, MCPProgressEvent

    register(MCPProgressEvent)
    register(MCPLogEvent)


def _configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="mcp_command", required=True)
    serve = sub.add_parser("serve", help="serve an agent as an MCP server (one tool: ask the agent)")
    serve.add_argument("agent", help="where the agent is, as module:attribute (e.g. app:agent); "
                                     "the attribute may also be a function returning the agent")
    serve.add_argument("--transport", choices=("stdio", "streamable-http"), default="stdio",
                       help="how clients connect: stdio (a client starts this process) or streamable-http (default: stdio)")
    serve.add_argument("--host", default="127.0.0.1", help="streamable-http: the address to listen on")
    serve.add_argument("--port", type=int, default=8000, help="streamable-http: the port to listen on")
    serve.add_argument("--path", default="/mcp", help="streamable-http: the endpoint's path")
    serve.add_argument("--tool-name", default=None, help="the MCP tool's name (default: the agent's name, or 'ask')")


def _run(args: argparse.Namespace) -> int:
    from runwire_mcp.server import serve_command

    return serve_command(args)


@hookimpl
def runwire_register_commands(register: Any) -> None:
    register("mcp", _configure, _run, help="MCP: serve an agent as an MCP server")
