"""Runs: events, outputs and the loop that produces them.

``from runwire.run import RunContext`` works as Agno's ``from agno.run import RunContext``
(loaded on first use, so importing this package stays cheap).
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from runwire.run.context import RunContext

__all__ = ["RunContext"]


def __getattr__(name: str) -> Any:
    if name == "RunContext":
        from runwire.run.context import RunContext

        return RunContext
    raise AttributeError(f"module 'runwire.run' has no attribute {name!r}")
