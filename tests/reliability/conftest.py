"""Run-integrity tests: each reproduces a way a run's record could be left lying, on SQLite and PostgreSQL.

The real local PostgreSQL and Redis are used where a test needs them (skipped without them, failing instead
when RUNWIRE_REQUIRE_SERVICES=1, as in CI)."""

from __future__ import annotations

import os
import uuid
from typing import Any

import pytest

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


REDIS_URL = os.environ.get("RUNWIRE_TEST_REDIS", "redis://127.0.0.1:6379/0")


def require_redis() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except Exception:
        if os.environ.get("RUNWIRE_REQUIRE_SERVICES") == "1":
            pytest.fail(f"Redis is required (RUNWIRE_REQUIRE_SERVICES=1) but {REDIS_URL} is not reachable")
        pytest.skip(f"no Redis at {REDIS_URL}")


@pytest.fixture
def redis_prefix():
    """A key prefix of this test's own; its keys are deleted afterwards (Redis is shared)."""
    import redis

    require_redis()
    prefix = f"rwrel-{uuid.uuid4().hex[:10]}:"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(prefix + "*"):
        client.delete(key)


@pytest.fixture
def no_backend():
    """The in-process registry only, restored afterwards."""
    from runwire.run.cancel import set_cancellation_backend

    set_cancellation_backend(None)
    yield
    set_cancellation_backend(None)
