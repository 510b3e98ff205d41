"""The run loop: the one async generator behind run(), arun(), streaming or not.

RunStarted → model request → content / tool calls → tools (pause for humans)
→ repeat until an answer → (structured output) → RunCompleted. Errors end in
RunError, cancellation in RunCancelled; nothing is emitted after either.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, AsyncGenerator, AsyncIterator

from runwire.exceptions import ModelError, RunCancelledError, RunLimitError
from runwire.metrics import Metrics
from runwire.models.base import ModelRequest
from runwire.models.message import Message, ToolCall
from runwire.run.cancel import aregister_run, unregister_run
from runwire.run.context import RunContext
from runwire.run.continuation import resolve_paused
from runwire.run.events import (
    MemoryUpdateCompletedEvent,
    MemoryUpdateStartedEvent,
    ModelRequestCompletedEvent,
    ModelRequestStartedEvent,
    ReasoningContentDeltaEvent,
    RunCancelledEvent,
    RunCompletedEvent,
    RunContentCompletedEvent,
    RunContentEvent,
    RunContinuedEvent,
    RunErrorEvent,
    RunIntermediateContentEvent,
    RunOutputEvent,
    RunPausedEvent,
    RunStartedEvent,
)
from runwire.run.output import RunStatus
from runwire.run.output_model import run_output_model
from runwire.run.parser_model import run_parser_model
from runwire.run.reasoning import run_reasoning
from runwire.run.structured import OutputValidationError, parse_structured
from runwire.run.tool_execution import ToolExecution
from runwire.run.tool_runner import new_execution, run_tool_calls
from runwire.tools.toolkit import add_toolkit_functions


try:  # the C implementation: asyncio.current_task is Python code in 3.11
    from _asyncio import current_task as _current_task  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover
    _current_task = asyncio.current_task
current_task = _current_task


async def next_event(ctx: RunContext, events: AsyncIterator[RunOutputEvent]) -> RunOutputEvent:
    """The run's next event, with this task marked as the one to interrupt on cancel."""
    ctx.driver_task = current_task()
    try:
        return await events.__anext__()
    finally:
        ctx.driver_task = None


def _check_cancel(ctx: RunContext) -> None:
    if ctx.cancel_reason is not None:
        raise RunCancelledError(ctx.cancel_reason)


async def run_loop(ctx: RunContext, continued: bool = False) -> AsyncGenerator[RunOutputEvent, None]:
    """Run to the end, yielding every event. Never raises for a run failure: it ends in RunError.

    Whoever pulls events sets ``ctx.driver_task`` while it waits for the next one
    (see :func:`next_event`), so ``cancel_run`` can interrupt whatever the loop awaits.
    ``ctx.interruptible`` is True only while control is inside the loop's body, so an
    interrupt never lands in a wrapper's (storage, sinks) or the caller's own awaits.
    """
    body = _run_body(ctx, continued)
    step = body.__anext__
    try:
        while True:
            ctx.interruptible = True
            try:
                event = await step()
            except StopAsyncIteration:
                return
            finally:
                ctx.interruptible = False
            yield event
    finally:
        await body.aclose()


async def _run_body(ctx: RunContext, continued: bool) -> AsyncGenerator[RunOutputEvent, None]:
    ctx.loop = asyncio.get_running_loop()
    out = ctx.output
    out.status = RunStatus.running
    try:
        # A cancel meanwhile sets the flag, checked before the first model turn: RunStarted still comes first.
        ctx.interruptible = False
        await aregister_run(ctx)
        ctx.interruptible = True
        answered = False
        toolkits = ctx.agent.get_toolkits()  # tools found when a run starts (an MCP server's, say)
        if continued:
            yield ctx.stamp(RunContinuedEvent())
            if toolkits:
                await add_toolkit_functions(ctx, toolkits)
            pending = [te for te in out.tools if te.status == "paused"]
            if pending:  # a human answered
                for event in resolve_paused(ctx, pending):
                    yield event
            else:  # its process died: resume from the last checkpoint
                pending, answered = _unfinished_step(ctx)
            if pending:
                async for event in _tools_turn(ctx, pending):
                    yield event
                if ctx.paused:  # (the output may already be continued elsewhere)
                    return
        else:
            if not ctx.quiet:
                yield ctx.stamp(RunStartedEvent(model=ctx.model.id, model_provider=ctx.model.provider))
            if toolkits:
                await add_toolkit_functions(ctx, toolkits)
            if ctx.agent.reasoning:
                async for event in run_reasoning(ctx):
                    yield event
        agent = ctx.agent
        schema = agent.output_schema
        retries_left = agent.output_retries
        turns = 0
        while True:  # until an answer that fits (a bounded number of retries when it does not)
            if not answered:
                async for event in _turns(ctx, turns):
                    yield event
                if ctx.paused:
                    return
            answered = False
            turns = ctx.turns
            if agent.output_model is not None:
                async for event in run_output_model(ctx):
                    yield event
            text = "".join(ctx.streamed)
            if schema is None:
                out.content = text
                break
            if agent.parser_model is not None:
                async for event in run_parser_model(ctx, text):
                    yield event
                break
            try:
                out.content = parse_structured(schema, text, ctx.last_parsed)
                break
            except OutputValidationError as exc:
                if retries_left <= 0:
                    raise
                retries_left -= 1
                ctx.messages.append(Message(role="user", content=f"{exc}\nAnswer again with only the JSON object."))
                ctx.streamed.clear()
        if schema is not None:
            out.content_type = type(out.content).__name__
            yield ctx.stamp(RunContentEvent(content=out.content, content_type=out.content_type))
        if not ctx.quiet:
            yield ctx.stamp(RunContentCompletedEvent())
        if ctx.agent.enable_user_memories and ctx.storage is not None and ctx.user_id is not None:
            _check_cancel(ctx)
            yield ctx.stamp(MemoryUpdateStartedEvent())
            ctx.memories = await ctx.agent.get_memory_updater().update(ctx, ctx.memories)
            yield ctx.stamp(MemoryUpdateCompletedEvent(memories=list(ctx.memories)))
        _finish_metrics(ctx)
        out.status = RunStatus.completed
        out.session_state = ctx.session_state
        if not ctx.quiet:
            yield ctx.stamp(
                RunCompletedEvent(
                    content=out.content,
                    content_type=out.content_type,
                    reasoning_content=out.reasoning_content,
                    metrics=out.metrics,
                    session_state=ctx.session_state,
                    metadata=out.metadata,
                )
            )
    except asyncio.CancelledError:
        if ctx.paused:  # this loop ended at RunPaused: the run is no longer its to record (it may be continued)
            raise
        if ctx.cancel_reason is None:  # the caller's task was cancelled (a timeout, a shutdown): let it through
            ctx.unyielded = ctx.stamp(_cancelled(ctx, "the task running the run was cancelled"))
            raise
        task = asyncio.current_task()
        if task is not None:
            task.uncancel()  # our own interrupt: the caller's task goes on
        yield ctx.stamp(_cancelled(ctx, ctx.cancel_reason))
    except RunCancelledError as exc:
        yield ctx.stamp(_cancelled(ctx, ctx.cancel_reason or str(exc) or "cancelled"))
    except GeneratorExit:  # the caller stopped reading the stream: the run ends here, recorded as cancelled
        if out.status not in (RunStatus.completed, RunStatus.paused) and not ctx.paused:
            ctx.unyielded = ctx.stamp(_cancelled(ctx, "the caller closed the stream before the run finished"))
        raise
    except Exception as exc:
        ctx.error = exc
        out.status = RunStatus.error
        out.error = str(exc)
        out.error_type = type(exc).__name__
        out.content = "".join(ctx.streamed)
        _interrupt_unfinished(ctx)
        _finish_metrics(ctx)
        yield ctx.stamp(RunErrorEvent(content=str(exc), error_type=type(exc).__name__))
    finally:
        if not ctx.paused:  # a paused run left the registry as it paused
            unregister_run(ctx.run_id)


async def _turns(ctx: RunContext, turns: int) -> AsyncIterator[RunOutputEvent]:
    """Model turns and tool calls until the model answers without calling tools (or the run pauses).

    The model request is inline (not a nested generator): it is the per-chunk hot path.
    """
    out = ctx.output
    quiet = ctx.quiet  # nobody sees the events: only what the RunOutput keeps is built
    while True:
        _check_cancel(ctx)
        turns += 1
        ctx.turns = turns
        if turns > ctx.max_turns:
            raise RunLimitError(
                f"the run made {ctx.max_turns} model turns without a final answer (max_turns={ctx.max_turns}); "
                "raise Agent(max_turns=...) or check why the model keeps calling tools"
            )
        # One model request: stream its content, collect its tool calls, record its metrics.
        model = ctx.model
        ctx.last_parsed = None
        calls: list[ToolCall] = []
        if not quiet:
            yield ctx.stamp(ModelRequestStartedEvent(model=model.id, model_provider=model.provider))
        agent = ctx.agent
        intermediate = agent.output_model is not None  # the output model writes the answer
        request = ModelRequest(
            messages=list(ctx.messages),
            tools=ctx.tool_specs or None,
            tool_choice=_tool_choice(agent.tool_choice, ctx.tool_calls_made) if ctx.tool_specs else None,
            output_schema=agent.output_schema if agent.parser_model is None and not intermediate else None,
            run_id=ctx.run_id,
            stream=ctx.wants_deltas,
        )
        call = Metrics(id=model.id, provider=model.provider)
        t0 = time.perf_counter()
        text = ctx.streamed  # every content chunk of the run, in order
        turn_start = len(text)
        reasoning: list[str] = []
        durability = ctx.durability
        deltas = model.astream(request) if durability is None else durability.model_stream(ctx, model, request)
        async for delta in deltas:
            if ctx.cancel_reason is not None:
                raise RunCancelledError(ctx.cancel_reason)
            if delta.content:
                if type(delta.content) is not str:
                    raise ModelError(f"model {model.provider}:{model.id} sent content of type "
                                     f"{type(delta.content).__name__}, not text; the provider plugin is at fault",
                                     provider=model.provider, model=model.id)
                if call.time_to_first_token is None:
                    _first_token(ctx, call, t0)
                text.append(delta.content)
                if quiet:
                    pass
                elif intermediate:
                    yield ctx.stamp(RunIntermediateContentEvent(content=delta.content))
                else:
                    yield ctx.stamp(RunContentEvent(content=delta.content))
            if delta.reasoning_content:
                if type(delta.reasoning_content) is not str:
                    raise ModelError(f"model {model.provider}:{model.id} sent reasoning of type "
                                     f"{type(delta.reasoning_content).__name__}, not text",
                                     provider=model.provider, model=model.id)
                if call.time_to_first_token is None:
                    _first_token(ctx, call, t0)
                reasoning.append(delta.reasoning_content)
                if not quiet:
                    yield ctx.stamp(ReasoningContentDeltaEvent(reasoning_content=delta.reasoning_content))
            if delta.tool_calls:
                calls.extend(delta.tool_calls)
            if delta.usage is not None:
                call.add_usage(delta.usage)
            if delta.parsed is not None:
                ctx.last_parsed = delta.parsed
        call.duration = time.perf_counter() - t0
        content = "".join(text[turn_start:])
        reasoning_text = "".join(reasoning) or None
        if reasoning_text:
            out.reasoning_content = (out.reasoning_content or "") + reasoning_text
        ctx.messages.append(
            Message(role="assistant", content=content or None, tool_calls=calls or None, reasoning_content=reasoning_text)
        )
        out.metrics.add_call("model", call)
        if not quiet:
            yield ctx.stamp(ModelRequestCompletedEvent(
                model=model.id, model_provider=model.provider, metrics=call, input_tokens=call.input_tokens,
                output_tokens=call.output_tokens, total_tokens=call.total_tokens,
                time_to_first_token=call.time_to_first_token, reasoning_tokens=call.reasoning_tokens,
                cache_read_tokens=call.cache_read_tokens, cache_write_tokens=call.cache_write_tokens))
        if not calls:
            return
        executions = _new_executions(ctx, calls)
        async for event in _tools_turn(ctx, executions):
            yield event
        if ctx.paused:
            return
        if ctx.stop_after_tools:
            ctx.streamed.extend(te.result for te in executions if te.result)
            return


def _unfinished_step(ctx: RunContext) -> tuple[list[ToolExecution], bool]:
    """Where a run whose process died left off: the tool calls of its last model turn that still lack
    their tool messages (completed ones are kept, not run again), and whether that turn already answered."""
    last = ctx.messages[-1] if ctx.messages else None
    if last is None or last.role != "assistant":
        return [], False
    if not last.tool_calls:
        return [], True
    known = {te.tool_call_id: te for te in ctx.output.tools}
    batch = []
    for call in last.tool_calls:
        te = known.get(call.id)
        if te is None:  # the checkpoint came before the calls were recorded
            te = new_execution(call, ctx.functions.get(call.name))
            ctx.output.tools.append(te)
        batch.append(te)
    return batch, False


def _tool_choice(choice: Any, calls_made: int) -> Any:
    """A forcing choice ("required" or a named function) applies until a tool has been called, then "auto"."""
    if choice is None or choice in ("auto", "none"):
        return choice
    return choice if calls_made == 0 else "auto"


def _first_token(ctx: RunContext, call: Metrics, t0: float) -> None:
    now = time.perf_counter()
    call.time_to_first_token = now - t0
    if ctx.first_token_at is None:
        ctx.first_token_at = now


def _new_executions(ctx: RunContext, calls: list[ToolCall]) -> list[ToolExecution]:
    if ctx.tool_call_limit is not None and ctx.tool_calls_made + len(calls) > ctx.tool_call_limit:
        raise RunLimitError(
            f"the model asked for {ctx.tool_calls_made + len(calls)} tool calls, over tool_call_limit="
            f"{ctx.tool_call_limit}; raise Agent(tool_call_limit=...) or guide the model to fewer calls"
        )
    ctx.tool_calls_made += len(calls)
    executions = [new_execution(call, ctx.functions.get(call.name)) for call in calls]
    ctx.output.tools.extend(executions)
    return executions


async def _tools_turn(ctx: RunContext, executions: list[ToolExecution]) -> AsyncIterator[RunOutputEvent]:
    _check_cancel(ctx)
    async for event in run_tool_calls(ctx, executions):
        yield event
        if ctx.cancel_reason is not None:
            raise RunCancelledError(ctx.cancel_reason)
    _check_cancel(ctx)
    waiting = [te for te in executions if te.status == "paused"]
    if waiting:
        ctx.output.status = RunStatus.paused
        ctx.paused = True  # this loop stops here, even if the run is continued before its stream is closed
        unregister_run(ctx.run_id)  # not live while it waits: cancel_run finds it paused (in storage or memory)
        _finish_metrics(ctx)
        yield ctx.stamp(RunPausedEvent(tools=list(waiting)))
        return
    ctx.stop_after_tools = any(
        getattr(ctx.functions.get(te.tool_name), "stop_after_tool_call", False) and te.status == "completed"
        for te in executions
    )


def _cancelled(ctx: RunContext, reason: str) -> RunCancelledEvent:
    out = ctx.output
    _interrupt_unfinished(ctx)
    out.content = "".join(ctx.streamed)  # the partial answer is kept
    out.status = RunStatus.cancelled
    out.cancel_reason = reason
    _finish_metrics(ctx)
    return RunCancelledEvent(reason=reason)


def _interrupt_unfinished(ctx: RunContext) -> None:
    for te in ctx.output.tools:
        if te.status in ("pending", "running"):
            te.status = "interrupted"


def _finish_metrics(ctx: RunContext) -> None:
    metrics = ctx.output.metrics
    metrics.duration = time.perf_counter() - ctx.started
    if ctx.first_token_at is not None:
        metrics.time_to_first_token = ctx.first_token_at - ctx.started
