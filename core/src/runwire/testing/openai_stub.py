"""A scripted OpenAI-compatible chat server on loopback, for testing provider plugins offline.

    with OpenAIStub(["Hello there", [ToolCall("add", {"a": 1})]]) as stub:
        LiteLLM(id="openai/stub", api_base=stub.url, api_key="sk-test")

Turns are those of :class:`ScriptedModel` (str, list of ToolCall, Reply,
callable) plus :class:`HTTPFailure` (an error response) and
:class:`BrokenStream` (a stream cut off mid-way). Streaming requests get SSE
chunks (text word by word, tool-call arguments split across chunks, usage
last); others get one JSON body. Requests are kept on ``stub.requests``.
Standard library only.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Iterable, Optional, Union

from runwire.models.chat_format import tool_call_dicts
from runwire.models.message import ToolCall
from runwire.testing.scripted import Reply, _words


@dataclass
class HTTPFailure:
    """Answer a request with an HTTP error."""

    status: int
    message: str = "error"
    headers: dict[str, str] = field(default_factory=dict)
    error_type: str = "invalid_request_error"
    code: Optional[str] = None


@dataclass
class BrokenStream:
    """Stream ``content`` but cut the connection after ``after_chunks`` chunks."""

    content: str
    after_chunks: int = 2


@dataclass
class RecordedRequest:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


class OpenAIStub:
    """The server; use as a context manager. ``url`` is the base URL (ending in ``/v1``)."""

    def __init__(self, script: Union[Iterable[Any], Callable[[dict[str, Any]], Any]] = (), *,
                 chunk_delay: float = 0.0, model: str = "stub-model") -> None:
        self._responder = script if callable(script) else None
        self._script: deque[Any] = deque() if callable(script) else deque(script)  # type: ignore[arg-type]
        self.chunk_delay = chunk_delay
        self.model = model
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._server: Optional[ThreadingHTTPServer] = None

    def add(self, *turns: Any) -> "OpenAIStub":
        with self._lock:
            self._script.extend(turns)
        return self

    @property
    def url(self) -> str:
        assert self._server is not None, "start the stub first (use it as a context manager)"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def __enter__(self) -> "OpenAIStub":
        stub = self

        class Handler(_Handler):
            owner = stub

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="openai-stub", daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def next_turn(self, body: dict[str, Any]) -> Any:
        with self._lock:
            if self._responder is not None:
                return self._responder(body)
            if not self._script:
                return HTTPFailure(500, "OpenAIStub ran past its script", error_type="server_error")
            turn = self._script.popleft()
        return turn(body) if callable(turn) else turn


def _normalise(turn: Any) -> Any:
    if isinstance(turn, str):
        return Reply(content=turn)
    if isinstance(turn, ToolCall):
        return Reply(tool_calls=[turn])
    if isinstance(turn, list):
        return Reply(tool_calls=list(turn))
    return turn


def _count(body: dict[str, Any]) -> int:
    total = 0
    for message in body.get("messages", []):
        content = message.get("content")
        if isinstance(content, str):
            total += len(content.split())
        elif isinstance(content, list):
            total += sum(len(str(p.get("text", "")).split()) for p in content if isinstance(p, dict))
    return total


class _Handler(BaseHTTPRequestHandler):
    owner: OpenAIStub
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        return

    def do_GET(self) -> None:
        if self.path.rstrip("/").endswith("/models"):
            self._json(200, {"object": "list", "data": [{"id": self.owner.model, "object": "model"}]})
        else:
            self._json(404, {"error": {"message": f"no route {self.path}"}})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b"{}"
        try:
            body = json.loads(raw)
        except json.JSONDecodeError:
            self._json(400, {"error": {"message": "body is not JSON"}})
            return
        self.owner.requests.append(RecordedRequest(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
        if not self.path.rstrip("/").endswith("chat/completions"):
            self._json(404, {"error": {"message": f"no route {self.path}"}})
            return
        turn = _normalise(self.owner.next_turn(body))
        if isinstance(turn, HTTPFailure):
            error = {"message": turn.message, "type": turn.error_type, "code": turn.code}
            self._json(turn.status, {"error": error}, turn.headers)
            return
        if body.get("stream"):
            self._stream(body, turn)
        else:
            self._complete(body, turn)

    # -- responses ---------------------------------------------------------
    def _json(self, status: int, data: dict[str, Any], headers: Optional[dict[str, str]] = None) -> None:
        payload = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(payload)

    def _usage(self, body: dict[str, Any], turn: Any) -> dict[str, int]:
        out = len((turn.content or "").split()) + len((turn.reasoning or "").split()) if isinstance(turn, Reply) else 0
        if isinstance(turn, Reply):
            out += sum(len(c.arguments_json().split()) + 1 for c in turn.tool_calls)
        prompt = _count(body)
        return {"prompt_tokens": prompt, "completion_tokens": out, "total_tokens": prompt + out}

    def _complete(self, body: dict[str, Any], turn: Any) -> None:
        if isinstance(turn, BrokenStream):
            turn = Reply(content=turn.content)
        message: dict[str, Any] = {"role": "assistant", "content": turn.content}
        if turn.reasoning:
            message["reasoning_content"] = turn.reasoning
        if turn.tool_calls:
            message["tool_calls"] = tool_call_dicts(turn.tool_calls)
        self._json(200, {
            "id": "chatcmpl-stub", "object": "chat.completion", "created": int(time.time()), "model": self.owner.model,
            "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if turn.tool_calls else "stop"}],
            "usage": self._usage(body, turn),
        })

    def _stream(self, body: dict[str, Any], turn: Any) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        broken = turn.after_chunks if isinstance(turn, BrokenStream) else None
        if isinstance(turn, BrokenStream):
            turn = Reply(content=turn.content)
        sent = 0

        def chunk(delta: dict[str, Any], finish: Optional[str] = None, usage: Optional[dict[str, int]] = None) -> bool:
            nonlocal sent
            if broken is not None and sent >= broken:
                self.wfile.flush()
                self.connection.shutdown(2)
                return False
            data: dict[str, Any] = {
                "id": "chatcmpl-stub", "object": "chat.completion.chunk", "created": int(time.time()),
                "model": self.owner.model, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
            if usage is not None:
                data["choices"] = []
                data["usage"] = usage
            self.wfile.write(b"data: " + json.dumps(data).encode() + b"\n\n")
            self.wfile.flush()
            sent += 1
            if self.owner.chunk_delay:
                time.sleep(self.owner.chunk_delay)
            return True

        if not chunk({"role": "assistant", "content": ""}):
            return
        for word in _words(turn.reasoning or ""):
            if not chunk({"reasoning_content": word}):
                return
        for word in _words(turn.content or ""):
            if not chunk({"content": word}):
                return
        for index, call in enumerate(turn.tool_calls):
            args = call.arguments_json()
            half = len(args) // 2
            first = {"index": index, "id": call.id, "type": "function", "function": {"name": call.name, "arguments": args[:half]}}
            if not chunk({"tool_calls": [first]}):
                return
            if not chunk({"tool_calls": [{"index": index, "function": {"arguments": args[half:]}}]}):
                return
        if not chunk({}, "tool_calls" if turn.tool_calls else "stop"):
            return
        if not chunk({}, usage=self._usage(body, turn)):
            return
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()
