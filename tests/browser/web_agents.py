"""Agents the browser tests serve: scripted models that stream slowly enough to watch, and gates that hold a run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from runwire.agent import Agent
from runwire.run.events import CustomEvent
from runwire.testing import Reply, ScriptedModel, ToolCall
from server_app import (  # plugins/server/tests: the same scripts and tools the server's own tests use
    _after_tool, _last_user, ask, book_trip, confirm, delete_records, gated, wait_gate,
)

DELAY = 0.02  # seconds before each streamed word: visible streaming, short tests

FINAL = "Rain in **Oslo**.\n\n- umbrella\n- `boots`\n\n<img src=x onerror=\"window.pwned=1\"> <script>window.pwned=2</script>"


@dataclass
class ForecastEvent(CustomEvent):
    city: Optional[str] = None
    sky: Optional[str] = None


def lookup(city: str):
    """Look up the weather.

    Args:
        city: The city.
    """
    yield ForecastEvent(city=city, sky="rain")
    yield f"rain in {city}"


def broken() -> str:
    """A tool that fails."""
    raise KeyError("no such station")


def weather(request):
    """Reasoning, text, a custom event, a failing tool, a gate (the message names it), then markdown."""
    if _after_tool(request):
        return FINAL
    return Reply(reasoning="let me see", content="Looking it up.",
                 tool_calls=[ToolCall("lookup", {"city": "Oslo"}), ToolCall("broken", {}),
                             ToolCall("wait_gate", {"name": _last_user(request)})])


def echo(request):
    return f"echo **{_last_user(request)}**"


def make_agents() -> list[Agent]:
    return [
        Agent(model=ScriptedModel(echo, chunk_delay=DELAY), id="echo", name="Echo"),
        Agent(model=ScriptedModel(weather, chunk_delay=DELAY), id="weather", tools=[lookup, broken, wait_gate]),
        Agent(model=ScriptedModel(gated, chunk_delay=DELAY), id="gated", tools=[wait_gate]),
        Agent(model=ScriptedModel(confirm, chunk_delay=DELAY), id="confirm", tools=[delete_records]),
        Agent(model=ScriptedModel(ask, chunk_delay=DELAY), id="ask", tools=[book_trip]),
    ]
