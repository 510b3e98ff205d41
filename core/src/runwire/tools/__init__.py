"""Tools: ``@tool``, ``Function`` for a callable the model can call, ``ToolResult`` for text with media."""

from runwire.run.tool_execution import ToolResult
from runwire.tools.decorator import tool
from runwire.tools.function import Function

__all__ = ["Function", "ToolResult", "tool"]
