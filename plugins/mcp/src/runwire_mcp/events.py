"""Events an MCP server produces during a tool call, streamed with the run's events."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from runwire.run.events import CustomEvent


@dataclass(eq=False)
class MCPProgressEvent(CustomEvent):
    """A progress notification from an MCP server while one of its tools runs."""

    server: str = ""
    tool: str = ""
    progress: float = 0.0
    total: Optional[float] = None
    message: Optional[str] = None


@dataclass(eq=False)
class MCPLogEvent(CustomEvent):
    """A log message an MCP server sent while one of its tools ran."""

    server: str = ""
    tool: str = ""
    level: str = "info"
    logger: Optional[str] = None
    data: Any = None
