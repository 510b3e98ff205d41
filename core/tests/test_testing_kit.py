"""runwire.testing as plugin authors use it: the pytest fixtures and the scripted model's contract."""

import pytest

from runwire.agent import Agent
from runwire.exceptions import RunFailedError
from runwire.testing import Reply, ScriptedModel, ToolCall
from runwire.testing.events import assert_event_sequence


def test_fixtures_from_the_pytest_plugin(runwire_registry, scripted_model):
    assert "scripted" in runwire_registry.models and "jsonl" in runwire_registry.sinks
    scripted_model.add("first answer", "second answer")
    agent = Agent(model=scripted_model, store_events=True)
    assert agent.run("a").content == "first answer"
    assert_event_sequence(agent.run("b").events, ["RunStarted", "ModelRequestStarted", "ModelRequestCompleted",
                                                   "RunContentCompleted", "RunCompleted"])
    assert scripted_model.remaining == 0 and len(scripted_model.requests) == 2


def test_assert_event_sequence_shows_both_sides():
    with pytest.raises(AssertionError, match=r"expected: \['RunStarted'\]\n  actual:   \[\]"):
        assert_event_sequence([], ["RunStarted"])


def test_scripted_turn_kinds():
    model = ScriptedModel([
        ToolCall("echo", {"text": "x"}),
        Reply(content="with reasoning", reasoning="hmm"),
        lambda request: f"saw {len(request.messages)} messages",
        ValueError("scripted failure"),
    ])

    def echo(text: str) -> str:
        return text

    agent = Agent(model=model, tools=[echo])
    assert agent.run("go").reasoning_content == "hmm"
    assert agent.run("again").content == "saw 1 messages"
    with pytest.raises(RunFailedError, match="scripted failure"):
        agent.run("fail")


def test_scripted_provider_strings():
    assert Agent(model="scripted:echo").run("repeat me").content == "repeat me"
    assert Agent(model="scripted:always this").run("anything").content == "always this"
