"""A scripted OpenAI-compatible chat server on loopback, for testing provider plugins offline.

    with OpenAIStub(["Hello there", [ToolCall("add", {"a": 1})]]) as stub:
        LiteLLM(id="openai/stub", api_base=stub.url, api_key="sk-test")

Turns are those of :class:`ScriptedModel` (str, list of ToolCall, Reply,
callable) plus :class:`HTTPFailure` (an error response) and
:class:`BrokenStream` (a stream cut off mid-way). Streaming requests get SSE
chunks (text word by word, tool-call arguments split across chunks, usage
last); others get one JSON body. Requests are kept on ``stub.requests``;
``stub.connections`` counts the TCP connections accepted (``GET /v1/stub/stats``
reports both to other processes).

It behaves as a real HTTP/1.1 server does, so clients pay what they pay in
production: an asyncio server on its own thread, TCP_NODELAY, each response
written at once (streamed ones in chunked encoding, one write unless
``chunk_delay`` spaces the chunks), and connections kept alive for the next
request unless the client asks to close. Standard library only.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Optional, Union

from runwire.models.chat_format import tool_call_dicts
from runwire.models.message import ToolCall
from runwire.testing.scripted import Reply, _words

_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
            413: "Payload Too Large", 422: "Unprocessable Entity", 429: "Too Many Requests",
            500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}
_MAX_HEAD = 64 * 1024
_MAX_BODY = 64 * 1024 * 1024


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
    """The server; use as a context manager. ``url`` is the base URL (ending in ``/v1``).

    ``chunk_delay`` (seconds) is slept between streamed chunks, and once before a
    non-streamed answer.
    """

    def __init__(self, script: Union[Iterable[Any], Callable[[dict[str, Any]], Any]] = (), *,
                 chunk_delay: float = 0.0, model: str = "stub-model") -> None:
        self._responder = script if callable(script) else None
        self._script: deque[Any] = deque() if callable(script) else deque(script)
        self.chunk_delay = chunk_delay
        self.model = model
        self.requests: list[RecordedRequest] = []
        self.connections = 0
        self._lock = threading.Lock()
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._server: Optional[asyncio.Server] = None
        self._thread: Optional[threading.Thread] = None
        self._address: Optional[tuple[str, int]] = None
        self._writers: set[asyncio.StreamWriter] = set()

    def add(self, *turns: Any) -> "OpenAIStub":
        with self._lock:
            self._script.extend(turns)
        return self

    @property
    def url(self) -> str:
        assert self._address is not None, "start the stub first (use it as a context manager)"
        host, port = self._address
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> "OpenAIStub":
        started = threading.Event()
        failure: list[BaseException] = []

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                self._server = loop.run_until_complete(
                    asyncio.start_server(self._connection, "127.0.0.1", 0, backlog=4096, limit=_MAX_HEAD))
                self._address = self._server.sockets[0].getsockname()[:2]
            except BaseException as exc:  # reported to the caller of __enter__
                failure.append(exc)
                started.set()
                loop.close()
                return
            started.set()
            try:
                loop.run_forever()
            finally:
                loop.close()

        self._thread = threading.Thread(target=serve, name="openai-stub", daemon=True)
        self._thread.start()
        started.wait()
        if failure:
            raise RuntimeError(f"OpenAIStub could not start: {failure[0]}") from failure[0]
        return self

    def __exit__(self, *exc: object) -> None:
        loop = self._loop
        if loop is None or self._thread is None:
            return

        async def stop() -> None:
            assert self._server is not None
            self._server.close()
            for writer in list(self._writers):
                writer.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            loop.stop()

        asyncio.run_coroutine_threadsafe(stop(), loop)
        self._thread.join(timeout=10)
        self._loop = None

    def next_turn(self, body: dict[str, Any]) -> Any:
        with self._lock:
            if self._responder is not None:
                return self._responder(body)
            if not self._script:
                return HTTPFailure(500, "OpenAIStub ran past its script", error_type="server_error")
            turn = self._script.popleft()
        return turn(body) if callable(turn) else turn

    # -- the HTTP/1.1 connection -------------------------------------------------
    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.connections += 1
        self._writers.add(writer)
        try:
            while await self._exchange(reader, writer):
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            pass  # a client that hung up or sent garbage: drop the connection
        except asyncio.CancelledError:
            pass  # the stub is shutting down
        finally:
            self._writers.discard(writer)
            writer.close()

    async def _exchange(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Read one request and answer it; False when the connection should close."""
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return False  # the client closed the connection between requests
        lines = head.decode("latin-1").split("\r\n")
        method, path, version = lines[0].split(" ", 2)
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if line:
                key, _, value = line.partition(":")
                headers[key.strip().lower()] = value.strip()
        keep_alive = version == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
        if headers.get("transfer-encoding", "").lower() == "chunked":
            raw = await _read_chunked(reader)
        else:
            length = int(headers.get("content-length") or 0)
            if length > _MAX_BODY:
                writer.write(_response(413, {"error": {"message": "request body too large"}}, keep_alive=False))
                return False
            raw = await reader.readexactly(length) if length else b""
        if method == "GET":
            if path.rstrip("/").endswith("/models"):
                data: dict[str, Any] = {"object": "list", "data": [{"id": self.model, "object": "model"}]}
                writer.write(_response(200, data, keep_alive=keep_alive))
            elif path.rstrip("/").endswith("/stub/stats"):  # for clients in other processes (benchmarks)
                data = {"requests": len(self.requests), "connections": self.connections}
                writer.write(_response(200, data, keep_alive=keep_alive))
            else:
                writer.write(_response(404, {"error": {"message": f"no route {path}"}}, keep_alive=keep_alive))
            return keep_alive
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            writer.write(_response(400, {"error": {"message": "body is not JSON"}}, keep_alive=keep_alive))
            return keep_alive
        self.requests.append(RecordedRequest(path, headers, body))
        if not path.rstrip("/").endswith("chat/completions"):
            writer.write(_response(404, {"error": {"message": f"no route {path}"}}, keep_alive=keep_alive))
            return keep_alive
        turn = _normalise(self.next_turn(body))
        if isinstance(turn, HTTPFailure):
            error = {"message": turn.message, "type": turn.error_type, "code": turn.code}
            writer.write(_response(turn.status, {"error": error}, turn.headers, keep_alive=keep_alive))
            return keep_alive
        if body.get("stream"):
            return await self._stream(writer, body, turn, keep_alive)
        if self.chunk_delay:
            await asyncio.sleep(self.chunk_delay)
        writer.write(_response(200, self._completion(body, turn), keep_alive=keep_alive))
        return keep_alive

    # -- responses ---------------------------------------------------------------
    def _completion(self, body: dict[str, Any], turn: Any) -> dict[str, Any]:
        if isinstance(turn, BrokenStream):
            turn = Reply(content=turn.content)
        message: dict[str, Any] = {"role": "assistant", "content": turn.content}
        if turn.reasoning:
            message["reasoning_content"] = turn.reasoning
        if turn.tool_calls:
            message["tool_calls"] = tool_call_dicts(turn.tool_calls)
        return {
            "id": "chatcmpl-stub", "object": "chat.completion", "created": int(time.time()), "model": self.model,
            "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if turn.tool_calls else "stop"}],
            "usage": _usage(body, turn),
        }

    def _chunks(self, body: dict[str, Any], turn: Reply) -> list[bytes]:
        """The SSE events of a streamed answer, each as one HTTP chunk."""
        created = int(time.time())
        events: list[dict[str, Any]] = []

        def chunk(delta: dict[str, Any], finish: Optional[str] = None) -> None:
            events.append({"id": "chatcmpl-stub", "object": "chat.completion.chunk", "created": created,
                           "model": self.model, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})

        chunk({"role": "assistant", "content": ""})
        for word in _words(turn.reasoning or ""):
            chunk({"reasoning_content": word})
        for word in _words(turn.content or ""):
            chunk({"content": word})
        for index, call in enumerate(turn.tool_calls):
            args = call.arguments_json()
            half = len(args) // 2
            chunk({"tool_calls": [{"index": index, "id": call.id, "type": "function",
                                   "function": {"name": call.name, "arguments": args[:half]}}]})
            chunk({"tool_calls": [{"index": index, "function": {"arguments": args[half:]}}]})
        chunk({}, "tool_calls" if turn.tool_calls else "stop")
        if (body.get("stream_options") or {}).get("include_usage", True):  # sent unless refused, as before
            events.append({"id": "chatcmpl-stub", "object": "chat.completion.chunk", "created": created,
                           "model": self.model, "choices": [], "usage": _usage(body, turn)})
        out = [_http_chunk(b"data: " + json.dumps(e).encode() + b"\n\n") for e in events]
        out.append(_http_chunk(b"data: [DONE]\n\n"))
        return out

    async def _stream(self, writer: asyncio.StreamWriter, body: dict[str, Any], turn: Any, keep_alive: bool) -> bool:
        broken = turn.after_chunks if isinstance(turn, BrokenStream) else None
        if isinstance(turn, BrokenStream):
            turn = Reply(content=turn.content)
        head = _head(200, {"Content-Type": "text/event-stream", "Cache-Control": "no-cache",
                           "Transfer-Encoding": "chunked"}, keep_alive=keep_alive)
        chunks = self._chunks(body, turn)
        if broken is not None:  # cut off mid-way: no terminating chunk, then the connection closes
            writer.write(head + b"".join(chunks[:broken]))
            await writer.drain()
            return False
        if not self.chunk_delay:
            writer.write(head + b"".join(chunks) + b"0\r\n\r\n")
            return keep_alive
        writer.write(head)
        for piece in chunks:
            writer.write(piece)
            await writer.drain()
            await asyncio.sleep(self.chunk_delay)
        writer.write(b"0\r\n\r\n")
        return keep_alive


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    total = 0
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0].strip(), 16)
        if size == 0:
            await reader.readuntil(b"\r\n")
            return b"".join(parts)
        total += size
        if total > _MAX_BODY:
            raise ValueError("request body too large")
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)


def _head(status: int, headers: dict[str, str], *, keep_alive: bool) -> bytes:
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    lines.append("Connection: keep-alive" if keep_alive else "Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _response(status: int, data: dict[str, Any], headers: Optional[dict[str, str]] = None, *,
              keep_alive: bool) -> bytes:
    payload = json.dumps(data).encode()
    all_headers = {"Content-Type": "application/json", "Content-Length": str(len(payload)), **(headers or {})}
    return _head(status, all_headers, keep_alive=keep_alive) + payload


def _http_chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


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


def _usage(body: dict[str, Any], turn: Any) -> dict[str, int]:
    out = len((turn.content or "").split()) + len((turn.reasoning or "").split()) if isinstance(turn, Reply) else 0
    if isinstance(turn, Reply):
        out += sum(len(c.arguments_json().split()) + 1 for c in turn.tool_calls)
    prompt = _count(body)
    return {"prompt_tokens": prompt, "completion_tokens": out, "total_tokens": prompt + out}
