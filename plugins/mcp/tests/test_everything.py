"""MCPTools against the reference server nobody here wrote: @modelcontextprotocol/server-everything (npm)."""

from __future__ import annotations

import pytest
from runwire.agent import Agent
from runwire.testing import ScriptedModel, ToolCall
from runwire_mcp import MCPLogEvent, MCPProgressEvent, MCPTools


def server(everything: list[str], **options: object) -> MCPTools:
    return MCPTools(everything[0], everything[1:], timeout_seconds=60, **options)  # type: ignore[arg-type]


async def test_lists_the_servers_tools_with_their_schemas(everything):
    async with server(everything, exclude_tools=["get-env"]) as mcp:
        functions = {f.name: f for f in mcp.functions}
    assert {"echo", "get-sum", "get-tiny-image", "get-structured-content", "trigger-long-running-operation",
            "trigger-elicitation-request"} <= set(functions)
    assert "get-env" not in functions  # excluded: it would hand the model the server's environment
    echo = functions["echo"]
    assert echo.description == "Echoes back the input string"
    assert echo.parameters["properties"]["message"]["type"] == "string"
    assert echo.parameters["required"] == ["message"]
    assert echo.spec()["function"]["parameters"] is echo.parameters


async def test_include_and_prefix_keep_two_servers_apart(everything):
    first = server(everything, include_tools=["echo"], prefix="a_")
    second = server(everything, include_tools=["echo", "get-sum"], prefix="b_")
    model = ScriptedModel([[ToolCall("a_echo", {"message": "one"}), ToolCall("b_get-sum", {"a": 2, "b": 3})], "done"])
    async with Agent(model=model, tools=[first, second]) as agent:
        out = await agent.arun("go")
        assert [f.name for f in first.functions] == ["a_echo"]
        assert sorted(f.name for f in second.functions) == ["b_echo", "b_get-sum"]
    assert [t.result for t in out.tools] == ["Echo: one", "The sum of 2 and 3 is 5."]
    assert first._connections == {} and second._connections == {}  # closed with the agent


async def test_text_image_and_structured_results_reach_the_model(everything):
    model = ScriptedModel([[ToolCall("echo", {"message": "hello"}), ToolCall("get-tiny-image", {}),
                            ToolCall("get-structured-content", {"location": "Chicago"})], "done"])
    async with Agent(model=model, tools=[server(everything)]) as agent:
        out = await agent.arun("go")
    echo, image, structured = out.tools
    assert echo.result == "Echo: hello"
    assert "[image: image/png," in image.result and "MCP logo" in image.result
    assert '"temperature"' in structured.result and '"conditions"' in structured.result
    tool_messages = [m for m in model.requests[1].messages if m.role == "tool"]
    assert [m.content for m in tool_messages] == [echo.result, image.result, structured.result]
    # the image itself reaches the model as media, in a message right after the tool results
    media = model.requests[1].messages[-1]
    assert media.role == "user" and image.tool_call_id in media.content
    (png,) = media.images
    assert png.mime_type == "image/png" and png.content.startswith(b"\x89PNG")
    assert image.images == [png]


async def test_progress_notifications_stream_as_events_during_the_call(everything):
    model = ScriptedModel([[ToolCall("trigger-long-running-operation", {"duration": 0.3, "steps": 3})], "done"])
    async with Agent(model=model, tools=[server(everything)]) as agent:
        events = [e async for e in agent.arun("go", stream=True, stream_events=True)]
    names = [e.event for e in events]
    progress = [e for e in events if isinstance(e, MCPProgressEvent)]
    assert [(p.progress, p.total) for p in progress] == [(1, 3), (2, 3), (3, 3)]
    assert {p.tool for p in progress} == {"trigger-long-running-operation"}
    assert all(p.tool_call_id for p in progress) and all(p.run_id for p in progress)
    assert names.index("ToolCallStarted") < names.index("CustomEvent") and names.count("CustomEvent") == 3
    assert names.index("ToolCallCompleted") > max(i for i, n in enumerate(names) if n == "CustomEvent")


async def test_elicitation_pauses_the_run_and_the_human_answers_through_continue_run(everything):
    model = ScriptedModel([[ToolCall("trigger-elicitation-request", {})], "wrong",
                           [ToolCall("trigger-elicitation-request", {})], "thanks"])
    async with Agent(model=model, tools=[server(everything)]) as agent:
        paused = await agent.arun("sign me up")
        assert paused.is_paused
        (waiting,) = paused.tools_requiring_user_input
        assert "Please provide inputs for the following fields" in waiting.input_request["message"]
        fields = {f.name: f for f in waiting.user_input_schema}
        assert fields["name"].value is None and fields["check"].field_type == "bool"
        assert fields["integer"].value == 42  # the server's defaults are filled in
        with pytest.raises(ValueError, match="needs user input for name"):
            await agent.acontinue_run(paused)
        fields["name"].value = "Ada Lovelace"
        fields["check"].value = "yes"
        fields["email"].value = "not an email"
        wrong = await agent.acontinue_run(paused)  # checked against the server's schema before it is sent
        assert wrong.tools[0].status == "error" and "email: 'not an email' is not a 'email'" in wrong.tools[0].error
        paused = await agent.arun("sign me up")
        for field in paused.tools_requiring_user_input[0].user_input_schema:
            field.value = {"name": "Ada Lovelace", "check": "yes", "email": "ada@example.com"}.get(field.name, field.value)
        done = await agent.acontinue_run(paused)
    assert done.status == "completed" and done.content == "thanks"
    result = done.tools[0].result
    assert '"action": "accept"' in result
    assert "Ada Lovelace" in result and "ada@example.com" in result and '"check": true' in result


async def test_bad_arguments_and_server_errors_are_tool_call_errors_naming_server_and_tool(everything):
    model = ScriptedModel([[ToolCall("get-sum", {"a": "two", "b": 3}), ToolCall("echo", {})], "done"])
    async with Agent(model=model, tools=[server(everything, name="everything")]) as agent:
        out = await agent.arun("go")
    wrong_type, missing = out.tools
    assert wrong_type.status == "error" and missing.status == "error"
    assert "tool 'get-sum' of MCP server 'everything'" in wrong_type.error and "'two' is not of type 'number'" in wrong_type.error
    assert "missing message" in missing.error
    assert out.status == "completed"  # the model saw the errors and answered


async def test_server_log_messages_during_a_call_stream_as_events(everything):
    model = ScriptedModel([[ToolCall("toggle-simulated-logging", {})], "done"])  # it logs once at once
    async with Agent(model=model, tools=[server(everything, name="everything", log_level="debug")]) as agent:
        events = [e async for e in agent.arun("go", stream=True, stream_events=True)]
    (log,) = [e for e in events if isinstance(e, MCPLogEvent)]
    assert log.server == "everything" and log.tool == "toggle-simulated-logging" and log.tool_call_id
    assert log.level in ("debug", "info", "notice", "warning", "error", "critical", "alert", "emergency")
    assert log.data.lower().startswith(log.level)  # "Debug-level message", ...


async def test_the_server_gets_env_but_not_our_environment(everything, monkeypatch):
    monkeypatch.setenv("RUNWIRE_TEST_SECRET", "do-not-leak")
    model = ScriptedModel([[ToolCall("get-env", {})], "done"])
    async with Agent(model=model, tools=[server(everything, env={"GREETING": "hej"})]) as agent:
        out = await agent.arun("go")
    env = out.tools[0].result
    assert '"GREETING": "hej"' in env and '"PATH"' in env
    assert "RUNWIRE_TEST_SECRET" not in env and "do-not-leak" not in env


async def test_embedded_resources_and_resource_links_reach_the_model_as_text(everything):
    model = ScriptedModel([[ToolCall("get-resource-reference", {"resourceType": "Text", "resourceId": 2}),
                            ToolCall("get-resource-reference", {"resourceType": "Blob", "resourceId": 3}),
                            ToolCall("get-resource-links", {"count": 2})], "done"])
    async with Agent(model=model, tools=[server(everything)]) as agent:
        out = await agent.arun("go")
    text, blob, links = (t.result for t in out.tools)
    assert "[resource demo://resource/dynamic/text/2]\nResource 2: This is a plaintext resource" in text
    assert "[resource demo://resource/dynamic/blob/3]\nResource 3: This is a base64 blob" in blob  # text/plain, decoded
    assert "[resource link demo://resource/dynamic/blob/1: Blob Resource 1" in links
    assert "[resource link demo://resource/dynamic/text/2: Text Resource 2" in links
