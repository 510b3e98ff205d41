"""runwire-openai against a real local OpenAI-compatible server."""

import json
import os
import subprocess
import sys

import pytest

from runwire.agent import Agent
from runwire.exceptions import RunFailedError
from runwire.testing.openai_stub import BrokenStream, HTTPFailure, OpenAIStub
from runwire_openai import OpenAIChat

KEY = "sk-canary-9f8e7d6c5b4a39281706f5e4"


def test_model_strings_and_streaming():
    assert isinstance(Agent(model="openai:gpt-5-mini").get_model(), OpenAIChat)
    with OpenAIStub(["one two three", "four five"]) as stub:
        agent = Agent(model=OpenAIChat(id="m", base_url=stub.url, api_key=KEY))
        out = agent.run("count")
        assert out.content == "one two three" and out.metrics.output_tokens == 3
        assert stub.requests[0].headers["authorization"] == f"Bearer {KEY}"
        stream = agent.run("count on", stream=True)
        assert [e.content for e in stream] == ["four ", "five"] and stream.run_output.metrics.output_tokens == 2
        assert stub.requests[1].body["stream_options"] == {"include_usage": True}


def test_rate_limit_retried_by_the_client_then_clear_errors():
    with OpenAIStub([HTTPFailure(429, "slow down", {"retry-after": "0"}), "fine"]) as stub:
        out = Agent(model=OpenAIChat(id="m", base_url=stub.url, api_key=KEY, max_retries=2)).run("x")
        assert out.content == "fine" and len(stub.requests) == 2
    with OpenAIStub([HTTPFailure(401, f"bad key {KEY}")]) as stub:
        with pytest.raises(RunFailedError) as info:
            Agent(model=OpenAIChat(id="m", base_url=stub.url, api_key=KEY, max_retries=0)).run("x")
    assert "API key was missing or refused" in str(info.value) and KEY not in str(info.value)
    with OpenAIStub([HTTPFailure(400, "too long", code="context_length_exceeded")]) as stub:
        with pytest.raises(RunFailedError, match="context window"):
            Agent(model=OpenAIChat(id="m", base_url=stub.url, api_key=KEY, max_retries=0)).run("x")


def test_missing_key_is_explained(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(RunFailedError, match="set OPENAI_API_KEY"):
        Agent(model=OpenAIChat(id="m", base_url="http://127.0.0.1:9/v1")).run("x")


def test_broken_stream_keeps_partial_content():
    with OpenAIStub([BrokenStream("a b c d e f", after_chunks=3)]) as stub:
        stream = Agent(model=OpenAIChat(id="m", base_url=stub.url, api_key=KEY)).run("x", stream=True)
        events = list(stream)
    assert events[-1].event == "RunError" and stream.run_output.content == "a b "
    assert KEY not in json.dumps(stream.run_output.to_dict(), default=str)


def test_import_is_cheap():
    code = "import sys, runwire_openai, runwire_openai.plugin; print('openai' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=dict(os.environ))
    assert result.stdout.strip() == "False"
