"""runwire-openai's lean path against the stub server over real sockets: request modes, connection reuse,
cancellation of an in-flight request, tool specs serialized once, the official client as an option."""

import asyncio
import json

import openai
import pytest

from runwire.agent import Agent
from runwire.sinks.base import EventSink
from runwire.testing import ToolCall
from runwire.testing.openai_stub import OpenAIStub
from runwire_openai import OpenAIChat
from runwire_openai.transport import ToolSpecCache, encode_body

KEY = "sk-canary-0a1b2c3d4e5f60718293a4b5"


def get_weather(city: str) -> str:
    """Get the weather in a city."""
    return f"sunny in {city}"


def weather_script(body: dict) -> object:
    if body.get("tools") and body["messages"][-1]["role"] == "user":
        return [ToolCall("get_weather", {"city": "Paris"})]
    return "It is sunny in Paris."


def model(stub: OpenAIStub, **options) -> OpenAIChat:
    return OpenAIChat(id="stub-model", base_url=stub.url, api_key=KEY, max_retries=0, **options)


class DeltaSink(EventSink):
    wants_deltas = True

    def __init__(self) -> None:
        self.chunks: list[str] = []

    async def handle(self, event) -> None:
        if event.event == "RunContent":
            self.chunks.append(event.content)


def test_non_streamed_run_sends_non_streamed_requests_unless_someone_wants_deltas():
    with OpenAIStub(weather_script) as stub:
        agent = Agent(model=model(stub), tools=[get_weather])
        out = agent.run("weather in Paris?")
        assert out.content == "It is sunny in Paris." and out.tools[0].result == "sunny in Paris"
        assert out.metrics.output_tokens > 0 and out.metrics.time_to_first_token is not None
        assert [r.body["stream"] for r in stub.requests] == [False, False]
        assert "stream_options" not in stub.requests[0].body

        chunks = [e.content for e in agent.run("weather in Paris?", stream=True) if e.event == "RunContent"]
        assert len(chunks) > 1 and "".join(chunks) == "It is sunny in Paris."
        assert [r.body["stream"] for r in stub.requests[2:]] == [True, True]

        agent = Agent(model=model(stub), tools=[get_weather], store_events=True, events_to_skip=[])
        out = agent.run("weather in Paris?")  # stored RunContent events are chunks
        assert len([e for e in out.events if e.event == "RunContent"]) > 1
        assert [r.body["stream"] for r in stub.requests[4:]] == [True, True]

        sink = DeltaSink()
        Agent(model=model(stub), tools=[get_weather], sinks=[sink]).run("weather in Paris?")
        assert [r.body["stream"] for r in stub.requests[6:]] == [True, True] and len(sink.chunks) > 1


async def test_sequential_runs_reuse_their_connection():
    with OpenAIStub(weather_script) as stub:
        agent = Agent(model=model(stub), tools=[get_weather])
        for i in range(200):
            if i % 2:
                await agent.arun("weather in Paris?")
            else:
                async for _ in agent.arun("weather in Paris?", stream=True):
                    pass
        await agent.get_model().aclose()
        assert len(stub.requests) == 400 and stub.connections <= 2, f"{stub.connections} connections opened"


@pytest.mark.parametrize("stream", [False, True])
async def test_cancel_interrupts_the_in_flight_request(stream):
    # the stub waits 600 s before answering: only an interrupted request lets the run end
    with OpenAIStub(["too late"], chunk_delay=600) as stub:
        agent = Agent(model=model(stub))

        async def run():
            if stream:
                return [e async for e in agent.arun("x", stream=True, run_id="in-flight")][-1]
            return await agent.arun("x", run_id="in-flight")

        task = asyncio.ensure_future(run())
        while not stub.requests:
            await asyncio.sleep(0.01)
        assert stub.requests[0].body["stream"] is stream
        assert await agent.acancel_run("in-flight")
        result = await asyncio.wait_for(task, 30)  # not interrupted: the stub would hold it for 600 s
        assert (result.event if stream else result.status) in ("RunCancelled", "cancelled")
        await agent.get_model().aclose()


def test_tool_specs_are_serialized_once_per_set_of_tools():
    cache = ToolSpecCache()
    tools = [{"type": "function", "function": {"name": f"t{i}", "parameters": {}}} for i in range(100)]
    body = encode_body({"model": "m", "messages": [{"role": "user", "content": "hi"}]}, tools, cache)
    assert json.loads(body) == {"model": "m", "messages": [{"role": "user", "content": "hi"}], "tools": tools}
    assert cache.dumps(list(tools)) is cache.dumps(tools)  # the same spec dicts: the text is reused
    other = [dict(t) for t in tools]
    assert json.loads(cache.dumps(other)) == tools and cache.dumps(other) is not cache.dumps(tools)


def test_the_official_client_is_an_option():
    with OpenAIStub(weather_script) as stub:
        client = openai.AsyncOpenAI(base_url=stub.url, api_key=KEY, max_retries=0)
        agent = Agent(model=OpenAIChat(id="stub-model", client=client), tools=[get_weather])
        out = agent.run("weather in Paris?")
        assert out.content == "It is sunny in Paris." and out.tools[0].result == "sunny in Paris"
        chunks = [e.content for e in agent.run("weather in Paris?", stream=True) if e.event == "RunContent"]
        assert "".join(chunks) == "It is sunny in Paris." and len(chunks) > 1
        assert [r.body["stream"] for r in stub.requests] == [False, False, True, True]
        assert stub.requests[0].headers["authorization"] == f"Bearer {KEY}"
        assert stub.connections == 1  # the SDK path reads streams to the end too
