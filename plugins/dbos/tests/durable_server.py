"""runwire-server serving a DBOS-durable agent, in a process of its own: ``python durable_server.py MODE PORT KEYS``.

MODE ``serve``: the server launches DBOS and serves the queue itself; ``hand-out``: the server only puts
runs on the queue (a DBOSClient, no launch); ``worker``: no server, DBOS launched, serving the queue.

The agent's one tool waits until the file ``RW_GATE`` exists, so a test sees the queued run mid-way; with
``RW_PACKED`` it first appends a line to that file (its side effect, counted by the test).
Configuration comes from the environment (RW_PG, RW_SCHEMA, RW_SYSDB, RW_EXECUTOR, RW_GATE, RW_PACKED).
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

import uvicorn
from runwire.agent import Agent
from runwire.testing import ScriptedModel, ToolCall
from runwire_dbos import DBOSDurability
from runwire_postgres import PostgresStorage
from runwire_server import APIKeys, create_app

ANSWER = "The parcel is packed"


async def pack(item: str) -> str:
    """Pack an item (waits for the test's gate)."""
    gate = Path(os.environ["RW_GATE"])
    if os.environ.get("RW_PACKED"):
        with open(os.environ["RW_PACKED"], "a") as effects:
            effects.write(f"{item}\n")
    while not gate.exists():
        await asyncio.sleep(0.02)
    return f"packed {item}"


def turn(request):
    if not any(m.role == "tool" for m in request.messages):
        return [ToolCall("pack", {"item": "books"}, id="call-1")]
    return ANSWER


def main() -> None:
    mode, port, keys = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    client = None
    if mode == "hand-out":
        from dbos import DBOSClient

        client = DBOSClient(system_database_url=os.environ["RW_SYSDB"])
    durability = DBOSDurability(
        {"name": "runwire-server-test", "system_database_url": os.environ["RW_SYSDB"],
         "executor_id": os.environ["RW_EXECUTOR"], "log_level": "WARNING"},
        queue_name="server-runs", worker_concurrency=2, polling_interval=0.05, client=client)
    storage = PostgresStorage(os.environ["RW_PG"], schema=os.environ["RW_SCHEMA"])
    agent = Agent(model=ScriptedModel(turn), id="packer", name="packer", tools=[pack], db=storage, durability=durability)
    if mode == "worker":
        durability.launch()
        print("ready", flush=True)
        while True:
            time.sleep(1)
    app = create_app([agent], auth=APIKeys.from_file(keys), web_ui=False, mcp=False)
    if mode == "hand-out":
        uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
        return
    durability.launch()  # this process also serves the queue
    try:
        uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
    finally:
        durability.shutdown()


if __name__ == "__main__":
    main()
