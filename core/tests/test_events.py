"""The event taxonomy, and round-trips of events and outputs through dicts and JSON."""

import json
import subprocess
import sys
from dataclasses import dataclass
from typing import Optional

import pytest

from runwire.agent import Agent, RunOutput
from runwire.run import agent as run_agent
from runwire.run.agent import CustomEvent, RunEvent, run_output_event_from_dict
from runwire.testing import Reply, ScriptedModel, ToolCall

SEED_TABLE = [
    "RunStarted", "RunContent", "RunIntermediateContent", "RunCompleted", "RunError", "RunCancelled",
    "RunPaused", "RunContinued", "ToolCallStarted", "ToolCallCompleted",
    "ReasoningStarted", "ReasoningStep", "ReasoningCompleted", "MemoryUpdateStarted", "MemoryUpdateCompleted",
    "ParserModelResponseStarted", "ParserModelResponseCompleted",
    "OutputModelResponseStarted", "OutputModelResponseCompleted", "CustomEvent",
]
EXTRA = ["ToolCallError", "ModelRequestStarted", "ModelRequestCompleted", "RunContentCompleted", "ReasoningContentDelta"]


@pytest.mark.parametrize("name", SEED_TABLE + EXTRA)
def test_every_event_of_the_table_has_a_class(name):
    cls = getattr(run_agent, name if name == "CustomEvent" else name + "Event")
    assert RunEvent(name).value == name
    assert cls().event == name


@dataclass
class CustomerProfileEvent(CustomEvent):
    customer_name: Optional[str] = None
    customer_email: Optional[str] = None


def _all_events_run():
    def lookup(city: str):
        yield CustomerProfileEvent(customer_name="Ann", customer_email="ann@example.com")
        yield f"rain in {city}"

    def broken() -> str:
        raise KeyError("nope")

    model = ScriptedModel([
        Reply(reasoning="let me see", tool_calls=[ToolCall("lookup", {"city": "Oslo"}), ToolCall("broken", {})]),
        "Rain in Oslo.",
    ])
    agent = Agent(model=model, tools=[lookup, broken], store_events=True, events_to_skip=[], name="n")
    return agent.run("x")


def test_every_event_and_the_output_round_trip_through_json():
    out = _all_events_run()
    names = {e.event for e in out.events}
    assert {"CustomEvent", "ToolCallError", "ToolCallCompleted", "ReasoningContentDelta", "RunCompleted"} <= names
    for event in out.events:
        data = json.loads(event.to_json())
        rebuilt = run_output_event_from_dict(data)
        assert type(rebuilt) is type(event)
        assert rebuilt == event and rebuilt.to_dict() == event.to_dict()
    custom = [e for e in out.events if e.event == "CustomEvent"][0]
    assert isinstance(run_output_event_from_dict(custom.to_dict()), CustomerProfileEvent)
    completed = [e for e in out.events if e.event == "ToolCallCompleted"][0]
    assert type(run_output_event_from_dict(completed.to_dict()).tool).__name__ == "ToolExecution"

    rebuilt = RunOutput.from_dict(json.loads(out.to_json()))
    assert rebuilt.to_dict() == out.to_dict()
    assert rebuilt.metrics.details["model"][0].output_tokens == out.metrics.details["model"][0].output_tokens
    assert rebuilt.messages[1].tool_calls[0].name == "lookup"
    assert [type(e) for e in rebuilt.events] == [type(e) for e in out.events]


def test_unknown_custom_event_class_is_kept_with_its_fields():
    data = {"event": "CustomEvent", "event_class": "NotImportedHere", "run_id": "r", "score": 3}
    event = run_output_event_from_dict(data)
    assert isinstance(event, CustomEvent) and event.score == 3 and event.run_id == "r"


def test_event_dict_without_name_is_a_clear_error():
    with pytest.raises(ValueError, match="needs an 'event' key"):
        run_output_event_from_dict({"content": "x"})


def test_tool_snapshots_in_events_do_not_change_afterwards():
    out = _all_events_run()
    started = [e for e in out.events if e.event == "ToolCallStarted"][0]
    assert started.tool.status == "running" or started.tool.status == "pending"
    assert out.tools[0].status == "completed"


def test_pprint_works_when_stdout_is_not_a_terminal():
    code = (
        "from runwire.agent import Agent\n"
        "from runwire.testing import ScriptedModel\n"
        "from runwire.utils.pprint import pprint_run_response\n"
        "a = Agent(model=ScriptedModel(['# Title\\n\\nA **bold** robot.', 'streamed words here']))\n"
        "pprint_run_response(a.run('x'), markdown=True)\n"
        "pprint_run_response(a.run('y', stream=True), markdown=True)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "Title" in result.stdout and "bold robot" in result.stdout and "**" not in result.stdout
    assert "streamed words here" in result.stdout


def test_import_runwire_is_cheap():
    code = "import sys, runwire; print(sorted(m for m in ('rich', 'httpx', 'pydantic', 'litellm', 'llama_cpp', 'pluggy') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "[]"
    code = "import sys; from runwire.agent import Agent; print(sorted(m for m in ('rich', 'httpx', 'litellm', 'llama_cpp') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "[]"
