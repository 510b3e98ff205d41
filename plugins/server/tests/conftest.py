"""A real uvicorn server on a free loopback port, API keys for two users, and gates for runs that wait."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # server_app, as `runwire serve server_app:agents` imports it

from rw_server_kit import ANN_KEY, BOB_KEY, LiveServer, client, gates  # noqa: E402,F401  (gates: a fixture)


@pytest.fixture
def keys_file(tmp_path):
    from runwire_server.auth import hash_key

    path = tmp_path / "keys"
    path.write_text(f"# users\nann:{ANN_KEY}\n\nbob:{hash_key(BOB_KEY)}\n")
    return path


@pytest.fixture
def make_server(tmp_path, keys_file, gates):  # noqa: F811 (the gates fixture, imported from rw_server_kit)
    """Start a server for ``create_app(server_app.make_agents(), **options)`` (API keys of ann and bob)."""
    from runwire_server import APIKeys, create_app
    from server_app import make_agents

    with contextlib.ExitStack() as stack:
        def make(**options):
            options.setdefault("db", f"sqlite:///{tmp_path}/server.db")
            options.setdefault("auth", APIKeys.from_file(keys_file))
            return stack.enter_context(LiveServer(create_app(make_agents(), **options)))

        yield make


@pytest.fixture
def server(make_server):
    return make_server()


@pytest.fixture
def ann(server):
    with client(server) as c:
        yield c


@pytest.fixture
def bob(server):
    with client(server, BOB_KEY) as c:
        yield c
