"""A durable agent in a process of its own, for the crash tests: ``python durable_app.py MODE RUN_ID``.

MODE ``run`` starts the run (and may SIGKILL itself at ``RW_KILL_AT``); ``recover`` launches DBOS
(recovering this executor's runs, or those of ``RW_RECOVER_FROM``) and waits for the run to end;
``worker`` serves the queue until killed; ``enqueue`` puts ``RW_RUNS`` runs on the queue.
Configuration comes from the environment (RW_PG, RW_SCHEMA, RW_SYSDB, RW_EXECUTOR, RW_EFFECTS, RW_MARK).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from pathlib import Path

from runwire.agent import Agent
from runwire.testing import ScriptedModel, ToolCall
from runwire.tools import tool
from runwire_dbos import DBOSDurability
from runwire_postgres import PostgresStorage

ANSWER = "Both steps are done and the total is 42"
KILL_AT = os.environ.get("RW_KILL_AT", "")
EFFECTS = Path(os.environ["RW_EFFECTS"])
MARK = Path(os.environ.get("RW_MARK", str(EFFECTS) + ".killed"))


def die_once(point: str) -> None:
    """SIGKILL this process at ``point`` the first time it is reached (across processes)."""
    if KILL_AT == point and not MARK.exists():
        MARK.write_text(point)
        os.kill(os.getpid(), signal.SIGKILL)


def effect(name: str) -> None:
    with EFFECTS.open("a") as f:
        f.write(f"{name} {os.getpid()}\n")


def turn(request):
    done = sum(1 for m in request.messages if m.role == "tool")
    if done == 0:
        return [ToolCall("step_one", {"amount": 20}, id="call-1")]
    if done == 1:  # two tools at once
        return [ToolCall("step_two", {"amount": 22}, id="call-2"), ToolCall("step_three", {}, id="call-3")]
    if done == 3:
        return [ToolCall("ship", {"to": "Oslo"}, id="call-4")]
    return ANSWER


SEEN = Path(str(EFFECTS) + ".seen")


async def wait_for_caller() -> None:
    """Hold the model's stream until the caller has received its first chunk (it never comes if not live)."""
    for _ in range(400):
        if SEEN.exists():
            return
        await asyncio.sleep(0.025)
    raise RuntimeError("the caller never saw the first chunk while the model was streaming")


class CrashingModel(ScriptedModel):
    """The scripted model, dying at the chosen point of the final answer."""

    async def astream(self, request):
        final = sum(1 for m in request.messages if m.role == "tool") >= 4
        if final:
            die_once("after_tools")
        n = 0
        async for delta in super().astream(request):
            yield delta
            n += 1
            if final and n == 1 and os.environ.get("RW_WAIT_FOR_CALLER"):
                await wait_for_caller()
            if final and n == 3:
                die_once("model_stream")
        delay = float(os.environ.get("RW_MODEL_DELAY", "0"))
        if delay:
            await asyncio.sleep(delay)


def step_one(amount: int) -> str:
    """Charge the first amount."""
    effect("step_one")
    return f"charged {amount}"


async def step_two(amount: int) -> str:
    """Charge the second amount."""
    effect("step_two")
    return f"charged {amount}"


def step_three() -> str:
    """Record the total."""
    effect("step_three")
    return "recorded"


async def ship(to: str) -> str:
    """Ship the order."""
    effect("ship")
    die_once("tool")
    return f"shipped to {to}"


@tool(requires_confirmation=True)
def refund(amount: int) -> str:
    """Refund an amount (a human confirms it first)."""
    effect("refund")
    return f"refunded {amount}"


def hitl_turn(request):
    if not any(m.role == "tool" for m in request.messages):
        return [ToolCall("refund", {"amount": 5}, id="call-r")]
    return "Refunded"


def build() -> tuple[Agent, DBOSDurability]:
    durability = DBOSDurability(
        {"name": "runwire-test", "system_database_url": os.environ["RW_SYSDB"],
         "executor_id": os.environ.get("RW_EXECUTOR", "local"), "log_level": "WARNING",
         "notification_listener_polling_interval_sec": 0.05},
        worker_concurrency=int(os.environ.get("RW_WORKER_CONCURRENCY", "2")),
        ask_before_repeating=[name for name in os.environ.get("RW_ASK_TOOLS", "").split(",") if name],
    )
    storage = PostgresStorage(os.environ["RW_PG"], schema=os.environ["RW_SCHEMA"])
    if os.environ.get("RW_ONE_SEQ_PER_CHUNK"):  # as runwire-server keeps its logs
        storage.coalesce_content = False
    if os.environ.get("RW_HITL"):
        agent = Agent(model=ScriptedModel(hitl_turn), name="durable-hitl", tools=[refund], db=storage,
                      durability=durability)
    else:
        agent = Agent(model=CrashingModel(turn), name="durable-test", tools=[step_one, step_two, step_three, ship],
                      db=storage, durability=durability)
    return agent, durability


def main() -> None:
    mode, run_id = sys.argv[1], sys.argv[2]
    agent, durability = build()
    if mode == "enqueue":  # hands work out without serving the queue: a DBOS client, no launch
        from dbos import DBOSClient

        client = DBOSClient(system_database_url=os.environ["RW_SYSDB"])

        async def put() -> None:
            for i in range(int(os.environ["RW_RUNS"])):
                await durability.enqueue(agent, "Charge 20 then 22", client=client, run_id=f"{run_id}-{i}",
                                         session_id="s-" + run_id)
        asyncio.run(put())
        client.destroy()
        print("enqueued", flush=True)
        return
    durability.launch()
    if mode == "run":
        out = agent.run("Charge 20 then 22", run_id=run_id, session_id="s-" + run_id)
        print(out.status.value, out.content, flush=True)
    elif mode == "stream":  # the caller sees content while the model still streams (the model waits for it)
        for event in agent.run("Charge 20 then 22", run_id=run_id, session_id="s-" + run_id,
                               stream=True, stream_events=True):
            if event.event == "RunContent" and not SEEN.exists():
                SEEN.write_text("seen")
            print(event.event, flush=True)
    elif mode == "continue":  # a human confirms the paused run's tool, from this process
        updates = json.loads(os.environ.get("RW_UPDATES", '[{"tool_call_id": "call-r", "confirmed": true}]'))
        out = agent.continue_run(run_id=run_id, updated_tools=updates)
        print(out.status.value, out.content, flush=True)
    elif mode == "cancel":
        print("cancelled", agent.cancel_run(run_id), flush=True)
        from dbos import DBOS

        print("workflow", DBOS.get_workflow_status(run_id).status, flush=True)
    elif mode == "recover-until-paused":  # the recovered run asks a human: wait until it is paused in storage
        while True:
            run = agent.get_run_output(run_id)
            if run is not None and run.status.value == "paused":
                break
            time.sleep(0.05)
        print("paused", [(t.tool_name, t.status, (t.input_request or {}).get("cut_off")) for t in run.tools
                         if t.status == "paused"], flush=True)
    elif mode == "recover":
        from dbos import DBOS

        others = os.environ.get("RW_RECOVER_FROM")
        if others:
            durability.recover(others.split(","))
        print("result", DBOS.retrieve_workflow(run_id).get_result(polling_interval_sec=0.05), flush=True)
    elif mode == "recover-all":  # take over a dead worker's runs, wait for them to end
        handles = durability.recover(os.environ["RW_RECOVER_FROM"].split(","))
        from dbos import DBOS

        for workflow_id in handles:
            print("recovered", workflow_id, DBOS.retrieve_workflow(workflow_id).get_result(polling_interval_sec=0.05),
                  flush=True)
    elif mode == "worker":
        print("ready", flush=True)
        while True:
            time.sleep(1)
    durability.shutdown()


if __name__ == "__main__":
    main()
