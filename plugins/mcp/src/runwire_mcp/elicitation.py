"""MCP elicitation (a server asking the user a question) as a paused runwire tool call.

The question becomes ``UserInputField`` s of a ``ToolInputRequired`` pause; the
human fills in their values and calls ``continue_run``; the tool is called
again and the answers go back to the server:

- on a 2026-07-28 session the server returns an ``InputRequiredResult``; the
  retry carries the answers in ``input_responses`` with the server's
  ``request_state`` (the protocol's own way to resume, even from another process);
- on an older session the server asks through an ``elicitation/create`` request
  in the middle of the call; the pause answers it with ``cancel``, and the retry
  calls the tool again and answers the same question with the human's values.
  The server's tool runs twice: fine for tools that ask before they act, which
  is what elicitation is for.
"""

from __future__ import annotations

from typing import Any, Optional

from mcp import types
from runwire.exceptions import ToolError
from runwire.run.tool_execution import UserInputField

_TYPES = {"string": "str", "number": "float", "integer": "int", "boolean": "bool", "array": "list"}
URL_FIELD = "done"


def question_fields(params: types.ElicitRequestParams, prefix: str = "") -> tuple[list[UserInputField], list[str]]:
    """The fields a human fills in to answer ``params``, and the names of those that may stay empty."""
    if isinstance(params, types.ElicitRequestURLParams):
        field = UserInputField(name=prefix + URL_FIELD, field_type="bool",
                               description=f"{params.message} Open {params.url}, finish there, then set this to true.")
        return [field], []
    schema = params.requested_schema
    props: dict[str, Any] = dict(schema.get("properties") or {}) if isinstance(schema, dict) else {}
    required = set(schema.get("required") or ()) if isinstance(schema, dict) else set()
    fields, optional = [], []
    for name, prop in props.items():
        prop = prop if isinstance(prop, dict) else {}
        about = [str(prop[k]) for k in ("title", "description") if prop.get(k)]
        options = prop.get("enum") or [o.get("const") for o in prop.get("oneOf") or () if isinstance(o, dict)]
        if options:
            about.append("one of: " + ", ".join(str(o) for o in options))
        if prop.get("format"):
            about.append(f"format: {prop['format']}")
        fields.append(UserInputField(
            name=prefix + name,
            field_type=_TYPES.get(str(prop.get("type")), "str"),
            description=" — ".join(about) or None,
            value=prop.get("default"),
        ))
        if name not in required:
            optional.append(prefix + name)
    return fields, optional


def answer(params: types.ElicitRequestParams, values: dict[str, Any], prefix: str = "") -> types.ElicitResult:
    """The human's ``values`` (by field name) as an accepted elicitation result, checked against the question."""
    if isinstance(params, types.ElicitRequestURLParams):
        done = _coerce(values.get(prefix + URL_FIELD), "boolean", URL_FIELD)
        return types.ElicitResult(action="accept" if done else "decline")
    schema = params.requested_schema if isinstance(params.requested_schema, dict) else {}
    content: dict[str, Any] = {}
    for name, prop in (schema.get("properties") or {}).items():
        value = values.get(prefix + name)
        if value is None or value == "":
            continue
        content[name] = _coerce(value, (prop or {}).get("type"), name)
    missing = [n for n in schema.get("required") or () if n not in content]
    if missing:
        raise ToolError(f"the answer to the server's question lacks {', '.join(missing)}")
    _check(schema, content)
    return types.ElicitResult(action="accept", content=content)


def same_question(params: types.ElicitRequestParams, recorded: Optional[dict[str, Any]]) -> bool:
    """Whether ``params`` asks what ``recorded`` (a question stored with the paused run) asked."""
    if not recorded:
        return False
    if isinstance(params, types.ElicitRequestURLParams):
        return recorded.get("url") == params.url
    return recorded.get("schema") == params.requested_schema


def record(params: types.ElicitRequestParams) -> dict[str, Any]:
    """A question, as JSON stored with the paused run."""
    if isinstance(params, types.ElicitRequestURLParams):
        return {"mode": "url", "message": params.message, "url": params.url}
    return {"mode": "form", "message": params.message, "schema": params.requested_schema}


def rebuild(recorded: dict[str, Any]) -> types.ElicitRequestParams:
    if recorded.get("mode") == "url":
        return types.ElicitRequestURLParams(message=recorded["message"], url=recorded["url"])
    return types.ElicitRequestFormParams(message=recorded["message"], requested_schema=recorded["schema"])


def _coerce(value: Any, json_type: Any, name: str) -> Any:
    try:
        if json_type == "boolean" and isinstance(value, str):
            lowered = value.strip().lower()
            if lowered in ("true", "yes", "y", "1", "on"):
                return True
            if lowered in ("false", "no", "n", "0", "off"):
                return False
            raise ValueError(value)
        if json_type == "integer" and not isinstance(value, bool):
            return int(value)
        if json_type == "number" and not isinstance(value, bool):
            return float(value) if not isinstance(value, int) else value
    except (TypeError, ValueError):
        raise ToolError(f"the answer for {name!r} must be a {json_type}, got {value!r}") from None
    return value


def _check(schema: dict[str, Any], content: dict[str, Any]) -> None:
    import jsonschema

    try:
        validator = jsonschema.validators.validator_for(schema)(schema, format_checker=jsonschema.FormatChecker())
        problems = [f"{'.'.join(str(p) for p in e.absolute_path) or 'answer'}: {e.message}"
                    for e in validator.iter_errors(content)]
    except jsonschema.SchemaError:
        return  # the server's schema is broken: let the server judge the answer
    if problems:
        raise ToolError("the answer does not fit the server's question: " + "; ".join(problems))
