"""Agno's Input & Output page and cookbook (02_input_output), reasoning, and the names Agno code imports."""

import asyncio
import datetime
import json
import subprocess
import sys
from dataclasses import dataclass
from typing import ClassVar

import pytest
from pydantic import BaseModel

from runwire.agent import Agent, RunOutput
from runwire.media import Image
from runwire.run.agent import CustomEvent, ReasoningSteps
from runwire.testing import ScriptedModel
from runwire.testing.scripted import Reply

WHEN = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)


# -- media alone ---------------------------------------------------------------------------------------
def test_media_alone_is_a_valid_input(model):
    agent = Agent(model=model(["A cat on a mat."]))
    out = agent.run(None, images=[Image(url="https://example.com/cat.png")])
    assert out.content == "A cat on a mat." and out.images[0].url == "https://example.com/cat.png"
    (user,) = [m for m in out.messages if m.role == "user"]
    assert user.images[0].url == "https://example.com/cat.png" and not user.content
    with pytest.raises(TypeError, match="run input is None: give a prompt"):
        agent.run(None)


def test_media_alone_reaches_an_openai_compatible_server_as_image_parts():
    pytest.importorskip("runwire_openai")
    from runwire_openai import OpenAIChat

    from runwire.testing.openai_stub import OpenAIStub

    with OpenAIStub(["A cat."]) as stub:
        agent = Agent(model=OpenAIChat(id="gpt-5-mini", base_url=stub.url, api_key="sk-test-0000", max_retries=0))
        agent.run(None, images=[Image(url="https://example.com/cat.png")])
    (user,) = [m for m in stub.requests[-1].body["messages"] if m["role"] == "user"]
    assert user["content"] == [{"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}]


# -- yield_run_output ------------------------------------------------------------------------------------
def test_yield_run_output_puts_the_run_output_last(model):
    agent = Agent(model=model(["Hello world."]))
    items = list(agent.run("hi", stream=True, yield_run_output=True))
    assert [type(i).__name__ for i in items] == ["RunContentEvent", "RunContentEvent", "RunOutput"]
    assert isinstance(items[-1], RunOutput) and items[-1].content == "Hello world."

    async def main():
        return [i async for i in agent.arun("hi", stream=True, stream_events=True, yield_run_output=True)]

    agent = Agent(model=model(["Hello world."]))
    items = asyncio.run(main())
    assert items[-2].event == "RunCompleted" and isinstance(items[-1], RunOutput)


# -- output model: one answer in history -------------------------------------------------------------------
def test_output_model_leaves_one_assistant_message_in_history(db):
    main = ScriptedModel(["rough notes", "more rough notes"])
    writer = ScriptedModel(["Polished answer.", "Second answer."])
    agent = Agent(model=main, output_model=writer, db=db, add_history_to_context=True)
    first = agent.run("question one")
    assert [m.content for m in first.messages if m.role == "assistant"] == ["Polished answer."]
    agent.run("question two")
    replayed = [m for m in main.requests[-1].messages if m.role == "assistant"]
    assert [m.content for m in replayed] == ["Polished answer."]  # not the notes and the answer both


# -- reasoning ------------------------------------------------------------------------------------------------
def test_native_reasoning_model_streams_its_reasoning(model):
    reasoner = model([Reply(reasoning="The user wants a film. Alien is a classic.", content="Alien")])
    agent = Agent(model=model(["Watch Alien."]), reasoning_model=reasoner, store_events=True, events_to_skip=[])
    out = agent.run("Recommend a film")
    names = [e.event for e in out.events]
    assert names[:2] == ["RunStarted", "ReasoningStarted"] and names.count("ReasoningContentDelta") == 9  # one per word
    completed = next(e for e in out.events if e.event == "ReasoningCompleted")
    assert completed.content_type == "ReasoningSteps" and isinstance(completed.content, ReasoningSteps)
    assert completed.content.reasoning_steps[0].result == "The user wants a film. Alien is a classic."
    assert out.reasoning_content == "The user wants a film. Alien is a classic." and out.content == "Watch Alien."
    assert set(out.metrics.details) == {"model", "reasoning_model"}


def test_step_reasoning_completes_with_the_steps_object():
    steps = '{"steps": [{"title": "Understand", "reasoning": "A film is asked for"}]}'
    agent = Agent(model=ScriptedModel(["Alien."]), reasoning=True, reasoning_model=ScriptedModel([steps]))
    events = list(agent.run("film?", stream=True, stream_events=True))
    completed = next(e for e in events if e.event == "ReasoningCompleted")
    assert completed.content_type == "ReasoningSteps"
    assert [s.title for s in completed.content.reasoning_steps] == ["Understand"]


# -- JSON: ISO 8601 on the wire, native values from to_dict() -------------------------------------------------
class Meeting(BaseModel):
    title: str
    when: datetime.datetime


@dataclass
class Scheduled(CustomEvent):
    event_name: ClassVar[str] = "Scheduled"
    at: datetime.datetime = WHEN


def test_datetimes_are_iso_8601_in_json_and_native_in_to_dict():
    event = Scheduled()
    assert event.to_dict()["at"] is WHEN
    assert json.loads(event.to_json())["at"] == "2026-01-02T03:04:05+00:00"
    assert event.to_json_dict()["at"] == "2026-01-02T03:04:05+00:00"

    answer = '{"title": "Standup", "when": "2026-01-02T03:04:05Z"}'
    agent = Agent(model=ScriptedModel([answer]), output_schema=Meeting, store_events=True, events_to_skip=[])
    out = agent.run("when?")
    # As in Agno: the RunOutput dumps a pydantic content in JSON mode, an event in Python mode.
    assert out.to_dict()["content"]["when"] == "2026-01-02T03:04:05Z"
    assert out.events[-3].event == "RunContent" and out.events[-3].to_dict()["content"]["when"] == WHEN
    assert json.loads(out.to_json())["content"]["when"] == "2026-01-02T03:04:05Z"
    out.content = {"when": WHEN}  # other values stay native
    assert out.to_dict()["content"]["when"] is WHEN
    assert json.loads(out.to_json())["content"]["when"] == "2026-01-02T03:04:05+00:00"
    out.metadata = {"due": WHEN}
    assert out.to_dict()["metadata"]["due"] is WHEN
    assert json.loads(out.to_json())["metadata"]["due"] == "2026-01-02T03:04:05+00:00"


def test_storage_writes_datetimes_in_iso_8601(db):
    from runwire.testing import ToolCall

    def schedule() -> object:
        """Schedule the meeting."""
        yield Scheduled()
        yield "scheduled"

    agent = Agent(model=ScriptedModel([[ToolCall("schedule", {})], "Done."]), tools=[schedule], db=db)
    out = agent.run("schedule it")
    (stored,) = [e for e in agent.get_run_events(out.run_id) if e.event == "Scheduled"]
    assert stored.to_json_dict()["at"] == "2026-01-02T03:04:05+00:00"  # not str(datetime): "2026-01-02 03:04:05+00:00"
    assert stored.at == Scheduled().at  # and read back as the datetime the event class declares


def test_every_event_has_content_as_in_agno():
    agent = Agent(model=ScriptedModel(["Hi there."]))
    printed = [(e.event, e.content) for e in agent.run("x", stream=True, stream_events=True)]
    assert ("RunStarted", None) in printed and ("RunContent", "Hi ") in printed
    assert printed[-1] == ("RunCompleted", "Hi there.")


def test_run_metadata_reaches_the_output_and_the_completed_event():
    agent = Agent(model=ScriptedModel(["ok"]))
    events = list(agent.run("x", stream=True, stream_events=True, metadata={"ticket": 42}))
    assert events[-1].metadata == {"ticket": 42} and events[-1].session_state == {}


# -- Agno's names ----------------------------------------------------------------------------------------------
# Every run-API name ``agno.run.agent`` (3.1.10) exports.
AGNO_RUN_AGENT_NAMES = """
BaseAgentRunEvent BaseRunOutputEvent CompactionCompletedEvent CompactionStartedEvent CompressionCompletedEvent
CompressionStartedEvent CustomEvent FollowupsCompletedEvent FollowupsStartedEvent IntermediateRunContentEvent
MemoryUpdateCompletedEvent MemoryUpdateStartedEvent ModelRequestCompletedEvent ModelRequestStartedEvent
OutputModelResponseCompletedEvent OutputModelResponseStartedEvent ParserModelResponseCompletedEvent
ParserModelResponseStartedEvent PostHookCompletedEvent PostHookStartedEvent PreHookCompletedEvent PreHookStartedEvent
RUN_EVENT_TYPE_REGISTRY RUN_OUTPUT_EVENT_TYPES ReasoningCompletedEvent ReasoningContentDeltaEvent
ReasoningStartedEvent ReasoningStep ReasoningStepEvent RunCancelledEvent RunCompletedEvent RunContentCompletedEvent
RunContentEvent RunContinuedEvent RunErrorEvent RunEvent RunInput RunMetrics RunOutput RunOutputEvent RunPausedEvent
RunRequirement RunStartedEvent RunStatus SessionSummaryCompletedEvent SessionSummaryStartedEvent
ToolCallCompletedEvent ToolCallErrorEvent ToolCallStartedEvent ToolExecution run_output_event_from_dict
Message Image Audio Video File
""".split()


def test_every_agno_run_agent_name_is_exported():
    import runwire.run.agent as module

    missing = [name for name in AGNO_RUN_AGENT_NAMES if name not in module.__all__ or not hasattr(module, name)]
    assert missing == []
    assert module.IntermediateRunContentEvent is module.RunIntermediateContentEvent
    # Agno's registry maps every event name (those runwire never emits included) to its class.
    assert len(module.RUN_EVENT_TYPE_REGISTRY) == len(module.RunEvent) == 37
    for name, cls in module.RUN_EVENT_TYPE_REGISTRY.items():
        assert module.run_output_event_from_dict(cls().to_json_dict()).event == name


SNIPPET = '''
from runwire.agent import Agent
from runwire.run.agent import CustomEvent, IntermediateRunContentEvent, RunEvent, RunPausedEvent, RunRequirement

class Progress(CustomEvent):
    percent: int = 0

ok: bool = Agent.cancel_run("run-1")
ok2: bool = Agent(model="scripted:hi").cancel_run("run-1", reason="stop")
event = IntermediateRunContentEvent(content="x")
name: str = RunEvent.run_paused.value
paused = RunPausedEvent()
requirements: list[RunRequirement] = paused.active_requirements
flag: bool = paused.is_paused
'''


def test_agno_names_type_check(tmp_path):
    """``from runwire.run.agent import CustomEvent`` and friends are seen by mypy (static exports)."""
    path = tmp_path / "uses_agno_names.py"
    path.write_text(SNIPPET)
    result = subprocess.run([sys.executable, "-m", "mypy", str(path), "--ignore-missing-imports", "--no-incremental"],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout
