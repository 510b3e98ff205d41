"""LiteLLM(lean=True): openai/... ids over runwire-openai's lean HTTP path, against the stub server."""

import pytest

from runwire.agent import Agent
from runwire.testing import ToolCall
from runwire.testing.openai_stub import OpenAIStub
from runwire_litellm import LiteLLM

KEY = "sk-canary-77aa66bb55cc44dd33ee22ff"


def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


def test_openai_ids_go_through_the_lean_path():
    with OpenAIStub([[ToolCall("add", {"a": 2, "b": 3})], "The sum is 5.", "one two three"]) as stub:
        model = LiteLLM(id="openai/stub-model", api_base=stub.url, api_key=KEY, lean=True, temperature=0.1)
        agent = Agent(model=model, tools=[add])
        out = agent.run("2 + 3?")
        assert out.content == "The sum is 5." and out.tools[0].result == "5" and out.metrics.output_tokens > 0
        chunks = [e.content for e in agent.run("count", stream=True) if e.event == "RunContent"]
        assert chunks == ["one ", "two ", "three"]
        bodies = [r.body for r in stub.requests]
        assert [b["stream"] for b in bodies] == [False, False, True]  # litellm itself always streams
        assert bodies[0]["model"] == "stub-model" and bodies[0]["temperature"] == 0.1
        assert stub.requests[0].headers["authorization"] == f"Bearer {KEY}" and stub.connections == 1


def test_lean_refuses_ids_it_cannot_serve():
    with pytest.raises(ValueError, match="drop lean=True"):
        LiteLLM(id="anthropic/claude-sonnet-4-5", lean=True)
