"""Code a new user writes; tests/test_typing.py type-checks it with ``mypy --strict`` (it is not run)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import assert_type

from runwire import Agent, CustomEvent, RunStreamEvent, tool
from runwire.run.agent import RunContentEvent, ToolCallStartedEvent
from runwire.run.tool_execution import ToolExecution


@tool
def get_weather(city: str, days: int = 1) -> str:
    """Get the weather for a city."""
    return f"sunny in {city} for {days} day(s)"


@tool(requires_confirmation=True)
def delete_file(path: str) -> bool:
    """Delete a file."""
    return True


@dataclass
class Progress(CustomEvent):
    step: int = 0


def readme_snippet(agent: Agent) -> None:
    for event in agent.run("Tell me a story", stream=True, stream_events=True):
        if event.event == "RunContent":
            assert_type(event, RunContentEvent)
            print(event.content, end="")
        elif event.event == "ToolCallStarted":
            assert_type(event, ToolCallStartedEvent)
            tool_call: ToolExecution | None = event.tool
            print(f"Tool call started: {tool_call}")


def match_and_isinstance(event: RunStreamEvent) -> str:
    match event.event:
        case "ToolCallStarted":
            assert_type(event, ToolCallStartedEvent)
            return event.tool.tool_name if event.tool else ""
        case _:
            pass
    if isinstance(event, Progress):
        return str(event.step)
    return ""


async def async_stream(agent: Agent) -> None:
    async for event in agent.arun("hi", stream=True):
        if event.event == "RunContent":
            assert_type(event, RunContentEvent)


def tools_keep_their_signatures() -> None:
    assert_type(get_weather("Oslo", days=2), str)
    assert_type(delete_file("x"), bool)
    get_weather.entrypoint("Oslo")


def media_by_url(agent: Agent) -> None:
    agent.run("What is in this picture?", images=["https://example.com/cat.png"])  # a URL string is an Image
