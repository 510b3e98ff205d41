"""Seed: Storing Events."""
from runwire.agent import Agent
from runwire.testing import ScriptedModel
from runwire.utils.pprint import pprint_run_response

agent = Agent(model=ScriptedModel(["A lion cub chased its own tail until sunset."]), store_events=True)

response = agent.run("Tell me a 5 second short story about a lion", stream=True, stream_intermediate_steps=True)
pprint_run_response(response)

for event in response.events:
    print(event.event)
