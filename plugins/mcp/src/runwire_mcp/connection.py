"""One MCP session, owned by a background task.

The SDK's transports and session are anyio task groups and cancel scopes: they
must be entered and left by the same task. So one task opens the ``Client``,
publishes it, and waits to be told to close; runs of any number of tasks send
their requests through it. When the transport fails (the server died, the
HTTP connection broke) that task ends, every call in flight fails at once,
and the next use opens a new connection.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Optional

from mcp import Client, types
from mcp.shared.exceptions import MCPError

logger = logging.getLogger("runwire_mcp")


class ConnectionLost(Exception):
    """The MCP connection ended (server exited, network failure) while a call was in flight."""


@dataclass(eq=False)
class Call:
    """One tool call in flight: where its progress and log events go, and its elicitation state."""

    tool: str
    run_id: str = ""
    events: "asyncio.Queue[Any]" = field(default_factory=asyncio.Queue)
    # a retry after pauses: the questions the human answered, [{"question": ..., "values": {...}}, ...]
    answered: list[dict[str, Any]] = field(default_factory=list)
    asked: Any = None  # a question the server asked during this call that nobody has answered yet


class Connection:
    """A live MCP session: ``client`` once :meth:`start` returned, until :attr:`closed`."""

    def __init__(self, label: str, open_client: Callable[["Connection", Any], Client], connect_timeout: float,
                 log_level: Optional[types.LoggingLevel] = None) -> None:
        self.label = label
        self.log_level = log_level
        self._open_client = open_client
        self._connect_timeout = connect_timeout
        self.client: Optional[Client] = None
        self.tools: list[types.Tool] = []
        self.validators: dict[str, Any] = {}  # jsonschema validators of the tools' input schemas, by tool name
        self.tools_stale = False
        self.calls: set[Call] = set()
        self.error: Optional[BaseException] = None
        self.closed = False
        self.loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        self._task: Optional[asyncio.Task[None]] = None
        self._stderr = tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace")
        self._last_stderr = ""

    @property
    def modern(self) -> bool:
        """Whether the session speaks 2026-07-28 or later (questions come back as InputRequiredResult)."""
        return self.client is not None and self.client.protocol_version >= "2026"

    async def start(self) -> None:
        ready: asyncio.Future[None] = self.loop.create_future()
        self._task = asyncio.create_task(self._own(ready), name=f"runwire-mcp {self.label}")
        try:
            await asyncio.wait_for(asyncio.shield(ready), self._connect_timeout)
        except TimeoutError:
            ready.cancel()  # nobody waits for it any more
            await self.close()
            raise TimeoutError(f"no answer within {self._connect_timeout:g} s") from None
        except BaseException:
            ready.cancel()
            await self.close()
            raise

    async def _own(self, ready: "asyncio.Future[None]") -> None:
        try:
            async with self._open_client(self, self._stderr) as client:
                self.client = client
                await self._ask_for_logs(client)
                await self.list_tools()
                ready.set_result(None)
                await self._stop.wait()
        except BaseException as exc:  # the transport failed: every call in flight fails with it
            if not isinstance(exc, asyncio.CancelledError):  # closing is no failure
                self.error = exc
            if not ready.done():
                if isinstance(exc, asyncio.CancelledError):
                    ready.cancel()
                else:
                    ready.set_exception(exc)
            elif not self._stop.is_set() and not isinstance(exc, asyncio.CancelledError):
                logger.warning("MCP server %s: connection lost: %s", self.label, describe(exc))
            if isinstance(exc, (KeyboardInterrupt, SystemExit, asyncio.CancelledError)):
                raise
        finally:
            self.closed = True
            self.client = None
            self._last_stderr = self.stderr_tail()  # the subprocess is gone: keep what it said, free the file
            self._stderr.close()
            if not ready.done():
                ready.set_exception(ConnectionLost("the connection closed while opening"))

    async def _ask_for_logs(self, client: Client) -> None:
        """A 2025-era server sends log messages at the level set by ``logging/setLevel`` (newer ones: per request)."""
        if self.log_level is None or self.modern or client.server_capabilities.logging is None:
            return
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the SDK marks the request deprecated (it is, from 2026-07-28 on)
            try:
                await client.set_logging_level(self.log_level)
            except MCPError as exc:
                logger.info("MCP server %s refused logging/setLevel: %s", self.label, exc)

    async def list_tools(self) -> list[types.Tool]:
        assert self.client is not None
        tools: list[types.Tool] = []
        cursor: Optional[str] = None
        while True:
            page = await self.client.list_tools(cursor=cursor, cache_mode="refresh")
            tools.extend(page.tools)
            cursor = page.next_cursor
            if not cursor:
                break
        self.tools = tools
        self.validators = {}
        self.tools_stale = False
        return tools

    async def request(self, make: Callable[[Client], Any], call: Optional[Call] = None) -> Any:
        """Await ``make(client)``; fails with ConnectionLost as soon as the connection ends."""
        if self.closed or self.client is None or self._task is None:
            raise ConnectionLost(self.failure())
        if call is not None:
            self.calls.add(call)
        request = asyncio.ensure_future(make(self.client))
        try:
            await asyncio.wait({request, self._task}, return_when=asyncio.FIRST_COMPLETED)
            if not request.done():
                raise ConnectionLost(self.failure())
            error = request.exception()
            if isinstance(error, MCPError) and error.code == types.CONNECTION_CLOSED:
                if self.error is None:
                    self.error = error
                self.closed = True  # the next use opens a new connection; this one winds down on its own
                asyncio.ensure_future(self.close())
                raise ConnectionLost(self.failure())
            return request.result()
        finally:
            if call is not None:
                self.calls.discard(call)
            if not request.done():
                request.cancel()  # the SDK tells the server the request is cancelled
                await asyncio.gather(request, return_exceptions=True)

    def failure(self, cause: Optional[BaseException] = None) -> str:
        """Why the connection is gone (or ``cause``), with the last lines the server wrote to stderr."""
        error = self.error or cause
        reason = describe(error) if error is not None else "the connection is closed"
        tail = self.stderr_tail()
        return f"{reason}; the server's stderr ends with: {tail}" if tail else reason

    def stderr_tail(self, lines: int = 5) -> str:
        if self._stderr.closed:
            return self._last_stderr
        try:
            self._stderr.flush()
            self._stderr.seek(0)
            text = self._stderr.read()[-4000:]
        except (OSError, ValueError):
            return ""
        return " | ".join(line for line in text.strip().splitlines()[-lines:] if line.strip())

    async def close(self) -> None:
        """Close the session (and end the server's subprocess); idempotent."""
        task = self._task
        if self.loop is not asyncio.get_running_loop():  # opened by another event loop (another thread's runs)
            if not self.loop.is_closed():
                self.loop.call_soon_threadsafe(self._stop.set)
            self.closed = True
            return
        self._stop.set()
        if task is not None and not task.done():
            if self.client is None:  # still connecting: nothing to close politely
                task.cancel()
            try:
                await asyncio.wait_for(asyncio.shield(task), 10)
            except TimeoutError:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
            except asyncio.CancelledError:
                if not task.done():  # we are the one being cancelled
                    raise
        self.closed = True
        if (task is None or task.done()) and not self._stderr.closed:
            self._stderr.close()


def describe(exc: BaseException) -> str:
    """An exception as one line: nested exception groups (anyio's) are unwrapped to their causes."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
