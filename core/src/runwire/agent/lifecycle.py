"""Closing an Agent: ``aclose()`` / ``close()``, ``async with Agent(...)`` / ``with Agent(...)``.

An Agent closes what it created itself from a name or URL: the storage of
``db="postgresql://..."`` (its connection pool), the models of model strings,
and the sinks of sink names. Objects passed in (a ``Storage``, a ``Model``, an
``EventSink``) belong to the caller, who may share them between agents, and are
left open. An agent that is used again after closing resolves them anew.
"""

from __future__ import annotations

import logging
from typing import Any

from runwire._closing import Closeable

logger = logging.getLogger("runwire.agent")
_HELPERS = ("parser_model", "output_model", "reasoning_model", "memory_model")


class AgentLifecycle(Closeable):
    """The closing half of :class:`runwire.agent.Agent`."""

    _storage: Any
    _model: Any
    _helpers: dict[str, Any]
    _own_sinks: Any
    db: Any
    model: Any
    sinks: Any

    async def aclose(self) -> None:
        """Close the storage, models and sinks this agent created from names or URLs. Safe to call twice."""
        from runwire.models.base import Model
        from runwire.sinks.base import EventSink
        from runwire.sinks.dispatch import on_sink_thread
        from runwire.storage.base import Storage

        storage, self._storage = self._storage, None
        models = [self._model, *self._helpers.values()]
        self._model, self._helpers = None, {}
        sinks, self._own_sinks = self._own_sinks or [], None
        if storage is not None and not isinstance(self.db, Storage):
            await _quietly(storage.aclose(), storage)
        given = [getattr(self, kind, None) for kind in ("model", *_HELPERS)]
        closed: set[int] = set()
        for model in models:
            if model is None or id(model) in closed or any(model is g for g in given if isinstance(g, Model)):
                continue
            closed.add(id(model))
            await _quietly(model.aclose(), model)
        for sink in sinks:
            if not any(sink is g for g in (self.sinks or []) if isinstance(g, EventSink)):
                await on_sink_thread(sink, sink.aclose)


async def _quietly(awaitable: Any, owner: Any) -> None:
    try:
        await awaitable
    except Exception as exc:  # closing must not fail halfway: report and go on
        logger.warning("runwire: could not close %r (%s: %s)", owner, type(exc).__name__, exc)
