"""Seed: Run Input."""
from runwire.agent import Agent
from runwire.testing import ScriptedModel
from runwire.utils.pprint import pprint_run_response

agent = Agent(
    model=ScriptedModel(["FADE IN: A girl on a fire escape in New York hums to the city."]),
    description="You write movie scripts.",
)

response = agent.run("Write movie script about a girl living in New York")
pprint_run_response(response, markdown=True)
