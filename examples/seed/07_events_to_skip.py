"""Seed: Storing Events, with events_to_skip."""
from runwire.agent import Agent
from runwire.run.agent import RunEvent
from runwire.testing import ScriptedModel

agent = Agent(model=ScriptedModel(["Roar."]), store_events=True, events_to_skip=[RunEvent.run_started])

response = agent.run("Tell me a 5 second short story about a lion")
print([event.event for event in response.events])
