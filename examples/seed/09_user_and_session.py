"""Seed: Specify the User and Session."""
from runwire.agent import Agent
from runwire.testing import ScriptedModel

agent = Agent(model=ScriptedModel(["Bolt the robot fixed a star."]))

response = agent.run("Tell me a 5 second short story about a robot", user_id="john@example.com", session_id="session_123")
print(response.user_id, response.session_id, response.content)
