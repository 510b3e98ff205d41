"""runwire-mcp: tools from any MCP server (``MCPTools``), and runwire agents served over MCP.

``import runwire_mcp`` loads the MCP SDK only when ``MCPTools`` (or the server)
is first used, so installing the plugin costs ``import runwire`` nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from runwire_mcp.events import MCPLogEvent, MCPProgressEvent

if TYPE_CHECKING:
    from runwire_mcp.server import agent_server
    from runwire_mcp.tools import MCPTools

__all__ = ["MCPLogEvent", "MCPProgressEvent", "MCPTools", "agent_server"]


def __getattr__(name: str) -> Any:
    if name == "MCPTools":
        from runwire_mcp.tools import MCPTools

        return MCPTools
    if name == "agent_server":
        from runwire_mcp.server import agent_server

        return agent_server
    raise AttributeError(f"module 'runwire_mcp' has no attribute {name!r}")
