"""Tools: ``@tool``, and ``Function`` for a callable the model can call."""

from runwire.tools.decorator import tool
from runwire.tools.function import Function

__all__ = ["Function", "tool"]
