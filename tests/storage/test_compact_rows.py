"""Runs and events are stored compacted (defaults and column values left out) and read back exactly as written,
on SQLite and PostgreSQL alike."""

import json
import math
from dataclasses import dataclass

from runwire.agent import Agent
from runwire.run.events import CustomEvent, run_output_event_from_dict
from runwire.testing import ScriptedModel, ToolCall
from runwire.testing.scripted import Reply
from runwire.tools import tool


@dataclass
class Measured(CustomEvent):
    """A tool's own event: stored as it is."""

    reading: float = 0.0


@tool
def odd(text: str, n: float = 0.0) -> object:
    """Return odd data."""
    yield Measured(reading=math.inf)
    yield f"odd \x00 {text} {n} \ud800"


@tool(requires_confirmation=True)
def drop_table(name: str) -> str:
    """Drop a table."""
    return f"dropped {name}"


def everything_model() -> ScriptedModel:
    return ScriptedModel([
        Reply(reasoning="Think first.", tool_calls=[ToolCall("odd", {"text": "nan", "n": math.nan})]),
        "an answer in several words",
        [ToolCall("drop_table", {"name": "users"})],
        "dropped it",
    ])


async def logged(storage, run_id):
    return [event for _, event in await storage.read_events(run_id)]


async def test_the_event_log_reads_back_exactly_as_written(storage):
    storage.coalesce_content = False  # one stored record per event, as runwire-server keeps them
    agent = Agent(model=everything_model(), tools=[odd, drop_table], db=storage, store_events=True,
                  events_to_skip=[])
    def as_written(events):
        return [json.dumps(e.to_json_dict(), default=str, sort_keys=True) for e in events]

    first = await agent.arun("go", session_id="exact")
    paused = await agent.arun("drop users", session_id="exact")
    assert paused.is_paused
    before = as_written(paused.events)  # as stored when it paused (its tools change once answered)
    paused.tools[0].confirmed = True
    done = await agent.acontinue_run(paused)
    assert done.content == "dropped it"
    for out, written in ((first, as_written(first.events)), (done, before + as_written(done.events[len(before):]))):
        read = [json.dumps(e, default=str, sort_keys=True) for e in await logged(storage, out.run_id)]
        assert read == written  # the same keys and values (NaN, infinity, NUL, a lone surrogate)
    events = [run_output_event_from_dict(e) for e in await logged(storage, first.run_id)]
    measured = [e for e in events if isinstance(e, Measured)]
    assert as_written(events) == as_written(first.events) and measured[0].reading == math.inf


async def test_stored_rows_leave_out_defaults_and_what_their_columns_hold(storage):
    agent = Agent(model=ScriptedModel([[ToolCall("odd", {"text": "x"})], "done"]), tools=[odd], db=storage)
    out = await agent.arun("go", session_id="small")
    rows = await storage._fetch("SELECT data FROM runwire_events WHERE run_id = ? ORDER BY seq", (out.run_id,))
    stored = [json.loads(r[0]) if isinstance(r[0], str) else r[0] for r in rows]
    read = await logged(storage, out.run_id)
    for row, full in zip(stored, read):
        if "event_class" in full:  # a custom event's class is not known to every reader: stored whole
            assert row.keys() == full.keys()
            continue
        assert not {"event", "run_id", "session_id", "created_at", "agent_name"} & row.keys()
        tool_row = row.get("tool") or {}
        assert "tool_call_error" not in tool_row and "requires_confirmation" not in tool_row
    assert sum(len(json.dumps(r)) for r in stored) < 0.6 * sum(len(json.dumps(e)) for e in read)
    run = (await storage._fetch("SELECT data FROM runwire_runs WHERE run_id = ?", (out.run_id,)))[0][0]
    run = json.loads(run) if isinstance(run, str) else run
    assert "error" not in run and "reasoning_content" not in run
    back = (await storage.get_run(out.run_id, with_events=False)).to_json_dict()
    assert json.dumps(back, sort_keys=True) == json.dumps(out.to_json_dict(), sort_keys=True)


async def test_rows_written_whole_by_an_earlier_runwire_read_back_as_they_are(storage):
    agent = Agent(model=ScriptedModel(["hello"]), db=storage, store_events=True)
    out = await agent.arun("x", session_id="old")
    whole = {**out.events[0].to_json_dict(), "content": None, "agent_name": None}
    await storage._run("UPDATE runwire_events SET data = ? WHERE run_id = ? AND seq = 0",
                       (json.dumps(whole), out.run_id))
    assert (await logged(storage, out.run_id))[0] == whole
