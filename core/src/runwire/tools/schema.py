"""JSON schemas and argument validation for tools, from type hints and docstrings (pydantic)."""

from __future__ import annotations

import inspect
import typing
from dataclasses import dataclass
from typing import Any, Callable

import pydantic

from runwire.exceptions import ToolArgumentsError

def parse_docstring(doc: str | None) -> tuple[str, dict[str, str]]:
    """A docstring's description and per-parameter descriptions, in Google, NumPy or Sphinx style (griffe)."""
    if not doc:
        return "", {}
    import logging

    from griffe import Docstring, DocstringSectionKind

    quiet = logging.getLogger("griffe")
    was, quiet.disabled = quiet.disabled, True  # griffe warns about parameters it cannot match to a signature
    try:
        sections = Docstring(inspect.cleandoc(doc), parser="auto").parse()
    finally:
        quiet.disabled = was
    description: list[str] = []
    params: dict[str, str] = {}
    for section in sections:
        if section.kind is DocstringSectionKind.text:
            description.append(str(section.value))
        elif section.kind is DocstringSectionKind.parameters:
            for param in section.value:
                params[param.name.lstrip("*")] = " ".join(str(param.description).split())
    return "\n\n".join(description).strip(), params


@dataclass
class ToolSchema:
    description: str
    parameters: dict[str, Any]
    model: type[pydantic.BaseModel]
    tool_name: str

    def validate(self, arguments: dict[str, Any]) -> dict[str, Any]:
        try:
            parsed = self.model.__pydantic_validator__.validate_python(arguments)  # model_validate, minus its wrapping
        except pydantic.ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or 'arguments'}: {err['msg']}" for err in exc.errors()
            )
            raise ToolArgumentsError(
                f"invalid arguments for tool {self.tool_name!r}: {problems}. "
                f"Expected arguments matching: {self.parameters.get('properties', {})}"
            ) from None
        return dict(parsed.__dict__)  # the fields, by name (extra="forbid": nothing else)


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
    model = pydantic.create_model(
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


def check_signature(fn: Callable[..., Any], name: str, injected: tuple[str, ...], documented: bool = False) -> None:
    """Fail now, naming the parameter, when a tool's argument has no JSON schema; warn when the
    tool has no docstring or no type hints (the model then sees only the name)."""
    import warnings

    sig = inspect.signature(fn)
    try:
        hints = typing.get_type_hints(fn, include_extras=True)
    except Exception:
        hints = {}
    params = [p for p in sig.parameters.values()
              if p.name not in injected and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    for param in params:
        if param.name in hints and not _has_json_schema(hints[param.name]):
            from runwire.exceptions import ToolDefinitionError

            raise ToolDefinitionError(
                f"tool {name!r}: parameter {param.name!r} has type {hints[param.name]!r}, which has no JSON schema, "
                "so no model can send it. Use a JSON type (str, int, float, bool, list, dict, a dataclass, "
                "a TypedDict or a pydantic model) and build the object inside the tool"
            )
    key = f"{getattr(fn, '__module__', '')}.{getattr(fn, '__qualname__', name)}"
    if key in _WARNED:
        return
    _WARNED.add(key)  # a tool's warnings come once per process, wherever it is first seen
    missing = [p.name for p in params if p.name not in hints]
    if missing:
        warnings.warn(f"tool {name!r}: parameters {', '.join(missing)} have no type hints; the model is told they "
                      "may be anything and runwire cannot check them. Annotate them (e.g. `city: str`)",
                      stacklevel=4)
    if not documented and not inspect.getdoc(fn):
        warnings.warn(f"tool {name!r} has no docstring; the model sees only its name. Say what it does in a "
                      "docstring (or pass @tool(description=...))", stacklevel=4)


_SCHEMA_OK: dict[Any, bool] = {}
_WARNED: set[str] = set()


def _has_json_schema(annotation: Any) -> bool:
    try:
        return _SCHEMA_OK[annotation]
    except (KeyError, TypeError):
        pass
    try:
        pydantic.TypeAdapter(annotation, config=pydantic.ConfigDict(arbitrary_types_allowed=True)).json_schema()
        ok = True
    except (pydantic.PydanticUserError, pydantic.errors.PydanticInvalidForJsonSchema, pydantic.PydanticSchemaGenerationError):
        ok = False
    try:
        _SCHEMA_OK[annotation] = ok
    except TypeError:  # an unhashable annotation is checked every time
        pass
    return ok
