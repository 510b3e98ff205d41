"""ModelRequest.stream: providers learn whether anyone wants the answer piece by piece."""

from runwire.agent import Agent
from runwire.sinks.base import EventSink
from runwire.testing import ScriptedModel


def recording_model(seen: list[bool]) -> ScriptedModel:
    def answer(request):
        seen.append(request.stream)
        return "one two three"

    return ScriptedModel(answer)


class Collector(EventSink):
    def __init__(self, wants_deltas: bool) -> None:
        self.wants_deltas = wants_deltas
        self.events: list[str] = []

    async def handle(self, event) -> None:
        self.events.append(event.event)


async def test_only_runs_someone_reads_piece_by_piece_ask_for_a_stream():
    seen: list[bool] = []
    agent = Agent(model=recording_model(seen))
    agent.run("x")
    await agent.arun("x")
    list(agent.run("x", stream=True))
    [e async for e in agent.arun("x", stream=True)]
    Agent(model=recording_model(seen), store_events=True).run("x")  # RunContent is skipped by default
    Agent(model=recording_model(seen), store_events=True, events_to_skip=[]).run("x")
    quiet, eager = Collector(wants_deltas=False), Collector(wants_deltas=True)
    Agent(model=recording_model(seen), sinks=[quiet]).run("x")
    Agent(model=recording_model(seen), sinks=[eager]).run("x")
    assert seen == [False, False, True, True, False, True, False, True]
    assert "RunContent" in quiet.events and "RunCompleted" in eager.events
