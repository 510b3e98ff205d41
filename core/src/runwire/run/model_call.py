"""Calling a helper model (parser, output, reasoning, memory) and metering it by kind."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, AsyncIterator

from runwire.metrics import Metrics
from runwire.models.base import Model, ModelDelta, ModelRequest

if TYPE_CHECKING:
    from runwire.run.context import RunContext


async def stream_model(ctx: "RunContext", model: Model, request: ModelRequest, kind: str) -> AsyncIterator[ModelDelta]:
    """Stream ``model``'s deltas; its usage and timing go to the run's metrics under ``kind``."""
    call = Metrics(id=model.id, provider=model.provider)
    started = time.perf_counter()
    request.run_id = ctx.run_id
    durability = ctx.durability  # a durable engine checkpoints helper requests like the main ones
    async for delta in model.astream(request) if durability is None else durability.model_stream(ctx, model, request):
        if ctx.cancel_reason is not None:
            from runwire.exceptions import RunCancelledError

            raise RunCancelledError(ctx.cancel_reason)
        if (delta.content or delta.reasoning_content) and call.time_to_first_token is None:
            call.time_to_first_token = time.perf_counter() - started
        if delta.usage is not None:
            call.add_usage(delta.usage)
        yield delta
    call.duration = time.perf_counter() - started
    ctx.output.metrics.add_call(kind, call)


async def complete(ctx: "RunContext", model: Model, request: ModelRequest, kind: str) -> tuple[str, object]:
    """The whole text (and any parsed object) of a helper model's answer."""
    parts: list[str] = []
    parsed: object = None
    async for delta in stream_model(ctx, model, request, kind):
        if delta.content:
            parts.append(delta.content)
        if delta.parsed is not None:
            parsed = delta.parsed
    return "".join(parts), parsed
