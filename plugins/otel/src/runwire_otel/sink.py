"""``OtelSink``: run, model-request and tool-call spans from a run's events."""

from __future__ import annotations

import json
from typing import Any, Optional

from opentelemetry import trace
from opentelemetry.trace import Span, Status, StatusCode

from runwire.run.events import RunOutputEvent
from runwire.sinks.base import EventSink

_ENDS = {"RunCompleted": StatusCode.OK, "RunError": StatusCode.ERROR, "RunCancelled": StatusCode.ERROR,
         "RunPaused": StatusCode.UNSET}


def _ns(seconds: float) -> int:
    return int(seconds * 1e9)


class OtelSink(EventSink):
    """Turns events into spans with the global (or given) tracer provider."""

    name = "otel"

    def __init__(self, tracer_provider: Any = None, *, service: Optional[str] = None) -> None:
        self.tracer = trace.get_tracer("runwire", tracer_provider=tracer_provider)
        self.service = service
        self._runs: dict[str, Span] = {}
        self._requests: dict[str, Span] = {}
        self._tools: dict[tuple[str, str], Span] = {}

    def _start(self, name: str, event: RunOutputEvent, parent: Optional[Span], **attributes: Any) -> Span:
        context = trace.set_span_in_context(parent) if parent is not None else None
        clean = {k: v for k, v in attributes.items() if v is not None}
        return self.tracer.start_span(name, context=context, start_time=_ns(event.created_at), attributes=clean)

    async def handle(self, event: RunOutputEvent) -> None:
        run_id = event.run_id or ""
        kind = event.event
        if kind in ("RunStarted", "RunContinued"):
            self._runs[run_id] = self._start(
                "runwire.run", event, None, **{
                    "runwire.run_id": run_id, "runwire.session_id": event.session_id,
                    "runwire.agent_id": event.agent_id, "runwire.agent_name": event.agent_name,
                    "runwire.model": getattr(event, "model", None), "runwire.continued": kind == "RunContinued",
                    "service.name": self.service,
                })
            return
        run = self._runs.get(run_id)
        if run is None:
            return
        if kind == "ModelRequestStarted":
            self._requests[run_id] = self._start("runwire.model_request", event, run, **{
                "gen_ai.request.model": getattr(event, "model", None),
                "gen_ai.system": getattr(event, "model_provider", None)})
        elif kind == "ModelRequestCompleted":
            span = self._requests.pop(run_id, None)
            metrics = getattr(event, "metrics", None)
            if span is not None:
                if metrics is not None:
                    span.set_attribute("gen_ai.usage.input_tokens", metrics.input_tokens)
                    span.set_attribute("gen_ai.usage.output_tokens", metrics.output_tokens)
                    if metrics.time_to_first_token is not None:
                        span.set_attribute("runwire.time_to_first_token", metrics.time_to_first_token)
                span.end(end_time=_ns(event.created_at))
        elif kind == "ToolCallStarted":
            tool = getattr(event, "tool", None)
            if tool is not None:
                self._tools[(run_id, tool.tool_call_id)] = self._start("runwire.tool_call", event, run, **{
                    "runwire.tool.name": tool.tool_name, "runwire.tool.call_id": tool.tool_call_id,
                    "runwire.tool.arguments": json.dumps(tool.tool_args, default=str)})
        elif kind in ("ToolCallCompleted", "ToolCallError"):
            tool = getattr(event, "tool", None)
            span = self._tools.pop((run_id, tool.tool_call_id), None) if tool is not None else None
            if span is not None:
                if kind == "ToolCallError":
                    span.set_status(Status(StatusCode.ERROR, getattr(event, "error", None)))
                span.end(end_time=_ns(event.created_at))
        elif kind in _ENDS:
            self._end_run(run_id, event, _ENDS[kind])

    def _end_run(self, run_id: str, event: RunOutputEvent, code: StatusCode) -> None:
        for key in [k for k in self._tools if k[0] == run_id]:  # interrupted tool calls
            self._tools.pop(key).end(end_time=_ns(event.created_at))
        request = self._requests.pop(run_id, None)
        if request is not None:
            request.end(end_time=_ns(event.created_at))
        span = self._runs.pop(run_id)
        span.set_attribute("runwire.status", event.event)
        metrics = getattr(event, "metrics", None)
        if metrics is not None:
            span.set_attribute("gen_ai.usage.input_tokens", metrics.input_tokens)
            span.set_attribute("gen_ai.usage.output_tokens", metrics.output_tokens)
        if code is StatusCode.ERROR:
            detail = getattr(event, "content", None) or getattr(event, "reason", None)
            span.set_status(Status(code, f"{event.event}: {detail}"))
        elif code is StatusCode.OK:
            span.set_status(Status(code))
        span.end(end_time=_ns(event.created_at))
