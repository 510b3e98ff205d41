"""Harnesses for the model conformance suite: one per provider plugin.

Each harness turns a script of turns into a Model of its provider. Scripted
harnesses (scripted, litellm against a local OpenAI-compatible server) play the
script exactly; the llamacpp harness runs the real local model and declares
what it cannot do, each with the reason.
"""

from __future__ import annotations

import contextlib
from typing import Any, Callable, Optional

import pytest

from runwire.testing import ScriptedModel
from runwire.testing.openai_stub import OpenAIStub

CANARY_KEY = "sk-canary-5f1d2e3c4b5a69788796a5b4"


class Harness:
    name = ""
    scripted = True
    cannot: dict[str, str] = {}

    def __init__(self, stack: contextlib.ExitStack) -> None:
        self.stack = stack
        self.stub: Optional[OpenAIStub] = None

    def model(self, turns: list[Any]) -> Any:
        raise NotImplementedError

    def require(self, capability: str) -> None:
        if capability in self.cannot:
            pytest.skip(f"{self.name} cannot {capability}: {self.cannot[capability]}")


class ScriptedHarness(Harness):
    name = "scripted"

    def model(self, turns: list[Any]) -> Any:
        return ScriptedModel(turns)


class LiteLLMHarness(Harness):
    name = "litellm"

    def model(self, turns: list[Any]) -> Any:
        from runwire_litellm import LiteLLM

        self.stub = self.stack.enter_context(OpenAIStub(turns))
        return LiteLLM(id="openai/stub-model", api_base=self.stub.url, api_key=CANARY_KEY, max_retries=2, backoff=0.01)


class OpenAIHarness(Harness):
    name = "openai"

    def model(self, turns: list[Any]) -> Any:
        from runwire_openai import OpenAIChat

        self.stub = self.stack.enter_context(OpenAIStub(turns))
        return OpenAIChat(id="stub-model", base_url=self.stub.url, api_key=CANARY_KEY, max_retries=0)


class OpenAISDKHarness(Harness):
    name = "openai-sdk"

    def model(self, turns: list[Any]) -> Any:
        from runwire_openai import OpenAIChat

        self.stub = self.stack.enter_context(OpenAIStub(turns))
        return OpenAIChat(id="stub-model", base_url=self.stub.url, api_key=CANARY_KEY, max_retries=0, use_sdk=True)


class LiteLLMLeanHarness(Harness):
    name = "litellm-lean"

    def model(self, turns: list[Any]) -> Any:
        from runwire_litellm import LiteLLM

        self.stub = self.stack.enter_context(OpenAIStub(turns))
        return LiteLLM(id="openai/stub-model", api_base=self.stub.url, api_key=CANARY_KEY, max_retries=0, lean=True)


class LlamaCppHarness(Harness):
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


HARNESSES: dict[str, Callable[[contextlib.ExitStack], Harness]] = {
    "scripted": ScriptedHarness,
    "litellm": LiteLLMHarness,
    "openai": OpenAIHarness,
    "openai-sdk": OpenAISDKHarness,
    "litellm-lean": LiteLLMLeanHarness,
    "llamacpp": LlamaCppHarness,
}
NEEDS = {"llamacpp": ["runwire_llamacpp"], "litellm": ["runwire_litellm"], "openai": ["runwire_openai"],
         "openai-sdk": ["runwire_openai", "openai"], "litellm-lean": ["runwire_litellm", "runwire_openai"]}


@pytest.fixture(params=list(HARNESSES))
def harness(request: pytest.FixtureRequest):
    for module in NEEDS.get(request.param, []):
        pytest.importorskip(module, reason=f"{module} is not installed")
    with contextlib.ExitStack() as stack:
        yield HARNESSES[request.param](stack)
