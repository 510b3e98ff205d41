"""Checks ``Agent(...)`` makes at once, so a mistake fails where it is written, not in the first run."""

from __future__ import annotations

import weakref
from typing import Any, Optional, Sequence

# Plain functions whose signature passed: an app building an agent per request checks each tool once
_checked_tools: "weakref.WeakKeyDictionary[Any, bool]" = weakref.WeakKeyDictionary()


def check_options(max_turns: int, tool_call_limit: Optional[int], tools: Optional[Sequence[Any]], *models: Any) -> None:
    """Raise for limits out of range, for model strings whose ``provider:`` prefix is not registered and for
    tools whose parameters no model can send (a type with no JSON schema)."""
    if max_turns < 1:
        raise ValueError(f"max_turns must be at least 1, got {max_turns}")
    if tool_call_limit is not None and tool_call_limit < 0:
        raise ValueError(f"tool_call_limit must be 0 or more, got {tool_call_limit}")
    from runwire.models.resolve import check_model_spec

    for model in models:
        check_model_spec(model)
    if tools:
        from runwire.tools.function import INJECTED_PARAMS, Function
        from runwire.tools.schema import check_signature
        from runwire.tools.toolkit import is_toolkit

        for item in tools:  # a Function was checked when it was made; names are checked on first use
            if callable(item) and not isinstance(item, (Function, type)) and not is_toolkit(item):
                try:
                    if item in _checked_tools:
                        continue
                except TypeError:  # a callable object that cannot be hashed: checked every time
                    pass
                name = getattr(item, "__name__", None) or type(item).__name__
                check_signature(item, name, tuple(INJECTED_PARAMS))
                try:
                    _checked_tools[item] = True
                except TypeError:  # one that cannot be weakly referenced or hashed
                    pass


def check_output_schema(schema: Any) -> None:
    """Raise unless ``schema`` is None, a pydantic model class or a JSON-schema dict (what structured output takes)."""
    if schema is None or isinstance(schema, dict) or hasattr(schema, "model_validate_json"):
        return
    got = f"the class {schema.__name__}, which is not a pydantic model" if isinstance(schema, type) else (
        f"{type(schema).__name__} {str(schema)[:80]!r}")
    raise TypeError(f"output_schema takes a pydantic model class or a JSON-schema dict; got {got}. Write "
                    "`class Movie(pydantic.BaseModel): ...` and pass output_schema=Movie, or pass the JSON schema "
                    "as a dict")
