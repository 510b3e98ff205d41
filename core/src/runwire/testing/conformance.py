"""The model conformance suite: what every model provider must do through an Agent, for any provider plugin.

Subclass :class:`ModelConformance` in your plugin's tests and say how to make
your model from a script of turns (usually by pointing it at
:class:`~runwire.testing.openai_stub.OpenAIStub`, which plays the script as an
OpenAI-compatible server)::

    from runwire.testing.conformance import CANARY_KEY, ModelConformance
    from runwire.testing.openai_stub import OpenAIStub

    class TestMyProvider(ModelConformance):
        def model(self, turns):
            self.stub = self.stack.enter_context(OpenAIStub(turns))
            return MyModel(base_url=self.stub.url, api_key=CANARY_KEY)

A provider that cannot do something declares it in ``cannot`` (capability →
reason): those tests skip with the reason. ``scripted = False`` says the model
answers what it answers (a real model), so exact texts are not compared.
Capabilities: "call tools", "follow a script", "fail on request".
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass
from typing import Any, AsyncIterator, Iterator, Optional

import pytest
from pydantic import BaseModel

from runwire.agent import Agent
from runwire.exceptions import RunFailedError
from runwire.run.agent import CustomEvent
from runwire.testing import Reply, ToolCall
from runwire.testing.events import event_names
from runwire.testing.openai_stub import HTTPFailure, OpenAIStub

CANARY_KEY = "sk-canary-5f1d2e3c4b5a69788796a5b4"  # an API key that must never show in a run's output


def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


@dataclass
class Progress(CustomEvent):
    step: int = 0
    note: Optional[str] = None


async def progress_tool(steps: int) -> AsyncIterator[Any]:
    """Work in steps, reporting progress."""
    for i in range(steps):
        await asyncio.sleep(0)
        yield Progress(step=i + 1)
    yield f"{steps} steps done"


class City(BaseModel):
    name: str
    country: str


class ModelConformance:
    """Collected by pytest in subclasses named ``Test...``; each test makes a fresh model with :meth:`model`."""

    scripted = True
    cannot: dict[str, str] = {}
    stub: Optional[OpenAIStub] = None
    stack: contextlib.ExitStack
    name = ""
    tool_messages_named = False  # the provider sends a tool result's message with the tool's name

    def model(self, turns: list[Any]) -> Any:
        """A model of your provider that plays ``turns`` (str answers, lists of ToolCall, Reply, HTTPFailure)."""
        raise NotImplementedError("subclass ModelConformance and define model(self, turns)")

    def failure(self, message: str) -> Any:
        """A script turn that makes the provider fail (an HTTP 400 from the stub by default)."""
        return HTTPFailure(400, message)

    def require(self, capability: str) -> None:
        if capability in self.cannot:
            pytest.skip(f"{self.name or type(self).__name__} cannot {capability}: {self.cannot[capability]}")

    @pytest.fixture(autouse=True)
    def _fresh(self) -> Iterator[None]:
        with contextlib.ExitStack() as stack:
            self.stack, self.stub = stack, None
            yield

    def test_plain_answer(self) -> None:
        out = Agent(model=self.model(["Paris is the capital of France."])).run("Capital of France?")
        assert out.status == "completed" and isinstance(out.content, str) and out.content.strip()
        if self.scripted:
            assert out.content == "Paris is the capital of France."
        assert out.messages[-1].role == "assistant" and out.messages[-1].content == out.content


    def test_streaming_yields_chunks_that_add_up(self) -> None:
        agent = Agent(model=self.model(["one two three four five"]))
        stream = agent.run("Count to five", stream=True, stream_events=True)
        events = list(stream)
        chunks = [e.content for e in events if e.event == "RunContent"]
        assert len(chunks) >= 3 and "".join(chunks) == stream.run_output.content
        names = event_names(events)
        assert names[0] == "RunStarted" and names[-1] == "RunCompleted"
        assert names.index("ModelRequestStarted") < names.index("RunContent") < names.index("ModelRequestCompleted")


    def test_usage_and_timing_are_reported(self) -> None:
        out = Agent(model=self.model(["a b c"])).run("Say three letters")
        m = out.metrics
        assert m.input_tokens > 0 and m.output_tokens > 0 and m.total_tokens == m.input_tokens + m.output_tokens
        assert m.time_to_first_token is not None and m.duration is not None
        assert 0 < m.time_to_first_token <= m.duration
        assert m.details is not None and m.details["model"][0].output_tokens == m.output_tokens


    def test_one_tool_call(self) -> None:
        self.require("call tools")
        model = self.model([[ToolCall("add", {"a": 2, "b": 3})], "The sum is 5."])
        out = Agent(model=model, tools=[add]).run("What is 2 + 3?")
        assert [t.result for t in out.tools] == ["5"] and out.content == "The sum is 5."
        assert [m.role for m in out.messages] == ["user", "assistant", "tool", "assistant"]
        if self.stub is not None:  # the provider sent the tool result back correctly
            sent = self.stub.requests[1].body["messages"]
            assert sent[1]["tool_calls"][0]["function"]["name"] == "add"
            expected = {"role": "tool", "content": "5", "tool_call_id": out.tools[0].tool_call_id}
            if self.name == "litellm":  # litellm's translations to other providers use the tool's name
                expected["name"] = "add"
            assert sent[2] == expected
            assert self.stub.requests[0].body["tools"][0]["function"]["name"] == "add"


    def test_several_tool_calls_in_one_turn(self) -> None:
        self.require("call tools")
        calls = [ToolCall("add", {"a": 1, "b": 1}), ToolCall("add", {"a": 20, "b": 22}), ToolCall("add", {"a": -1, "b": 1})]
        out = Agent(model=self.model([calls, "Done."]), tools=[add]).run("Three sums")
        assert [t.result for t in out.tools] == ["2", "42", "0"]
        assert [t.tool_call_id for t in out.tools] == [c.id for c in calls]


    def test_tool_error_recovery(self) -> None:
        self.require("call tools")
        model = self.model([[ToolCall("add", '{"a": 1, "b": ')], [ToolCall("add", {"a": 1, "b": 2})], "3."])
        agent = Agent(model=model, tools=[add])
        events = list(agent.run("1 + 2", stream=True, stream_events=True))
        assert event_names(events).count("ToolCallError") == 1 and event_names(events)[-1] == "RunCompleted"
        error = [e for e in events if e.event == "ToolCallError"][0]
        assert "not valid JSON" in (getattr(error, "error", None) or "")


    def test_custom_events_from_tools(self) -> None:
        self.require("call tools")
        model = self.model([[ToolCall("progress_tool", {"steps": 3})], "All done."])
        events = list(Agent(model=model, tools=[progress_tool]).run("work", stream=True))
        assert [e.step for e in events if isinstance(e, Progress)] == [1, 2, 3]
        assert event_names(events)[-1] == "RunContent"


    def test_structured_output(self) -> None:
        self.require("follow a script")
        model = self.model(['{"name": "Paris", "country": "France"}'])
        out = Agent(model=model, output_schema=City).run("A city")
        assert out.content == City(name="Paris", country="France") and out.content_type == "City"
        if self.stub is not None:
            fmt = self.stub.requests[0].body["response_format"]
            assert fmt["type"] == "json_schema" and fmt["json_schema"]["schema"]["properties"]["name"]["type"] == "string"


    def test_reasoning_content(self) -> None:
        self.require("follow a script")
        model = self.model([Reply(reasoning="Think about it.", content="Yes.")])
        out = Agent(model=model, store_events=True, events_to_skip=[]).run("?")
        assert out.reasoning_content == "Think about it." and out.content == "Yes."
        assert "ReasoningContentDelta" in event_names(out.events or [])


    def test_errors_end_the_run_clearly_and_keep_what_was_produced(self) -> None:
        self.require("fail on request")
        failure = self.failure("bad request")
        model = self.model([[ToolCall("add", {"a": 1, "b": 1})], failure])
        with pytest.raises(RunFailedError, match="bad request") as info:
            Agent(model=model, tools=[add]).run("x")
        out = info.value.run_output
        assert out.status == "error" and out.tools[0].result == "2"
        assert CANARY_KEY not in json.dumps(out.to_dict(), default=str)
