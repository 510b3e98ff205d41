"""Seed: Agent.arun(), plain and streaming."""
import asyncio

from runwire.agent import Agent
from runwire.testing import ScriptedModel
from runwire.utils.pprint import apprint_run_response


async def main() -> None:
    agent = Agent(model=ScriptedModel(["Async robots never wait.", "They stream, token by token."]))
    response = await agent.arun("Tell me a 5 second short story about a robot")
    print(response.content)
    await apprint_run_response(agent.arun("And another", stream=True), markdown=True)


asyncio.run(main())
