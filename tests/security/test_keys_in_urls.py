"""A key carried in a base URL, or echoed back by a provider, shows nowhere: reprs, errors, their hidden context."""

import traceback

import pytest

from runwire.agent import Agent
from runwire.exceptions import ModelError, RunFailedError
from runwire.testing.openai_stub import HTTPFailure, OpenAIStub
from runwire.utils.redact import redact, redact_url, url_secrets

KEY = "azkey-0123456789abcdef"  # matches none of the key-shaped patterns: only knowing the URL finds it
API_KEY = "sk-test-0123456789"


def _openai(url):
    pytest.importorskip("openai")
    from runwire_openai import OpenAIChat

    return OpenAIChat("stub", base_url=url, api_key=API_KEY)


def _litellm(url):
    pytest.importorskip("litellm")
    from runwire_litellm import LiteLLM

    return LiteLLM("openai/stub", api_base=url, api_key=API_KEY, max_retries=0)


def _chain(exc):
    """Every exception reachable from ``exc``: causes and the hidden ``__context__`` alike."""
    seen, todo = [], [exc]
    while todo:
        e = todo.pop()
        if e is None or any(e is s for s in seen):
            continue
        seen.append(e)
        todo += [e.__cause__, e.__context__]
    return seen


@pytest.mark.parametrize("make", [_openai, _litellm], ids=["openai", "litellm"])
@pytest.mark.parametrize("param", ["api-key", "key", "code", "x-custom"])
def test_a_key_in_the_base_url_query_is_not_in_the_reprs(make, param):
    model = make(f"http://127.0.0.1:9/v1?{param}={KEY}&api-version=2024-10-21")
    assert KEY not in repr(model) and "api-version=***" in repr(model)
    assert KEY not in repr(Agent(model=model))


@pytest.mark.parametrize("make", [_openai, _litellm], ids=["openai", "litellm"])
def test_a_provider_error_echoing_the_key_is_redacted_down_the_whole_chain(make):
    with OpenAIStub([HTTPFailure(401, f"Incorrect API key provided: {KEY} and {API_KEY}")]) as stub:
        model = make(f"{stub.url}?custom={KEY}")
        with pytest.raises(RunFailedError) as info:
            Agent(model=model).run("hi")
        assert stub.requests  # the server was really reached and answered with the echo
    chain = _chain(info.value)
    assert any(isinstance(e, ModelError) for e in chain)
    text = "".join(traceback.format_exception(info.value))  # what a logger would print, hidden context included
    for e in chain:
        text += str(e) + repr(e) + repr(e.args)
    assert KEY not in text and API_KEY not in text
    assert "Incorrect API key provided: ***" in text


@pytest.mark.parametrize("make", [_openai, _litellm], ids=["openai", "litellm"])
async def test_the_model_error_raised_by_the_provider_has_no_hidden_context(make):
    with OpenAIStub([HTTPFailure(400, f"bad request for key {KEY}")]) as stub:
        model = make(f"{stub.url}?custom={KEY}")
        from runwire.models.base import ModelRequest
        from runwire.models.message import Message

        with pytest.raises(ModelError) as info:
            async for _ in model.astream(ModelRequest(messages=[Message(role="user", content="hi")])):
                pass
    assert info.value.__context__ is None and info.value.__cause__ is None
    assert KEY not in str(info.value)


def test_redact_url_masks_every_query_value_and_the_password():
    url = "https://user:pa55word@host.example/v1?api-version=2024&key=abc&flag#frag"
    assert redact_url(url) == "https://user:***@host.example/v1?api-version=***&key=***&flag#***"
    assert redact_url("http://localhost:8080/v1") == "http://localhost:8080/v1"
    assert redact_url(None) is None
    assert redact_url("redis://:hunter2secret@127.0.0.1:6379/0") == "redis://:***@127.0.0.1:6379/0"
    assert redact_url("postgresql://u:pw@h/db?sslpassword=abc") == "postgresql://u:***@h/db?sslpassword=***"
    assert url_secrets(url) == ["pa55word"]  # short values are not treated as secrets (they are too common)
    assert url_secrets(f"http://h/v1?x={KEY}") == [KEY]
    assert redact(f"GET http://h/v1?my_token={KEY}") == "GET http://h/v1?my_token=***"


def test_storage_and_cancellation_reprs_mask_their_url_credentials():
    postgres = pytest.importorskip("runwire_postgres")
    redis = pytest.importorskip("runwire_redis.cancellation")
    storage = postgres.PostgresStorage(f"postgresql://app:{KEY}@127.0.0.1/db?sslpassword={KEY}")
    cancellation = redis.RedisCancellation(f"redis://:{KEY}@127.0.0.1:6379/0")
    assert KEY not in repr(storage) and KEY not in repr(cancellation)
