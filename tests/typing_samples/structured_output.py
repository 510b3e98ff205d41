"""Structured output as a user types it; tests/test_quality.py type-checks it with ``mypy --strict`` (not run).

``Agent(output_schema=Movie)`` is an ``Agent[Movie]``: its runs are ``RunOutput[Movie]`` and
``content`` is a ``Movie``, sync or async, streamed or not, continued or not. Without a schema,
or with a JSON-schema dict, ``content`` is ``Any`` as before; bare ``Agent`` / ``RunOutput``
annotations keep working.
"""

from __future__ import annotations

from typing import Any, assert_type

from pydantic import BaseModel

from runwire import Agent, RunStreamEvent
from runwire.run.output import RunOutput
from runwire.run.stream import AsyncRunStream, RunStream, StreamItem


class Movie(BaseModel):
    title: str
    year: int


def structured_run() -> int:
    agent = Agent(output_schema=Movie)
    assert_type(agent, Agent[Movie])
    out = agent.run("A movie from 1999")
    assert_type(out, RunOutput[Movie])
    assert_type(out.content, Movie)
    return out.content.year


def structured_stream() -> str:
    stream = Agent(output_schema=Movie).run("A movie", stream=True)
    assert_type(stream, RunStream[Movie])
    for _event in stream:
        pass
    assert_type(stream.run_output.content, Movie)
    return stream.run_output.content.title


async def structured_async() -> Movie:
    agent = Agent(output_schema=Movie)
    out = await agent.arun("A movie")
    assert_type(out, RunOutput[Movie])
    stream = agent.arun("A movie", stream=True)
    assert_type(stream, AsyncRunStream[Movie])
    async for _event in stream:
        pass
    return stream.run_output.content


def continued(agent: Agent[Movie], paused: RunOutput[Movie]) -> Movie:
    assert_type(agent.continue_run(paused), RunOutput[Movie])
    assert_type(agent.continue_run(paused, stream=True), RunStream[Movie])
    return agent.continue_run(run_id=paused.run_id).content


def without_a_schema_content_is_any() -> None:
    assert_type(Agent().run("hi").content, Any)
    assert_type(Agent(output_schema={"type": "object"}).run("hi"), RunOutput[Any])


def bare_annotations_still_work(out: RunOutput, agent: Agent) -> RunOutput:
    keep: list[RunOutput] = [out, Agent(output_schema=Movie).run("x")]
    any_agent: Agent = Agent(output_schema=Movie)
    assert_type(agent.run("x").content, Any)
    assert_type(any_agent, Agent[Any])
    return keep[0]


def run_output_last(agent: Agent[Movie]) -> Movie:
    stream = agent.run("A movie", stream=True, yield_run_output=True)
    assert_type(stream, RunStream[Movie, StreamItem[Movie]])
    for item in stream:
        if isinstance(item, RunOutput):  # the RunOutput comes last
            assert_type(item, RunOutput[Movie])
            return item.content
        assert_type(item, RunStreamEvent)  # an event otherwise: narrow it on item.event as usual
    raise AssertionError("no RunOutput")


async def run_output_last_async(agent: Agent[Movie]) -> Movie:
    async for item in agent.arun("A movie", stream=True, yield_run_output=True):
        if isinstance(item, RunOutput):
            return item.content
    raise AssertionError("no RunOutput")
