"""A reasoning pass before the answer: the reasoning model thinks in steps, the steps go into the context."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, AsyncIterator

from runwire.exceptions import RunCancelledError
from runwire.models.base import ModelRequest
from runwire.models.message import Message
from runwire.run.events import (
    ReasoningCompletedEvent,
    ReasoningContentDeltaEvent,
    ReasoningStartedEvent,
    ReasoningStepEvent,
    RunOutputEvent,
)
from runwire.run.model_call import stream_model
from runwire.run.structured import OutputValidationError, parse_structured
from runwire.run.tool_execution import ReasoningStep, ReasoningSteps

if TYPE_CHECKING:
    from runwire.run.context import RunContext

logger = logging.getLogger("runwire.reasoning")

PROMPT = """Think about the task below step by step before anyone answers it.
Reply with one JSON object and nothing else:
{{"steps": [{{"title": "...", "reasoning": "...", "action": "...", "result": "...", "next_action": "continue or final_answer", "confidence": 0.0}}]}}
Use at most {max_steps} steps.

Task:
{task}"""


def _steps(text: str, parsed: object, max_steps: int) -> list[ReasoningStep]:
    data = parsed if isinstance(parsed, dict) else parse_structured(dict, text)
    raw = data.get("steps") if isinstance(data, dict) else None
    if not isinstance(raw, list):
        raise OutputValidationError(f"the reasoning model's answer has no 'steps' list: {text[:200]!r}")
    fields = ReasoningStep.__dataclass_fields__
    return [ReasoningStep(**{k: v for k, v in step.items() if k in fields}) for step in raw[:max_steps] if isinstance(step, dict)]


def _summary(steps: list[ReasoningStep]) -> str:
    lines = [f"{i}. {s.title or 'Step'}: {s.reasoning or ''}" + (f" -> {s.result}" if s.result else "")
             for i, s in enumerate(steps, 1)]
    return "Reasoning so far:\n" + "\n".join(lines)


async def run_reasoning(ctx: "RunContext") -> AsyncIterator[RunOutputEvent]:
    """ReasoningStarted, then the reasoning model's work, then ReasoningCompleted carrying the ReasoningSteps.

    A native reasoning model (one that streams reasoning content) is streamed as
    ReasoningContentDelta events and its reasoning becomes one step, as in Agno;
    a model that answers with JSON steps yields one ReasoningStep event per step.
    A reasoning failure is logged as a warning and the run goes on without it.
    """
    agent = ctx.agent
    yield ctx.stamp(ReasoningStartedEvent())
    task = "\n".join(m.text() for m in ctx.messages if m.role in ("system", "user"))
    request = ModelRequest(messages=[Message(role="user", content=PROMPT.format(max_steps=agent.reasoning_max_steps, task=task))])
    thinking: list[str] = []
    answer: list[str] = []
    parsed: object = None
    try:
        async for delta in stream_model(ctx, agent.get_helper_model("reasoning_model"), request, "reasoning_model"):
            if delta.reasoning_content:
                thinking.append(delta.reasoning_content)
                yield ctx.stamp(ReasoningContentDeltaEvent(reasoning_content=delta.reasoning_content))
            if delta.content:
                answer.append(delta.content)
            if delta.parsed is not None:
                parsed = delta.parsed
    except RunCancelledError:
        raise
    except Exception as exc:
        logger.warning("runwire: reasoning failed (%s: %s); the run goes on without it", type(exc).__name__, exc)
        return
    text = "".join(answer)
    try:
        steps = _steps(text, parsed, agent.reasoning_max_steps)
    except OutputValidationError:
        steps = []
    if steps and not thinking:
        summary = _summary(steps)
        for step in steps:
            yield ctx.stamp(ReasoningStepEvent(content=step, content_type="ReasoningStep", reasoning_content=step.reasoning))
        ctx.messages.append(Message(role="assistant", content=summary))
    else:  # native reasoning: what the model thought (or, lacking that, what it said) is the reasoning
        summary = "".join(thinking) or text
        if not summary.strip():
            logger.warning("runwire: the reasoning model gave no reasoning; the run goes on without it")
            return
        steps = [ReasoningStep(result=summary)]
        ctx.messages.append(Message(role="assistant", content=f"<thinking>\n{summary}\n</thinking>",
                                    reasoning_content=summary))
    ctx.output.reasoning_steps = steps
    ctx.output.reasoning_content = summary
    yield ctx.stamp(ReasoningCompletedEvent(content=ReasoningSteps(reasoning_steps=steps), content_type="ReasoningSteps"))
