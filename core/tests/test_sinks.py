"""Event sinks: every event in order, off the hot path, and never able to break a run."""

import asyncio
import json
import logging
import time

import pytest

from runwire.agent import Agent
from runwire.run.agent import run_output_event_from_dict
from runwire.sinks import EventSink, JsonlSink, set_default_sinks
from runwire.testing import ScriptedModel, ToolCall
from runwire.testing.events import event_names


class Recorder(EventSink):
    def __init__(self, delay: float = 0.0):
        self.events = []
        self.flushes = 0
        self.delay = delay

    async def handle(self, event):
        if self.delay:
            await asyncio.sleep(self.delay)
        self.events.append(event)

    async def flush(self):
        self.flushes += 1


class Exploding(EventSink):
    calls = 0

    async def handle(self, event):
        self.calls += 1
        raise RuntimeError("disk full")


class Hanging(EventSink):
    timeout = 0.1

    async def handle(self, event):
        await asyncio.sleep(3600)


def _agent(**kwargs):
    def add(a: int, b: int) -> int:
        return a + b

    return Agent(model=ScriptedModel([[ToolCall("add", {"a": 1, "b": 2})], "three is the answer"]), tools=[add], **kwargs)


def test_sink_receives_every_event_in_order_including_content():
    sink = Recorder()
    agent = _agent(sinks=[sink], store_events=True, events_to_skip=[])
    out = agent.run("x")
    assert event_names(sink.events) == event_names(out.events)
    assert "RunContent" in event_names(sink.events) and sink.flushes == 1


def test_plain_stream_still_sends_every_event_to_sinks():
    sink = Recorder()
    streamed = list(_agent(sinks=[sink]).run("x", stream=True))
    assert set(event_names(streamed)) == {"RunContent"}
    assert event_names(sink.events)[0] == "RunStarted" and event_names(sink.events)[-1] == "RunCompleted"


def test_a_failing_sink_is_reported_once_and_the_run_and_other_sinks_go_on(caplog):
    bad, good = Exploding(), Recorder()
    with caplog.at_level(logging.WARNING, logger="runwire.sinks"):
        out = _agent(sinks=[bad, good]).run("x")
    assert out.status == "completed" and out.content == "three is the answer"
    assert bad.calls == 1
    reports = [r for r in caplog.records if "failed to handle an event" in r.getMessage()]
    assert len(reports) == 1 and "disk full" in reports[0].getMessage()
    assert event_names(good.events)[-1] == "RunCompleted"


def test_a_hanging_sink_does_not_stall_the_run(caplog):
    good = Recorder()
    started = time.perf_counter()
    with caplog.at_level(logging.WARNING, logger="runwire.sinks"):
        out = _agent(sinks=[Hanging(), good]).run("x")
    assert time.perf_counter() - started < 10  # the sink would hang for an hour
    assert out.status == "completed" and event_names(good.events)[-1] == "RunCompleted"
    assert any("TimeoutError" in r.getMessage() for r in caplog.records)


async def test_a_slow_sink_applies_back_pressure_and_loses_nothing():
    sink = Recorder(delay=0.0005)
    words = " ".join(f"w{i}" for i in range(3000))
    out = await Agent(model=ScriptedModel([words]), sinks=[sink]).arun("x")
    contents = [e.content for e in sink.events if e.event == "RunContent"]
    assert len(contents) == 3000 and "".join(contents) == out.content


def test_jsonl_sink_writes_events_that_read_back(tmp_path):
    path = tmp_path / "events.jsonl"
    out = _agent(sinks=[JsonlSink(path)], store_events=True, events_to_skip=[]).run("x")
    lines = path.read_text().splitlines()
    rebuilt = [run_output_event_from_dict(json.loads(line)) for line in lines]
    assert event_names(rebuilt) == event_names(out.events)
    assert rebuilt[-1].content == "three is the answer" and rebuilt[0].run_id == out.run_id


def test_sinks_by_name_and_process_wide(tmp_path, monkeypatch):
    named = tmp_path / "named.jsonl"
    _agent(sinks=[f"jsonl:{named}"]).run("x")
    assert named.read_text().count("\n") > 5
    env_path = tmp_path / "env.jsonl"
    monkeypatch.setenv("RUNWIRE_SINKS", f"jsonl:{env_path}")
    set_default_sinks(None)
    try:
        _agent().run("x")
        assert "RunCompleted" in env_path.read_text()
        recorder = Recorder()
        set_default_sinks([recorder])
        _agent().run("y")
        assert event_names(recorder.events)[-1] == "RunCompleted"
    finally:
        monkeypatch.delenv("RUNWIRE_SINKS")
        set_default_sinks(None)


def test_unknown_sink_name_is_a_clear_error():
    with pytest.raises(LookupError, match="no event sink named 'kafka' .*jsonl"):
        _agent(sinks=["kafka:topic"]).run("x")


async def test_a_shared_sink_keeps_per_run_state_by_run_id():
    """One sink object serving concurrent runs sees each run bracketed by start_run / finish_run."""
    import asyncio as _asyncio

    from runwire.agent import Agent
    from runwire.sinks.base import EventSink
    from runwire.testing import ScriptedModel

    class Counting(EventSink):
        def __init__(self) -> None:
            self.open: dict[str, list[str]] = {}
            self.finished: dict[str, list[str]] = {}
            self.log: list[tuple[str, str]] = []

        async def start_run(self, run_id):
            assert run_id not in self.open
            self.open[run_id] = []
            self.log.append(("start", run_id))

        async def handle(self, event):
            self.open[event.run_id].append(event.event)  # fails if an event came before its run's start

        async def finish_run(self, run_id):
            self.finished[run_id] = self.open.pop(run_id)
            self.log.append(("finish", run_id))

    sink = Counting()
    agent = Agent(model=ScriptedModel(lambda request: "a b c", chunk_delay=0.001), sinks=[sink])
    outs = await _asyncio.gather(*[agent.arun("go", run_id=f"shared-{i}") for i in range(20)])
    assert all(o.status == "completed" for o in outs)
    assert sink.open == {}
    assert sorted(sink.finished) == sorted(f"shared-{i}" for i in range(20))
    for events in sink.finished.values():
        assert events[0] == "RunStarted" and events[-1] == "RunCompleted"
    for i in range(20):
        run_id = f"shared-{i}"
        assert sink.log.index(("start", run_id)) < sink.log.index(("finish", run_id))
