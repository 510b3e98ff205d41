"""Seed: Streaming Intermediate Steps."""
from typing import Iterator

from runwire.agent import Agent, RunOutputEvent
from runwire.testing import ScriptedModel

agent = Agent(model=ScriptedModel(["The lion roared once; the moon answered."]))

# Stream with intermediate steps
response_stream: Iterator[RunOutputEvent] = agent.run(
    "Tell me a 5 second short story about a lion",
    stream=True,
    stream_intermediate_steps=True
)
for event in response_stream:
    print(event.event)
