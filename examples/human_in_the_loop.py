"""Pausing for a human, then continuing: confirmation, as the seed's "Pausing and Continuing a Run".

    python examples/human_in_the_loop.py
"""

from runwire.agent import Agent
from runwire.testing import ScriptedModel, ToolCall
from runwire.tools import tool


@tool(requires_confirmation=True)
def delete_file(path: str) -> str:
    """Delete a file (asks a human first)."""
    return f"{path} deleted"


agent = Agent(
    model=ScriptedModel([[ToolCall("delete_file", {"path": "draft.txt"})], "draft.txt is gone."]),
    tools=[delete_file],
)

run = agent.run("Please delete draft.txt")
print("status:", run.status)
for waiting in run.tools_requiring_confirmation:
    print(f"the agent wants to call {waiting.tool_name}({waiting.tool_args}); confirming")
    waiting.confirmed = True

run = agent.continue_run(run)
print("status:", run.status, "|", run.content)
