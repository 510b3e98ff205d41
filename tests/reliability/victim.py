"""A process that runs an agent until it is killed (used by the recovery and fault-injection tests).

    python victim.py KIND URL SCHEMA RUN_ID SIDE_EFFECTS_FILE [BLOCK_AT]

Streams one run of a three-step tool agent, printing each event it receives as a JSON
line (the consumer's view). Each tool step appends to SIDE_EFFECTS_FILE; step BLOCK_AT
(if given) blocks forever after it started, so the parent can kill it mid-tool.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "storage"))

from runwire.agent import Agent  # noqa: E402
from runwire.models.base import ModelRequest  # noqa: E402
from runwire.testing import Reply, ScriptedModel, ToolCall  # noqa: E402

STEPS = 3


def make_agent(storage: Any, effects: str, block_at: int = 0, chunk_delay: float = 0.0) -> Agent:
    def step(n: int) -> str:
        """One step of the job; its side effect is a line in a file."""
        with open(effects, "a") as f:
            f.write(f"start {n}\n")
        if n == block_at:
            time.sleep(3600)
        with open(effects, "a") as f:
            f.write(f"done {n}\n")
        return f"step {n} done"

    def respond(request: ModelRequest) -> Any:
        done = sum(1 for m in request.messages if m.role == "tool")
        if done >= STEPS:
            return "all steps finished " + "word " * 30
        return Reply(content=f"now step {done + 1} " + "word " * 10, tool_calls=[ToolCall("step", {"n": done + 1})])

    return Agent(model=ScriptedModel(respond, chunk_delay=chunk_delay), tools=[step], db=storage)


def main() -> None:
    kind, url, schema, run_id, effects = sys.argv[1:6]
    block_at = int(sys.argv[6]) if len(sys.argv) > 6 else 0
    from conftest import Backend  # tests/storage/conftest.py

    agent = make_agent(Backend(kind, url, schema if schema != "-" else None).make(), effects, block_at,
                       chunk_delay=0.005)
    for event in agent.run("do the job", run_id=run_id, session_id="victims", stream=True, stream_events=True):
        print(json.dumps({"event": event.event, "created_at": event.created_at}), flush=True)


if __name__ == "__main__":
    main()
