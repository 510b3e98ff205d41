"""Durable runwire runs on DBOS Transact: each run a workflow, each model request and tool call a step.

``DBOSDurability`` is runwire's durability hook (``runwire.run.durability``)
implemented on DBOS. A run started with ``agent.arun`` / ``agent.run`` (or put
on the queue with :meth:`DBOSDurability.enqueue`) runs as the DBOS workflow
``runwire.run`` whose id is the run_id. Inside it:

- a model request runs as one step whose checkpointed result is the list of
  the request's deltas; on its first execution the deltas reach the run loop
  (and the caller's stream) as they arrive, on a replay they come from the
  checkpoint, and the model is not called;
- a tool call runs as one step whose result is the list of values it produced
  (its custom events, then its return value); a replayed tool is not called;
- the event log continues where the dead execution left it: the recorder is
  told how many records are stored (``RunContext.log_replay``) and skips that
  many of the replayed run's records, which are the same ones because a durable
  run's log is written per step (``deterministic_log``).

A process that died leaves its workflows PENDING; DBOS recovers them when a
process with the same executor id launches, or when another process is told
to (:meth:`DBOSDurability.recover`).
"""

from __future__ import annotations

import asyncio
import contextvars
from typing import TYPE_CHECKING, Any, AsyncGenerator, AsyncIterator, Callable, Coroutine, Iterable, Optional

from dbos import DBOS, DBOSClient, DBOSConfig, SetWorkflowID
from runwire.run.durability import Durability, Pipeline

if TYPE_CHECKING:
    from runwire.agent import Agent
    from runwire.models.base import Model, ModelDelta, ModelRequest
    from runwire.run.context import RunContext
    from runwire.run.events import RunOutputEvent
    from runwire.run.tool_execution import ToolExecution

WORKFLOW_NAME = "runwire.run"
CONTINUE_TOPIC = "runwire.continue"
PAUSE_TIMEOUT = 30 * 24 * 3600.0  # how long a paused run's workflow waits for a human (then continue_run runs inline)
_END = object()

_agents: dict[str, "Agent"] = {}  # agents by id: a recovering process finds the run's agent here
_live: dict[str, tuple["RunContext", "asyncio.Queue[Any]"]] = {}  # runs whose caller is in this process


class DBOSDurability(Durability):
    """Runs an agent's runs as DBOS workflows. Build it, pass it to ``Agent(durability=...)``, then ``launch()``.

    ``config`` is DBOS's configuration (``name``, ``system_database_url``,
    ``executor_id``, ...). ``queue_name`` / ``worker_concurrency`` /
    ``rate_limit`` (runs, seconds) and ``polling_interval`` (seconds between a worker's looks at the
    queue) describe the queue background runs go on. ``ask_before_repeating`` names tools that must not
    simply run again after their process died mid-call: the recovered run pauses and asks a human
    (a ``run_again`` field) instead. ``client``: a ``DBOSClient`` that :meth:`enqueue` uses by default (a
    process that only hands runs out to workers, e.g. a web server, and does not launch DBOS).
    Every process that may recover a run must construct the same agents (same
    ``name`` or ``id``) before :meth:`launch`.
    """

    deterministic_log = True

    def __init__(self, config: DBOSConfig, *, queue_name: str = "runwire-runs",
                 worker_concurrency: Optional[int] = None,
                 rate_limit: Optional[tuple[int, float]] = None, polling_interval: float = 0.1,
                 ask_before_repeating: Iterable[str] = (), client: Optional[DBOSClient] = None) -> None:
        self.config = config
        self.client = client
        self.queue_name = queue_name
        self.worker_concurrency = worker_concurrency
        self.rate_limit = rate_limit
        self.polling_interval = polling_interval
        self.ask_before_repeating = frozenset(ask_before_repeating)
        self._dbos: Optional[DBOS] = None

    # -- lifecycle -----------------------------------------------------------------
    def attach(self, agent: "Agent") -> None:
        if agent.name is None and agent._id is None:
            raise ValueError("a durable agent needs a stable identity: give it Agent(name=...) or Agent(id=...), "
                             "the same in every process that may recover its runs")
        _agents[agent.id] = agent

    def launch(self) -> None:
        """Start DBOS in this process: recover this executor's unfinished runs and serve the queue."""
        self._dbos = DBOS(config=self.config)
        DBOS.launch()
        DBOS.register_queue(self.queue_name, **self._queue_options())

    async def alaunch(self) -> None:
        """:meth:`launch` from async code (inside a running event loop)."""
        self._dbos = DBOS(config=self.config)
        DBOS.launch()
        await DBOS.register_queue_async(self.queue_name, **self._queue_options())

    def _queue_options(self) -> dict[str, Any]:
        limiter = {"limit": self.rate_limit[0], "period": self.rate_limit[1]} if self.rate_limit else None
        return {"worker_concurrency": self.worker_concurrency, "limiter": limiter,
                "polling_interval_sec": self.polling_interval}

    def shutdown(self) -> None:
        """Stop DBOS in this process (unfinished runs stay PENDING, to be recovered)."""
        DBOS.destroy(workflow_completion_timeout_sec=0)
        self._dbos = None

    @staticmethod
    def recover(executor_ids: list[str]) -> list[str]:
        """Recover the unfinished runs of other executors (processes that died) in this one; their run ids."""
        return [handle.workflow_id for handle in DBOS._recover_pending_workflows(executor_ids)]

    # -- starting runs -----------------------------------------------------------------
    def run_events(self, agent: "Agent", ctx: "RunContext", continued: bool,
                   pipeline: Pipeline) -> AsyncGenerator["RunOutputEvent", None]:
        if DBOS.workflow_id is not None:  # inside the run's workflow already
            return pipeline(ctx, continued)
        if continued:
            return self._continue(ctx, pipeline)
        return self._relay(agent, ctx)

    async def _continue(self, ctx: "RunContext", pipeline: Pipeline) -> AsyncGenerator["RunOutputEvent", None]:
        """A human answered: hand the answers to the run's waiting workflow, wherever it runs, and follow its log.

        A run whose workflow no longer waits (it paused before the plugin was used, or waited longer than
        ``PAUSE_TIMEOUT``) is continued here, as without the plugin. A workflow whose process died gets the
        answers when a process recovers it (same executor id at launch, or :meth:`recover`).
        """
        status = await DBOS.get_workflow_status_async(ctx.run_id)
        storage = ctx.storage
        # PENDING: it waits (or runs); ENQUEUED: recovery put it back on a queue, a process will run it
        if status is None or status.status not in ("PENDING", "ENQUEUED") or storage is None:
            async for event in pipeline(ctx, True):
                yield event
            return
        from runwire.storage.liveness import process_owner
        from runwire.storage.recorder import _claim

        await _claim(ctx, storage, process_owner())  # of concurrent continues, one wins; the others get an error
        seq = await storage.next_event_seq(ctx.run_id)
        await DBOS.send_async(ctx.run_id, list(ctx.output.tools), topic=CONTINUE_TOPIC)
        async for event in _follow(storage, ctx.run_id, seq):
            yield event
        stored = await storage.get_run(ctx.run_id, with_events=False)
        if stored is not None:
            vars(ctx.output).update(vars(stored))

    async def run_cancelled(self, run_id: str) -> None:
        if DBOS.workflow_id is None and await DBOS.get_workflow_status_async(run_id) is not None:
            await DBOS.cancel_workflow_async(run_id)

    async def _relay(self, agent: "Agent", ctx: "RunContext") -> AsyncGenerator["RunOutputEvent", None]:
        """Start the run's workflow in this process and hand its events on as they come."""
        queue: asyncio.Queue[Any] = asyncio.Queue()
        _live[ctx.run_id] = (ctx, queue)
        try:
            with SetWorkflowID(ctx.run_id):
                handle = await DBOS.start_workflow_async(run_workflow, agent.id, _inputs(ctx))
            result = asyncio.ensure_future(handle.get_result())
            async for item in _until(queue, result):
                if item is _END:
                    break
                yield item
            if ctx.output.status.value != "paused":  # a paused run's workflow goes on waiting for a human
                await result
        finally:
            _live.pop(ctx.run_id, None)

    async def enqueue(self, agent: "Agent", input: Any, *, client: Optional[DBOSClient] = None,
                      user_id: Optional[str] = None, session_id: Optional[str] = None,
                      session_state: Optional[dict[str, Any]] = None, run_id: Optional[str] = None) -> str:
        """Put a run on the queue for the worker processes; returns its run_id (its record is in storage).

        From a process that launched DBOS, or, with ``client=DBOSClient(system_database_url=...)``, from
        one that did not (a web server that only hands work out).
        """
        ctx = agent._context(input, user_id=user_id, session_id=session_id, session_state=session_state,
                             run_id=run_id, images=None, audio=None, videos=None, files=None, store_events=None)
        client = client if client is not None else self.client
        if client is not None:
            await client.enqueue_async({"workflow_name": WORKFLOW_NAME, "queue_name": self.queue_name,
                                        "workflow_id": ctx.run_id, "application_name": self.config.get("name")},
                                       agent.id, _inputs(ctx))
            return ctx.run_id
        queue = await DBOS.retrieve_queue_async(self.queue_name)
        if queue is None:
            raise RuntimeError(f"the DBOS queue {self.queue_name!r} is not registered: call launch() first")
        with SetWorkflowID(ctx.run_id):
            await queue.enqueue_async(run_workflow, agent.id, _inputs(ctx))
        return ctx.run_id

    # -- steps ---------------------------------------------------------------------------
    def model_stream(self, ctx: "RunContext", model: "Model", request: "ModelRequest") -> AsyncIterator["ModelDelta"]:
        if DBOS.workflow_id is None:
            return model.astream(request)

        async def request_model(put: Callable[[Any], None]) -> list[Any]:
            deltas = []
            async for delta in model.astream(request):
                deltas.append(delta)
                put(delta)
            return deltas

        return _checkpointed(f"model:{model.provider}:{model.id}", request_model)

    def tool_call(self, ctx: "RunContext", te: "ToolExecution",
                  call: Callable[[], AsyncIterator[Any]]) -> AsyncIterator[Any]:
        if DBOS.workflow_id is None:
            return call()

        async def call_tool(put: Callable[[Any], None]) -> list[Any]:
            values = []
            async for value in call():
                values.append(value)
                put(value)
            return values

        if te.tool_name in self.ask_before_repeating:
            return _asking_before_repeating(te, call_tool)
        return _checkpointed(f"tool:{te.tool_name}", call_tool)


async def _follow(storage: Any, run_id: str, seq: int, interval: float = 0.05) -> AsyncIterator["RunOutputEvent"]:
    """The run's stored events from ``seq`` on, as they are written, until its terminal event."""
    from runwire.run.events import run_output_event_from_dict
    from runwire.storage.recorder import TERMINAL

    while True:
        for seq_read, data in await storage.read_events(run_id, after=seq - 1):
            seq = seq_read + 1
            yield run_output_event_from_dict(data)
            if data.get("event") in TERMINAL:
                return
        await asyncio.sleep(interval)


def _inputs(ctx: "RunContext") -> dict[str, Any]:
    inputs = dict(ctx.run_inputs or {})
    inputs.update(run_id=ctx.run_id, session_id=ctx.session_id)
    return inputs


async def _until(queue: "asyncio.Queue[Any]", done: "asyncio.Future[Any]") -> AsyncIterator[Any]:
    """The queue's items as they come, until ``done`` finishes and the queue is empty."""
    while True:
        if not queue.empty():
            yield queue.get_nowait()
            continue
        if done.done():
            return
        get = asyncio.ensure_future(queue.get())
        try:
            await asyncio.wait((get, done), return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not get.done():
                get.cancel()
        if get.done() and not get.cancelled():
            yield get.result()


async def _checkpointed(name: str,
                        produce: Callable[[Callable[[Any], None]], Coroutine[Any, Any, list[Any]]]) -> AsyncIterator[Any]:
    """Run ``produce`` as one DBOS step: its values live as they come, or, replayed, from the checkpoint."""
    reservation = DBOS.reserve_step()  # the step's id is drawn here, in the run's order, even for concurrent tools
    queue: asyncio.Queue[Any] = asyncio.Queue()
    step: asyncio.Future[list[Any]] = asyncio.ensure_future(
        reservation.run_async({"name": name}, produce, queue.put_nowait))
    live = 0
    try:
        async for value in _until(queue, step):
            live += 1
            yield value
        values = step.result()
        if not live:  # replayed: the step did not run, its values come from the checkpoint
            for value in values:
                yield value
    finally:
        if not step.done():
            step.cancel()


class _CutOff:
    """The checkpoint of a tool call that an earlier execution started and never finished."""


async def _asking_before_repeating(te: "ToolExecution",
                                   call_tool: Callable[[Callable[[Any], None]], Coroutine[Any, Any, list[Any]]]
                                   ) -> AsyncIterator[Any]:
    """A tool call that pauses the run for a human, instead of running again, when its process died mid-call."""
    from runwire.exceptions import ToolInputRequired
    from runwire.run.tool_execution import UserInputField

    request = te.input_request or {}
    if te.answered and request.get("cut_off"):  # a human answered whether to run it again
        answer = next((f.value for f in te.user_input_schema or [] if f.name == "run_again"), False)
        if answer not in (True, "true", "True", "yes", 1):
            yield f"not run again: the call to {te.tool_name} was cut off mid-call and a human chose not to repeat it"
            return
    fresh: list[bool] = []
    await DBOS.run_step_async({"name": f"tool-begins:{te.tool_name}"}, fresh.append, True)
    reservation = DBOS.reserve_step()
    produce = call_tool
    if not fresh and not await _recorded(reservation.step_id):  # begun before, never finished: cut off
        async def produce(put: Callable[[Any], None]) -> list[Any]:
            return [_CutOff()]
    values = await reservation.run_async({"name": f"tool:{te.tool_name}"}, produce, lambda value: None)
    if values and isinstance(values[0], _CutOff):
        raise ToolInputRequired(
            f"the call to {te.tool_name} was cut off mid-call when its process died, and it may have had effects; "
            "set run_again to true to run it again, or false to go on without it",
            [UserInputField(name="run_again", field_type="bool", description="run the interrupted call again")],
            {"cut_off": True},
        )
    for value in values:
        yield value


async def _recorded(step_id: int) -> bool:
    """Whether this workflow's step ``step_id`` has its result checkpointed (read outside the workflow's steps)."""
    workflow_id = DBOS.workflow_id
    loop = asyncio.get_running_loop()
    probe = loop.create_task(DBOS.list_workflow_steps_async(workflow_id, load_output=False),  # type: ignore[arg-type]
                             context=contextvars.Context())  # outside the workflow: not a step of its own
    return any(step["function_id"] == step_id and step["completed_at_epoch_ms"] for step in await probe)


@DBOS.workflow(name=WORKFLOW_NAME)
async def run_workflow(agent_id: str, inputs: dict[str, Any]) -> str:
    """One runwire run, from its inputs to its final row; its events go to the caller if it is in this process."""
    agent = _agents.get(agent_id)
    if agent is None:
        raise RuntimeError(f"run {DBOS.workflow_id} belongs to agent {agent_id!r}, which this process has not "
                           "built: construct the same Agent(name=..., durability=...) before DBOSDurability.launch()")
    from runwire.run.output import RunStatus

    live = _live.pop(inputs["run_id"], None)
    ctx, queue = live if live is not None else (agent._context(**inputs), None)
    if ctx.storage is not None:
        ctx.log_replay = await ctx.storage.next_event_seq(ctx.run_id)
    try:
        await _drive(ctx, agent._pipeline(ctx, False), queue)
    finally:
        if queue is not None:  # the caller's run() returns (paused, or ended); the workflow may go on waiting
            queue.put_nowait(_END)
    while ctx.output.status == RunStatus.paused:  # wait for a human, for days if need be, then go on
        answered = await DBOS.recv_async(CONTINUE_TOPIC, timeout_seconds=PAUSE_TIMEOUT)
        if answered is None:
            break  # still paused in storage: continue_run continues it without the workflow
        tools = {te.tool_call_id: te for te in answered}
        ctx.output.tools = [tools.get(te.tool_call_id, te) for te in ctx.output.tools]
        replay = ctx.log_replay
        ctx = agent._continue_context(ctx.output)
        ctx.claimed, ctx.log_replay = True, replay  # continue_run claimed it before sending the answers
        await _drive(ctx, agent._pipeline(ctx, True), None)
    return ctx.output.status.value


async def _drive(ctx: "RunContext", events: AsyncGenerator["RunOutputEvent", None],
                 queue: "Optional[asyncio.Queue[Any]]") -> None:
    step = events.__anext__
    task = asyncio.current_task()
    while True:
        ctx.driver_task = task  # cancel_run interrupts this task, which runs the loop
        try:
            event = await step()
        except StopAsyncIteration:
            break
        finally:
            ctx.driver_task = None
        if queue is not None:
            queue.put_nowait(event)
