"""Seed: Handling Events."""
from runwire.agent import Agent
from runwire.testing import Reply, ScriptedModel, ToolCall


def get_lion_fact(topic: str) -> str:
    """Return a fact about lions."""
    return "Lions sleep up to 20 hours a day."


agent = Agent(
    model=ScriptedModel([
        Reply(reasoning="A fact would help.", tool_calls=[ToolCall("get_lion_fact", {"topic": "sleep"})]),
        "The lion slept twenty hours, woke, and ruled for four.",
    ]),
    tools=[get_lion_fact],
)

response_stream = agent.run("Tell me a 5 second short story about a lion", stream=True, stream_intermediate_steps=True)

for event in response_stream:
    if event.event == "RunContent":
        print(f"Content: {event.content}")
    elif event.event == "ToolCallStarted":
        print(f"Tool call started: {event.tool}")
    elif event.event == "ReasoningStep":
        print(f"Reasoning step: {event.content}")
    ...
