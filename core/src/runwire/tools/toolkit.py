"""``Toolkit``: an object in ``Agent(tools=[...])`` that provides several tools, found when a run starts.

A toolkit (an MCP server's tools, say) may need to connect somewhere before it
knows its tools, so the agent asks for them at the start of each run, not when
it is built: ``await toolkit.get_functions()``. The toolkit decides what to
cache (typically: connect on the first call, reuse the connection afterwards,
reconnect after a failure). ``Agent.aclose()`` (or ``async with agent``) calls
``await toolkit.aclose()``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from runwire.run.context import RunContext
    from runwire.tools.function import Function


@runtime_checkable
class Toolkit(Protocol):
    """Provides tools at run start: ``async get_functions()``; releases what it holds: ``async aclose()``."""

    async def get_functions(self) -> Sequence["Function[..., Any]"]:
        """The toolkit's tools for the run about to start (connecting first if needed)."""
        ...

    async def aclose(self) -> None:
        """Release connections, subprocesses, ...; the toolkit may be used again afterwards."""
        ...


def is_toolkit(obj: Any) -> bool:
    """Whether ``obj`` is a toolkit rather than a single tool."""
    if isinstance(obj, type) or not hasattr(obj, "get_functions"):  # the common case, without the Protocol's
        return False                                                  # isinstance (tens of us on Python 3.11)
    return isinstance(obj, Toolkit)


async def add_toolkit_functions(ctx: "RunContext", toolkits: Sequence[Toolkit]) -> None:
    """Give the run the tools of ``toolkits`` on top of the agent's own (names must stay unique)."""
    functions = dict(ctx.functions)  # the agent's dict is shared by every run: never changed here
    for toolkit in toolkits:
        for fn in await toolkit.get_functions():
            if fn.name in functions:
                raise ValueError(
                    f"two tools are named {fn.name!r} (one from {toolkit!r}); give the toolkit a name prefix "
                    "or rename the other tool with @tool(name=...)"
                )
            functions[fn.name] = fn
    ctx.functions = functions
    ctx.tool_specs = [fn.spec() for fn in functions.values()]
