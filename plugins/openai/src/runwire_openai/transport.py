"""The lean HTTP path: one aiohttp session per event loop, request bodies serialized once.

aiohttp measured fastest of the clients tried (see benchmarks/bench_http.py): it
keeps connections alive, its pool does not slow down with many in-flight
requests, and reading its body in whole chunks leaves SSE parsing to us.
"""

from __future__ import annotations

import asyncio
import json
import random
import weakref
from collections import OrderedDict
from typing import Any, AsyncIterator, Optional

from runwire_openai.errors import RETRYABLE_STATUS, APIConnectionError, APITimeoutError, status_error

MAX_LINE = 16 * 1024 * 1024  # one SSE line (a hostile server could send an endless one)
MAX_ERROR_BODY = 64 * 1024


class ToolSpecCache:
    """Tool specs serialized once: the same spec dicts (a run's tools) are dumped once, not per request.

    Keyed by the identity of the spec dicts, which the cache keeps alive (so an
    id is never reused while cached); specs are read-only by contract
    (``Function.spec``).
    """

    def __init__(self, size: int = 64) -> None:
        self._entries: "OrderedDict[tuple[int, ...], tuple[list[Any], str]]" = OrderedDict()
        self._size = size

    def dumps(self, tools: list[Any]) -> str:
        key = tuple(map(id, tools))
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
            return entry[1]
        text = json.dumps(tools)
        self._entries[key] = (list(tools), text)
        if len(self._entries) > self._size:
            self._entries.popitem(last=False)
        return text


def encode_body(body: dict[str, Any], tools: Optional[list[Any]], cache: ToolSpecCache) -> bytes:
    """``body`` as JSON, with ``tools`` spliced in from the cache."""
    text = json.dumps(body)
    if tools:
        text = f'{text[:-1]}, "tools": {cache.dumps(tools)}}}'
    return text.encode()


class Sessions:
    """One aiohttp ClientSession per event loop (a session cannot cross loops)."""

    def __init__(self, *, timeout: float, max_connections: int) -> None:
        self.timeout = timeout
        self.max_connections = max_connections
        self._by_loop: dict[asyncio.AbstractEventLoop, Any] = {}
        # held by the finalizer, not by the model: the sessions outlive the model's garbage cycle and close after it
        weakref.finalize(self, _discard_all, self._by_loop)

    def get(self) -> Any:
        loop = asyncio.get_running_loop()
        session = self._by_loop.get(loop)
        if session is None:
            import aiohttp

            self._forget_closed_loops()
            connector = aiohttp.TCPConnector(limit=self.max_connections, ttl_dns_cache=300)
            timeout = aiohttp.ClientTimeout(total=None, sock_connect=self.timeout, sock_read=self.timeout)
            session = aiohttp.ClientSession(connector=connector, timeout=timeout, auto_decompress=True)
            self._by_loop[loop] = session
        return session

    def _forget_closed_loops(self) -> None:
        for loop in [lp for lp in self._by_loop if lp.is_closed()]:
            _discard(self._by_loop.pop(loop))

    async def aclose(self) -> None:
        session = self._by_loop.pop(asyncio.get_running_loop(), None)
        if session is not None:
            await session.close()


def _discard_all(by_loop: dict[asyncio.AbstractEventLoop, Any]) -> None:
    """Close the sessions of a model that is gone (or of the process at exit)."""
    for loop, session in list(by_loop.items()):
        by_loop.pop(loop, None)
        if loop.is_running():  # close on its own thread
            try:
                loop.call_soon_threadsafe(_discard, session)
                continue
            except RuntimeError:  # closed meanwhile
                pass
        _discard(session)


def _discard(session: Any) -> None:
    """Close a session's connections without awaiting (its loop may be closed or busy elsewhere)."""
    close = getattr(session.connector, "_close", None)
    if close is not None:
        try:
            close()
        except Exception:
            pass
    session.detach()


async def post(sessions: Sessions, url: str, payload: bytes, headers: dict[str, str], *,
               max_retries: int) -> Any:
    """POST ``payload``; the response once its status is 2xx. Retries connection errors, 408/409/429 and 5xx
    (``retry-after`` honoured, else exponential backoff with jitter) up to ``max_retries`` times."""
    import aiohttp

    session = sessions.get()
    attempt = 0
    while True:
        try:
            response = await session.post(url, data=payload, headers=headers)
        except asyncio.TimeoutError as exc:
            error: Exception = APITimeoutError(f"the request timed out after {sessions.timeout:g} s ({exc!r})")
            wait = None
        except aiohttp.ClientError as exc:
            error = APIConnectionError(f"connection error: {exc}")
            wait = None
        else:
            if response.status < 300:
                return response
            try:
                raw = await response.content.read(MAX_ERROR_BODY)
            finally:
                response.release()
            error = status_error(response.status, raw)
            if response.status not in RETRYABLE_STATUS:
                raise error
            wait = _retry_after(response.headers.get("retry-after"))
        if attempt >= max_retries:
            raise error
        attempt += 1
        await asyncio.sleep(wait if wait is not None else min(0.5 * 2 ** (attempt - 1), 8.0) * (0.75 + random.random() / 4))


def _retry_after(value: Optional[str]) -> Optional[float]:
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None
    return None if seconds is None or seconds < 0 else min(seconds, 60.0)


async def sse_data(response: Any) -> AsyncIterator[bytes]:
    """The ``data:`` payloads of a server-sent event stream, read to the end of the body
    (so the connection goes back to the pool)."""
    buffer = b""
    async for piece in response.content.iter_any():
        buffer += piece
        if b"\n" not in piece:
            if len(buffer) > MAX_LINE:
                raise APIConnectionError(f"the server sent a line longer than {MAX_LINE} bytes")
            continue
        lines = buffer.split(b"\n")
        buffer = lines.pop()
        for line in lines:
            if line.startswith(b"data:"):
                yield line[5:].strip()
    if buffer.startswith(b"data:"):
        yield buffer[5:].strip()
