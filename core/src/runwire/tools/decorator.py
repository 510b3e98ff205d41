"""The ``@tool`` decorator."""

from __future__ import annotations

from typing import Any, Callable, Optional, Sequence, overload

from runwire.tools.function import P, R, Function


@overload
def tool(fn: Callable[P, R], /) -> Function[P, R]: ...


@overload
def tool(
    *,
    name: Optional[str] = None,
    description: Optional[str] = None,
    requires_confirmation: bool = False,
    requires_user_input: bool = False,
    user_input_fields: Optional[Sequence[str]] = None,
    external_execution: bool = False,
    timeout_seconds: Optional[float] = None,
    stop_after_tool_call: bool = False,
) -> Callable[[Callable[P, R]], Function[P, R]]: ...


def tool(fn: Optional[Callable[..., Any]] = None, /, **options: Any) -> Any:
    """Turn a function into a tool: ``@tool`` or ``@tool(requires_confirmation=True, ...)``.

    The tool's description comes from the docstring, its argument schema from
    the type hints (and the docstring's ``Args:`` section).
    """
    if fn is not None:
        return Function(fn, **options)

    def wrap(func: Callable[..., Any]) -> Function[..., Any]:
        return Function(func, **options)

    return wrap
