"""Session state under concurrent runs: each run's changes are merged into the latest stored state.

A run starts from a snapshot of the stored ``session_state``. When it ends, only
what it changed (keys set to a new value, keys removed) is applied to the state
as stored *then*, in one compare-and-set (retried on a conflict). Two runs that
touch different keys never lose each other's updates; two runs that set the same
key end with the value of the one that finished last. For a read-modify-write
of one key by concurrent runs (a counter), tools call
``run_context.update_session_state(fn)``, which applies ``fn`` atomically to the
freshest stored state.
"""

from __future__ import annotations

import copy
from typing import Any

_MISSING = object()


def snapshot(state: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(state)


def diff(base: dict[str, Any], current: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """(keys set or changed, keys removed) going from ``base`` to ``current``."""
    changed = {k: v for k, v in current.items() if _differs(base.get(k, _MISSING), v)}
    removed = [k for k in base if k not in current]
    return changed, removed


def _differs(old: Any, new: Any) -> bool:
    if old is _MISSING:
        return True
    try:
        return bool(old != new)
    except Exception:  # values without a plain equality (arrays): count as changed
        return True


def apply(state: dict[str, Any], changed: dict[str, Any], removed: list[str]) -> None:
    for key in removed:
        state.pop(key, None)
    state.update(copy.deepcopy(changed))
