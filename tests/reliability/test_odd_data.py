"""What models produce (NUL, lone surrogates, NaN, huge numbers) is stored and read back unchanged."""

from __future__ import annotations

import math

from runwire.agent import Agent
from runwire.models.base import ModelRequest
from runwire.testing import Reply, ScriptedModel, ToolCall

ODD = "nul\x00 lone\ud800 mark\ufdd0s:x emoji😀"


def echo(text: str, number: float, session_state: dict) -> str:
    """Echo what it was given, and keep odd values in the session state."""
    session_state.update(text=text, number=number, big=10**5000)
    return text


def respond(request: ModelRequest):
    if request.messages[-1].role == "tool":
        return ODD
    return Reply(content=ODD, tool_calls=[ToolCall("echo", '{"text": "a\\u0000b", "number": NaN}')])


async def test_odd_values_are_stored_losslessly(storage):
    agent = Agent(model=ScriptedModel(respond), tools=[echo], db=storage, store_events=True)
    out = await agent.arun(ODD, session_id="odd\x00session")
    assert out.status == "completed"
    stored = await storage.get_run(out.run_id)
    assert stored.status == "completed"
    assert stored.content == out.content == ODD + ODD
    assert stored.input == ODD
    tool = stored.tools[0]
    assert tool.tool_args["text"] == "a\x00b" and math.isnan(tool.tool_args["number"])
    assert tool.result == "a\x00b"
    streamed = "".join(e.content for e in stored.events if e.event == "RunContent")
    assert streamed == ODD + ODD
    assert stored.events[-1].event == "RunCompleted"
    state = (await storage.get_session("odd\x00session", with_runs=False)).session_state
    assert state["text"] == "a\x00b" and math.isnan(state["number"]) and state["big"] == 10**5000
