"""Stored JSON without what can be rebuilt exactly: fields at their defaults, and values a row's columns hold.

A run's row and its events are dataclasses written out field by field, most of them at their defaults
(``"error": null``, ``"requires_confirmation": false``, zero token counts). Storage keeps only the fields
that differ from the default, through nested dataclasses too (a tool's snapshot, metrics), and drops from an
event what its row's columns already hold (event name, time, run and session ids). Reading puts them back, in
field order, so ``expand(compact(d)) == d`` for every dict a runwire class wrote. A field is dropped only when
its value is the default's very type and value, and only for classes whose dict is their fields: anything
else (custom events, unknown keys) is stored as it is.
"""

from __future__ import annotations

import copy
import dataclasses
import typing
from typing import Any, Callable, Optional

from runwire._codec import _hints
from runwire.run.events import _BY_EVENT

_NO = object()  # a field without a literal default: always stored
_Field = tuple[Any, Optional[tuple[str, type]]]  # (default literal or _NO, (shape, nested class) or None)
_SPECS: dict[type, dict[str, _Field]] = {}
_DERIVED: dict[type, dict[str, Callable[[dict[str, Any]], Any]]] = {}
_TABLES: dict[type, dict[str, tuple[Any, Optional[tuple[str, type]], Any]]] = {}
_PLAIN: set[type] = set()  # classes whose dict form is exactly their fields (plus _DERIVED keys)


def plain(cls: type, derived: Optional[dict[str, Callable[[dict[str, Any]], Any]]] = None) -> None:
    """Declare ``cls`` compactable: its dict is its fields, plus ``derived`` keys computed from the others."""
    _PLAIN.add(cls)
    if derived:
        _DERIVED[cls] = derived
    _SPECS.clear()  # nested fields may now be compactable
    _TABLES.clear()


def _literal(f: dataclasses.Field[Any]) -> Any:
    if f.default is not dataclasses.MISSING:
        value = f.default
        if value is None or type(value) in (bool, int, str):
            return value
        return _NO
    if f.default_factory in (list, dict):
        return f.default_factory()
    return _NO


def _nested(hint: Any) -> Optional[tuple[str, type]]:
    """('one' | 'list' | 'dict-list', cls) when the field holds a compactable dataclass."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Union or type(hint).__name__ == "UnionType":
        inner = [a for a in args if a is not type(None)]
        return _nested(inner[0]) if len(inner) == 1 else None
    if origin is list and args and args[0] in _PLAIN:
        return ("list", args[0])
    if origin is dict and len(args) == 2:
        found = _nested(args[1])
        return ("dict-list", found[1]) if found and found[0] == "list" else None
    if isinstance(hint, type) and hint in _PLAIN:
        return ("one", hint)
    return None


def _spec(cls: type) -> dict[str, _Field]:
    spec = _SPECS.get(cls)
    if spec is None:
        hints = _hints(cls)
        spec = {f.name: (_literal(f), _nested(hints.get(f.name, Any))) for f in dataclasses.fields(cls) if f.init}
        _SPECS[cls] = spec
    return spec


def _walk(nested: tuple[str, type], value: Any, fn: Callable[[type, dict[str, Any]], dict[str, Any]]) -> Any:
    shape, cls = nested
    if shape == "one" and isinstance(value, dict):
        return fn(cls, value)
    if shape == "list" and isinstance(value, list):
        return [fn(cls, v) if isinstance(v, dict) else v for v in value]
    if shape == "dict-list" and isinstance(value, dict):
        return {k: _walk(("list", cls), v, fn) for k, v in value.items()}
    return value


def _table(cls: type) -> dict[str, tuple[Any, Optional[tuple[str, type]], Any]]:
    """Per key of ``cls``'s dict: (default literal or _NO, nested, derive function or None)."""
    table = _TABLES.get(cls)
    if table is None:
        derived = _DERIVED.get(cls, {})
        table = {key: (_NO if key in derived else default, nested, derived.get(key))
                 for key, (default, nested) in _spec(cls).items()}
        table.update({key: (_NO, None, make) for key, make in derived.items() if key not in table})
        _TABLES[cls] = table
    return table


def compact(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    """``data`` (written by ``cls``) without its fields at their defaults and its derivable keys."""
    if cls not in _PLAIN:
        return data
    table = _table(cls)
    out: dict[str, Any] = {}
    for key, value in data.items():
        entry = table.get(key)
        if entry is None:
            out[key] = value
            continue
        default, nested, make = entry
        if make is not None:
            rebuilt = make(data)
            if rebuilt == value and type(rebuilt) is type(value):
                continue
        elif value == default and type(value) is type(default):  # never equal to _NO
            continue
        out[key] = value if nested is None else _walk(nested, value, compact)
    return out


def expand(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    """What :func:`compact` took out, put back in field order (then any other keys, as they were)."""
    if cls not in _PLAIN:
        return data
    derived = _DERIVED.get(cls, {})
    out: dict[str, Any] = {}
    missing = []
    for key, (default, nested) in _spec(cls).items():
        if key in data:
            value = data[key]
            out[key] = _walk(nested, value, expand) if nested is not None else value
        elif key in derived:
            out[key] = None  # its place; its value once every field is back
            missing.append(key)
        elif default is not _NO:
            out[key] = copy.copy(default)
    for key in derived:
        if key not in out:
            out[key] = data[key] if key in data else None
            if key not in data:
                missing.append(key)
    for key in missing:
        value = derived[key](out)
        if value is _NO:  # nothing to derive it from: it was not there
            del out[key]
        else:
            out[key] = value
    for key, value in data.items():
        if key not in out:
            out[key] = value
    return out


def _event_class(data: dict[str, Any]) -> Optional[type]:
    if "event_class" in data:  # a custom event: stored as it is
        return None
    return _BY_EVENT.get(data.get("event") or "")


def compact_event(data: dict[str, Any], run_id: Optional[str], session_id: Optional[str]) -> dict[str, Any]:
    """An event's stored form: compacted, and without the values its row's columns hold (its name always: a
    stored event without ``event`` is a compacted one)."""
    cls = _event_class(data)
    if cls is None or cls not in _PLAIN:
        return data
    out = compact(cls, data)
    for key, column in (("run_id", run_id), ("session_id", session_id)):
        if key in data:
            if data[key] == column and type(data[key]) is type(column):
                out.pop(key, None)
            else:  # kept even at its default: a missing one means "the column's"
                out[key] = data[key]
    if type(data.get("created_at")) is float:
        out.pop("created_at", None)
    out.pop("event", None)
    return out


def expand_event(data: dict[str, Any], event: Optional[str], created_at: Any, run_id: Optional[str],
                 session_id: Optional[str]) -> dict[str, Any]:
    """The event as it was written, from its stored form and its row's columns."""
    if "event" in data:  # stored whole: a custom event, or written by runwire before schema version 3
        return data
    data = {"event": event, "created_at": created_at, "run_id": run_id, "session_id": session_id, **data}
    cls = _event_class(data)
    return expand(cls, data) if cls is not None else data


def _register() -> None:
    from runwire.metrics import Metrics, generation_rate
    from runwire.run import events
    from runwire.run.output import RunOutput
    from runwire.run.tool_execution import ToolExecution

    plain(ToolExecution)
    plain(Metrics, {"tokens_per_second": lambda d: generation_rate(d.get("output_tokens") or 0, d.get("duration"),
                                                                   d.get("time_to_first_token"))})
    plain(RunOutput)

    def from_metrics(name: str) -> Callable[[dict[str, Any]], Any]:
        return lambda d: d["metrics"].get(name) if isinstance(d.get("metrics"), dict) else _NO

    # a model request's token counts are its metrics' too (Agno's event carries both)
    tokens = ("input_tokens", "output_tokens", "total_tokens", "time_to_first_token", "reasoning_tokens",
              "cache_read_tokens", "cache_write_tokens")
    derived: dict[type, dict[str, Callable[[dict[str, Any]], Any]]] = {
        events.ModelRequestCompletedEvent: {name: from_metrics(name) for name in tokens}}
    for cls in set(events._BY_EVENT.values()):
        if cls.__module__ == events.__name__:
            plain(cls, derived.get(cls))


_register()
