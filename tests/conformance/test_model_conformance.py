"""The model conformance suite: what every model provider plugin must do through an Agent."""

import asyncio
import json
from dataclasses import dataclass
from typing import Optional

import pytest
from pydantic import BaseModel

from runwire.agent import Agent
from runwire.exceptions import RunFailedError
from runwire.run.agent import CustomEvent
from runwire.testing import Reply, ToolCall
from runwire.testing.events import event_names
from runwire.testing.openai_stub import HTTPFailure

from .conftest import CANARY_KEY


def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


def test_plain_answer(harness):
    out = Agent(model=harness.model(["Paris is the capital of France."])).run("Capital of France?")
    assert out.status == "completed" and isinstance(out.content, str) and out.content.strip()
    if harness.scripted:
        assert out.content == "Paris is the capital of France."
    assert out.messages[-1].role == "assistant" and out.messages[-1].content == out.content


async def test_streaming_yields_chunks_that_add_up(harness):
    agent = Agent(model=harness.model(["one two three four five"]))
    stream = agent.arun("Count to five", stream=True, stream_events=True)
    events = [e async for e in stream]
    chunks = [e.content for e in events if e.event == "RunContent"]
    assert len(chunks) >= 3 and "".join(chunks) == stream.run_output.content
    names = event_names(events)
    assert names[0] == "RunStarted" and names[-1] == "RunCompleted"
    assert names.index("ModelRequestStarted") < names.index("RunContent") < names.index("ModelRequestCompleted")


def test_usage_and_timing_are_reported(harness):
    out = Agent(model=harness.model(["a b c"])).run("Say three letters")
    m = out.metrics
    assert m.input_tokens > 0 and m.output_tokens > 0 and m.total_tokens == m.input_tokens + m.output_tokens
    assert m.time_to_first_token is not None and 0 < m.time_to_first_token <= m.duration
    assert m.details["model"][0].output_tokens == m.output_tokens


def test_one_tool_call(harness):
    harness.require("call tools")
    model = harness.model([[ToolCall("add", {"a": 2, "b": 3})], "The sum is 5."])
    out = Agent(model=model, tools=[add]).run("What is 2 + 3?")
    assert [t.result for t in out.tools] == ["5"] and out.content == "The sum is 5."
    assert [m.role for m in out.messages] == ["user", "assistant", "tool", "assistant"]
    if harness.stub is not None:  # the provider sent the tool result back correctly
        sent = harness.stub.requests[1].body["messages"]
        assert sent[1]["tool_calls"][0]["function"]["name"] == "add"
        expected = {"role": "tool", "content": "5", "tool_call_id": out.tools[0].tool_call_id}
        if harness.name == "litellm":  # litellm's translations to other providers use the tool's name
            expected["name"] = "add"
        assert sent[2] == expected
        assert harness.stub.requests[0].body["tools"][0]["function"]["name"] == "add"


def test_several_tool_calls_in_one_turn(harness):
    harness.require("call tools")
    calls = [ToolCall("add", {"a": 1, "b": 1}), ToolCall("add", {"a": 20, "b": 22}), ToolCall("add", {"a": -1, "b": 1})]
    out = Agent(model=harness.model([calls, "Done."]), tools=[add]).run("Three sums")
    assert [t.result for t in out.tools] == ["2", "42", "0"]
    assert [t.tool_call_id for t in out.tools] == [c.id for c in calls]


def test_tool_error_recovery(harness):
    harness.require("call tools")
    model = harness.model([[ToolCall("add", '{"a": 1, "b": ')], [ToolCall("add", {"a": 1, "b": 2})], "3."])
    agent = Agent(model=model, tools=[add])
    events = list(agent.run("1 + 2", stream=True, stream_events=True))
    assert event_names(events).count("ToolCallError") == 1 and event_names(events)[-1] == "RunCompleted"
    error = [e for e in events if e.event == "ToolCallError"][0]
    assert "not valid JSON" in error.error


@dataclass
class Progress(CustomEvent):
    step: int = 0
    note: Optional[str] = None


async def progress_tool(steps: int):
    """Work in steps, reporting progress."""
    for i in range(steps):
        await asyncio.sleep(0)
        yield Progress(step=i + 1)
    yield f"{steps} steps done"


def test_custom_events_from_tools(harness):
    harness.require("call tools")
    model = harness.model([[ToolCall("progress_tool", {"steps": 3})], "All done."])
    events = list(Agent(model=model, tools=[progress_tool]).run("work", stream=True))
    assert [e.step for e in events if isinstance(e, Progress)] == [1, 2, 3]
    assert event_names(events)[-1] == "RunContent"


class City(BaseModel):
    name: str
    country: str


def test_structured_output(harness):
    harness.require("follow a script")
    model = harness.model(['{"name": "Paris", "country": "France"}'])
    out = Agent(model=model, output_schema=City).run("A city")
    assert out.content == City(name="Paris", country="France") and out.content_type == "City"
    if harness.stub is not None:
        fmt = harness.stub.requests[0].body["response_format"]
        assert fmt["type"] == "json_schema" and fmt["json_schema"]["schema"]["properties"]["name"]["type"] == "string"


def test_reasoning_content(harness):
    harness.require("follow a script")
    model = harness.model([Reply(reasoning="Think about it.", content="Yes.")])
    out = Agent(model=model, store_events=True, events_to_skip=[]).run("?")
    assert out.reasoning_content == "Think about it." and out.content == "Yes."
    assert "ReasoningContentDelta" in event_names(out.events)


def test_errors_end_the_run_clearly_and_keep_what_was_produced(harness):
    harness.require("fail on request")
    failure = HTTPFailure(400, "bad request") if harness.name != "scripted" else ValueError("bad request")
    model = harness.model([[ToolCall("add", {"a": 1, "b": 1})], failure])
    with pytest.raises(RunFailedError, match="bad request") as info:
        Agent(model=model, tools=[add]).run("x")
    out = info.value.run_output
    assert out.status == "error" and out.tools[0].result == "2"
    assert CANARY_KEY not in json.dumps(out.to_dict(), default=str)
