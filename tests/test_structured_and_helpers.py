"""Structured output (with retries), parser model, output model and reasoning: exact event sequences,
sync and async, streamed and not, on the scripted model and through litellm against a local server."""

import asyncio
import contextlib

import pytest
from pydantic import BaseModel

from runwire.agent import Agent
from runwire.exceptions import RunFailedError
from runwire.testing import ScriptedModel
from runwire.testing.events import event_names
from runwire.testing.openai_stub import OpenAIStub


class Movie(BaseModel):
    title: str
    year: int


STEPS = '{"steps": [{"title": "Understand", "reasoning": "A film is asked for", "next_action": "continue"}, ' \
        '{"title": "Pick", "reasoning": "Choose a classic", "result": "Alien", "next_action": "final_answer"}]}'


class Scripted:
    """Models for one test: each name gets its script."""

    name = "scripted"

    def __init__(self, stack):
        self.stack = stack

    def model(self, turns):
        return ScriptedModel(turns)


class ThroughLiteLLM(Scripted):
    name = "litellm"

    def model(self, turns):
        from runwire_litellm import LiteLLM

        stub = self.stack.enter_context(OpenAIStub(turns))
        return LiteLLM(id="openai/stub-model", api_base=stub.url, api_key="sk-test-000000000000", max_retries=0)


@pytest.fixture(params=["scripted", "litellm"])
def models(request):
    if request.param == "litellm":
        pytest.importorskip("runwire_litellm")
    with contextlib.ExitStack() as stack:
        yield (Scripted if request.param == "scripted" else ThroughLiteLLM)(stack)


async def all_ways(make_agent, prompt="go"):
    """Run four fresh agents (sync/async x streamed/not) and return their event-name sequences and outputs."""
    results = {}
    agent = make_agent()
    out = await asyncio.to_thread(agent.run, prompt)
    results["sync"] = (event_names(out.events), out)
    agent = make_agent()
    out = await agent.arun(prompt)
    results["async"] = (event_names(out.events), out)

    def sync_stream():
        stream = make_agent().run(prompt, stream=True, stream_events=True)
        return event_names(list(stream)), stream.run_output

    results["sync-stream"] = await asyncio.to_thread(sync_stream)
    stream = make_agent().arun(prompt, stream=True, stream_events=True)
    results["async-stream"] = (event_names([e async for e in stream]), stream.run_output)
    sequences = {tuple(names) for names, _ in results.values()}
    assert len(sequences) == 1, results
    return list(sequences.pop()), [o for _, o in results.values()]


def chunks(n):
    return ["RunContent"] * n


async def test_output_schema_streams_text_then_the_parsed_object(models):
    def make():
        return Agent(model=models.model(['{"title": "Alien", "year": 1979}']), output_schema=Movie,
                     store_events=True, events_to_skip=[])

    names, outs = await all_ways(make)
    assert names == ["RunStarted", "ModelRequestStarted", *chunks(4), "ModelRequestCompleted", "RunContent",
                     "RunContentCompleted", "RunCompleted"]
    for out in outs:
        assert out.content == Movie(title="Alien", year=1979) and out.content_type == "Movie"
        assert out.events[-3].content == out.content  # the final RunContent carries the object


async def test_invalid_structured_output_is_retried_with_the_error_then_fails_clearly(models):
    model = models.model(['{"title": "Alien"}', '{"title": "Alien", "year": 1979}'])
    agent = Agent(model=model, output_schema=Movie, output_retries=1)
    out = await agent.arun("film")
    assert out.content.year == 1979 and out.metrics.model_calls == 2
    retry_prompt = [m for m in out.messages if m.role == "user"][-1].text()
    assert "does not fit Movie" in retry_prompt and "year" in retry_prompt
    failing = Agent(model=models.model(["not json", "still not json"]), output_schema=Movie, output_retries=1)
    with pytest.raises(RunFailedError, match="the model's answer does not fit Movie"):
        await failing.arun("film")


async def test_parser_model_turns_a_free_answer_into_the_schema(models):
    def make():
        return Agent(model=models.model(["Alien came out in 1979."]), output_schema=Movie,
                     parser_model=models.model(['{"title": "Alien", "year": 1979}']), store_events=True, events_to_skip=[])

    names, outs = await all_ways(make)
    assert names == ["RunStarted", "ModelRequestStarted", *chunks(5), "ModelRequestCompleted",
                     "ParserModelResponseStarted", "ParserModelResponseCompleted", "RunContent",
                     "RunContentCompleted", "RunCompleted"]
    for out in outs:
        assert out.content == Movie(title="Alien", year=1979)
        assert set(out.metrics.details) == {"model", "parser_model"}
        assert out.metrics.output_tokens == sum(m.output_tokens for ms in out.metrics.details.values() for m in ms)


async def test_output_model_writes_the_final_answer(models):
    def make():
        return Agent(model=models.model(["rough notes here"]), output_model=models.model(["Polished answer."]),
                     store_events=True, events_to_skip=[])

    names, outs = await all_ways(make)
    assert names == ["RunStarted", "ModelRequestStarted", *["RunIntermediateContent"] * 3, "ModelRequestCompleted",
                     "OutputModelResponseStarted", *chunks(2), "OutputModelResponseCompleted",
                     "RunContentCompleted", "RunCompleted"]
    for out in outs:
        assert out.content == "Polished answer." and set(out.metrics.details) == {"model", "output_model"}
    plain = list(make().run("go", stream=True))  # a plain stream shows only the final answer
    assert event_names(plain) == chunks(2)


async def test_reasoning_pass_before_the_answer(models):
    def make():
        return Agent(model=models.model(["Watch Alien."]), reasoning=True, reasoning_model=models.model([STEPS]),
                     store_events=True, events_to_skip=[])

    names, outs = await all_ways(make)
    assert names == ["RunStarted", "ReasoningStarted", "ReasoningStep", "ReasoningStep", "ReasoningCompleted",
                     "ModelRequestStarted", *chunks(2), "ModelRequestCompleted", "RunContentCompleted", "RunCompleted"]
    for out in outs:
        assert [s.title for s in out.reasoning_steps] == ["Understand", "Pick"]
        assert out.reasoning_steps[1].result == "Alien" and "Choose a classic" in out.reasoning_content
        assert set(out.metrics.details) == {"model", "reasoning_model"}
        step = [e for e in out.events if e.event == "ReasoningStep"][0]
        assert step.content.title == "Understand"


def test_seed_handling_events_prints_reasoning_steps():
    agent = Agent(model=ScriptedModel(["Roar."]), reasoning=True, reasoning_model=ScriptedModel([STEPS]))
    lines = []
    for event in agent.run("lion story", stream=True, stream_intermediate_steps=True):
        if event.event == "ReasoningStep":
            lines.append(f"Reasoning step: {event.content}")
    assert len(lines) == 2 and "Understand" in lines[0]


def test_reasoning_model_that_ignores_the_format_gives_its_text_as_reasoning():
    # As Agno does with a reasoning model's plain answer: the text is the reasoning, one step.
    agent = Agent(model=ScriptedModel(["x"]), reasoning=True, reasoning_model=ScriptedModel(["I refuse to use JSON"]))
    out = agent.run("go")
    assert out.content == "x" and out.reasoning_content == "I refuse to use JSON"
    assert [s.result for s in out.reasoning_steps] == ["I refuse to use JSON"]


def test_a_failing_reasoning_model_is_a_warning_and_the_run_goes_on(caplog):
    agent = Agent(model=ScriptedModel(["x"]), reasoning=True, reasoning_model=ScriptedModel([RuntimeError("down")]),
                  store_events=True, events_to_skip=[])
    with caplog.at_level("WARNING", logger="runwire.reasoning"):
        out = agent.run("go")
    assert out.status == "completed" and out.content == "x" and out.reasoning_steps is None
    assert "reasoning failed (RuntimeError: down)" in caplog.text
    assert "ReasoningCompleted" not in event_names(out.events)
