"""Agno's "Cancelling a Run" page and cookbook (agent run cancellation from another thread), ported.

The cookbook cancels after a delay; here the cancelling thread waits for the
first streamed chunk instead, so nothing depends on timing.
"""

import asyncio
import threading

import pytest

from runwire.agent import Agent
from runwire.models.base import Model, ModelDelta
from runwire.run.agent import RunEvent
from runwire.testing import ScriptedModel


class EndlessStory(Model):
    """Streams two words, then writes forever (until the run is cancelled)."""

    provider = "test"

    async def astream(self, request):
        yield ModelDelta(content="Once ")
        yield ModelDelta(content="upon ")
        await asyncio.sleep(3600)
        yield ModelDelta(content="never")


def long_running_task(agent, run_id_container, started):
    content_pieces = []
    for chunk in agent.run("Write a very long story about a dragon", stream=True):
        if "run_id" not in run_id_container and chunk.run_id:
            run_id_container["run_id"] = chunk.run_id
            started.set()
        if chunk.event == RunEvent.run_content:
            content_pieces.append(chunk.content)
        elif chunk.event == RunEvent.run_cancelled:
            run_id_container["result"] = {"status": "cancelled", "run_id": chunk.run_id, "cancelled": True,
                                          "content": "".join(content_pieces)}
            return
    run_id_container["result"] = {"status": "completed", "content": "".join(content_pieces)}


@pytest.mark.parametrize("how", ["on the class", "on the agent", "keyword run_id"])
def test_cancel_a_streaming_run_from_another_thread(how):
    agent = Agent(name="StorytellerAgent", model=EndlessStory("storyteller"),
                  description="An agent that writes detailed stories")
    run_id_container: dict = {}
    started = threading.Event()
    agent_thread = threading.Thread(target=lambda: long_running_task(agent, run_id_container, started))
    agent_thread.start()
    assert started.wait(30)
    run_id = run_id_container["run_id"]
    if how == "on the class":
        success = Agent.cancel_run(run_id)  # Agno's staticmethod form
    elif how == "on the agent":
        success = agent.cancel_run(run_id)
    else:
        success = agent.cancel_run(run_id=run_id)
    agent_thread.join(30)
    assert success is True
    result = run_id_container["result"]
    assert result["status"] == "cancelled" and result["run_id"] == run_id
    assert result["content"] in ("Once ", "Once upon ")  # the partial story is kept


def test_acancel_run_on_the_class():
    agent = Agent(model=EndlessStory("storyteller"))

    async def main():
        stream = agent.arun("story", stream=True)
        first = await stream.__anext__()
        assert await Agent.acancel_run(first.run_id) is True
        rest = [e async for e in stream]
        return rest[-1]

    last = asyncio.run(main())
    assert last.event == "RunCancelled" and last.is_cancelled


def test_cancelling_an_unknown_run_is_false_both_ways():
    assert Agent.cancel_run("no-such-run") is False
    assert Agent(model=ScriptedModel([])).cancel_run("no-such-run") is False
    assert asyncio.run(Agent.acancel_run("no-such-run")) is False


def test_cancel_a_paused_run_without_storage():
    from runwire.run.continuation import ContinueRunError
    from runwire.testing import ToolCall
    from runwire.tools import tool

    @tool(requires_confirmation=True)
    def wipe(disk: str) -> str:
        """Wipe a disk."""
        return "wiped"

    agent = Agent(model=ScriptedModel([[ToolCall("wipe", {"disk": "sda"})]]), tools=[wipe])
    paused = agent.run("wipe sda")
    assert agent.cancel_run(paused.run_id) is True
    assert paused.is_cancelled and paused.tools[0].status == "interrupted"
    with pytest.raises(ContinueRunError, match="is cancelled, not paused"):
        agent.continue_run(run_id=paused.run_id)
