"""The model conformance suite (runwire.testing.conformance) run on every provider plugin of this repository.

Scripted harnesses play the script exactly (the scripted model; litellm and openai against the local
OpenAI-compatible stub); the llamacpp harness runs the real local model and declares what it cannot do.
"""

from __future__ import annotations

from typing import Any

import pytest

from runwire.testing import ScriptedModel
from runwire.testing.conformance import CANARY_KEY, ModelConformance
from runwire.testing.openai_stub import OpenAIStub


class TestScripted(ModelConformance):
    name = "scripted"

    def model(self, turns: list[Any]) -> Any:
        return ScriptedModel(turns)

    def failure(self, message: str) -> Any:
        return ValueError(message)


class TestLiteLLM(ModelConformance):
    name = "litellm"
    tool_messages_named = True

    def model(self, turns: list[Any]) -> Any:
        from runwire_litellm import LiteLLM

        self.stub = self.stack.enter_context(OpenAIStub(turns))
        return LiteLLM(id="openai/stub-model", api_base=self.stub.url, api_key=CANARY_KEY, max_retries=2, backoff=0.01)


class TestLiteLLMLean(ModelConformance):
    name = "litellm-lean"

    def model(self, turns: list[Any]) -> Any:
        from runwire_litellm import LiteLLM

        self.stub = self.stack.enter_context(OpenAIStub(turns))
        return LiteLLM(id="openai/stub-model", api_base=self.stub.url, api_key=CANARY_KEY, max_retries=0, lean=True)


class TestOpenAI(ModelConformance):
    name = "openai"

    def model(self, turns: list[Any]) -> Any:
        from runwire_openai import OpenAIChat

        self.stub = self.stack.enter_context(OpenAIStub(turns))
        return OpenAIChat(id="stub-model", base_url=self.stub.url, api_key=CANARY_KEY, max_retries=0)


class TestOpenAISDK(ModelConformance):
    name = "openai-sdk"

    def model(self, turns: list[Any]) -> Any:
        pytest.importorskip("openai", reason="the official openai client is not installed")
        from runwire_openai import OpenAIChat

        self.stub = self.stack.enter_context(OpenAIStub(turns))
        return OpenAIChat(id="stub-model", base_url=self.stub.url, api_key=CANARY_KEY, max_retries=0, use_sdk=True)


@pytest.mark.llamacpp
class TestLlamaCpp(ModelConformance):
    name = "llamacpp"
    scripted = False
    cannot = {
        "call tools": "Gemma 3 270M's chat format has no function calling (with chatml-function-calling and a "
                      "forced tool_choice it makes grammar-constrained calls: plugins/llamacpp tests that)",
        "follow a script": "a real model answers what it answers",
        "fail on request": "a local model has no provider errors to script",
    }

    def model(self, turns: list[Any]) -> Any:
        from runwire_llamacpp import LlamaCpp

        return LlamaCpp(max_tokens=8, temperature=0.0)
