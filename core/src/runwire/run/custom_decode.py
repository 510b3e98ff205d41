"""Stored custom events come back with their declared types: each field is decoded by its
annotation with pydantic's ``TypeAdapter`` (a datetime from ISO 8601, a pydantic model from a dict,
a set from a list, nested dataclasses, ...)."""

from __future__ import annotations

import dataclasses
import functools
import typing
from typing import Any


@functools.lru_cache(maxsize=256)
def _adapters(cls: type) -> dict[str, Any]:
    """The TypeAdapter of each field ``cls`` declares beyond the base ``CustomEvent`` fields."""
    import pydantic

    from runwire.run.events import CustomEvent

    base = {f.name for f in dataclasses.fields(CustomEvent)}
    try:
        hints = typing.get_type_hints(cls)  # each class's annotations in its own module
    except Exception:  # annotations that do not resolve here: values stay as stored
        return {}
    adapters = {}
    for field in dataclasses.fields(cls):
        if field.name in base or field.name not in hints or hints[field.name] is Any:
            continue
        try:
            adapters[field.name] = pydantic.TypeAdapter(
                hints[field.name], config=pydantic.ConfigDict(arbitrary_types_allowed=True))
        except Exception:  # a type pydantic cannot build: the value stays as stored
            continue
    return adapters


def decode_custom_fields(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with each of ``cls``'s own fields validated into its declared type (left as is if it does not fit)."""
    adapters = _adapters(cls)
    if not adapters:
        return data
    decoded = dict(data)
    for name, adapter in adapters.items():
        if decoded.get(name) is None:
            continue
        try:
            decoded[name] = adapter.validate_python(decoded[name])
        except Exception:  # stored by an older version of the class: keep the value rather than lose the event
            continue
    return decoded
