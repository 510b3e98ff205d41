"""The durability hook: how a run, its model requests and its tool calls are executed.

The core executes them directly. A durable-execution plugin (runwire-dbos)
subclasses :class:`Durability` and passes it as ``Agent(durability=...)`` to run
each run as a workflow keyed by its run_id, each model request as one
checkpointed step (the list of its deltas) and each tool call as another (the
values it produced). On recovery the engine replays the checkpointed steps, so
the loop takes the same path again without calling the model or the tools.

Without a durability the loop never calls into this module: its cost per chunk
is one ``is None`` test per model request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, AsyncGenerator, AsyncIterator, Callable

if TYPE_CHECKING:
    from runwire.agent import Agent
    from runwire.models.base import Model, ModelDelta, ModelRequest
    from runwire.run.context import RunContext
    from runwire.run.events import RunOutputEvent
    from runwire.run.tool_execution import ToolExecution

Pipeline = Callable[["RunContext", bool], AsyncGenerator["RunOutputEvent", None]]


class Durability:
    """Pass-through execution of a run and its steps; override what a durable engine wraps.

    ``deterministic_log``: when True the recorder writes a model response's
    content chunks only with the next non-content event (never on a timer), so
    the stored event log is a function of the events alone and a replayed run
    can skip what is already stored (``RunContext.log_replay`` records).
    """

    deterministic_log = False

    def attach(self, agent: "Agent") -> None:
        """Called once by ``Agent(durability=...)``: a durable engine registers the agent for recovery."""

    def run_events(self, agent: "Agent", ctx: "RunContext", continued: bool,
                   pipeline: Pipeline) -> AsyncGenerator["RunOutputEvent", None]:
        """The run's events; ``pipeline(ctx, continued)`` is the undecorated run (loop, storage, sinks)."""
        return pipeline(ctx, continued)

    async def run_cancelled(self, run_id: str) -> None:
        """A paused or interrupted run was cancelled in storage: a durable engine ends its workflow too."""

    def model_stream(self, ctx: "RunContext", model: "Model", request: "ModelRequest") -> AsyncIterator["ModelDelta"]:
        """One model request's deltas (a durable engine checkpoints the whole list as one step)."""
        return model.astream(request)

    def tool_call(self, ctx: "RunContext", te: "ToolExecution",
                  call: Callable[[], AsyncIterator[Any]]) -> AsyncIterator[Any]:
        """One tool call's values (custom events, then its result); a durable engine checkpoints them."""
        return call()
