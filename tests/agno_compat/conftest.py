"""Agno cookbook snippets ported to runwire: only the imports and the model changed.

``model`` builds the model a snippet runs on: the scripted model, or runwire's
OpenAI plugin (``OpenAIChat``, the class Agno's cookbook uses) talking to the
OpenAI-compatible stub server over a real socket.
"""

import contextlib

import pytest

from runwire.testing import ScriptedModel
from runwire.testing.openai_stub import OpenAIStub


class Models:
    def __init__(self, kind, stack):
        self.kind, self.stack = kind, stack

    def __call__(self, turns):
        if self.kind == "scripted":
            return ScriptedModel(turns)
        from runwire_openai import OpenAIChat

        stub = self.stack.enter_context(OpenAIStub(turns))
        return OpenAIChat(id="gpt-5-mini", base_url=stub.url, api_key="sk-test-000000000000", max_retries=0)


@pytest.fixture(params=["scripted", "openai-stub"])
def model(request):
    if request.param != "scripted":
        pytest.importorskip("runwire_openai")
    with contextlib.ExitStack() as stack:
        yield Models(request.param, stack)


@pytest.fixture
def db(tmp_path):
    return f"sqlite:///{tmp_path}/agno_compat.db"
