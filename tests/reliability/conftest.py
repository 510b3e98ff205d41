"""Run-integrity tests: each reproduces a way a run's record could be left lying, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from runwire.models.base import ModelRequest
from runwire.testing import ToolCall

from ..storage.conftest import PG_URL, Backend, backend, require_postgres, storage  # noqa: F401


def call_then_answer(name: str, args: dict[str, Any] | None = None, answer: str = "done", calls: int = 1):
    """A scripted responder: ``calls`` calls of tool ``name`` on a user turn, then ``answer`` once tools replied."""

    def respond(request: ModelRequest) -> Any:
        if request.messages and request.messages[-1].role == "tool":
            return answer
        return [ToolCall(name, dict(args or {})) for _ in range(calls)]

    return respond
