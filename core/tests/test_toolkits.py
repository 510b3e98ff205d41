"""Toolkits (objects providing several tools at run start), tools with a given JSON schema,
and tools that pause the run to ask a human (ToolInputRequired)."""

from __future__ import annotations

from typing import Any

import pytest
from runwire.agent import Agent
from runwire.exceptions import RunFailedError, ToolInputRequired
from runwire.run.tool_execution import ToolExecution, UserInputField
from runwire.testing import ScriptedModel, ToolCall
from runwire.testing.events import event_names
from runwire.tools import Function


def local(x: int) -> str:
    """A plain tool next to the toolkit's."""
    return f"local {x}"


class Kit:
    """A toolkit whose tools appear once it is 'connected' (at run start)."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.connects = 0
        self.closed = 0

    async def get_functions(self) -> list[Function]:
        if self.fail:
            raise ConnectionError("the kit's server is down")
        self.connects += 1

        async def remote(**arguments: Any) -> str:
            return f"remote {arguments}"

        schema = {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]}
        return [Function(remote, name="remote", description="A remote tool.", parameters=schema)]

    async def aclose(self) -> None:
        self.closed += 1


async def test_a_toolkits_tools_are_found_at_each_run_start_and_closed_with_the_agent():
    kit = Kit()
    model = ScriptedModel([[ToolCall("remote", {"q": "a"}), ToolCall("local", {"x": 1})], "done", "again"])
    async with Agent(model=model, tools=[local, kit]) as agent:
        assert list(agent.get_functions()) == ["local"]  # the kit is not a tool itself
        out = await agent.arun("go")
        await agent.arun("again")
        assert kit.closed == 0
    assert kit.connects == 2 and kit.closed == 1
    assert [t.result for t in out.tools] == ["remote {'q': 'a'}", "local 1"]
    spec = {t["function"]["name"]: t["function"] for t in model.requests[0].tools}
    assert spec["remote"]["parameters"]["required"] == ["q"] and spec["remote"]["description"] == "A remote tool."


async def test_given_schema_arguments_missing_a_required_one_are_a_tool_error():
    model = ScriptedModel([[ToolCall("remote", {})], "done"])
    out = await Agent(model=model, tools=[Kit()]).arun("go")
    assert out.tools[0].status == "error" and "missing q" in out.tools[0].error


async def test_a_toolkit_that_cannot_give_its_tools_fails_the_run_after_run_started():
    agent = Agent(model=ScriptedModel(["unused"]), tools=[Kit(fail=True)])
    events = [e async for e in agent.arun("go", stream=True, stream_events=True)]
    assert event_names(events) == ["RunStarted", "RunError"]
    assert "the kit's server is down" in events[-1].content
    with pytest.raises(RunFailedError, match="server is down"):
        await agent.arun("go")


async def test_a_toolkit_tool_named_like_another_tool_is_refused():
    def remote(q: str) -> str:
        return q

    with pytest.raises(RunFailedError, match="two tools are named 'remote'"):
        await Agent(model=ScriptedModel(["unused"]), tools=[remote, Kit()]).arun("go")


asked: list[Any] = []


async def book(city: str, tool_execution: ToolExecution) -> str:
    """Books a table; asks the human for the time the first time."""
    answers = {f.name: f.value for f in tool_execution.user_input_schema or ()}
    asked.append(dict(answers))
    if tool_execution.input_request is None:
        raise ToolInputRequired("When?", [UserInputField("time", "str", "Time of day"), UserInputField("note")],
                                {"ticket": 7, "optional": ["note"]})
    assert tool_execution.input_request == {"message": "When?", "ticket": 7, "optional": ["note"]}
    return f"booked {city} at {answers['time']}"


async def test_a_tool_pauses_the_run_to_ask_and_reads_the_answer_when_called_again(tmp_path):
    asked.clear()
    db = f"sqlite:///{tmp_path / 'runs.db'}"
    agent = Agent(model=ScriptedModel([[ToolCall("book", {"city": "Oslo"})], "Booked."]), tools=[book], db=db)
    paused = await agent.arun("book a table")
    assert paused.is_paused
    (waiting,) = paused.tools_requiring_user_input
    assert waiting.input_request["message"] == "When?"
    assert [f.name for f in waiting.user_input_schema] == ["time", "note"]
    # another process continues it from storage, with the answer
    other = Agent(model=agent.model, tools=[book], db=db)
    stored = await other.aget_run_output(paused.run_id, paused.session_id)
    assert stored.tools[0].input_request == waiting.input_request
    with pytest.raises(ValueError, match="needs user input for time"):
        await other.acontinue_run(run_id=paused.run_id, session_id=paused.session_id)
    stored.tools[0].user_input_schema[0].value = "19:30"  # "note" may stay empty
    done = await other.acontinue_run(run_id=paused.run_id, session_id=paused.session_id, updated_tools=stored.tools)
    assert done.status == "completed" and done.tools[0].result == "booked Oslo at 19:30"
    assert done.tools[0].tool_args == {"city": "Oslo"}  # the answers are not the tool's arguments
    assert asked == [{}, {"time": "19:30", "note": None}]


async def test_media_a_tool_returns_reach_the_model_after_the_tool_results():
    from runwire.media import Image
    from runwire.models.chat_format import to_openai_messages
    from runwire.run.output import RunOutput
    from runwire.tools import ToolResult

    def snapshot() -> ToolResult:
        return ToolResult("a 1x1 PNG", images=[Image(content=b"\x89PNG-bytes", mime_type="image/png")])

    model = ScriptedModel([[ToolCall("snapshot", {}, id="call_snap")], "I see it."])
    out = await Agent(model=model, tools=[snapshot]).arun("look")
    assert out.tools[0].result == "a 1x1 PNG"
    *_, tool_message, media = model.requests[1].messages
    assert tool_message.role == "tool" and tool_message.content == "a 1x1 PNG"
    assert media.role == "user" and "snapshot (call_snap)" in media.content
    assert [i.content for i in media.images] == [b"\x89PNG-bytes"]
    wire = to_openai_messages([media])[0]["content"]
    assert wire[1]["image_url"]["url"].startswith("data:image/png;base64,")
    again = RunOutput.from_dict(out.to_dict())  # stored runs keep the tool's media
    assert again.tools[0].images[0].content == b"\x89PNG-bytes"
