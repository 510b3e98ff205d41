"""The output model: writes the final answer after the main model has worked (its text was intermediate)."""

from __future__ import annotations

from typing import TYPE_CHECKING, AsyncIterator

from runwire.models.base import ModelRequest
from runwire.models.message import Message
from runwire.run.events import (
    OutputModelResponseCompletedEvent,
    OutputModelResponseStartedEvent,
    RunContentEvent,
    RunOutputEvent,
)
from runwire.run.model_call import stream_model

if TYPE_CHECKING:
    from runwire.run.context import RunContext

PROMPT = "Write the final answer for the user, based on the conversation above."


async def run_output_model(ctx: "RunContext") -> AsyncIterator[RunOutputEvent]:
    """Stream the output model's answer as RunContent; it becomes the run's content."""
    agent = ctx.agent
    yield ctx.stamp(OutputModelResponseStartedEvent())
    messages = [*ctx.messages, Message(role="user", content=agent.output_model_prompt or PROMPT)]
    request = ModelRequest(messages=messages, output_schema=agent.output_schema if agent.parser_model is None else None)
    ctx.streamed.clear()  # the main model's text was intermediate
    async for delta in stream_model(ctx, agent.get_helper_model("output_model"), request, "output_model"):
        if delta.content:
            ctx.streamed.append(delta.content)
            yield ctx.stamp(RunContentEvent(content=delta.content))
        if delta.parsed is not None:
            ctx.last_parsed = delta.parsed
    answer = Message(role="assistant", content="".join(ctx.streamed))
    last = ctx.messages[-1] if ctx.messages else None
    if last is not None and last.role == "assistant" and not last.tool_calls:
        ctx.messages[-1] = answer  # one answer in the history, the output model's (as in Agno)
    else:
        ctx.messages.append(answer)
    yield ctx.stamp(OutputModelResponseCompletedEvent())
