"""Agent.run / arun: outputs, streaming filters, sync/async parity, stored events, failures."""

import asyncio

import pytest
from pydantic import BaseModel

from runwire.agent import Agent, RunOutput, RunOutputEvent
from runwire.exceptions import RunFailedError, ScriptExhaustedError
from runwire.models.message import Message
from runwire.run.agent import RunEvent
from runwire.testing import ScriptedModel, ToolCall
from runwire.testing.events import event_names


def test_run_returns_output_with_seed_attributes(weather_script, weather_tool):
    agent = Agent(model=ScriptedModel(weather_script), name="weather", tools=[weather_tool])
    out = agent.run("What is the weather in Paris?", user_id="john@example.com", session_id="session_123")
    assert isinstance(out, RunOutput)
    assert out.content == "It is sunny in Paris."
    assert out.content_type == "str"
    assert out.status == "completed"
    assert out.user_id == "john@example.com" and out.session_id == "session_123"
    assert out.agent_name == "weather" and out.agent_id == agent.id
    assert out.model == "scripted" and out.model_provider == "scripted"
    assert out.run_id and out.reasoning_content is None
    assert [m.role for m in out.messages] == ["user", "assistant", "tool", "assistant"]
    assert out.messages[2].content == "sunny in Paris"
    assert [t.tool_name for t in out.tools] == ["get_weather"] and out.tools[0].result == "sunny in Paris"
    assert out.events is None  # store_events is off


async def test_arun_returns_the_same_output(weather_script, weather_tool):
    out = await Agent(model=ScriptedModel(weather_script), tools=[weather_tool]).arun("weather?")
    assert out.content == "It is sunny in Paris." and out.status == "completed"


def test_the_first_run_names_the_agents_session_and_later_runs_reuse_it():
    agent = Agent(model=ScriptedModel(["a", "b", "c"]))  # as in Agno
    first, second = agent.run("x"), agent.run("y")
    assert first.session_id and first.session_id == second.session_id == agent.session_id
    assert agent.run("z", session_id="other").session_id == "other" and agent.session_id == first.session_id


def test_plain_stream_yields_only_content_and_control_events(weather_script, weather_tool):
    agent = Agent(model=ScriptedModel(weather_script), tools=[weather_tool])
    events = list(agent.run("weather?", stream=True))
    assert set(event_names(events)) == {"RunContent"}
    assert "".join(e.content for e in events) == "It is sunny in Paris."
    assert all(isinstance(e, RunOutputEvent) for e in events)


@pytest.mark.parametrize("flag", ["stream_events", "stream_intermediate_steps"])
def test_stream_events_yields_every_event(flag, weather_script, weather_tool):
    agent = Agent(model=ScriptedModel(weather_script), tools=[weather_tool])
    names = event_names(agent.run("weather?", stream=True, **{flag: True}))
    assert names[0] == "RunStarted" and names[-1] == "RunCompleted"
    assert names == [
        "RunStarted",
        "ModelRequestStarted", "ModelRequestCompleted",
        "ToolCallStarted", "ToolCallCompleted",
        "ModelRequestStarted", *["RunContent"] * 5, "ModelRequestCompleted",
        "RunContentCompleted", "RunCompleted",
    ]


def test_agent_level_stream_flags_apply():
    agent = Agent(model=ScriptedModel(["hi there"]), stream=True, stream_intermediate_steps=True)
    assert event_names(agent.run("x"))[0] == "RunStarted"


def _script():
    return ScriptedModel([[ToolCall("get_weather", {"city": "Rome"}, id="c1")], "Warm in Rome."])


async def test_sync_and_async_emit_the_same_events_in_the_same_order(weather_tool):
    def agent():
        return Agent(model=_script(), tools=[weather_tool], store_events=True, events_to_skip=[])

    sync_stream = event_names(await asyncio.to_thread(lambda: list(agent().run("x", stream=True, stream_events=True))))
    async_stream = event_names([e async for e in agent().arun("x", stream=True, stream_events=True)])
    sync_plain = event_names((await asyncio.to_thread(agent().run, "x")).events)
    async_plain = event_names((await agent().arun("x")).events)
    assert sync_stream == async_stream == sync_plain == async_plain
    assert len(sync_stream) == 12


def test_store_events_skips_run_content_by_default(weather_script, weather_tool):
    agent = Agent(model=ScriptedModel(weather_script), tools=[weather_tool], store_events=True)
    stream = agent.run("weather?", stream=True, stream_intermediate_steps=True)
    streamed = list(stream)
    assert "RunContent" in event_names(streamed)
    stored = stream.events  # the seed reads .events from the consumed stream
    assert "RunContent" not in event_names(stored)
    assert event_names(stored) == [n for n in event_names(streamed) if n != "RunContent"]
    out = Agent(model=ScriptedModel(weather_script), tools=[weather_tool], store_events=True).run("again")
    assert event_names(out.events)[0] == "RunStarted" and "RunContent" not in event_names(out.events)


def test_events_to_skip_replaces_the_default():
    agent = Agent(model=ScriptedModel(["one two"]), store_events=True, events_to_skip=[RunEvent.run_started])
    names = event_names(agent.run("x").events)
    assert "RunStarted" not in names and names.count("RunContent") == 2


@pytest.mark.parametrize(
    "value, roles, content",
    [
        ("hello", ["user"], "hello"),
        (Message(role="user", content="hi"), ["user"], "hi"),
        ({"role": "user", "content": "from dict"}, ["user"], "from dict"),
        ({"question": "x"}, ["user"], '{"question": "x"}'),
        ([Message(role="system", content="s"), {"role": "user", "content": "u"}], ["system", "user"], "u"),
        (["part one", {"type": "text", "text": " part two"}], ["user"], "part one part two"),
    ],
)
def test_input_kinds_become_messages(value, roles, content):
    model = ScriptedModel(["ok"])
    Agent(model=model).run(value)
    sent = model.requests[0].messages
    assert [m.role for m in sent] == roles
    assert sent[-1].text() == content


def test_pydantic_input_is_sent_as_json():
    class Question(BaseModel):
        topic: str
        words: int

    model = ScriptedModel(["ok"])
    Agent(model=model).run(Question(topic="robots", words=5))
    assert model.requests[0].messages[-1].text() == '{"topic":"robots","words":5}'


def test_unsupported_input_names_the_accepted_kinds():
    with pytest.raises(TypeError, match="a str, a list .* a dict, a Message, a pydantic model"):
        Agent(model=ScriptedModel(["x"])).run(42)


def test_description_and_instructions_form_the_system_message():
    model = ScriptedModel(["ok"])
    Agent(model=model, description="You write movie scripts.", instructions=["Be short."]).run("go")
    system = model.requests[0].messages[0]
    assert system.role == "system" and "You write movie scripts." in system.text() and "- Be short." in system.text()


def test_failed_stream_yields_run_error_and_stops():
    agent = Agent(model=ScriptedModel([RuntimeError("provider exploded")]))
    events = list(agent.run("x", stream=True))
    assert event_names(events) == ["RunError"]
    assert events[0].error_type == "RuntimeError" and "provider exploded" in events[0].content


def test_failed_run_raises_with_what_was_produced(weather_tool):
    model = ScriptedModel([[ToolCall("get_weather", {"city": "Oslo"})], ValueError("bad gateway")])
    agent = Agent(model=model, tools=[weather_tool], store_events=True)
    with pytest.raises(RunFailedError, match="bad gateway") as info:
        agent.run("x")
    out = info.value.run_output
    assert out.status == "error" and out.error_type == "ValueError"
    assert out.tools[0].result == "sunny in Oslo"
    assert event_names(out.events)[-1] == "RunError"
    assert isinstance(info.value.__cause__, ValueError)


def test_running_past_the_script_is_a_clear_error():
    with pytest.raises(RunFailedError) as info:
        Agent(model=ScriptedModel([])).run("x")
    assert info.value.error_type == ScriptExhaustedError.__name__
    assert "ran past its script" in str(info.value)


def test_metrics_count_tokens_and_time():
    out = Agent(model=ScriptedModel(["one two three"])).run("four five")
    m = out.metrics
    assert (m.input_tokens, m.output_tokens, m.total_tokens) == (2, 3, 5)
    assert m.model_calls == 1 and len(m.details["model"]) == 1
    assert m.duration > 0 and 0 <= m.time_to_first_token <= m.duration
    assert m.details["model"][0].time_to_first_token is not None


def test_reasoning_content_is_collected():
    from runwire.testing import Reply

    agent = Agent(model=ScriptedModel([Reply(reasoning="think hard", content="done")]), store_events=True, events_to_skip=[])
    out = agent.run("x")
    assert out.reasoning_content == "think hard" and out.content == "done"
    assert event_names(out.events).count("ReasoningContentDelta") == 2


async def test_one_agent_serves_many_concurrent_runs_without_mixing():
    model = ScriptedModel(lambda request: f"echo {request.messages[-1].text()}", chunk_delay=0.001)
    agent = Agent(model=model, store_events=True)
    outputs = await asyncio.gather(*(agent.arun(f"n{i}", session_id=f"s{i}") for i in range(1000)))
    for i, out in enumerate(outputs):
        assert out.content == f"echo n{i}" and out.session_id == f"s{i}"
        assert {e.run_id for e in out.events} == {out.run_id}
        assert {e.session_id for e in out.events} == {f"s{i}"}
    assert len({o.run_id for o in outputs}) == 1000


def test_run_from_inside_a_running_loop_uses_a_worker_thread():
    async def main():
        return Agent(model=ScriptedModel(["inside"])).run("x")  # sync call inside async code

    assert asyncio.run(main()).content == "inside"


def test_structured_output_parses_into_the_schema():
    class Story(BaseModel):
        title: str
        lines: int

    agent = Agent(model=ScriptedModel(['{"title": "Robot", "lines": 2}']), output_schema=Story)
    out = agent.run("x")
    assert isinstance(out.content, Story) and out.content.title == "Robot" and out.content_type == "Story"


class Poem(BaseModel):  # module level, so a RunOutput holding one pickles
    title: str
    lines: int


def test_a_structured_run_output_is_generic_for_checkers_and_plain_at_run_time():
    import pickle

    agent = Agent[Poem](model=ScriptedModel(['{"title": "Rain", "lines": 4}']), output_schema=Poem)  # subscripting works
    out = agent.run("x")
    assert type(out) is RunOutput and isinstance(out, RunOutput) and out.content == Poem(title="Rain", lines=4)
    again = pickle.loads(pickle.dumps(out))
    assert again.content == out.content and again.run_id == out.run_id and again.status == "completed"
    back = RunOutput[Poem].from_dict(out.to_json_dict())  # read back from JSON, content is the plain data
    assert back.content == {"title": "Rain", "lines": 4} and back.content_type == "Poem"


def test_sync_streaming_from_inside_a_running_loop():
    async def main():
        stream = Agent(model=ScriptedModel(["from a notebook"])).run("x", stream=True, stream_events=True)
        return [e.event for e in stream], stream.run_output.content

    names, content = asyncio.run(main())
    assert names[0] == "RunStarted" and names[-1] == "RunCompleted" and content == "from a notebook"


async def test_a_run_nobody_watches_adds_up_to_the_same_output_as_a_watched_one():
    """A non-streamed run without storage, sinks or store_events builds no per-step events (nobody could see
    them); what it returns must not depend on that."""
    from runwire.testing import Reply

    async def get_weather(city: str) -> str:
        """The weather in a city."""
        return f"sunny in {city}"

    def count(n: int) -> str:
        """Counts to n."""
        return " ".join(str(i) for i in range(n))

    def script():
        return [Reply(content="Let me look.", reasoning="I need the tools.",
                      tool_calls=[ToolCall("get_weather", {"city": "Paris"}, id="c1"), ToolCall("count", {"n": 3}, id="c2"),
                                  ToolCall("missing", {}, id="c3")]),
                Reply(content="It is sunny in Paris.", reasoning="Done.")]

    def summary(out: RunOutput) -> dict:
        return {"content": out.content, "status": out.status, "reasoning": out.reasoning_content,
                "messages": [(m.role, m.content, m.tool_call_id, [c.id for c in m.tool_calls or ()]) for m in out.messages],
                "tools": [(t.tool_name, t.status, t.result, t.error, t.metrics is not None and t.metrics.duration is not None)
                          for t in out.tools],
                "tokens": (out.metrics.input_tokens, out.metrics.output_tokens, out.metrics.total_tokens),
                "calls": out.metrics.model_calls, "details": len(out.metrics.details["model"]),
                "first_token": out.metrics.time_to_first_token is not None and out.metrics.duration is not None}

    quiet = await Agent(model=ScriptedModel(script()), tools=[get_weather, count]).arun("weather?")
    watched_agent = Agent(model=ScriptedModel(script()), tools=[get_weather, count], store_events=True)
    watched = await watched_agent.arun("weather?")
    assert summary(quiet) == summary(watched)
    assert summary(quiet)["tools"][2][1] == "error" and quiet.events is None
    assert {"ToolCallStarted", "ToolCallCompleted", "ModelRequestCompleted", "RunCompleted"} <= set(event_names(watched.events))
    streamed = [e async for e in Agent(model=ScriptedModel(script()), tools=[get_weather, count]).arun(
        "weather?", stream=True, stream_events=True)]
    assert event_names(streamed).count("ToolCallStarted") == 3 and event_names(streamed)[-1] == "RunCompleted"
