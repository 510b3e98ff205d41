"""Agents the server tests serve (imported in-process, and by `runwire serve server_app:agents` in workers).

``gated`` blocks in a tool until the test creates the file ``$RUNWIRE_TEST_GATES/<message>``: a run that
stays live for exactly as long as a test needs, with no timing involved.
"""

import asyncio
import os

from runwire.agent import Agent
from runwire.testing import ScriptedModel, ToolCall
from runwire.tools import tool


def _last_user(request):
    return [m.text() for m in request.messages if m.role == "user"][-1]


def _after_tool(request):
    return request.messages[-1].role == "tool"


async def wait_gate(name: str) -> str:
    """Wait until the test opens the gate ``name``.

    Args:
        name: The gate's name.
    """
    path = os.path.join(os.environ["RUNWIRE_TEST_GATES"], os.path.basename(name))
    while not os.path.exists(path):
        await asyncio.sleep(0.02)
    return "the gate opened"


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


def echo(request):
    return f"echo {_last_user(request)}"


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


def make_agents():
    return [
        Agent(model=ScriptedModel(echo), name="echo", id="echo"),
        Agent(model=ScriptedModel(gated), id="gated", tools=[wait_gate]),
        Agent(model=ScriptedModel(confirm), id="confirm", tools=[delete_records]),
        Agent(model=ScriptedModel(ask), id="ask", tools=[book_trip]),
    ]


agents = make_agents()
