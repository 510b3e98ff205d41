"""The JSON endpoints: agents, runs (streamed, not streamed, background), their event streams, sessions.

Shaped after Agno's AgentOS. Every route runs as the credential's user; another
user's run or session is answered exactly like a missing one (404).
"""

from __future__ import annotations

import asyncio
from typing import Any, AsyncIterator, Awaitable, Callable, Optional, cast

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from runwire._ids import new_id
from runwire.agent import Agent
from runwire.run.cancel import cancel_run
from runwire.run.continuation import ContinueRunError
from runwire.run.output import RunOutput, RunStatus
from runwire.storage.base import Session
from sse_starlette.sse import EventSourceResponse

from runwire_server.app import ServerState, server_state
from runwire_server.runs import TooManyRuns, run_events
from runwire_server.schemas import ContinueRequest, RunRequest

router = APIRouter()

RUN_BODY_DOC = {
    "requestBody": {
        "content": {
            "application/json": {"schema": RunRequest.model_json_schema()},
            "multipart/form-data": {"schema": {
                "type": "object", "required": ["message"],
                "properties": {
                    "message": {"type": "string"}, "session_id": {"type": "string"},
                    "stream": {"type": "boolean"}, "background": {"type": "boolean"},
                    "cancel_on_disconnect": {"type": "boolean"},
                    "images": {"type": "array", "items": {"type": "string", "format": "binary"}},
                    "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
                }}},
        },
        "required": True,
    }
}


def _agent_info(agent: Agent) -> dict[str, Any]:
    model = agent.model if isinstance(agent.model, str) or agent.model is None else getattr(agent.model, "id", None)
    return {"id": agent.id, "name": agent.name, "description": agent.description, "model": model,
            "tools": sorted(agent.get_functions())}


def _agent(state: ServerState, agent_id: str) -> Agent:
    agent = state.agents.get(agent_id)
    if agent is None:
        raise HTTPException(404, f"no agent {agent_id!r}: GET /agents lists the agents served here")
    return agent


async def _own_run(state: ServerState, user_id: str, run_id: str) -> RunOutput:
    run = await state.storage.get_run(run_id, with_events=False)
    if run is None or run.user_id != user_id:
        raise HTTPException(404, f"no run {run_id!r}")
    return run


async def _own_session(state: ServerState, user_id: str, session_id: str) -> Optional[Session]:
    session = await state.storage.get_session(session_id, with_runs=False)
    if session is not None and session.user_id != user_id:
        raise HTTPException(404, f"no session {session_id!r}")
    return session


@router.get("/agents", tags=["agents"])
async def list_agents(request: Request) -> list[dict[str, Any]]:
    return [_agent_info(a) for a in server_state(request).agents.values()]


@router.get("/agents/{agent_id}", tags=["agents"])
async def get_agent(agent_id: str, request: Request) -> dict[str, Any]:
    return _agent_info(_agent(server_state(request), agent_id))


async def _run_request(request: Request) -> RunRequest:
    content_type = request.headers.get("content-type", "")
    try:
        if content_type.startswith("multipart/form-data") or content_type.startswith("application/x-www-form-urlencoded"):
            return await _form_request(request)
        return RunRequest.model_validate_json(await request.body())
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]) from None


async def _form_request(request: Request) -> RunRequest:
    import base64

    form = await request.form()
    data: dict[str, Any] = {}
    for name, value in form.multi_items():
        if name in ("images", "files"):
            if isinstance(value, str):
                data.setdefault(name, []).append({"url": value})
            else:
                raw = await value.read()
                data.setdefault(name, []).append({"content": base64.b64encode(raw).decode(), "name": value.filename,
                                                  "mime_type": value.content_type})
        elif isinstance(value, str):
            data[name] = value
    return RunRequest.model_validate(data)


def _media(body: RunRequest) -> dict[str, Any]:
    try:
        return {"images": [m.as_media("image") for m in body.images or []] or None,
                "files": [m.as_media("file") for m in body.files or []] or None}
    except ValueError as exc:
        raise RequestValidationError([{"type": "value_error", "loc": ("body", "images/files"), "msg": str(exc),
                                       "input": None}]) from None


@router.post("/agents/{agent_id}/runs", tags=["runs"], openapi_extra=RUN_BODY_DOC,
             responses={202: {"description": "background run started"}, 429: {"description": "too many live runs"}})
async def create_run(agent_id: str, request: Request) -> Any:
    """Run the agent: SSE events (``stream``), the RunOutput JSON, or ``202`` at once (``background``)."""
    state, user_id = server_state(request), request.state.user_id
    agent = _agent(state, agent_id)
    body = await _run_request(request)
    media = _media(body)
    if body.session_id is not None:
        await _own_session(state, user_id, body.session_id)
    run_id, session_id = new_id(), body.session_id or new_id()
    enqueue = _durable_queue(agent)
    if body.background and enqueue is not None and not any(media.values()):
        return await _enqueue(state, agent, enqueue, body.message, user_id, session_id, run_id)

    def events() -> AsyncIterator[Any]:
        stream: AsyncIterator[Any] = agent.arun(body.message, stream=True, stream_events=True, user_id=user_id,
                                                session_id=session_id, run_id=run_id, **media)
        return stream

    async def base_seq() -> int:
        return 0

    return await _start(state, user_id, run_id, session_id, events, base_seq, body.stream, body.background,
                        body.cancel_on_disconnect)


def _durable_queue(agent: Agent) -> Optional[Callable[..., Awaitable[str]]]:
    """The ``enqueue`` of the agent's durability (runwire-dbos: its DBOS queue), or None: background runs go there."""
    enqueue = getattr(agent.durability, "enqueue", None)
    return enqueue if callable(enqueue) else None


async def _enqueue(state: ServerState, agent: Agent, enqueue: Callable[..., Awaitable[str]], message: str,
                   user_id: str, session_id: str, run_id: str) -> JSONResponse:
    """A background run put on the agent's durable queue: whichever worker process takes it runs it.

    Its row is stored first (``pending``, with its user), so ``GET /runs/{id}`` and its event stream answer
    the posting user at once; the worker that runs it writes the rest.
    """
    row = RunOutput(run_id=run_id, agent_id=agent.id, agent_name=agent.name, session_id=session_id,
                    user_id=user_id, input=message)
    await state.storage.save_run(row)
    try:
        await enqueue(agent, message, user_id=user_id, session_id=session_id, run_id=run_id)
    except Exception as exc:
        row.status, row.error, row.error_type = RunStatus.error, f"could not enqueue the run: {exc}", type(exc).__name__
        await state.storage.save_run(row)
        raise HTTPException(503, f"could not put the run on the agent's queue: {exc}") from None
    return JSONResponse({"run_id": run_id, "session_id": session_id, "status": RunStatus.running.value},
                        status_code=202)


async def launch(state: ServerState, user_id: str, run_id: str, events: Any, base_seq: Any) -> tuple[Any, int]:
    """Start a run in the background: its task and first seq, or 429 / 409 as an HTTP error."""
    try:
        return await state.runs.launch(user_id, run_id, events, base_seq)
    except TooManyRuns as exc:
        raise HTTPException(429, f"{exc}: wait for one to finish, or cancel one", headers={"Retry-After": "1"}) from None
    except ContinueRunError as exc:
        raise HTTPException(409, str(exc)) from None


async def _start(state: ServerState, user_id: str, run_id: str, session_id: str, events: Any, base_seq: Any,
                 stream: bool, background: bool, cancel_on_disconnect: bool) -> Any:
    task, first_seq = await launch(state, user_id, run_id, events, base_seq)
    if background:
        return JSONResponse({"run_id": run_id, "session_id": session_id, "status": RunStatus.running.value},
                            status_code=202)
    if stream:
        return _sse(state, run_id, first_seq - 1, cancel_on_disconnect=cancel_on_disconnect, segment_start=first_seq)
    try:
        output = await asyncio.shield(task)  # a client that goes away does not stop the run
    except asyncio.CancelledError:
        if cancel_on_disconnect:
            cancel_run(run_id, "the client disconnected")
        raise
    if output is None:
        output = await state.storage.get_run(run_id, with_events=False)
    return output.to_dict() if output is not None else JSONResponse({"detail": "the run was lost"}, status_code=500)


def _sse(state: ServerState, run_id: str, after: int, *, cancel_on_disconnect: bool = False,
         segment_start: Optional[int] = None, follow_log: bool = False) -> EventSourceResponse:
    async def messages() -> AsyncIterator[dict[str, Any]]:
        finished = False
        try:
            async for event in run_events(state.storage, state.broker, run_id, after, segment_start=segment_start,
                                         follow_log=follow_log):
                yield {"id": str(event.seq), "event": event.name, "data": event.data}
            finished = True
        finally:
            if cancel_on_disconnect and not finished:
                cancel_run(run_id, "the client disconnected")

    return EventSourceResponse(messages(), ping=state.ping_seconds, headers={"Cache-Control": "no-cache",
                                                                            "X-Accel-Buffering": "no"})


@router.get("/runs/{run_id}", tags=["runs"])
async def get_run(run_id: str, request: Request, events: bool = Query(False, description="include the event log")) -> Any:
    state = server_state(request)
    run = await _own_run(state, request.state.user_id, run_id)
    data = run.to_dict()
    if events:
        data["events"] = [e for _, e in await state.storage.read_events(run_id)]
    return data


@router.get("/runs/{run_id}/events", tags=["runs"], response_class=EventSourceResponse)
async def stream_run_events(run_id: str, request: Request,
                            after: Optional[int] = Query(None, ge=-1, description="the last event seq already seen")) -> Any:
    """SSE: every stored event after ``Last-Event-ID`` (or ``?after=N``), then live ones until the run ends or pauses."""
    state = server_state(request)
    run = await _own_run(state, request.state.user_id, run_id)
    header = request.headers.get("last-event-id")
    if header is not None and header.strip():
        try:
            after = int(header)
        except ValueError:
            raise RequestValidationError([{"type": "int_parsing", "loc": ("header", "Last-Event-ID"),
                                           "msg": "Last-Event-ID must be an event seq (an integer)",
                                           "input": header}]) from None
    agent = state.agents.get(run.agent_id or "")
    follow = agent is not None and _durable_queue(agent) is not None  # its runs may run in another process
    return _sse(state, run_id, -1 if after is None else after, follow_log=follow)


@router.post("/runs/{run_id}/cancel", tags=["runs"])
async def cancel(run_id: str, request: Request) -> dict[str, bool]:
    state = server_state(request)
    run = await _own_run(state, request.state.user_id, run_id)
    agent = state.agents.get(run.agent_id or "") or next(iter(state.agents.values()))
    return {"cancelled": await agent.acancel_run(run_id)}


@router.post("/runs/{run_id}/continue", tags=["runs"])
async def continue_run(run_id: str, body: ContinueRequest, request: Request) -> Any:
    """Answer a paused run's tools and go on (streamed, not streamed or in the background)."""
    state, user_id = server_state(request), request.state.user_id
    run = await _own_run(state, user_id, run_id)
    agent = _agent(state, run.agent_id or "")
    updates = _tool_updates(run, body)  # the core claims the stored run: anything but paused/interrupted is a 409

    def events() -> AsyncIterator[Any]:
        return cast(AsyncIterator[Any], agent.acontinue_run(run_id=run_id, session_id=run.session_id,
                                                            updated_tools=updates, stream=True, stream_events=True))

    async def base_seq() -> int:
        return await state.storage.next_event_seq(run_id)

    return await _start(state, user_id, run_id, run.session_id or "", events, base_seq, body.stream,
                        body.background, body.cancel_on_disconnect)


def _tool_updates(run: RunOutput, body: ContinueRequest) -> list[dict[str, Any]]:
    tools = {te.tool_call_id: te for te in run.tools}
    updates = []
    for answer in body.tools:
        te = tools.get(answer.tool_call_id)
        if te is None or te.status != "paused":
            raise HTTPException(409, f"run {run.run_id} has no paused tool call {answer.tool_call_id!r}")
        update: dict[str, Any] = answer.model_dump(exclude_none=True, exclude={"user_input"})
        if answer.user_input is not None:
            fields = {f.name: f for f in te.user_input_schema or []}
            unknown = sorted(set(answer.user_input) - set(fields))
            if unknown:
                raise RequestValidationError([{"type": "value_error", "loc": ("body", "tools", "user_input", unknown[0]),
                                               "msg": f"{te.tool_name} asks for no field {unknown[0]!r} "
                                                      f"(it asks for: {', '.join(fields) or 'nothing'})",
                                               "input": answer.user_input}])
            update["user_input_schema"] = [{**f.__dict__, "value": answer.user_input.get(f.name, f.value)}
                                           for f in fields.values()]
        updates.append(update)
    return updates


def _session_info(session: Session) -> dict[str, Any]:
    return {"session_id": session.session_id, "agent_id": session.agent_id, "session_state": session.session_state,
            "created_at": session.created_at, "updated_at": session.updated_at}


@router.get("/sessions", tags=["sessions"])
async def list_sessions(request: Request, limit: int = Query(100, ge=1, le=1000)) -> list[dict[str, Any]]:
    state = server_state(request)
    return [_session_info(s) for s in await state.storage.list_sessions(request.state.user_id, limit)]


@router.get("/sessions/{session_id}", tags=["sessions"])
async def get_session(session_id: str, request: Request) -> dict[str, Any]:
    state = server_state(request)
    session = await _own_session(state, request.state.user_id, session_id)
    if session is None:
        raise HTTPException(404, f"no session {session_id!r}")
    runs = [r for r in await state.storage.list_runs(session_id) if r.user_id == request.state.user_id]
    return {**_session_info(session), "runs": [r.to_dict() for r in runs]}


@router.delete("/sessions/{session_id}", tags=["sessions"])
async def delete_session(session_id: str, request: Request) -> dict[str, Any]:
    state = server_state(request)
    session = await _own_session(state, request.state.user_id, session_id)
    if session is None:
        raise HTTPException(404, f"no session {session_id!r}")
    if await state.storage.list_runs(session_id, status=RunStatus.running.value):
        raise HTTPException(409, f"session {session_id!r} has a running run: cancel it (POST /runs/{{run_id}}/cancel) "
                                 "or let it finish, then delete the session")
    await state.storage.delete_session(session_id)
    return {"deleted": True, "session_id": session_id}
