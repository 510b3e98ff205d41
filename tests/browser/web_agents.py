"""Agents the browser tests serve: scripted models that stream slowly enough to watch, and gates that hold a run."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from typing import Optional

from runwire.agent import Agent
from runwire.run.events import CustomEvent
from runwire.testing import Reply, ScriptedModel, ToolCall
from runwire.tools import tool

DELAY = 0.02  # seconds before each streamed word: visible streaming, short tests

FINAL = "Rain in **Oslo**.\n\n- umbrella\n- `boots`\n\n<img src=x onerror=\"window.pwned=1\"> <script>window.pwned=2</script>"


def _last_user(request) -> str:
    return [m.text() for m in request.messages if m.role == "user"][-1]


def _after_tool(request) -> bool:
    return request.messages[-1].role == "tool"


@dataclass
class ForecastEvent(CustomEvent):
    city: Optional[str] = None
    sky: Optional[str] = None


async def wait_gate(name: str) -> str:
    """Wait until the test opens the gate ``name``.

    Args:
        name: The gate's name.
    """
    path = os.path.join(os.environ["RUNWIRE_TEST_GATES"], os.path.basename(name))
    while not os.path.exists(path):
        await asyncio.sleep(0.02)
    return "the gate opened"


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


@tool(requires_confirmation=True)
def delete_records(table: str) -> str:
    """Delete every record of a table.

    Args:
        table: The table.
    """
    return f"deleted every record of {table}"


@tool(requires_user_input=True, user_input_fields=["city"])
def book_trip(city: str) -> str:
    """Book a trip.

    Args:
        city: Where to.
    """
    return f"booked a trip to {city}"


def weather(request):
    """Reasoning, text, a custom event, a failing tool, a gate (the message names it), then markdown."""
    if _after_tool(request):
        return FINAL
    return Reply(reasoning="let me see", content="Looking it up.",
                 tool_calls=[ToolCall("lookup", {"city": "Oslo"}), ToolCall("broken", {}),
                             ToolCall("wait_gate", {"name": _last_user(request)})])


def gated(request):
    if _after_tool(request):
        return "released after the gate, all done"
    return ToolCall("wait_gate", {"name": _last_user(request)})


def confirm(request):
    if _after_tool(request):
        return f"done: {request.messages[-1].text()}"
    return ToolCall("delete_records", {"table": _last_user(request)})


def ask(request):
    if _after_tool(request):
        return f"done: {request.messages[-1].text()}"
    return ToolCall("book_trip", {})


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
