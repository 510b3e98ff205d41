"""``POST /agui/{agent_id}``: an agent over the AG-UI protocol (the ``ag-ui-protocol`` package's types).

An AG-UI thread is a runwire session; each AG-UI run is a runwire run driven
like any other (stored, resumable on /runs/{id}/events, cancellable). A
paused run ends with ``RUN_FINISHED`` and an *interrupt* outcome, one
interrupt per waiting tool call (its id is the tool call's id); the next
request answers them in ``resume`` (or as tool messages), which continues the
paused run.
"""

from __future__ import annotations

import json
import re
from typing import Any, AsyncIterator, Optional, cast

from ag_ui.core import (
    BaseEvent,
    Interrupt,
    RunAgentInput,
    RunErrorEvent,
    RunFinishedEvent,
    RunStartedEvent,
    TextMessageContentEvent,
    TextMessageEndEvent,
    TextMessageStartEvent,
    ToolCallArgsEvent,
    ToolCallEndEvent,
    ToolCallResultEvent,
    ToolCallStartEvent,
)
from ag_ui.core.events import RunFinishedCancelledOutcome, RunFinishedInterruptOutcome
from ag_ui.encoder import EventEncoder
from fastapi import APIRouter, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import StreamingResponse
from pydantic import ValidationError
from runwire._ids import new_id
from runwire.run.output import RunOutput, RunStatus
from runwire.run.tool_execution import ToolExecution

from runwire_server.app import ServerState, server_state
from runwire_server.routes import _agent, _own_session, launch
from runwire_server.runs import run_events
from runwire_server.schemas import ID_PATTERN

router = APIRouter()


def _fail(loc: tuple[str, ...], msg: str, value: Any = None) -> RequestValidationError:
    return RequestValidationError([{"type": "value_error", "loc": ("body", *loc), "msg": msg, "input": value}])


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # multimodal parts: the text parts
        return "".join(getattr(p, "text", "") or "" for p in content)
    return ""


def _answers(inp: RunAgentInput) -> dict[str, Any]:
    """Answers to a paused run's tool calls: ``resume`` entries, else trailing tool messages."""
    found: dict[str, Any] = {}
    for entry in inp.resume or []:
        found[entry.interrupt_id] = entry if entry.status == "resolved" else None
    if not found:
        for message in reversed(inp.messages):
            if message.role != "tool":
                break
            found[message.tool_call_id] = message.content
    return found


def _update(te: ToolExecution, answer: Any) -> dict[str, Any]:
    """A runwire tool update from an AG-UI answer (None: the interrupt was cancelled)."""
    payload = getattr(answer, "payload", answer)
    update: dict[str, Any] = {"tool_call_id": te.tool_call_id}
    if te.requires_confirmation:
        confirmed = answer is not None and (payload.get("confirmed", True) if isinstance(payload, dict) else bool(payload))
        update["confirmed"] = bool(confirmed)
    elif te.requires_user_input:
        values = payload if isinstance(payload, dict) else {}
        update["user_input_schema"] = [{**f.__dict__, "value": values.get(f.name, f.value)}
                                       for f in te.user_input_schema or []]
    elif te.external_execution_required:
        result = payload.get("result", payload) if isinstance(payload, dict) else payload
        update["result"] = "cancelled by the user" if answer is None else (
            result if isinstance(result, str) else json.dumps(result))
    return update


async def _paused_run(state: ServerState, session_id: str, tool_call_ids: set[str]) -> RunOutput:
    for run in (await state.storage.list_runs(session_id, status=RunStatus.paused.value))[::-1]:  # newest first
        if tool_call_ids <= {te.tool_call_id for te in run.tools if te.status == "paused"}:
            return run
    raise HTTPException(409, "no paused run of this thread waits on the answered interrupts "
                             f"({', '.join(sorted(tool_call_ids))}); it may have been continued or cancelled already")


def _interrupt(te: ToolExecution) -> Interrupt:
    if te.requires_confirmation:
        reason, schema = "confirmation", {"type": "object", "properties": {"confirmed": {"type": "boolean"}}}
    elif te.requires_user_input:
        reason = "user_input"
        schema = {"type": "object", "properties": {f.name: {"description": f.description or f.field_type}
                                                   for f in te.user_input_schema or []}}
    else:
        reason, schema = "external_execution", {"type": "object", "properties": {"result": {"type": "string"}}}
    return Interrupt(id=te.tool_call_id, reason=reason, tool_call_id=te.tool_call_id, response_schema=schema,
                     message=f"{te.tool_name}({json.dumps(te.tool_args or {})}) waits for {reason.replace('_', ' ')}")


class _Translator:
    """runwire events (as stored dicts) to AG-UI events, for one AG-UI run."""

    def __init__(self, thread_id: str, run_id: str) -> None:
        self.thread_id, self.run_id = thread_id, run_id
        self.text_id: Optional[str] = None
        self.tool_calls: set[str] = set()

    def _close_text(self) -> list[BaseEvent]:
        if self.text_id is None:
            return []
        done, self.text_id = TextMessageEndEvent(message_id=self.text_id), None
        return [done]

    def _tool_call(self, tool: dict[str, Any]) -> list[BaseEvent]:
        call_id = tool.get("tool_call_id") or new_id()
        if call_id in self.tool_calls:
            return []
        self.tool_calls.add(call_id)
        return [*self._close_text(),
                ToolCallStartEvent(tool_call_id=call_id, tool_call_name=tool.get("tool_name") or "tool"),
                ToolCallArgsEvent(tool_call_id=call_id, delta=json.dumps(tool.get("tool_args") or {})),
                ToolCallEndEvent(tool_call_id=call_id)]

    def __call__(self, name: str, data: dict[str, Any]) -> list[BaseEvent]:
        if name == "RunContent":
            content = data.get("content")
            if not isinstance(content, str) or not content:
                return []
            out: list[BaseEvent] = []
            if self.text_id is None:
                self.text_id = new_id()
                out.append(TextMessageStartEvent(message_id=self.text_id, role="assistant"))
            out.append(TextMessageContentEvent(message_id=self.text_id, delta=content))
            return out
        if name == "ToolCallStarted":
            return self._tool_call(data.get("tool") or {})
        if name in ("ToolCallCompleted", "ToolCallError"):
            tool = data.get("tool") or {}
            out = self._tool_call(tool)
            content = data.get("content") if name == "ToolCallCompleted" else data.get("error")
            out.append(ToolCallResultEvent(message_id=new_id(), tool_call_id=tool.get("tool_call_id") or "",
                                           content=content if isinstance(content, str) else json.dumps(content)))
            return out
        if name == "RunPaused":
            tools = [ToolExecution.from_dict(t) for t in data.get("tools") or []]
            out = self._close_text()
            for te in tools:
                out += self._tool_call({"tool_call_id": te.tool_call_id, "tool_name": te.tool_name,
                                        "tool_args": te.tool_args})
            return out + [RunFinishedEvent(thread_id=self.thread_id, run_id=self.run_id, outcome=RunFinishedInterruptOutcome(
                interrupts=[_interrupt(te) for te in tools]))]
        if name == "RunCompleted":
            content = data.get("content")
            return self._close_text() + [RunFinishedEvent(thread_id=self.thread_id, run_id=self.run_id, result=content)]
        if name == "RunCancelled":
            return self._close_text() + [RunFinishedEvent(thread_id=self.thread_id, run_id=self.run_id,
                                                          outcome=RunFinishedCancelledOutcome())]
        if name == "RunError":
            return self._close_text() + [RunErrorEvent(message=data.get("content") or "the run failed",
                                                       code=data.get("error_type"))]
        return []


@router.post("/agui/{agent_id}", tags=["ag-ui"])
async def agui_run(agent_id: str, request: Request) -> Any:
    """Run the agent for an AG-UI client: ``RunAgentInput`` in, AG-UI events out (SSE)."""
    state, user_id = server_state(request), request.state.user_id
    agent = _agent(state, agent_id)
    try:
        inp = RunAgentInput.model_validate_json(await request.body())
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]) from None
    if not re.match(ID_PATTERN, inp.thread_id):
        raise _fail(("threadId",), f"threadId must match {ID_PATTERN}", inp.thread_id)
    session_id = inp.thread_id
    await _own_session(state, user_id, session_id)
    answers = _answers(inp)
    if answers:
        run = await _paused_run(state, session_id, set(answers))
        tools = {te.tool_call_id: te for te in run.tools}
        updates = [_update(tools[call_id], answer) for call_id, answer in answers.items()]
        run_id = run.run_id

        def events() -> AsyncIterator[Any]:
            return cast(AsyncIterator[Any], agent.acontinue_run(run_id=run_id, session_id=session_id,
                                                                updated_tools=updates, stream=True, stream_events=True))

        async def base_seq() -> int:
            return await state.storage.next_event_seq(run_id)
    else:
        users = [m for m in inp.messages if m.role == "user"]
        message = _text(users[-1].content) if users else ""
        if not message:
            raise _fail(("messages",), "the last user message has no text: send a user message (or resume answers)")
        run_id = new_id()

        def events() -> AsyncIterator[Any]:
            return agent.arun(message, stream=True, stream_events=True, user_id=user_id, session_id=session_id,
                              run_id=run_id)

        async def base_seq() -> int:
            return 0

    _, first_seq = await launch(state, user_id, run_id, events, base_seq)
    encoder = EventEncoder(accept=request.headers.get("accept", "text/event-stream"))
    translate = _Translator(inp.thread_id, inp.run_id)

    async def stream() -> AsyncIterator[str]:
        yield encoder.encode(RunStartedEvent(thread_id=inp.thread_id, run_id=inp.run_id))
        async for event in run_events(state.storage, state.broker, run_id, first_seq - 1, segment_start=first_seq):
            for out in translate(event.name, json.loads(event.data)):
                yield encoder.encode(out)

    return StreamingResponse(stream(), media_type=encoder.get_content_type(),
                             headers={"Cache-Control": "no-cache", "X-Runwire-Run-Id": run_id})
