"""runwire-otel with the OpenTelemetry SDK's in-memory exporter."""

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from runwire.agent import Agent
from runwire.exceptions import RunFailedError
from runwire.testing import ScriptedModel, ToolCall
from runwire_otel import OtelSink


@pytest.fixture
def exporter():
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return exporter, provider


def add(a: int, b: int) -> int:
    return a + b


def test_a_run_becomes_a_trace(exporter):
    memory, provider = exporter
    agent = Agent(model=ScriptedModel([[ToolCall("add", {"a": 1, "b": 2})], "three"]), tools=[add],
                  sinks=[OtelSink(provider)], name="calc")
    out = agent.run("1+2", session_id="s1")
    spans = {s.name: s for s in memory.get_finished_spans()}
    run = spans["runwire.run"]
    assert run.attributes["runwire.run_id"] == out.run_id and run.attributes["runwire.session_id"] == "s1"
    assert run.attributes["runwire.agent_name"] == "calc" and run.status.status_code == StatusCode.OK
    assert run.attributes["gen_ai.usage.output_tokens"] == out.metrics.output_tokens
    requests = [s for s in memory.get_finished_spans() if s.name == "runwire.model_request"]
    tool = spans["runwire.tool_call"]
    assert len(requests) == 2 and tool.attributes["runwire.tool.name"] == "add"
    assert all(s.parent.span_id == run.context.span_id for s in [*requests, tool])
    assert run.start_time <= requests[0].start_time <= tool.start_time <= requests[1].end_time <= run.end_time


def test_failures_are_error_spans(exporter):
    memory, provider = exporter
    with pytest.raises(RunFailedError):
        Agent(model=ScriptedModel([RuntimeError("provider down")]), sinks=[OtelSink(provider)]).run("x")
    run = [s for s in memory.get_finished_spans() if s.name == "runwire.run"][0]
    assert run.status.status_code == StatusCode.ERROR and "provider down" in run.status.description


def test_registered_as_a_sink_by_name():
    from runwire.sinks import resolve_sink

    assert isinstance(resolve_sink("otel"), OtelSink)
