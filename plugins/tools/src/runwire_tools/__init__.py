"""runwire-tools: offline tools registered by name."""

from runwire_tools.calculator import calculator
from runwire_tools.clock import current_datetime
from runwire_tools.confined import PathOutsideRootError
from runwire_tools.files import FileSearchProgress, file_tools

__all__ = ["FileSearchProgress", "PathOutsideRootError", "calculator", "current_datetime", "file_tools"]
