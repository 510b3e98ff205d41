"""Odd tool arguments, odd tool results and odd provider output end as a ToolCallError or a RunError,
with the stored run consistent."""

from __future__ import annotations

import pytest

from runwire.agent import Agent
from runwire.exceptions import RunFailedError
from runwire.models.base import Model, ModelDelta, ModelRequest
from runwire.testing import ScriptedModel, ToolCall


def noop(**kwargs) -> str:
    """Do nothing."""
    return "ran"


def pair_keys() -> dict:
    """Return something JSON cannot hold."""
    return {(1, 2): 3}


def respond_with(arguments):
    def respond(request: ModelRequest):
        if request.messages[-1].role == "tool":
            return "recovered"
        return [ToolCall("noop", arguments)]

    return respond


@pytest.mark.parametrize("arguments", [
    '{"x": ' + "[" * 100_000 + "]" * 100_000 + "}",  # nesting too deep to decode
    '{"x": ' + "7" * 5000 + "}",  # an integer of 5,000 digits
    "[1, 2]",  # not an object
])
async def test_unreadable_arguments_are_a_tool_error_the_model_sees(storage, arguments):
    model = ScriptedModel(respond_with(arguments))
    agent = Agent(model=model, tools=[noop], db=storage, store_events=True)
    out = await agent.arun("go", session_id="args")
    assert out.status == "completed" and out.content == "recovered"
    assert [e.event for e in out.events].count("ToolCallError") == 1
    tool_message = model.requests[1].messages[-1]
    assert tool_message.role == "tool" and tool_message.content.startswith("Error:")
    stored = await storage.get_run(out.run_id)
    assert stored.status == "completed" and stored.tools[0].status == "error"


async def test_results_that_cannot_be_text_are_tool_errors_in_parallel(storage):
    def respond(request: ModelRequest):
        if request.messages[-1].role == "tool":
            return "recovered"
        return [ToolCall("pair_keys", {}), ToolCall("pair_keys", {})]

    model = ScriptedModel(respond)
    agent = Agent(model=model, tools=[pair_keys], db=storage, store_events=True)
    out = await agent.arun("go", session_id="results")
    assert out.status == "completed"
    assert [t.status for t in out.tools] == ["error", "error"]
    assert "cannot be turned into text" in out.tools[0].error
    assert [m.role for m in model.requests[1].messages[-2:]] == ["tool", "tool"]
    stored = await storage.get_run(out.run_id)
    assert [t.status for t in stored.tools] == ["error", "error"]


class BadContent(Model):
    provider = "bad"

    async def astream(self, request: ModelRequest):
        yield ModelDelta(content="fine ")
        yield ModelDelta(content={"not": "text"})  # type: ignore[arg-type]


async def test_non_text_content_from_a_provider_is_a_clear_run_error(storage):
    agent = Agent(model=BadContent("x"), db=storage, store_events=True)
    with pytest.raises(RunFailedError, match="sent content of type dict, not text") as caught:
        await agent.arun("go", session_id="bad")
    out = caught.value.run_output
    assert out.content == "fine " and out.events[-1].event == "RunError"
    stored = await storage.get_run(out.run_id)
    assert stored.status == "error" and stored.events[-1].event == "RunError"
