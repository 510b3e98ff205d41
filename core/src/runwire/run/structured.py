"""Structured output: turning the model's answer into ``output_schema``."""

from __future__ import annotations

import json
import re
from typing import Any

from runwire.exceptions import RunwireError

_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL)


class OutputValidationError(RunwireError, ValueError):
    """The model's answer does not fit ``output_schema``."""


def parse_structured(schema: Any, text: str, parsed: Any = None) -> Any:
    """Return the answer as an instance of ``schema`` (a pydantic model or a JSON-schema dict)."""
    if isinstance(schema, type) and isinstance(parsed, schema):
        return parsed
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group(1)
    validate = getattr(schema, "model_validate_json", None)
    try:
        if validate is not None:
            return validate(text)
        return json.loads(text)
    except Exception as exc:
        name = getattr(schema, "__name__", "the output schema")
        raise OutputValidationError(f"the model's answer does not fit {name}: {exc}. Answer: {text[:300]!r}") from None
