"""runwire-litellm against a real local OpenAI-compatible server: retries, errors, secrets, media, cost."""

import json
import logging
import os
import subprocess
import sys
import time

import pytest

from runwire.agent import Agent
from runwire.exceptions import RunFailedError
from runwire.media import File, Image
from runwire.testing import ToolCall
from runwire.testing.openai_stub import BrokenStream, HTTPFailure, OpenAIStub
from runwire_litellm import LiteLLM

KEY = "sk-canary-0a1b2c3d4e5f60718293a4b5"


def model(stub, **kwargs):
    kwargs.setdefault("api_key", KEY)
    kwargs.setdefault("backoff", 0.01)
    return LiteLLM(id=kwargs.pop("id", "openai/stub-model"), api_base=kwargs.pop("api_base", stub.url), **kwargs)


def test_rate_limit_is_retried_honouring_retry_after():
    with OpenAIStub([HTTPFailure(429, "slow down", {"retry-after": "0.3"}, error_type="rate_limit_error"), "finally"]) as stub:
        started = time.perf_counter()
        out = Agent(model=model(stub)).run("x")
        assert out.content == "finally" and len(stub.requests) == 2
        assert time.perf_counter() - started >= 0.3


def test_retries_are_bounded_and_say_so():
    failures = [HTTPFailure(503, "overloaded", error_type="server_error")] * 3
    with OpenAIStub(failures) as stub:
        with pytest.raises(RunFailedError, match=r"unavailable|server error") as info:
            Agent(model=model(stub, max_retries=2)).run("x")
        assert len(stub.requests) == 3 and "gave up after 3 attempts" in str(info.value)


@pytest.mark.parametrize(
    "failure, needle",
    [
        (HTTPFailure(401, f"Incorrect API key provided: {KEY}", error_type="invalid_request_error"), "API key was missing or refused"),
        (HTTPFailure(404, "The model `gpt-nope` does not exist", error_type="invalid_request_error", code="model_not_found"),
         "check the model name"),
        (HTTPFailure(400, "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens",
                     code="context_length_exceeded"), "context window"),
    ],
)
def test_errors_name_provider_model_and_fix(failure, needle):
    with OpenAIStub([failure]) as stub:
        with pytest.raises(RunFailedError) as info:
            Agent(model=model(stub)).run("x")
    message = str(info.value)
    assert needle in message and "openai/stub-model" in message and "litellm" in message and "To fix:" in message
    assert KEY not in message and len(stub.requests) == 1  # not retried


def test_timeout_is_reported():
    with OpenAIStub(["late answer"], chunk_delay=1.0) as stub:
        with pytest.raises(RunFailedError, match="timed out|could not be reached"):
            Agent(model=model(stub, timeout=0.3, max_retries=0)).run("x")


def test_broken_stream_keeps_what_was_streamed():
    with OpenAIStub([BrokenStream("one two three four five six", after_chunks=4)]) as stub:
        agent = Agent(model=model(stub), store_events=True)
        stream = agent.run("x", stream=True)
        events = list(stream)
    assert events[-1].event == "RunError" and "what was produced is kept" in events[-1].content
    out = stream.run_output
    assert out.status == "error" and out.content == "one two three "


def test_missing_key_says_which_variable_to_set(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with OpenAIStub([HTTPFailure(401, "no key")]) as stub:
        with pytest.raises(RunFailedError, match="OPENAI_API_KEY"):
            Agent(model=LiteLLM(id="openai/stub-model", api_base=stub.url, max_retries=0)).run("x")


def test_missing_key_fails_at_once_without_retries_or_requests(monkeypatch):
    # litellm says which variables a model needs: checked before any request, so no retries, no "try again later"
    for name in ("ANTHROPIC_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    with OpenAIStub(["never sent"]) as stub:
        with pytest.raises(RunFailedError) as info:
            Agent(model=LiteLLM(id="anthropic/claude-3-5-sonnet", api_base=stub.url, max_retries=3)).run("x")
        assert stub.requests == []
    message = str(info.value)
    assert "no API key. To fix: set ANTHROPIC_API_KEY in the environment or pass LiteLLM(api_key=...)" in message
    assert "attempts" not in message and "try again" not in message
    with pytest.raises(RunFailedError, match=r"set one of GOOGLE_API_KEY, GEMINI_API_KEY|set one of GEMINI_API_KEY"):
        Agent(model=LiteLLM(id="gemini/gemini-2.0-flash", max_retries=3)).run("x")


def test_the_key_never_leaks_into_events_outputs_logs_or_errors(caplog, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    with caplog.at_level(logging.DEBUG):
        with OpenAIStub([[ToolCall("echo", {"text": "hi"})], HTTPFailure(500, f"boom {KEY}"), HTTPFailure(500, f"boom {KEY}")]) as stub:
            def echo(text: str) -> str:
                return text

            with pytest.raises(RunFailedError) as info:
                Agent(model=model(stub, api_base=stub.url + f"?key={KEY}", max_retries=1), tools=[echo],
                      store_events=True, events_to_skip=[]).run("x")
            assert stub.requests[0].headers["authorization"] == f"Bearer {KEY}"  # it was really sent
    out = info.value.run_output
    everything = json.dumps(out.to_dict(), default=str) + str(info.value) + repr(out.events) + caplog.text
    everything += repr(Agent(model=model(stub)).get_model())
    assert KEY not in everything


def test_media_go_as_content_parts(tmp_path):
    pdf = tmp_path / "doc.pdf"
    pdf.write_bytes(b"%PDF-1.4 tiny")
    with OpenAIStub(["seen"]) as stub:
        Agent(model=model(stub)).run("describe", images=[Image(url="https://example.com/a.jpg")], files=[File(filepath=pdf)])
        content = stub.requests[0].body["messages"][-1]["content"]
    kinds = [part["type"] for part in content]
    assert kinds == ["text", "image_url", "file"]
    assert content[1]["image_url"]["url"] == "https://example.com/a.jpg"
    assert content[2]["file"]["file_data"].startswith("data:application/pdf;base64,")


def test_usage_and_cost_for_a_known_model():
    with OpenAIStub(["one two three"]) as stub:
        out = Agent(model=model(stub, id="openai/gpt-4o-mini")).run("count")
    assert out.metrics.output_tokens == 3 and out.metrics.cost is not None and out.metrics.cost > 0


def test_an_unpriced_model_has_no_cost_until_a_price_is_registered():
    import litellm

    name = "openai/runwire-unpriced-model"
    with OpenAIStub(["one two three", "four five"]) as stub:
        agent = Agent(model=model(stub, id=name))
        first = agent.run("a")
        assert first.metrics.output_tokens == 3 and first.metrics.cost is None
        litellm.register_model({name: {"input_cost_per_token": 1e-6, "output_cost_per_token": 2e-6,
                                       "litellm_provider": "openai", "mode": "chat"}})
        try:
            second = agent.run("b")
        finally:
            litellm.model_cost.pop(name, None)
    assert second.metrics.cost == second.metrics.input_tokens * 1e-6 + 2 * 2e-6


def test_bare_model_ids_go_to_litellm():
    resolved = Agent(model="openai/gpt-5-mini").get_model()
    assert isinstance(resolved, LiteLLM) and resolved.id == "openai/gpt-5-mini"
    assert isinstance(Agent(model="litellm:anthropic/claude-x").get_model(), LiteLLM)


def test_importing_the_plugin_does_not_import_litellm():
    code = ("import sys, time; t = time.perf_counter(); import runwire_litellm, runwire_litellm.plugin; "
            "print('litellm' in sys.modules, (time.perf_counter() - t) * 1000)")
    env = {k: v for k, v in os.environ.items() if k != "LITELLM_LOCAL_MODEL_COST_MAP"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    loaded, _ms = result.stdout.split()
    assert loaded == "False", result.stderr
    code = "from runwire_litellm.model import load_litellm; import os; load_litellm(); print(os.environ['LITELLM_LOCAL_MODEL_COST_MAP'])"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert result.stdout.strip() == "True" and "Failed to fetch remote model cost map" not in result.stderr
