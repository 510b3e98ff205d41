"""Seed: Basic Execution."""
from runwire.agent import Agent, RunOutput
from runwire.testing import ScriptedModel
from runwire.utils.pprint import pprint_run_response

agent = Agent(model=ScriptedModel(["Beep. The robot blinked, saw the sunrise, and learned to smile."]))

# Run agent and return the response as a variable
response: RunOutput = agent.run("Tell me a 5 second short story about a robot")

# Print the response in markdown format
pprint_run_response(response, markdown=True)
