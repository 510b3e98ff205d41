"""Seed: Streaming Responses."""
from typing import Iterator

from runwire.agent import Agent, RunOutputEvent
from runwire.testing import ScriptedModel
from runwire.utils.pprint import pprint_run_response

agent = Agent(model=ScriptedModel(["The lion yawned, and the whole savanna went quiet."]))

# Run agent and return the response as a stream
response_stream: Iterator[RunOutputEvent] = agent.run(
    "Tell me a 5 second short story about a lion",
    stream=True
)

# Print the response stream in markdown format
pprint_run_response(response_stream, markdown=True)
