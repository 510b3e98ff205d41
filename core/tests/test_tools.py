"""Tools: kinds, schemas, validation, errors the model sees, concurrency, custom events, limits."""

import asyncio
import time
from dataclasses import dataclass
from typing import Literal, Optional

import pytest

from runwire.agent import Agent
from runwire.exceptions import RunFailedError
from runwire.run.agent import CustomEvent
from runwire.testing import ScriptedModel, ToolCall
from runwire.testing.events import event_names
from runwire.tools import Function, tool


def run_calls(tools, *calls, answer="done", **agent_kwargs):
    """Run one turn of ``calls`` then an answer; return (output, all events)."""
    agent = Agent(model=ScriptedModel([list(calls), answer]), tools=tools, **agent_kwargs)
    stream = agent.run("go", stream=True, stream_events=True)
    events = list(stream)
    return stream.run_output, events


def test_schema_comes_from_type_hints_and_docstring():
    @tool
    def search(query: str, limit: int = 5, mode: Literal["fast", "deep"] = "fast", tags: Optional[list[str]] = None):
        """Search the archive.

        Args:
            query: What to look for.
            limit: How many results at most.
        """

    spec = search.spec()["function"]
    assert spec["name"] == "search" and spec["description"] == "Search the archive."
    props = spec["parameters"]["properties"]
    assert props["query"] == {"type": "string", "description": "What to look for."}
    assert props["limit"]["type"] == "integer" and props["limit"]["default"] == 5
    assert props["mode"]["enum"] == ["fast", "deep"]
    assert spec["parameters"]["required"] == ["query"]


def test_tool_decorator_options_and_injected_params_stay_out_of_the_schema():
    @tool(name="lookup", description="Look up a user.", timeout_seconds=2)
    def find(user: str, run_context=None, agent=None) -> str:
        return user

    assert isinstance(find, Function) and find.name == "lookup" and find.timeout_seconds == 2
    assert list(find.parameters["properties"]) == ["user"]
    assert find("x") == "x"  # still callable


def sync_tool(x: int) -> int:
    return x * 2


async def async_tool(x: int) -> str:
    await asyncio.sleep(0)
    return f"async {x}"


def gen_tool(n: int):
    for i in range(n):
        yield f"{i};"


async def agen_tool(n: int):
    for i in range(n):
        yield f"<{i}>"


@pytest.mark.parametrize(
    "fn, args, expected",
    [(sync_tool, {"x": 21}, "42"), (async_tool, {"x": 1}, "async 1"), (gen_tool, {"n": 3}, "0;1;2;"),
     (agen_tool, {"n": 2}, "<0><1>")],
)
def test_every_kind_of_tool_runs(fn, args, expected):
    out, events = run_calls([fn], ToolCall(fn.__name__, args))
    completed = [e for e in events if e.event == "ToolCallCompleted"]
    assert completed[0].content == expected and out.tools[0].result == expected
    tool_msg = [m for m in out.messages if m.role == "tool"][0]
    assert tool_msg.content == expected and tool_msg.tool_call_id == out.tools[0].tool_call_id


def test_arguments_are_validated_and_coerced():
    seen = {}

    def add(a: int, b: int) -> int:
        seen.update(a=a, b=b)
        return a + b

    out, _ = run_calls([add], ToolCall("add", '{"a": "2", "b": 3}'))
    assert out.tools[0].result == "5" and seen == {"a": 2, "b": 3}


@pytest.mark.parametrize(
    "call, needle",
    [
        (ToolCall("add", {"a": "x", "b": 1}), "invalid arguments for tool 'add': a: Input should be a valid integer"),
        (ToolCall("add", {"a": 1}), "b: Field required"),
        (ToolCall("add", {"a": 1, "b": 2, "c": 3}), "c: Extra inputs are not permitted"),
        (ToolCall("add", '{"a": 1, "b": '), "are not valid JSON"),
        (ToolCall("add", "[1, 2]"), "must be a JSON object"),
        (ToolCall("subtract", {"a": 1}), "there is no tool named 'subtract'; available tools: add"),
    ],
)
def test_bad_calls_become_tool_errors_the_model_sees_and_the_run_goes_on(call, needle):
    def add(a: int, b: int) -> int:
        return a + b

    out, events = run_calls([add], call, answer="recovered")
    errors = [e for e in events if e.event == "ToolCallError"]
    assert len(errors) == 1 and needle in errors[0].error
    assert out.status == "completed" and out.content == "recovered"
    tool_msg = [m for m in out.messages if m.role == "tool"][0]
    assert tool_msg.content.startswith("Error: ") and needle in tool_msg.content
    assert out.tools[0].tool_call_error and out.tools[0].status == "error"


def test_exception_inside_a_tool_is_reported_to_the_model():
    def flaky(city: str) -> str:
        raise ConnectionError(f"weather service down for {city}")

    out, events = run_calls([flaky], ToolCall("flaky", {"city": "Rome"}), answer="sorry")
    assert "ConnectionError: weather service down for Rome" in [e for e in events if e.event == "ToolCallError"][0].error
    assert out.content == "sorry"


def test_tool_timeout_gives_a_tool_error():
    @tool(timeout_seconds=0.05)
    async def slow() -> str:
        await asyncio.sleep(5)
        return "never"

    started = time.perf_counter()
    out, events = run_calls([slow], ToolCall("slow", {}))
    assert time.perf_counter() - started < 3
    assert "timed out after 0.05 s" in [e for e in events if e.event == "ToolCallError"][0].error


def test_parallel_calls_run_concurrently_and_complete_as_they_finish():
    async def wait(label: str, seconds: float) -> str:
        await asyncio.sleep(seconds)
        return label

    out, events = run_calls(
        [wait],
        ToolCall("wait", {"label": "slow", "seconds": 0.4}),
        ToolCall("wait", {"label": "fast", "seconds": 0.01}),
        ToolCall("wait", {"label": "mid", "seconds": 0.2}),
    )
    # run one after another, they would complete in call order
    completed = [e.content for e in events if e.event == "ToolCallCompleted"]
    assert completed == ["fast", "mid", "slow"]
    starts = [e.tool.tool_args["label"] for e in events if e.event == "ToolCallStarted"]
    assert starts == ["slow", "fast", "mid"]
    # tool messages stay in call order for the model
    assert [m.content for m in out.messages if m.role == "tool"] == ["slow", "fast", "mid"]


def test_sync_tools_run_in_threads_concurrently():
    import threading

    barrier = threading.Barrier(3, timeout=10)  # breaks unless all three calls are running at once

    def meet(i: int) -> str:
        barrier.wait()
        return f"met {i}"

    out, events = run_calls([meet], *[ToolCall("meet", {"i": i}) for i in range(3)])
    assert [t.result for t in out.tools] == ["met 0", "met 1", "met 2"]
    assert "ToolCallError" not in [e.event for e in events]


@dataclass
class CustomerProfileEvent(CustomEvent):
    """CustomEvent for customer profile."""

    customer_name: Optional[str] = None
    customer_email: Optional[str] = None
    customer_phone: Optional[str] = None


@tool()
async def get_customer_profile():
    """Example custom tool that simply yields a custom event."""
    yield CustomerProfileEvent(customer_name="John Doe", customer_email="john.doe@example.com", customer_phone="1234567890")
    yield "profile sent"


def test_custom_events_stream_in_order_with_ids_and_stay_out_of_the_result():
    agent = Agent(model=ScriptedModel([[ToolCall("get_customer_profile", {}, id="call_1")], "done"]),
                  tools=[get_customer_profile], store_events=True)
    stream = agent.run("profile?", stream=True, stream_events=True)
    events = list(stream)
    names = event_names(events)
    assert names.index("ToolCallStarted") < names.index("CustomEvent") < names.index("ToolCallCompleted")
    custom = [e for e in events if isinstance(e, CustomerProfileEvent)][0]
    assert custom.customer_name == "John Doe" and custom.event == "CustomEvent"
    assert custom.tool_call_id == "call_1" and custom.run_id == stream.run_id and custom.session_id == stream.session_id
    assert custom.agent_id == agent.id
    assert stream.run_output.tools[0].result == "profile sent"
    assert any(isinstance(e, CustomerProfileEvent) for e in stream.events)  # stored
    # a plain stream still carries custom events
    agent2 = Agent(model=ScriptedModel([[ToolCall("get_customer_profile", {})], "done"]), tools=[get_customer_profile])
    assert event_names(agent2.run("x", stream=True)) == ["CustomEvent", "RunContent"]


def test_tool_call_limit_ends_the_run_with_a_clear_error():
    with pytest.raises(RunFailedError, match="over tool_call_limit=1"):
        run_calls_nonstream = Agent(
            model=ScriptedModel([[ToolCall("sync_tool", {"x": 1}), ToolCall("sync_tool", {"x": 2})], "x"]),
            tools=[sync_tool], tool_call_limit=1,
        )
        run_calls_nonstream.run("go")


def test_max_turns_bounds_a_model_that_never_stops_calling_tools():
    model = ScriptedModel(lambda request: [ToolCall("sync_tool", {"x": 1})])
    with pytest.raises(RunFailedError, match=r"made 3 model turns without a final answer \(max_turns=3\)") as info:
        Agent(model=model, tools=[sync_tool], max_turns=3).run("go")
    assert len(info.value.run_output.tools) == 3


def test_tools_by_unknown_name_and_duplicate_names_are_clear_errors():
    with pytest.raises(LookupError, match="no tool named 'nope'"):
        Agent(model=ScriptedModel(["x"]), tools=["nope"]).run("x")
    with pytest.raises(ValueError, match="two tools are named 'sync_tool'"):
        Agent(model=ScriptedModel(["x"]), tools=[sync_tool, sync_tool]).run("x")


def test_stop_after_tool_call_ends_the_run_with_the_result():
    @tool(stop_after_tool_call=True)
    def final(x: int) -> str:
        return f"final {x}"

    model = ScriptedModel([[ToolCall("final", {"x": 7})]])
    out = Agent(model=model, tools=[final]).run("go")
    assert out.content == "final 7" and out.status == "completed" and model.remaining == 0


def test_forcing_tool_choice_applies_until_a_tool_was_called():
    model = ScriptedModel([[ToolCall("sync_tool", {"x": 1})], "done"])
    Agent(model=model, tools=[sync_tool], tool_choice="required").run("go")
    assert [r.tool_choice for r in model.requests] == ["required", "auto"]
    model = ScriptedModel(["plain"])
    Agent(model=model).run("go")
    assert model.requests[0].tool_choice is None and model.requests[0].tools is None


def test_partials_and_callable_objects_are_tools():
    import functools

    class Greeter:
        async def __call__(self, name: str) -> str:
            return f"hello {name}"

    async def scaled(x: int, factor: int) -> int:
        return x * factor

    greeter = Function(Greeter(), name="greet")
    triple = Function(functools.partial(scaled, factor=3), name="triple")
    assert greeter.kind == "async" and triple.kind == "async"
    out, _ = run_calls([greeter, triple], ToolCall("greet", {"name": "Ann"}), ToolCall("triple", {"x": 2}))
    assert [t.result for t in out.tools] == ["hello Ann", "6"]


def test_a_tools_own_timeout_error_is_reported_as_such():
    def fetch(url: str) -> str:
        raise TimeoutError(f"{url} did not answer")

    out, events = run_calls([fetch], ToolCall("fetch", {"url": "http://example.invalid"}))
    error = [e for e in events if e.event == "ToolCallError"][0].error
    assert error == "TimeoutError: http://example.invalid did not answer"


def _google(city: str, days: int = 1) -> str:
    """Get the weather.

    Args:
        city: The city name.
        days (int): How many days
            ahead.
    """
    return city


def _numpy(city: str, days: int = 1) -> str:
    """Get the weather.

    Parameters
    ----------
    city : str
        The city name.
    days : int
        How many days ahead.
    """
    return city


def _sphinx(city: str, days: int = 1) -> str:
    """Get the weather.

    :param city: The city name.
    :param days: How many days ahead.
    """
    return city


@pytest.mark.parametrize("fn", [_google, _numpy, _sphinx], ids=["google", "numpy", "sphinx"])
def test_parameter_descriptions_reach_the_schema_in_every_docstring_style(fn):
    from runwire.tools.function import as_function

    spec = as_function(fn).spec()["function"]
    assert spec["description"] == "Get the weather."
    props = spec["parameters"]["properties"]
    assert props["city"]["description"] == "The city name."
    assert props["days"]["description"] == "How many days ahead."
