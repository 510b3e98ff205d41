"""A reasoning pass before the answer: the reasoning model thinks in steps, the steps go into the context."""

from __future__ import annotations

from typing import TYPE_CHECKING, AsyncIterator, Optional

from runwire.models.base import ModelRequest
from runwire.models.message import Message
from runwire.run.events import (
    ReasoningCompletedEvent,
    ReasoningStartedEvent,
    ReasoningStepEvent,
    RunOutputEvent,
)
from runwire.run.model_call import complete
from runwire.run.structured import OutputValidationError, parse_structured
from runwire.run.tool_execution import ReasoningStep

if TYPE_CHECKING:
    from runwire.run.context import RunContext

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
    """ReasoningStarted, one ReasoningStep per step, ReasoningCompleted; steps land on the output."""
    agent = ctx.agent
    yield ctx.stamp(ReasoningStartedEvent())
    task = "\n".join(m.text() for m in ctx.messages if m.role in ("system", "user"))
    request = ModelRequest(messages=[Message(role="user", content=PROMPT.format(max_steps=agent.reasoning_max_steps, task=task))])
    text, parsed = await complete(ctx, agent.get_helper_model("reasoning_model"), request, "reasoning_model")
    steps = _steps(text, parsed, agent.reasoning_max_steps)
    ctx.output.reasoning_steps = steps
    for step in steps:
        yield ctx.stamp(ReasoningStepEvent(content=step, content_type="ReasoningStep", reasoning_content=step.reasoning))
    summary: Optional[str] = _summary(steps) if steps else None
    if summary:
        ctx.messages.append(Message(role="assistant", content=summary))
        ctx.output.reasoning_content = summary
    yield ctx.stamp(ReasoningCompletedEvent(content=summary, content_type="str"))


