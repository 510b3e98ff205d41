"""Turn runwire's dataclasses into JSON-ready dicts and back.

Events, RunOutput, messages and media are plain dataclasses; this module gives
them one ``to_dict`` / ``from_dict`` codec driven by their type hints, so nested
dataclasses (a ToolExecution inside a ToolCallCompleted event, Metrics inside a
RunOutput) are rebuilt as the right classes.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import sys
import types
import typing
from typing import Any

_T = typing.TypeVar("_T")
_HINTS: dict[type, dict[str, Any]] = {}
_FIELDS: dict[type, tuple[str, ...]] = {}


def field_names(cls: type) -> tuple[str, ...]:
    names = _FIELDS.get(cls)
    if names is None:
        names = tuple(f.name for f in dataclasses.fields(cls) if f.init)
        _FIELDS[cls] = names
    return names


def _hints(cls: type) -> dict[str, Any]:
    hints = _HINTS.get(cls)
    if hints is None:
        try:
            module = sys.modules.get(cls.__module__)
            hints = typing.get_type_hints(cls, vars(module) if module else None)
        except Exception:  # unresolvable annotations: fall back to plain values
            hints = {}
        _HINTS[cls] = hints
    return hints


_TIMES = (datetime.datetime, datetime.date, datetime.time)


def to_jsonable(value: Any, native: bool = False) -> Any:
    """Return ``value`` as JSON-compatible data (dicts, lists, str, numbers; datetimes in ISO 8601).

    ``native=True`` turns dataclasses and pydantic models into dicts too, but keeps
    other values (datetimes, UUIDs, ...) as they are, as Agno's ``to_dict()`` does.
    """
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if not isinstance(value, type):
        if not native:
            to_json_dict = getattr(value, "to_json_dict", None)
            if to_json_dict is not None:
                return to_json_dict()
        to_dict = getattr(value, "to_dict", None)
        if to_dict is not None:
            return to_dict()
        if dataclasses.is_dataclass(value):
            return dataclass_to_dict(value, native)
    if isinstance(value, dict):
        return {str(k): to_jsonable(v, native) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_jsonable(v, native) for v in value]
    if isinstance(value, bytes):
        import base64

        return base64.b64encode(value).decode("ascii")
    dump = getattr(value, "model_dump", None)  # pydantic models
    if dump is not None:
        return dump() if native else dump(mode="json")
    if native:
        return value
    if isinstance(value, _TIMES):
        return value.isoformat()
    return str(value)


def dataclass_to_dict(obj: Any, native: bool = False) -> dict[str, Any]:
    return {name: to_jsonable(getattr(obj, name), native) for name in field_names(type(obj))}


def from_jsonable(tp: Any, value: Any) -> Any:
    """Rebuild ``value`` as type ``tp`` where ``tp`` names a dataclass (possibly nested)."""
    if value is None or tp is Any:
        return value
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(tp):
            if arg is type(None):
                continue
            if dataclasses.is_dataclass(arg) and isinstance(value, dict):
                return from_jsonable(arg, value)
            if typing.get_origin(arg) in (list, dict) and isinstance(value, (list, dict)):
                return from_jsonable(arg, value)
            if isinstance(arg, type) and issubclass(arg, enum.Enum):
                try:
                    return arg(value)
                except ValueError:
                    continue
        return value
    if origin is list and isinstance(value, list):
        (item,) = typing.get_args(tp) or (Any,)
        return [from_jsonable(item, v) for v in value]
    if origin is dict and isinstance(value, dict):
        args = typing.get_args(tp)
        item = args[1] if len(args) == 2 else Any
        return {k: from_jsonable(item, v) for k, v in value.items()}
    if isinstance(tp, type):
        if issubclass(tp, enum.Enum):
            return tp(value)
        if dataclasses.is_dataclass(tp) and isinstance(value, dict):
            builder = getattr(tp, "from_dict", None)
            if builder is not None:
                return builder(value)
            return dataclass_from_dict(tp, value)
    return value


def dataclass_from_dict(cls: type[_T], data: dict[str, Any]) -> _T:
    hints = _hints(cls)
    kwargs = {
        name: from_jsonable(hints.get(name, Any), data[name])
        for name in field_names(cls)
        if name in data
    }
    return cls(**kwargs)
