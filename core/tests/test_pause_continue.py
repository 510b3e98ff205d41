"""Human in the loop: runs pause for confirmation, user input or external execution, and continue."""

import pytest

from runwire.agent import Agent
from runwire.run.continuation import ContinueRunError
from runwire.testing import ScriptedModel, ToolCall
from runwire.testing.events import event_names
from runwire.tools import tool

calls = []


@tool(requires_confirmation=True)
def delete_file(path: str) -> str:
    """Delete a file."""
    calls.append(("delete_file", path))
    return f"deleted {path}"


@tool(requires_user_input=True, user_input_fields=["email"])
def send_invite(name: str, email: str = "") -> str:
    """Send an invitation."""
    calls.append(("send_invite", name, email))
    return f"invited {name} at {email}"


@tool(external_execution=True)
def run_on_laptop(command: str) -> str:
    """Run a command on the user's laptop."""
    raise AssertionError("executed outside runwire, never here")


def lookup(q: str) -> str:
    calls.append(("lookup", q))
    return f"found {q}"


@pytest.fixture(autouse=True)
def clear_calls():
    calls.clear()


def agent_for(script, **kwargs):
    return Agent(model=ScriptedModel(script), tools=[delete_file, send_invite, run_on_laptop, lookup], **kwargs)


KINDS = {
    "confirmation": (ToolCall("delete_file", {"path": "a.txt"}), "tools_requiring_confirmation",
                     lambda t: setattr(t, "confirmed", True), ("delete_file", "a.txt")),
    "user_input": (ToolCall("send_invite", {"name": "Ann"}), "tools_requiring_user_input",
                   lambda t: setattr(t.user_input_schema[1], "value", "ann@example.com"),
                   ("send_invite", "Ann", "ann@example.com")),
    "external": (ToolCall("run_on_laptop", {"command": "ls"}), "tools_awaiting_external_execution",
                 lambda t: setattr(t, "result", "a.txt b.txt"), None),
}


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("mode", ["sync", "sync-stream", "async", "async-stream"])
async def test_each_pause_kind_pauses_then_continues_in_every_mode(mode, kind):
    import asyncio

    call, waiting_attr, answer, expected_call = KINDS[kind]
    agent = agent_for([[call, ToolCall("lookup", {"q": "x"})], "Done."])

    async def drive(method, *args, **kwargs):
        if mode == "sync":
            return await asyncio.to_thread(getattr(agent, method), *args, **kwargs), None
        if mode == "sync-stream":
            def consume():
                stream = getattr(agent, method)(*args, stream=True, stream_events=True, **kwargs)
                events = list(stream)
                return stream.run_output, events

            return await asyncio.to_thread(consume)
        async_method = getattr(agent, "a" + method)
        if mode == "async":
            return await async_method(*args, **kwargs), None
        stream = async_method(*args, stream=True, stream_events=True, **kwargs)
        events = [e async for e in stream]
        return stream.run_output, events

    paused, events = await drive("run", "do it", user_id="u1", session_id="s1")
    assert paused.is_paused and paused.status == "paused"
    waiting = getattr(paused, waiting_attr)
    assert [t.tool_name for t in waiting] == [call.name]
    assert calls == [("lookup", "x")]  # the other call of the same turn ran
    if events is not None:
        assert event_names(events)[-1] == "RunPaused" and [t.tool_name for t in events[-1].tools] == [call.name]
    answer(waiting[0])
    done, events = await drive("continue_run", paused)
    assert done.status == "completed" and done.content == "Done."
    assert (done.run_id, done.user_id, done.session_id) == (paused.run_id, "u1", "s1")
    assert calls == [("lookup", "x")] + ([expected_call] if expected_call else [])  # lookup did not run again
    if events is not None:
        names = event_names(events)
        assert names[0] == "RunContinued" and "ToolCallCompleted" in names and names[-1] == "RunCompleted"


def test_rejection_with_a_note_goes_to_the_model():
    model = ScriptedModel([[ToolCall("delete_file", {"path": "a.txt"})], "OK, I kept it."])
    agent = Agent(model=model, tools=[delete_file])
    paused = agent.run("delete")
    tool_ = paused.tools_requiring_confirmation[0]
    tool_.confirmed, tool_.confirmation_note = False, "keep it, it is my thesis"
    done = agent.continue_run(run_response=paused)
    assert done.content == "OK, I kept it." and calls == []
    sent = model.requests[-1].messages[-1]
    assert sent.role == "tool" and "rejected" in sent.text() and "keep it, it is my thesis" in sent.text()
    assert done.tools[0].status == "rejected"


def test_user_input_fills_the_arguments():
    agent = agent_for([[ToolCall("send_invite", {"name": "Ann"})], "Invited."])
    paused = agent.run("invite Ann")
    waiting = paused.tools_requiring_user_input[0]
    # As in Agno: every parameter, pre-filled with the model's values; user_input_fields are the human's to fill.
    assert [(f.name, f.value, f.required) for f in waiting.user_input_schema] == [("name", "Ann", False), ("email", None, True)]
    assert "email" not in send_invite.spec()["function"]["parameters"]["properties"]  # the model is not asked for it
    waiting.user_input_schema[1].value = "ann@example.com"
    done = agent.continue_run(paused)
    assert calls == [("send_invite", "Ann", "ann@example.com")] and done.tools[0].result == "invited Ann at ann@example.com"


def test_external_execution_takes_the_given_result_and_may_pause_again():
    agent = agent_for([
        [ToolCall("run_on_laptop", {"command": "ls"})],
        [ToolCall("delete_file", {"path": "b.txt"})],
        "All done.",
    ])
    paused = agent.run("tidy up")
    paused.tools_awaiting_external_execution[0].result = "a.txt b.txt"
    again = agent.continue_run(paused)
    assert again.is_paused and [t.tool_name for t in again.tools_requiring_confirmation] == ["delete_file"]
    assert again.tools[0].result == "a.txt b.txt" and again.tools[0].status == "completed"
    again.tools_requiring_confirmation[0].confirmed = True
    done = agent.continue_run(again)
    assert done.content == "All done." and calls == [("delete_file", "b.txt")]


def test_continue_errors_are_clear():
    agent = agent_for([[ToolCall("delete_file", {"path": "a"})], "x"])
    paused = agent.run("go")
    with pytest.raises(ContinueRunError, match=r"still waits on: delete_file \(call_\w+\) needs confirmation"):
        agent.continue_run(paused)
    finished = agent_for(["done"]).run("x")
    with pytest.raises(ContinueRunError, match="is completed, not paused"):
        agent.continue_run(finished)
    with pytest.raises(ValueError, match="give the agent db="):
        agent.continue_run(run_id="nope")


def test_updated_tools_by_id_from_storage(tmp_path):
    db = f"sqlite:///{tmp_path}/hitl.db"
    agent = agent_for([[ToolCall("delete_file", {"path": "c.txt"})], "Gone."], db=db)
    paused = agent.run("delete c", session_id="s")
    update = {"tool_call_id": paused.tools[0].tool_call_id, "confirmed": True}
    fresh = agent_for(["Gone."], db=db)
    done = fresh.continue_run(run_id=paused.run_id, session_id="s", updated_tools=[update])
    assert done.content == "Gone." and done.run_id == paused.run_id
    stored = fresh.get_run_output(paused.run_id, "s")
    assert stored.events is None  # store_events is off: the run keeps none; its full log is still there
    names = event_names(fresh.get_run_events(paused.run_id))
    assert names.count("RunStarted") == 1 and names.index("RunPaused") < names.index("RunContinued")
    assert names[-1] == "RunCompleted" and stored.status == "completed"
    with pytest.raises(ContinueRunError, match="there is no run 'missing'"):
        fresh.continue_run(run_id="missing", session_id="s")


def test_a_paused_run_can_be_cancelled_in_storage(tmp_path):
    db = f"sqlite:///{tmp_path}/hitl.db"
    agent = agent_for([[ToolCall("delete_file", {"path": "c.txt"})]], db=db)
    paused = agent.run("delete c", session_id="s")
    assert agent.cancel_run(paused.run_id, "changed my mind")
    stored = agent.get_run_output(paused.run_id)
    assert stored.status == "cancelled" and stored.cancel_reason == "changed my mind"
    assert event_names(agent.get_run_events(paused.run_id))[-1] == "RunCancelled" and stored.tools[0].status == "interrupted"
    assert not agent.cancel_run(paused.run_id)  # already finished
    with pytest.raises(ContinueRunError, match="is cancelled, not paused"):
        agent.continue_run(run_id=paused.run_id, session_id="s")


def test_continuing_from_storage_keeps_the_session_state(tmp_path):
    db = f"sqlite:///{tmp_path}/state.db"

    @tool(requires_confirmation=True)
    def add_item(item: str, session_state) -> str:
        """Add an item to the list."""
        session_state.setdefault("items", []).append(item)
        return f"{len(session_state['items'])} items"

    first = Agent(model=ScriptedModel(["noted"]), db=db, session_state={"items": ["milk"]})
    first.run("start", session_id="shop")
    agent = Agent(model=ScriptedModel([[ToolCall("add_item", {"item": "eggs"})], "Added."]), tools=[add_item], db=db)
    paused = agent.run("add eggs", session_id="shop")
    paused.tools[0].confirmed = True
    fresh = Agent(model=ScriptedModel(["Added."]), tools=[add_item], db=db)
    done = fresh.continue_run(run_id=paused.run_id, session_id="shop", updated_tools=paused.tools)
    assert done.tools[0].result == "2 items"
    assert fresh.get_session("shop").session_state == {"items": ["milk", "eggs"]}
