"""A small HTTP/1.1 client for the lean path: asyncio protocols and httptools' C parser (llhttp, as in uvicorn).

It does what a chat-completions client needs and no more: POST with one write,
keep-alive connections pooled per host, responses framed by Content-Length,
chunked encoding or the connection's end, gzip/deflate bodies, an idle timeout
that a slow consumer does not trip (reading pauses instead), and connections
that are closed, never reused, when a response was not read to its end. On the
tool-calling run of benchmarks/bench_http.py it takes about 1.1x the time of a
hand-written socket client, where aiohttp takes about 1.6x.

Proxies (``proxy=`` or ``HTTP(S)_PROXY``/``NO_PROXY``) are resolved once per
``Target`` (``runwire_openai.proxy``). Not here: HTTP/2, cookies, redirects.
``OpenAIChat(use_sdk=True)`` has them.
"""

from __future__ import annotations

import asyncio
import ssl
import zlib
from collections import deque
from typing import Any, AsyncIterator, Optional
from urllib.parse import urlsplit

import httptools

from runwire_openai.errors import APIConnectionError, APIError, APITimeoutError
from runwire_openai.proxy import ProxyOption, authority, open_tunnel, proxy_for

MAX_HEADER_BYTES = 64 * 1024  # a response's status line and headers together
MAX_FRAMING = 2 * MAX_HEADER_BYTES  # bytes in a row that carry no body: headers, 1xx answers, chunk framing, trailers
HIGH_WATER = 256 * 1024  # buffered body bytes at which reading pauses until the consumer catches up
DECOMPRESS_PIECE = 1024 * 1024  # decompressed bytes handed out at a time (a small gzip body can expand hugely)
MAX_EXPANDED = 256 * 1024 * 1024  # what one compressed body may expand to (gzip reaches ~1000x: 1 MiB -> 1 GiB)
IDLE_SECONDS = 15.0  # a pooled connection unused this long is closed rather than reused


class Target:
    """Where requests go: scheme, host, port and path of one URL, and the proxy on the way (``proxy``: a URL,
    False for none, None for the environment's), with the request head prepared once."""

    __slots__ = ("key", "host", "port", "tls", "head", "proxy")

    def __init__(self, url: str, headers: dict[str, str], proxy: ProxyOption = None) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"base URL is not an http(s) URL with a host (scheme {parts.scheme!r})")
        self.tls = parts.scheme == "https"
        self.host = parts.hostname
        self.port = parts.port or (443 if self.tls else 80)
        self.proxy = proxy_for(proxy, parts.scheme, self.host, self.port)
        self.key: tuple[Any, ...] = (self.tls, self.host, self.port)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        default_port = self.port == (443 if self.tls else 80)
        host = f"[{self.host}]" if ":" in self.host else self.host
        if self.proxy is not None:  # its own connections (a tunnel is authorized for its credentials)
            self.key += (self.proxy.host, self.proxy.port, self.proxy.authorization)
            if not self.tls:  # the request itself goes to the proxy, in absolute form
                path = f"http://{authority(self.host, self.port)}{path}"
        lines = [f"POST {path} HTTP/1.1", f"Host: {host if default_port else f'{host}:{self.port}'}"]
        if self.proxy is not None and not self.tls and self.proxy.authorization:
            lines.append(f"Proxy-Authorization: {self.proxy.authorization}")
        given = {name.lower() for name in headers}
        for name, value in {"Accept-Encoding": "gzip, deflate", "Connection": "keep-alive"}.items():
            if name.lower() not in given:
                lines.append(f"{name}: {value}")
        for name, value in headers.items():
            if any(c in f"{name}{value}" for c in "\r\n\0") or not name or ":" in name:
                raise ValueError(f"invalid HTTP header {name[:40]!r}: a name or value holds CR, LF or NUL")
            if name.lower() not in ("host", "content-length", "transfer-encoding"):
                lines.append(f"{name}: {value}")
        self.head = ("\r\n".join(lines) + "\r\nContent-Length: ").encode("latin-1")


class Response:
    """A response whose body is read as it arrives. ``release()`` when done: a fully read response gives its
    connection back to the pool; any other closes it."""

    __slots__ = ("status", "headers", "_conn", "_decoder")

    def __init__(self, conn: "_Connection") -> None:
        self._conn = conn
        self.status = conn.status
        self.headers = conn.headers
        encoding = self.headers.get("content-encoding", "identity").strip().lower()
        if encoding in ("gzip", "x-gzip"):
            self._decoder: Any = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._decoder = _Deflate()
        elif encoding in ("identity", ""):
            self._decoder = None
        else:
            conn.close()
            raise APIError(f"the server sent a body in an unsupported encoding: {encoding[:50]!r}")

    async def iter_any(self) -> AsyncIterator[bytes]:
        """The body in pieces as they arrive (what is buffered comes as one piece)."""
        conn, decoder = self._conn, self._decoder
        fed, expanded = False, 0  # whether the decoder had any bytes, and what they came to
        while True:
            raw = await conn.next_body()
            if raw is None:
                break
            if decoder is None:
                yield raw
                continue
            fed = True
            piece = _decompress(decoder, raw)
            while piece:
                expanded += len(piece)
                if expanded > MAX_EXPANDED:
                    raise APIError(f"the server's compressed body expands to more than {MAX_EXPANDED} bytes")
                yield piece
                if len(piece) == DECOMPRESS_PIECE:  # a small body that expands hugely: the loop runs meanwhile
                    await asyncio.sleep(0)  # (timeouts, cancellation, other runs)
                piece = _decompress(decoder, decoder.unconsumed_tail)
        if fed:
            rest = decoder.flush()
            if rest:
                yield rest
            if not decoder.eof or decoder.unused_data:  # (a second gzip member too: not decoded, so refused)
                raise APIError("the server's compressed body and its compressed stream do not end together")

    async def read(self, limit: int) -> bytes:
        """The whole body; APIError if it is longer than ``limit`` bytes."""
        pieces: list[bytes] = []
        size = 0
        async for piece in self.iter_any():
            size += len(piece)
            if size > limit:
                self._conn.close()
                raise APIError(f"the server's answer is longer than {limit} bytes")
            pieces.append(piece)
        return pieces[0] if len(pieces) == 1 else b"".join(pieces)

    def release(self) -> None:
        self._conn.finish()


def _decompress(decoder: Any, data: bytes) -> bytes:
    try:
        return decoder.decompress(data, DECOMPRESS_PIECE)  # type: ignore[no-any-return]
    except zlib.error as exc:
        raise APIError(f"the server sent a compressed body that does not decompress ({exc})") from None


class _Deflate:
    """``Content-Encoding: deflate``: zlib-wrapped as the RFC says, or raw deflate as some servers send."""

    def __init__(self) -> None:
        self._inner: Any = None
        self.unconsumed_tail = b""

    @property
    def eof(self) -> bool:
        return self._inner is not None and bool(self._inner.eof)

    @property
    def unused_data(self) -> bytes:
        return self._inner.unused_data if self._inner is not None else b""

    def decompress(self, data: bytes, max_length: int) -> bytes:
        if self._inner is None:
            self._inner = zlib.decompressobj(zlib.MAX_WBITS if data[:1] == b"\x78" else -zlib.MAX_WBITS)
        out: bytes = self._inner.decompress(data, max_length)
        self.unconsumed_tail = self._inner.unconsumed_tail
        return out

    def flush(self) -> bytes:
        return self._inner.flush() if self._inner is not None else b""


class _Connection(asyncio.Protocol):
    """One keep-alive connection: one request at a time, the response parsed by llhttp as bytes arrive."""

    __slots__ = ("pool", "key", "loop", "transport", "parser", "closed", "busy", "idle_since", "status", "headers",
                 "header_bytes", "headers_done", "complete", "keep_alive", "eof_framed", "body", "buffered",
                 "received", "framing", "error", "waiter", "paused", "sent_at", "last_data", "watchdog")

    def __init__(self, pool: "Pool", key: Any) -> None:
        self.pool = pool
        self.key = key
        self.loop = pool.loop
        self.transport: Optional[asyncio.Transport] = None
        self.parser = httptools.HttpResponseParser(self)
        self.closed = False
        self.busy = False
        self.idle_since = 0.0
        self._reset()

    def _reset(self) -> None:
        self.status = 0
        self.headers: dict[str, str] = {}
        self.header_bytes = 0
        self.headers_done = False
        self.complete = False
        self.keep_alive = False
        self.eof_framed = False
        self.body: deque[bytes] = deque()
        self.buffered = 0
        self.received = 0
        self.framing = 0
        self.error: Optional[BaseException] = None
        self.waiter: Optional[asyncio.Future[None]] = None
        self.paused = False
        self.sent_at = self.last_data = 0.0
        self.watchdog: Optional[asyncio.TimerHandle] = None

    # -- asyncio.Protocol ------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        if not self.busy:  # bytes nobody asked for: this connection cannot be trusted with a request
            self.close()
            return
        self.last_data = self.loop.time()
        self.received += len(data)
        buffered = self.buffered
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            cause = exc.__context__  # what a callback of ours raised
            self._fail(cause if isinstance(cause, APIError) else
                       APIConnectionError(f"the server sent a malformed HTTP response ({exc})"))
            return
        except httptools.HttpParserUpgrade:
            self._fail(APIConnectionError("the server switched protocols (status 101) instead of answering"))
            return
        if self.buffered != buffered or self.complete:
            self.framing = 0
            return
        # no body in these bytes: httptools holds a header or trailer in memory until it ends, so an endless
        # one (or endless 1xx answers, or chunk extensions) would grow it and keep the idle timeout from firing
        self.framing += len(data)
        if self.framing > MAX_FRAMING:
            self._fail(APIConnectionError(f"the server sent more than {MAX_FRAMING} bytes in a row without any "
                                          "body (headers, interim answers, chunk framing or trailers)"))

    def eof_received(self) -> Optional[bool]:
        return False  # close our side too

    def connection_lost(self, exc: Optional[Exception]) -> None:
        self.closed = True
        self.pool._forget(self)
        if self.headers_done and self.eof_framed and not self.complete and self.error is None and exc is None:
            self.complete = True  # the body ends with the connection (a clean end: not a reset or a TLS error)
        elif not self.complete and self.error is None:
            reason = f": {exc}" if exc else ""
            self.error = APIConnectionError(f"the server closed the connection before the response was complete"
                                            f"{reason}")
        self._wake()

    def pause_writing(self) -> None:  # one request body at a time: nothing to pause
        pass

    # -- httptools callbacks -------------------------------------------------------------
    def on_message_begin(self) -> None:
        if self.complete:
            raise APIError("the server sent more than one response to one request")

    def on_header(self, name: bytes, value: bytes) -> None:
        self.header_bytes += len(name) + len(value) + 4
        if self.header_bytes > MAX_HEADER_BYTES:
            raise APIError(f"the server sent more than {MAX_HEADER_BYTES} bytes of response headers")
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1")
        self.headers[key] = f"{self.headers[key]}, {text}" if key in self.headers else text

    def on_headers_complete(self) -> None:
        self.status = self.parser.get_status_code()
        if 100 <= self.status < 200:  # an interim response: the real one follows
            self.headers, self.header_bytes = {}, 0
            return
        self.headers_done = True
        self.eof_framed = ("content-length" not in self.headers and "transfer-encoding" not in self.headers
                           and self.status not in (204, 304))
        self._wake()

    def on_body(self, body: bytes) -> None:
        self.body.append(body)
        self.buffered += len(body)
        if self.buffered > HIGH_WATER and not self.paused and self.transport is not None:
            self.paused = True
            self.transport.pause_reading()
        self._wake()

    def on_message_complete(self) -> None:
        if self.headers_done:
            self.complete = True
            self.keep_alive = self.parser.should_keep_alive()  # (it reads False once this callback returns)
            self._wake()

    # -- used by the pool and the response -----------------------------------------------
    def _wake(self) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _fail(self, error: BaseException) -> None:
        if self.error is None:
            self.error = error
        self.close()
        self._wake()

    def _watch(self) -> None:
        """Fail the request if its status line and headers are not in ``timeout`` seconds after it was sent
        (bytes trickling in do not stretch that), or if then no byte arrives for ``timeout`` seconds (not while
        paused for the consumer)."""
        if self.complete:  # all in: a slow consumer does not fail it (nor lose the connection)
            self.watchdog = None
            return
        timeout = self.pool.timeout
        quiet = self.loop.time() - (self.last_data if self.headers_done else self.sent_at)
        if self.paused or quiet < timeout:
            self.watchdog = self.loop.call_later(timeout if self.paused else timeout - quiet, self._watch)
            return
        self.watchdog = None
        self._fail(APITimeoutError(f"no data from the server for {timeout:g} s" if self.headers_done else
                                   f"the server did not answer (status line and headers) within {timeout:g} s"))

    async def _wait(self) -> None:
        self.waiter = self.loop.create_future()
        try:
            await self.waiter
        finally:
            self.waiter = None

    def send(self, head: bytes, payload: bytes) -> None:
        self._reset()
        self.busy = True
        self.sent_at = self.last_data = self.loop.time()
        if self.pool.timeout:
            self.watchdog = self.loop.call_later(self.pool.timeout, self._watch)
        assert self.transport is not None
        self.transport.write(b"%s%d\r\n\r\n%s" % (head, len(payload), payload))

    async def response_head(self) -> None:
        while not self.headers_done:
            if self.error is not None:
                raise self.error
            await self._wait()

    async def next_body(self) -> Optional[bytes]:
        """What body is buffered, as one piece; None at its end."""
        while not self.body:
            if self.complete:
                return None
            if self.error is not None:
                raise self.error
            await self._wait()
        raw = self.body.popleft() if len(self.body) == 1 else b"".join(self.body)
        self.body.clear()
        self.buffered = 0
        if self.paused:
            self.paused = False
            self.last_data = self.loop.time()  # the server's silence counts from here, not from before the pause
            if self.transport is not None and not self.closed:
                self.transport.resume_reading()
        return raw

    def finish(self) -> None:
        """The request is over: back to the pool if the response was read to its end and may be kept."""
        if not self.busy:  # released already
            return
        self.busy = False
        self._stop_watch()
        if self.complete and self.keep_alive and not self.body and not self.closed and not self.eof_framed:
            self.idle_since = self.loop.time()
            self.pool._give_back(self)
        else:
            self.close()
            self.pool._give_back(None)

    def _stop_watch(self) -> None:
        if self.watchdog is not None:
            self.watchdog.cancel()
            self.watchdog = None

    def close(self) -> None:
        self._stop_watch()
        if not self.closed:
            self.closed = True
            if self.transport is not None:
                try:
                    self.transport.abort()
                except RuntimeError:  # its loop is closed: the socket is closed with the transport object
                    pass


class Pool:
    """Keep-alive connections of one event loop, at most ``max_connections`` requests in flight at once
    (more wait their turn, first come first served)."""

    def __init__(self, *, timeout: float, max_connections: int, ssl_context: Optional[ssl.SSLContext] = None) -> None:
        self.loop = asyncio.get_running_loop()
        self.timeout = timeout
        self.max_connections = max_connections
        self._ssl = ssl_context
        self._idle: dict[Any, list[_Connection]] = {}
        self._in_flight = 0
        self._queue: deque[asyncio.Future[None]] = deque()
        self._open: set[_Connection] = set()

    async def post(self, target: Target, payload: bytes) -> Response:
        """Send a POST; its response once the status line and headers are in."""
        await self._take_turn()
        conn: Optional[_Connection] = None
        try:
            for attempt in range(2):  # the second on a new connection (the next kept-alive one may be stale too)
                conn = self._idle_connection(target.key) if not attempt else None
                reused = conn is not None
                if conn is None:
                    conn = await self._connect(target)
                conn.send(target.head, payload)
                try:
                    await conn.response_head()
                    return Response(conn)
                except APIConnectionError:
                    # a kept-alive connection the server closed meanwhile, before any answer: once more, afresh
                    if not reused or conn.received or isinstance(conn.error, APITimeoutError):
                        raise
                    conn.close()
            raise AssertionError("unreachable")
        except BaseException:
            if conn is not None:
                conn.close()
            self._give_back(None)
            raise

    async def _take_turn(self) -> None:
        if self._in_flight < self.max_connections and not self._queue:
            self._in_flight += 1
            return
        turn = self.loop.create_future()
        self._queue.append(turn)
        try:
            await turn  # _give_back hands over its slot: _in_flight stays as it is
        except BaseException:
            if turn.done() and not turn.cancelled():
                self._give_back(None)  # the slot was ours already: pass it on
            elif turn in self._queue:  # (a cancelled turn _give_back passed over is gone already)
                self._queue.remove(turn)
            raise

    def _give_back(self, conn: Optional[_Connection]) -> None:
        """A request is over; its connection (if still good) goes idle, and its slot to whoever waits."""
        if conn is not None:
            self._idle.setdefault(conn.key, []).append(conn)
        while self._queue:
            turn = self._queue.popleft()
            if not turn.done():
                turn.set_result(None)
                return
        self._in_flight -= 1

    def _idle_connection(self, key: Any) -> Optional[_Connection]:
        idle = self._idle.get(key)
        now = self.loop.time()
        while idle:
            conn = idle.pop()
            if not conn.closed and now - conn.idle_since < IDLE_SECONDS and not conn.transport.is_closing():  # type: ignore[union-attr]
                return conn
            conn.close()
        return None

    async def _connect(self, target: Target) -> _Connection:
        tls: Any = None
        if target.tls:
            if self._ssl is None:
                self._ssl = ssl.create_default_context()
            tls = self._ssl
        proxy = target.proxy
        where = f"{target.host}:{target.port}" + (f" through the proxy {proxy.label}" if proxy is not None else "")
        try:
            async with asyncio.timeout(self.timeout or None):
                if proxy is not None and tls is not None:
                    conn = await open_tunnel(self.loop, proxy, target.host, target.port, tls,
                                             lambda: _Connection(self, target.key))
                else:
                    host, port = (target.host, target.port) if proxy is None else (proxy.host, proxy.port)
                    _, conn = await self.loop.create_connection(
                        lambda: _Connection(self, target.key), host, port, ssl=tls,
                        server_hostname=target.host if tls else None)
        except TimeoutError:
            raise APITimeoutError(f"could not connect to {where} within {self.timeout:g} s") from None
        except OSError as exc:
            raise APIConnectionError(f"could not connect to {where}: {exc}") from None
        self._open.add(conn)
        return conn

    def _forget(self, conn: _Connection) -> None:
        self._open.discard(conn)
        idle = self._idle.get(conn.key)
        if idle and conn in idle:
            idle.remove(conn)

    def close(self) -> None:
        """Close every connection now (in-flight requests fail)."""
        for conn in list(self._open):
            conn.close()
        self._idle.clear()
