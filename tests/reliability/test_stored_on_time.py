"""What the stream showed is stored on time: buffered text when the model stalls, the final state
before the terminal event reaches a caller who stops reading there."""

from __future__ import annotations

import asyncio

import pytest

from runwire.agent import Agent
from runwire.models.base import Model, ModelDelta, ModelRequest
from runwire.testing import ScriptedModel
from runwire.tools import tool


class Stalls(Model):
    """Streams ten chunks, then waits until released."""

    provider = "stalls"

    def __init__(self) -> None:
        super().__init__("stalls")
        self.release = asyncio.Event()

    async def astream(self, request: ModelRequest):
        for i in range(10):
            yield ModelDelta(content=f"c{i} ")
        await self.release.wait()
        yield ModelDelta(content="end")


async def test_buffered_chunks_are_written_while_the_model_is_silent(backend):
    model = Stalls()
    writer_side, reader = backend.make(), backend.make()
    agent = Agent(model=model, db=writer_side)
    task = asyncio.ensure_future(agent.arun("go", run_id="stall", session_id="stall"))
    stored_text = ""
    for _ in range(200):  # the flush is due 0.25 s after the first unwritten chunk; poll until it lands
        events = await reader.get_events("stall")
        stored_text = "".join(e.get("content", "") for e in events if e["event"] == "RunContent")
        if stored_text:
            break
        await asyncio.sleep(0.05)
    assert stored_text == "".join(f"c{i} " for i in range(10))
    assert not task.done()  # still stalled: the write did not wait for the next chunk
    model.release.set()
    assert (await task).content.endswith("end")
    await writer_side.aclose()
    await reader.aclose()


@tool(requires_confirmation=True)
def approve() -> str:
    """Needs a yes."""
    return "yes"


@pytest.mark.parametrize("terminal", ["RunCompleted", "RunPaused", "RunCancelled"])
async def test_breaking_at_the_terminal_event_leaves_a_complete_record(storage, terminal):
    from .conftest import call_then_answer

    model = ScriptedModel(call_then_answer("approve") if terminal == "RunPaused" else ["one two three"],
                          chunk_delay=0.01 if terminal == "RunCancelled" else 0)
    agent = Agent(model=model, tools=[approve], db=storage)
    stream = agent.arun("go", stream=True, stream_events=True, session_id="brk")
    async for event in stream:
        if event.event == "RunContent" and terminal == "RunCancelled":
            await agent.acancel_run(event.run_id)
        if event.event == terminal:
            break  # as Agno's cookbook does; the stream object is still referenced (no garbage collection)
    stored = await storage.get_run(stream.run_id)
    assert stored.status == {"RunCompleted": "completed", "RunPaused": "paused", "RunCancelled": "cancelled"}[terminal]
    assert stored.events[-1].event == terminal


def test_breaking_a_sync_stream_at_run_completed(tmp_path):
    from runwire.run.sync_bridge import get_runner

    agent = Agent(model=ScriptedModel(["a b"]), db=f"sqlite:///{tmp_path}/s.db")
    stream = agent.run("go", stream=True, stream_events=True)
    for event in stream:
        if event.event == "RunCompleted":
            break
    stored = get_runner()(agent.get_storage().get_run(stream.run_id))
    assert stored.status == "completed" and stored.events[-1].event == "RunCompleted"


async def test_the_terminal_event_and_the_final_row_share_one_write(storage, monkeypatch):
    """A crash between them could leave RunCompleted in the log with the row still running."""
    writes: list[tuple[list[str], str]] = []
    original = storage.save_run_state

    async def spy(run, events=(), start_seq=0, **kwargs):
        writes.append(([e["event"] for e in events], str(kwargs.get("data", {}).get("status") or run.status)))
        return await original(run, events, start_seq, **kwargs)

    appended: list[str] = []
    original_append = storage.append_events

    async def spy_append(run_id, session_id, start_seq, events):
        appended.extend(e["event"] for e in events)
        return await original_append(run_id, session_id, start_seq, events)

    monkeypatch.setattr(storage, "save_run_state", spy)
    monkeypatch.setattr(storage, "append_events", spy_append)
    agent = Agent(model=ScriptedModel(["one two three"]), db=storage)
    await agent.arun("go", session_id="one-write")
    assert "RunCompleted" not in appended
    final = [w for w in writes if "RunCompleted" in w[0]]
    assert final == [(final[0][0], "completed")] and final[0][0][-1] == "RunCompleted"
