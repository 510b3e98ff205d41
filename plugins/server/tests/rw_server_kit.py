"""Helpers of the server tests: a real uvicorn server in a thread, HTTP clients, SSE reading."""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path

import pytest

ANN_KEY, BOB_KEY = "ann-secret-key-0123456789", "bob-secret-key-9876543210"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """uvicorn serving ``app`` in a thread: real sockets, real HTTP, its own event loop."""

    def __init__(self, app) -> None:
        import uvicorn

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                                    lifespan="on", timeout_graceful_shutdown=5))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> "LiveServer":
        self.thread.start()
        for _ in range(500):
            if self.server.started:
                return self
            if not self.thread.is_alive():
                raise RuntimeError("uvicorn exited before it started")
            time.sleep(0.01)
        raise RuntimeError("uvicorn did not start")

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(15)


def client(server, key=ANN_KEY, **kwargs):
    import httpx

    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.Client(base_url=server.url, headers=headers, timeout=30, **kwargs)


def sse(c, method: str, url: str, *, stop_after=None, **kwargs) -> list:
    """Read a stream's events with httpx-sse (closing the connection after ``stop_after``, if given)."""
    from httpx_sse import connect_sse

    events = []
    with connect_sse(c, method, url, **kwargs) as source:
        assert source.response.status_code == 200, source.response.read()
        assert source.response.headers["content-type"].startswith("text/event-stream")
        for event in source.iter_sse():
            events.append(event)
            if stop_after is not None and event.event == stop_after:
                break
    return events


def ids(events) -> list[int]:
    return [int(e.id) for e in events]


def names(events) -> list[str]:
    return [e.event for e in events]


def data(event) -> dict:
    return json.loads(event.data)


class Gates:
    """Files a gated tool (server_app.wait_gate) waits for: a run stays live until the test opens its gate."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def open(self, name: str) -> None:
        (self.path / name).touch()


@pytest.fixture
def gates(tmp_path, monkeypatch):
    path = tmp_path / "gates"
    path.mkdir()
    monkeypatch.setenv("RUNWIRE_TEST_GATES", str(path))
    return Gates(path)
