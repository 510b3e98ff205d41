"""Agno's Human-in-the-Loop cookbook (cookbook/02_agents/10_human_in_the_loop and the HITL docs page), ported.

Each test keeps the snippet's code; only the imports and the model changed
(``input()`` / ``Prompt.ask`` answers are fixed values).
"""

import asyncio
from typing import List

import pytest

from runwire.agent import Agent
from runwire.run.agent import RunEvent, RunOutput
from runwire.run.continuation import ContinueRunError
from runwire.testing import ToolCall
from runwire.tools import tool
from runwire.tools.function import Function
from runwire.run.tool_execution import UserInputField

fetched: list = []
sent: list = []


@pytest.fixture(autouse=True)
def _clear():
    fetched.clear()
    sent.clear()


@tool(requires_confirmation=True)
def get_top_hackernews_stories(num_stories: int) -> str:
    """Fetch top stories from Hacker News.

    Args:
        num_stories (int): Number of stories to retrieve
    """
    fetched.append(num_stories)
    return f"[{num_stories} stories]"


@tool(requires_user_input=True, user_input_fields=["to_address"])
def send_email(subject: str, body: str, to_address: str) -> str:
    """
    Send an email.

    Args:
        subject (str): The subject of the email.
        body (str): The body of the email.
        to_address (str): The address to send the email to.
    """
    sent.append((subject, body, to_address))
    return f"Sent email to {to_address} with subject {subject} and body {body}"


@tool(requires_user_input=True)
def book_table(restaurant: str, guests: int, note: str = "") -> str:
    """Book a table."""
    return f"booked {restaurant} for {guests}{' (' + note + ')' if note else ''}"


@tool(external_execution=True)
def execute_shell_command(command: str) -> str:
    """Execute a shell command.

    Args:
        command (str): The shell command to execute
    """
    if command.startswith("ls"):
        return "a.txt\nb.txt\n"
    raise Exception(f"Unsupported command: {command}")


HN = [[ToolCall("get_top_hackernews_stories", {"num_stories": 2})], "Here are the top 2 stories."]


# -- confirmation_required.py: the requirements style ---------------------------------------------
@pytest.mark.parametrize("answer", ["y", "n"])
def test_confirmation_required_requirements_style(model, db, answer):
    agent = Agent(model=model(HN), tools=[get_top_hackernews_stories], markdown=True, db=db)

    run_response = agent.run("Fetch the top 2 hackernews stories.")
    for requirement in run_response.active_requirements:
        if requirement.needs_confirmation:
            assert (requirement.tool_execution.tool_name, requirement.tool_execution.tool_args) == (
                "get_top_hackernews_stories", {"num_stories": 2})
            message = answer
            if message == "n":
                requirement.reject()
            else:
                requirement.confirm()
    run_response = agent.continue_run(
        run_id=run_response.run_id,
        requirements=run_response.requirements,
    )

    assert run_response.status == "completed" and run_response.content == "Here are the top 2 stories."
    assert fetched == ([2] if answer == "y" else [])
    assert run_response.active_requirements == [] and len(run_response.requirements) == 1


# -- the updated_tools style (the older cookbook and the Running Agents page) ---------------------
def test_confirmation_updated_tools_style(model):
    agent = Agent(model=model(HN), tools=[get_top_hackernews_stories])
    run_response = agent.run("Fetch the top 2 hackernews stories.")
    if run_response.is_paused:
        for tool_ in run_response.tools_requiring_confirmation:
            tool_.confirmed = True
        run_response = agent.continue_run(run_response=run_response)
    assert run_response.content == "Here are the top 2 stories." and fetched == [2]


# -- user_input_required.py --------------------------------------------------------------------------
def test_user_input_required_requirements_style(model, db):
    script = [[ToolCall("send_email", {"subject": "Hello", "body": "Hello, world!"})], "Email sent."]
    agent = Agent(model=model(script), tools=[send_email], markdown=True, db=db)
    answers = {"to_address": "ann@example.com"}
    shown = []

    run_response = agent.run("Send an email with the subject 'Hello' and the body 'Hello, world!'")
    for requirement in run_response.active_requirements:
        if requirement.needs_user_input:
            input_schema: List[UserInputField] = requirement.user_input_schema  # type: ignore
            for field in input_schema:
                field_type = field.field_type
                field_description = field.description
                shown.append((field.name, field_description, field_type, field.value))
                if field.value is None:
                    user_value = answers[field.name]
                else:
                    user_value = field.value
                field.value = user_value
    run_response = agent.continue_run(
        run_id=run_response.run_id,
        requirements=run_response.requirements,
    )

    assert shown == [("subject", "The subject of the email.", str, "Hello"),
                     ("body", "The body of the email.", str, "Hello, world!"),
                     ("to_address", "The address to send the email to.", str, None)]
    assert sent == [("Hello", "Hello, world!", "ann@example.com")] and run_response.content == "Email sent."


def test_user_input_without_fields_lists_every_parameter_prefilled(model):
    """Bug 1: without user_input_fields the human sees (and may change) every argument the model chose."""
    script = [[ToolCall("book_table", {"restaurant": "Noma", "guests": 2})], "Booked."]
    agent = Agent(model=model(script), tools=[book_table])
    run_response = agent.run("Book Noma for two")
    tool_ = run_response.tools_requiring_user_input[0]
    assert [(f.name, f.field_type, f.value) for f in tool_.user_input_schema] == [
        ("restaurant", str, "Noma"), ("guests", int, 2), ("note", str, None)]
    tool_.user_input_schema[1].value = 3  # the human changes the model's value
    tool_.user_input_schema[2].value = "window seat"
    done = agent.continue_run(run_response=run_response)
    assert done.tools[0].result == "booked Noma for 3 (window seat)"


def test_provide_user_input_and_missing_fields_are_named():
    from runwire.testing import ScriptedModel

    agent = Agent(model=ScriptedModel([[ToolCall("send_email", {"subject": "S", "body": "B"})], "ok"]),
                  tools=[send_email])
    paused = agent.run("mail")
    with pytest.raises(ContinueRunError, match="needs user input for to_address"):
        agent.continue_run(paused)
    requirement = paused.active_requirements[0]
    with pytest.raises(ValueError, match="no user-input field cc"):
        requirement.provide_user_input({"cc": "x"})
    requirement.provide_user_input({"to_address": "bob@example.com"})
    assert requirement.is_resolved() and paused.active_requirements == []
    assert agent.continue_run(paused).content == "ok" and sent == [("S", "B", "bob@example.com")]


# -- external_tool_execution.py ------------------------------------------------------------------------
def test_external_tool_execution_requirements_style(model, db):
    script = [[ToolCall("execute_shell_command", {"command": "ls"})], "You have a.txt and b.txt."]
    agent = Agent(model=model(script), tools=[execute_shell_command], markdown=True, db=db)

    run_response = agent.run("What files do I have in my current directory?")
    if run_response.is_paused:
        for requirement in run_response.active_requirements:
            if requirement.needs_external_execution:
                if requirement.tool_execution.tool_name == execute_shell_command.name:
                    result = execute_shell_command.entrypoint(**requirement.tool_execution.tool_args)  # type: ignore
                    requirement.set_external_execution_result(result)
    run_response = agent.continue_run(
        run_id=run_response.run_id,
        requirements=run_response.requirements,
    )
    assert run_response.content == "You have a.txt and b.txt."
    assert run_response.tools[0].result == "a.txt\nb.txt\n" and isinstance(execute_shell_command, Function)


# -- streaming: `for event in run: if event.is_paused: ...` --------------------------------------------
@pytest.mark.parametrize("with_db", [False, True])
def test_streamed_hitl_loop_updated_tools(model, db, with_db):
    """The issue's loop: continue from inside the stream, by run_id, with the event's tools."""
    agent = Agent(model=model(HN), tools=[get_top_hackernews_stories], db=db if with_db else None)
    content = []
    for event in agent.run("Fetch the top 2 hackernews stories", stream=True):
        if event.is_paused:
            for tool_ in event.tools_requiring_confirmation:
                tool_.confirmed = True
            for resumed in agent.continue_run(run_id=event.run_id, updated_tools=event.tools, stream=True):
                assert not resumed.is_paused and not resumed.is_cancelled
                content.append(resumed.content)
        else:
            content.append(event.content)
    assert "".join(content) == "Here are the top 2 stories." and fetched == [2]
    if with_db:  # the row ends completed, not overwritten by the first stream closing
        stored = agent.get_run_output(agent.get_last_run_output().run_id)
        assert stored.status == "completed" and stored.content == "Here are the top 2 stories."


def test_streamed_hitl_loop_requirements(model, db):
    agent = Agent(model=model(HN), tools=[get_top_hackernews_stories], db=db)
    printed = []
    for run_event in agent.run("Perform sensitive operation", stream=True):
        if run_event.is_paused:
            for req in run_event.active_requirements:
                if req.needs_confirmation:
                    req.confirm()
            for response in agent.continue_run(
                run_id=run_event.run_id,
                requirements=run_event.requirements,
                stream=True,
            ):
                printed.append(response.content)
        else:
            printed.append(run_event.content)
    assert "".join(printed) == "Here are the top 2 stories."


def test_async_streamed_external_execution(model, db):
    script = [[ToolCall("execute_shell_command", {"command": "ls"})], "Two files."]
    agent = Agent(model=model(script), tools=[execute_shell_command], markdown=True, db=db)

    async def main():
        out = []
        async for run_event in agent.arun("What files do I have in my current directory?", stream=True):
            if run_event.is_paused:
                for requirement in run_event.active_requirements:  # type: ignore
                    if requirement.needs_external_execution:
                        if requirement.tool_execution.tool_name == execute_shell_command.name:
                            result = execute_shell_command.entrypoint(**requirement.tool_execution.tool_args)  # type: ignore
                            requirement.set_external_execution_result(result)
                async for resp in agent.acontinue_run(  # type: ignore
                    run_id=run_event.run_id,
                    requirements=run_event.requirements,
                    stream=True,
                ):
                    out.append(resp.content)
            else:
                out.append(run_event.content)
        return out

    assert "".join(asyncio.run(main())) == "Two files."


def test_continue_with_the_paused_event_as_run_response():
    from runwire.testing import ScriptedModel

    agent = Agent(model=ScriptedModel(HN), tools=[get_top_hackernews_stories])

    async def main():
        async for run_event in agent.arun("go", stream=True):
            if run_event.is_paused:
                for req in run_event.active_requirements:
                    req.confirm()
                return await agent.acontinue_run(run_response=run_event)

    assert asyncio.run(main()).content == "Here are the top 2 stories." and fetched == [2]


def test_async_requirements_style(model):
    agent = Agent(model=model(HN), tools=[get_top_hackernews_stories])

    async def main():
        run_response = await agent.arun("Perform sensitive operation")
        if run_response.is_paused:
            for req in run_response.active_requirements:
                if req.needs_confirmation:
                    req.confirm()
            return await agent.acontinue_run(run_id=run_response.run_id, requirements=run_response.requirements)

    assert asyncio.run(main()).content == "Here are the top 2 stories." and fetched == [2]


def test_paused_event_fields_and_requirement_round_trip():
    from runwire.run.agent import RunPausedEvent, RunRequirement
    from runwire.testing import ScriptedModel

    agent = Agent(model=ScriptedModel(HN), tools=[get_top_hackernews_stories])
    events = list(agent.run("go", stream=True, stream_events=True))
    paused = [e for e in events if e.is_paused]
    assert [e.event for e in paused] == [RunEvent.run_paused] and isinstance(paused[0], RunPausedEvent)
    assert not any(e.is_paused or e.is_cancelled for e in events if e is not paused[0])
    event = paused[0]
    assert [t.tool_name for t in event.tools_requiring_confirmation] == ["get_top_hackernews_stories"]
    assert event.tools_requiring_user_input == [] and event.tools_awaiting_external_execution == []
    # A requirement travels as JSON (say, to a web client) and comes back answered.
    wire = event.active_requirements[0].to_dict()
    back = RunRequirement.from_dict(wire)
    back.confirm()
    done = agent.continue_run(run_id=event.run_id, requirements=[back.to_dict()])
    assert isinstance(done, RunOutput) and done.content == "Here are the top 2 stories." and fetched == [2]
