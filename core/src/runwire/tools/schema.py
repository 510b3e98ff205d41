"""JSON schemas and argument validation for tools, from type hints and docstrings (pydantic)."""

from __future__ import annotations

import inspect
import re
import typing
from dataclasses import dataclass
from typing import Any, Callable

import pydantic

from runwire.exceptions import ToolArgumentsError

_ARG_LINE = re.compile(r"^\s*(\*{0,2}\w+)\s*(?:\(([^)]*)\))?\s*:\s*(.*)$")
_SECTION = re.compile(r"^\s*(Args|Arguments|Parameters|Params|Returns|Return|Raises|Yields|Examples?|Notes?)\s*:\s*$")


def parse_docstring(doc: str | None) -> tuple[str, dict[str, str]]:
    """Split a Google-style docstring into its description and per-argument descriptions."""
    if not doc:
        return "", {}
    lines = inspect.cleandoc(doc).splitlines()
    description: list[str] = []
    params: dict[str, str] = {}
    section = None
    current = None
    for line in lines:
        match = _SECTION.match(line)
        if match:
            section = match.group(1).lower()
            current = None
            continue
        if section is None:
            description.append(line)
        elif section in ("args", "arguments", "parameters", "params"):
            arg = _ARG_LINE.match(line)
            if arg and (len(line) - len(line.lstrip())) <= 4:
                current = arg.group(1).lstrip("*")
                params[current] = arg.group(3).strip()
            elif current and line.strip():
                params[current] = (params[current] + " " + line.strip()).strip()
    return "\n".join(description).strip(), params


@dataclass
class ToolSchema:
    description: str
    parameters: dict[str, Any]
    model: type[pydantic.BaseModel]
    tool_name: str

    def validate(self, arguments: dict[str, Any]) -> dict[str, Any]:
        try:
            parsed = self.model.model_validate(arguments)
        except pydantic.ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or 'arguments'}: {err['msg']}" for err in exc.errors()
            )
            raise ToolArgumentsError(
                f"invalid arguments for tool {self.tool_name!r}: {problems}. "
                f"Expected arguments matching: {self.parameters.get('properties', {})}"
            ) from None
        return {name: getattr(parsed, name) for name in type(parsed).model_fields}


def build_schema(fn: Callable[..., Any], name: str, description: str | None, injected: tuple[str, ...]) -> ToolSchema:
    sig = inspect.signature(fn)
    try:
        hints = typing.get_type_hints(fn, include_extras=True)
    except Exception:
        hints = {}
    doc_description, doc_params = parse_docstring(inspect.getdoc(fn))
    fields: dict[str, Any] = {}
    for pname, param in sig.parameters.items():
        if pname in injected or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        annotation = hints.get(pname, Any)
        default = param.default if param.default is not inspect.Parameter.empty else ...
        fields[pname] = (annotation, pydantic.Field(default, description=doc_params.get(pname)))
    model = pydantic.create_model(  # type: ignore[call-overload]
        f"{name}_arguments",
        __config__=pydantic.ConfigDict(extra="forbid", arbitrary_types_allowed=True),
        **fields,
    )
    parameters = model.model_json_schema()
    parameters.pop("title", None)
    for prop in parameters.get("properties", {}).values():
        prop.pop("title", None)
    parameters.setdefault("properties", {})
    return ToolSchema(
        description=description or doc_description or f"Call {name}.",
        parameters=parameters,
        model=model,
        tool_name=name,
    )
