"""The lean HTTP path: a connection pool per event loop (``http11``), request bodies serialized once,
retries, and server-sent events parsed from the body's pieces.

``http11`` (asyncio protocols and httptools' C parser) measured fastest of the
clients tried (benchmarks/bench_http.py: bare httpx, bare aiohttp, bare http11).
"""

from __future__ import annotations

import asyncio
import json
import random
import weakref
from collections import OrderedDict
from typing import Any, AsyncIterator, Optional

from runwire_openai.errors import RETRYABLE_STATUS, APIConnectionError, APIError, status_error
from runwire_openai.http11 import Pool, Response, Target

MAX_LINE = 16 * 1024 * 1024  # one SSE line (a hostile server could send an endless one)
MAX_ERROR_BODY = 64 * 1024
MAX_BODY = 256 * 1024 * 1024  # a whole non-streamed answer


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


class Pools:
    """One connection pool per event loop (connections cannot cross loops)."""

    def __init__(self, *, timeout: float, max_connections: int) -> None:
        self.timeout = timeout
        self.max_connections = max_connections
        self._by_loop: dict[asyncio.AbstractEventLoop, Pool] = {}
        # held by the finalizer, not by the model: the pools outlive the model's garbage cycle and close after it
        weakref.finalize(self, _close_all, self._by_loop)

    def get(self) -> Pool:
        loop = asyncio.get_running_loop()
        pool = self._by_loop.get(loop)
        if pool is None:
            for gone in [lp for lp in self._by_loop if lp.is_closed()]:
                self._by_loop.pop(gone).close()
            pool = self._by_loop[loop] = Pool(timeout=self.timeout, max_connections=self.max_connections)
        return pool

    async def aclose(self) -> None:
        pool = self._by_loop.pop(asyncio.get_running_loop(), None)
        if pool is not None:
            pool.close()


def _close_all(by_loop: dict[asyncio.AbstractEventLoop, Pool]) -> None:
    """Close the pools of a model that is gone (or of the process at exit), each on its own loop's thread."""
    for loop, pool in list(by_loop.items()):
        by_loop.pop(loop, None)
        if loop.is_running():
            try:
                loop.call_soon_threadsafe(pool.close)
                continue
            except RuntimeError:  # closed meanwhile
                pass
        pool.close()


async def post(pools: Pools, target: Target, payload: bytes, *, max_retries: int) -> Response:
    """POST ``payload``; the response once its status is 2xx. Retries connection errors, 408/409/429 and 5xx
    (``retry-after`` honoured, else exponential backoff with jitter) up to ``max_retries`` times."""
    pool = pools.get()
    attempt = 0
    while True:
        try:
            response = await pool.post(target, payload)
        except APIConnectionError as exc:  # timeouts included
            error: Exception = exc
            wait = None
        else:
            if 200 <= response.status < 300:  # (llhttp lets 000-099 through)
                return response
            try:
                raw = await _error_body(response)
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


async def _error_body(response: Response) -> bytes:
    """The first MAX_ERROR_BODY bytes of an error response (the rest is not read; the connection is closed).
    A body that cannot be read ends where it broke: the status decides what happens next."""
    pieces: list[bytes] = []
    size = 0
    try:
        async for piece in response.iter_any():
            pieces.append(piece)
            size += len(piece)
            if size >= MAX_ERROR_BODY:
                break
    except APIError:
        pass
    return b"".join(pieces)[:MAX_ERROR_BODY]


def _retry_after(value: Optional[str]) -> Optional[float]:
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None
    return min(seconds, 60.0) if seconds is not None and seconds >= 0 else None  # (not NaN: no timer at NaN)


async def sse_data(response: Response) -> AsyncIterator[bytes]:
    """The ``data:`` payloads of a server-sent event stream, read to the end of the body
    (so the connection goes back to the pool)."""
    start: list[bytes] = []  # the pieces of a line not ended yet (joined once it ends: a long line is not copied
    size = 0  # over and over as it grows)
    async for piece in response.iter_any():
        if b"\n" not in piece:
            start.append(piece)
            size += len(piece)
            if size > MAX_LINE:
                raise APIConnectionError(f"the server sent a line longer than {MAX_LINE} bytes")
            continue
        if start:
            start.append(piece)
            piece = b"".join(start)
            start.clear()
        lines = piece.split(b"\n")
        rest = lines.pop()
        if rest:
            start.append(rest)
        size = len(rest)
        for line in lines:
            if line.startswith(b"data:"):
                yield line[5:].strip()
    rest = b"".join(start)
    if rest.startswith(b"data:"):
        yield rest[5:].strip()
