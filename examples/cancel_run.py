"""Cancelling a run from another thread, as the seed's "Cancelling a Run".

    python examples/cancel_run.py
"""

import threading

from runwire.agent import Agent
from runwire.testing import ScriptedModel

story = " ".join(f"word{i}" for i in range(5000))
agent = Agent(model=ScriptedModel([story], chunk_delay=0.001))

stream = agent.run("Tell me a very long story", stream=True)
threading.Timer(0.2, lambda: print(f"cancelled: {agent.cancel_run(stream.run_id, 'took too long')}")).start()
for event in stream:
    if event.event == "RunCancelled":
        print(f"RunCancelled: {event.reason}")  # one write: the timer thread prints too
output = stream.run_output
print("status:", output.status, "| kept", len(output.content.split()), "words of the partial answer")
