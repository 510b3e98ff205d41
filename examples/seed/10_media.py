"""Seed: Passing Images / Audio / Video / Files."""
from runwire.agent import Agent
from runwire.media import Image
from runwire.testing import ScriptedModel

agent = Agent(model=ScriptedModel(["In the picture, a robot waters a single flower."]))

response = agent.run("Tell me a 5 second short story about this image", images=[Image(url="https://example.com/image.jpg")])
print(response.content)
print("images sent:", [image.url for image in response.messages[-2].images])
