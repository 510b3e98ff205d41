"""``MCPTools``: the tools of an MCP server, for ``Agent(tools=[MCPTools(...)])``."""

from __future__ import annotations

import asyncio
import logging
import shlex
import weakref
from collections.abc import AsyncIterator, Sequence
from typing import Any, Literal, Optional

from mcp import Client, StdioServerParameters, types
from mcp.shared.exceptions import MCPError
from runwire.exceptions import ToolError, ToolInputRequired
from runwire.media import Audio, File, Image
from runwire.run.tool_execution import ToolExecution, ToolResult
from runwire.tools.function import Function

from runwire_mcp import elicitation
from runwire_mcp.connection import Call, Connection, ConnectionLost, describe
from runwire_mcp.events import MCPLogEvent, MCPProgressEvent
from runwire_mcp.results import to_text_and_media

logger = logging.getLogger("runwire_mcp")

Transport = Literal["stdio", "streamable-http", "sse"]
_DONE = object()


class MCPTools:
    """The tools of one MCP server, as runwire tools.

    ``MCPTools(command="npx -y @modelcontextprotocol/server-everything")`` starts
    a server over stdio; ``MCPTools(url="https://.../mcp")`` talks to one over
    Streamable HTTP (``transport="sse"`` for the older SSE transport). The
    connection opens when a run first needs the tools, is shared by every run
    (and concurrent runs) of the event loop, reopens after a failure, and closes
    with ``await agent.aclose()``, ``async with agent``, or ``async with MCPTools(...)``.

    - ``include_tools`` / ``exclude_tools``: server tool names to keep or drop;
      ``prefix``: prepended to every tool name, to keep two servers' tools apart.
    - ``timeout_seconds``: the limit for each tool call (default: none);
      ``connect_timeout_seconds``: for starting the server and listing its tools (30 s).
    - ``env`` is added to the small allow-listed environment the SDK gives a
      stdio server (your own environment is not passed on); ``headers`` go with
      every HTTP request.
    - ``protocol``: the SDK's negotiation ``mode``: ``"auto"`` (probe, fall back to the
      2025-era handshake), ``"legacy"`` (the handshake only) or a protocol version.
    - Progress notifications and log messages during a call are streamed as
      :class:`MCPProgressEvent` / :class:`MCPLogEvent`; a question the server asks
      (elicitation) pauses the run: see ``runwire_mcp.elicitation``.
    """

    def __init__(
        self,
        command: Optional[str] = None,
        args: Optional[Sequence[str]] = None,
        *,
        env: Optional[dict[str, str]] = None,
        cwd: Optional[str] = None,
        url: Optional[str] = None,
        transport: Optional[Transport] = None,
        headers: Optional[dict[str, str]] = None,
        timeout_seconds: Optional[float] = None,
        connect_timeout_seconds: float = 30.0,
        include_tools: Optional[Sequence[str]] = None,
        exclude_tools: Optional[Sequence[str]] = None,
        prefix: str = "",
        name: Optional[str] = None,
        log_level: Optional[types.LoggingLevel] = "info",
        protocol: str = "auto",
    ) -> None:
        if (command is None) == (url is None):
            raise ValueError("MCPTools needs either command= (a server started over stdio) or url= (an HTTP server)")
        transport = transport or ("stdio" if command is not None else "streamable-http")
        if transport not in ("stdio", "streamable-http", "sse"):
            raise ValueError(f"transport must be 'stdio', 'streamable-http' or 'sse', got {transport!r}")
        if (transport == "stdio") != (command is not None):
            raise ValueError(f"transport={transport!r} needs {'command=' if transport == 'stdio' else 'url='}")
        if timeout_seconds is not None and timeout_seconds <= 0:
            raise ValueError(f"timeout_seconds must be positive, got {timeout_seconds!r}")
        if connect_timeout_seconds <= 0:
            raise ValueError(f"connect_timeout_seconds must be positive, got {connect_timeout_seconds!r}")
        if command is not None and args is None:
            command, *split = shlex.split(command)
            args = split
        self.command = command
        self.args = list(args or [])
        self.env = env
        self.cwd = cwd
        self.url = url
        self.transport: Transport = transport
        self.headers = headers
        self.timeout_seconds = timeout_seconds
        self.connect_timeout_seconds = connect_timeout_seconds
        self.include_tools = set(include_tools) if include_tools is not None else None
        self.exclude_tools = set(exclude_tools or ())
        self.prefix = prefix
        self.log_level = log_level
        self.protocol = protocol
        self.name = name or (" ".join([command, *self.args]) if command is not None else str(url))
        # one connection (and lock) per event loop: anyio's session cannot cross loops
        self._connections: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Connection] = weakref.WeakKeyDictionary()
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()
        self._functions: tuple[Optional[list[types.Tool]], list[Function[..., Any]]] = (None, [])

    def __repr__(self) -> str:
        return f"MCPTools({self.name!r})"

    # -- the toolkit protocol ---------------------------------------------------
    async def get_functions(self) -> list[Function[..., Any]]:
        """The server's tools (connecting first if needed); reused while the connection lives.

        When the server cannot be reached but its tools were listed before, the run
        gets those tools, and each call fails with a tool error the model sees (and
        tries to connect again); a server never reached fails the run.
        """
        try:
            conn = await self._connection()
        except ToolError as exc:
            if not self._functions[1]:
                raise
            logger.warning("%s; the run gets the tools listed before, and each call tries again", exc)
            return self._functions[1]
        if conn.tools_stale:  # the server said its tool list changed
            await conn.request(lambda client: conn.list_tools())
        listed, functions = self._functions
        if listed is not conn.tools:  # built once per tool listing
            functions = [self._function(t) for t in conn.tools if self._wanted(t.name)]
            self._functions = (conn.tools, functions)
        return functions

    async def aclose(self) -> None:
        """Close the connections (ending a stdio server's process); the next use reconnects."""
        connections = list(self._connections.values())
        self._connections.clear()  # the tools listed stay known: see get_functions
        for conn in connections:
            await conn.close()

    async def __aenter__(self) -> "MCPTools":
        await self.get_functions()
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.aclose()

    @property
    def functions(self) -> list[Function[..., Any]]:
        """The tools of the last listing (empty before the first connection)."""
        return self._functions[1]

    # -- connecting ---------------------------------------------------------------
    async def _connection(self) -> Connection:
        loop = asyncio.get_running_loop()
        conn = self._connections.get(loop)
        if conn is not None and not conn.closed:
            return conn
        lock = self._locks.setdefault(loop, asyncio.Lock())
        async with lock:
            conn = self._connections.get(loop)
            if conn is not None and not conn.closed:
                return conn
            conn = Connection(self.name, self._open_client, self.connect_timeout_seconds, self.log_level)
            try:
                await conn.start()
            except Exception as exc:
                raise ToolError(
                    f"could not connect to MCP server {self.name!r}: {conn.failure(exc)}. "
                    + self._connect_hint()
                ) from exc
            self._connections[loop] = conn
            return conn

    def _connect_hint(self) -> str:
        if self.transport == "stdio":
            return "Check that the command runs on its own (and prints nothing but MCP on stdout)"
        return f"Check that the server is up at {self.url} and speaks {self.transport}"

    def _open_client(self, conn: Connection, errlog: Any) -> Client:
        """The SDK client for this server (entered by the connection's own task)."""
        if self.transport == "stdio":
            from mcp.client.stdio import stdio_client

            assert self.command is not None
            params = StdioServerParameters(command=self.command, args=self.args, env=self.env, cwd=self.cwd)
            server: Any = stdio_client(params, errlog=errlog)
        elif self.transport == "sse":
            from mcp.client.sse import sse_client

            assert self.url is not None
            server = sse_client(self.url, headers=self.headers, timeout=self.connect_timeout_seconds)
        else:
            server = _streamable_http(str(self.url), self.headers)
        return Client(
            server,
            read_timeout_seconds=None,
            logging_callback=self._on_log(conn),
            log_level=self.log_level,
            message_handler=self._on_message(conn),
            elicitation_callback=self._on_elicitation(conn),
            client_info=types.Implementation(name="runwire-mcp", version="0.1.0"),
            cache=None,
            mode=self.protocol,
        )

    # -- callbacks from the session (they run in the connection's task) -----------
    def _on_log(self, conn: Connection) -> Any:
        async def on_log(params: types.LoggingMessageNotificationParams) -> None:
            if not conn.calls:
                logger.info("MCP server %s [%s] %s", self.name, params.level, params.data)
            runs = set()
            for call in list(conn.calls):  # a log says not which request it is about: shown once to each run
                if call.run_id in runs:
                    continue
                runs.add(call.run_id)
                call.events.put_nowait(MCPLogEvent(server=self.name, tool=call.tool, level=str(params.level),
                                                   logger=params.logger, data=params.data))

        return on_log

    def _on_message(self, conn: Connection) -> Any:
        async def on_message(message: Any) -> None:
            if isinstance(message, types.ToolListChangedNotification):
                conn.tools_stale = True
            elif isinstance(message, Exception):
                logger.warning("MCP server %s: transport error: %s", self.name, describe(message))

        return on_message

    def _on_elicitation(self, conn: Connection) -> Any:
        async def on_elicitation(context: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
            calls = list(conn.calls)
            if len(calls) != 1:  # a 2025-era server does not say which call asks: only a lone call can be paused
                logger.warning("MCP server %s asked a question while %d calls were in flight; declined",
                               self.name, len(calls))
                return types.ElicitResult(action="decline")
            call = calls[0]
            for earlier in call.answered:  # asked before and answered by the human: the same answer again
                if elicitation.same_question(params, earlier["question"]):
                    return elicitation.answer(params, earlier["values"])
            call.asked = params  # the call ends with a pause; the human's answer comes with the retry
            return types.ElicitResult(action="cancel")

        return on_elicitation

    # -- tools ----------------------------------------------------------------------
    def _wanted(self, name: str) -> bool:
        if self.include_tools is not None and name not in self.include_tools:
            return False
        return name not in self.exclude_tools

    def _function(self, tool: types.Tool) -> Function[..., Any]:
        schema = {k: v for k, v in (tool.input_schema or {}).items() if k != "$schema"}
        schema.setdefault("type", "object")
        schema.setdefault("properties", {})
        server_name = tool.name

        async def call_mcp_tool(tool_execution: ToolExecution, run_context: Any, **arguments: Any) -> AsyncIterator[Any]:
            async for item in self._call(server_name, arguments, tool_execution, run_context.run_id):
                yield item

        description = tool.description or tool.title or f"The {tool.name} tool of MCP server {self.name}."
        return Function(call_mcp_tool, name=self.prefix + tool.name, description=description, parameters=schema)

    async def _call(self, tool: str, arguments: dict[str, Any], te: ToolExecution, run_id: str) -> AsyncIterator[Any]:
        """One tool call: yields progress and log events as they come, then the result text."""
        label = f"tool {tool!r} of MCP server {self.name!r}"
        call = Call(tool=tool, run_id=run_id)
        retry = _retry_of(te)
        input_responses: Optional[dict[str, Any]] = None
        request_state: Optional[str] = None
        if retry is not None:
            input_responses, request_state = _prepare_retry(call, retry, te)
        try:
            conn = await self._connection()
        except ToolError as exc:
            raise ToolError(f"{label}: {exc}") from None
        _validate(conn, tool, arguments, label)

        async def on_progress(progress: float, total: Optional[float], message: Optional[str]) -> None:
            call.events.put_nowait(MCPProgressEvent(server=self.name, tool=tool, progress=progress, total=total,
                                                    message=message))

        async def send(client: Client) -> Any:
            return await client.session.call_tool(
                tool, arguments, read_timeout_seconds=self.timeout_seconds, progress_callback=on_progress,
                input_responses=input_responses, request_state=request_state, allow_input_required=True,
            )

        async def run() -> Any:
            nonlocal input_responses, request_state
            try:
                for attempt in range(10):
                    result = await conn.request(send, call)
                    if not isinstance(result, types.InputRequiredResult) or result.input_requests:
                        return result
                    # "not done yet": the server wants the same call again with its state
                    input_responses, request_state = None, result.request_state
                    await asyncio.sleep(min(0.05 * 2**attempt, 0.25))
                return result
            finally:
                call.events.put_nowait(_DONE)

        task = asyncio.ensure_future(run())
        task.add_done_callback(_retrieve)  # a call abandoned with its run must not log "never retrieved"
        try:
            while (item := await call.events.get()) is not _DONE:
                yield item
            result = task.result()
        except Exception as exc:  # protocol errors, a lost connection, a timeout, a malformed answer
            raise ToolError(_failure(label, exc, conn, self.timeout_seconds)) from None
        finally:
            if not task.done():  # the run was cancelled: so is the request (the SDK tells the server)
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        if isinstance(result, types.InputRequiredResult):
            raise _pause_for_input(result, label)
        if call.asked is not None:
            fields, optional = elicitation.question_fields(call.asked)
            message = f"{label} asks: {call.asked.message}"
            raise ToolInputRequired(message, fields, {"mcp": "elicitation", "question": elicitation.record(call.asked),
                                                      "optional": optional, "answered": call.answered})
        if not isinstance(result, types.CallToolResult):
            raise ToolError(f"{label} returned a result of an unknown kind ({type(result).__name__})")
        try:
            text, media = to_text_and_media(result)
        except ValueError as exc:
            raise ToolError(f"{label} returned a result that cannot be read: {exc}") from None
        if result.is_error:
            raise ToolError(f"{label} failed: {text or 'no details'}")
        if not media:
            yield text
            return
        yield ToolResult(content=text, images=[m for m in media if isinstance(m, Image)] or None,
                         audio=[m for m in media if isinstance(m, Audio)] or None,
                         files=[m for m in media if isinstance(m, File)] or None)


def _retrieve(task: "asyncio.Future[Any]") -> None:
    if not task.cancelled():
        task.exception()


def _streamable_http(url: str, headers: Optional[dict[str, str]]) -> Any:
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared._httpx_utils import create_mcp_http_client

    if not headers:
        return streamable_http_client(url)

    class _WithHeaders:
        """Opens the HTTP client (with the headers) in the connection's task, and closes it there."""

        async def __aenter__(self) -> Any:
            self._http = create_mcp_http_client(headers=headers)
            await self._http.__aenter__()
            self._transport = streamable_http_client(url, http_client=self._http)
            return await self._transport.__aenter__()

        async def __aexit__(self, *exc_info: Any) -> None:
            try:
                await self._transport.__aexit__(*exc_info)
            finally:
                await self._http.__aexit__(*exc_info)

    return _WithHeaders()


def _validate(conn: Connection, tool: str, arguments: dict[str, Any], label: str) -> None:
    """Check the model's arguments against the server's schema, so a mistake comes back with a clear message."""
    validator = conn.validators.get(tool, False)
    if validator is False:  # built once per tool listing
        validator = conn.validators[tool] = _validator(next((t.input_schema for t in conn.tools if t.name == tool), None))
    if validator is None:
        return
    problems = [f"{'.'.join(str(p) for p in e.absolute_path) or 'arguments'}: {e.message}"
                for e in validator.iter_errors(arguments)]
    if problems:
        raise ToolError(f"invalid arguments for {label}: " + "; ".join(problems[:5]))


def _validator(schema: Optional[dict[str, Any]]) -> Any:
    if not schema:
        return None
    import jsonschema

    try:
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
        return cls(schema)
    except jsonschema.SchemaError:
        return None  # the server's own schema is broken: let the server judge


def _failure(label: str, exc: BaseException, conn: Connection, timeout: Optional[float]) -> str:
    if isinstance(exc, TimeoutError) or (isinstance(exc, MCPError) and exc.code == types.REQUEST_TIMEOUT):
        return f"{label} did not answer within {timeout:g} s" if timeout else f"{label} timed out"
    if isinstance(exc, ConnectionLost):
        return f"{label}: the connection to the server was lost ({conn.failure()}); the next call reconnects"
    return f"{label} failed: {describe(exc)}"


def _retry_of(te: ToolExecution) -> Optional[dict[str, Any]]:
    """The question this call paused on, when it is called again with the human's answers."""
    request = te.input_request
    if request is None or request.get("mcp") is None or te.user_input_schema is None:
        return None
    return request


def _prepare_retry(call: Call, request: dict[str, Any], te: ToolExecution) -> tuple[Any, Optional[str]]:
    values = {f.name: f.value for f in te.user_input_schema or ()}
    te.input_request = None  # answered once: a new question pauses anew
    if request["mcp"] == "elicitation":  # a 2025-era server asks again during the retry: answer it then
        elicitation.answer(elicitation.rebuild(request["question"]), values)  # a wrong answer fails here, clearly
        call.answered = [*request.get("answered", ()), {"question": request["question"], "values": values}]
        return None, None
    responses: dict[str, Any] = {}
    for key, recorded in request["questions"].items():
        responses[key] = elicitation.answer(elicitation.rebuild(recorded), values, prefix=f"{key}." if
                                            len(request["questions"]) > 1 else "")
    return responses, request.get("request_state")


def _pause_for_input(result: types.InputRequiredResult, label: str) -> ToolInputRequired:
    """A 2026-07-28 server returned the questions it needs answered: pause the run with them."""
    requests = result.input_requests or {}
    fields, optional, questions, messages = [], [], {}, []
    for key, request in requests.items():
        if not isinstance(request, types.ElicitRequest):
            raise ToolError(f"{label} needs a {getattr(request, 'method', type(request).__name__)} answer, "
                            "which runwire-mcp does not give (it answers questions for the user: elicitation)")
        prefix = f"{key}." if len(requests) > 1 else ""
        more, maybe = elicitation.question_fields(request.params, prefix)
        fields.extend(more)
        optional.extend(maybe)
        questions[key] = elicitation.record(request.params)
        messages.append(request.params.message)
    if not questions:
        raise ToolError(f"{label} asked to be called again without saying what it needs; try again later")
    return ToolInputRequired(f"{label} asks: " + " / ".join(messages), fields,
                             {"mcp": "input_required", "questions": questions, "request_state": result.request_state,
                              "optional": optional})

