"""Running the tool calls of one model turn: concurrently, each streaming its events."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from typing import Any, AsyncIterator, Awaitable, Optional, TypeVar, cast

from runwire.exceptions import ToolError, ToolInputRequired
from runwire.metrics import ToolCallMetrics
from runwire.models.message import Message, ToolCall
from runwire.run.context import RunContext
from runwire.run.events import (
    CustomEvent,
    RunOutputEvent,
    ToolCallCompletedEvent,
    ToolCallErrorEvent,
    ToolCallStartedEvent,
    check_custom_event_name,
)
from runwire.run.executors import run_tool_in_thread
from runwire.run.tool_execution import ToolExecution, ToolResult
from runwire.tools.function import Function

_DONE = object()
T = TypeVar("T")


def result_to_str(value: Any) -> str:
    """The text the model sees for a tool's return value."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    dump = getattr(value, "model_dump_json", None)
    if dump is not None:
        return str(dump())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return json.dumps(dataclasses.asdict(value), default=str)
    if isinstance(value, (dict, list, tuple, int, float, bool)):
        return json.dumps(value, default=str)
    return str(value)


def parse_arguments(call: ToolCall) -> dict[str, Any]:
    """Decode a tool call's arguments, with an error the model can act on."""
    args = call.arguments
    if isinstance(args, dict):
        return args
    if args is None or not args.strip():
        return {}
    if not isinstance(args, str):
        raise ToolError(f"the arguments for tool {call.name!r} must be a JSON object, got {type(args).__name__}")
    try:
        decoded = json.loads(args)
    except json.JSONDecodeError as exc:
        raise ToolError(
            f"the arguments for tool {call.name!r} are not valid JSON ({exc.msg} at position {exc.pos}): {args[:200]!r}. "
            "Call the tool again with a JSON object of arguments"
        ) from None
    except (ValueError, RecursionError) as exc:  # an integer of thousands of digits, nesting too deep to read
        raise ToolError(
            f"the arguments for tool {call.name!r} could not be read ({type(exc).__name__}: {str(exc)[:200]}); "
            "call the tool again with plain, shallow JSON arguments"
        ) from None
    if not isinstance(decoded, dict):
        raise ToolError(f"the arguments for tool {call.name!r} must be a JSON object, got {type(decoded).__name__}")
    return decoded


def new_execution(call: ToolCall, fn: Optional[Function[..., Any]]) -> ToolExecution:
    te = ToolExecution(tool_call_id=call.id, tool_name=call.name)
    try:
        te.tool_args = parse_arguments(call)
    except ToolError as exc:
        te.tool_args = None
        te.error = str(exc)
    if fn is not None and fn.needs_human:
        te.requires_confirmation = fn.requires_confirmation
        te.requires_user_input = fn.requires_user_input
        te.external_execution_required = fn.external_execution
        if fn.requires_user_input:
            te.user_input_schema = fn.user_input_schema(te.tool_args)
    return te


def _shallow(obj: T) -> T:
    """What ``copy.copy`` makes of a plain dataclass instance, at a fraction of its cost."""
    cls = type(obj)
    new = cls.__new__(cls)
    new.__dict__.update(obj.__dict__)
    return new


def _snapshot(te: ToolExecution) -> ToolExecution:
    snap = _shallow(te)
    if te.metrics is not None:
        snap.metrics = _shallow(te.metrics)
    return snap


async def _call(fn: Function[..., Any], kwargs: dict[str, Any], run_id: str) -> AsyncIterator[Any]:
    """Run ``fn``; yield CustomEvents as they come and, last, the result value.

    Sync tools run on the tool pool (:mod:`runwire.run.executors`), never on
    asyncio's default executor, so a hung one cannot starve storage.
    """
    kind = fn.kind
    if kind in _PLAIN:
        yield await _call_plain(fn, kwargs, run_id)
    elif kind == "async_generator":
        async for item in fn.fn(**kwargs):
            yield item
    else:
        gen = await run_tool_in_thread(fn.name, run_id, fn.fn, **kwargs)
        while True:
            item = await run_tool_in_thread(fn.name, run_id, next, gen, _DONE)
            if item is _DONE:
                break
            yield item


_PLAIN = ("sync", "async")  # kinds of tools that return one value and yield no events


def _call_plain(fn: Function[..., Any], kwargs: dict[str, Any], run_id: str) -> Awaitable[Any]:
    """The value of a sync tool (run on the tool pool) or an async one."""
    if fn.kind == "async":
        return cast("Awaitable[Any]", fn.fn(**kwargs))
    return run_tool_in_thread(fn.name, run_id, fn.fn, **kwargs)


async def run_one(ctx: RunContext, te: ToolExecution) -> AsyncIterator[RunOutputEvent]:
    """Execute one tool call; yields its custom events, then ToolCallCompleted or ToolCallError."""
    fn = ctx.functions.get(te.tool_name)
    te.status = "running"
    te.started_at = time.time()
    te.metrics = ToolCallMetrics(start_time=te.started_at)
    t0 = time.perf_counter()
    pieces: list[Any] = []
    scope: Optional[asyncio.Timeout] = None
    try:
        if fn is None:
            raise ToolError(
                f"there is no tool named {te.tool_name!r}; available tools: {', '.join(sorted(ctx.functions)) or 'none'}"
            )
        if te.tool_args is None:
            raise ToolError(te.error or f"the arguments for tool {te.tool_name!r} could not be read")
        kwargs = fn.validate(te.tool_args)
        for name in fn.injected:
            kwargs[name] = {"agent": ctx.agent, "run_context": ctx, "session_state": ctx.session_state,
                            "tool_execution": te}[name]
        durability = ctx.durability
        if fn.timeout_seconds is None and durability is None and fn.kind in _PLAIN:  # no scope, no generator
            pieces.append(await _call_plain(fn, kwargs, ctx.run_id))
        else:
            scope = asyncio.timeout(fn.timeout_seconds)  # None: no limit
            async with scope:
                values = (_call(fn, kwargs, ctx.run_id) if durability is None
                          else durability.tool_call(ctx, te, lambda: _call(fn, kwargs, ctx.run_id)))
                async for item in values:
                    if isinstance(item, CustomEvent):
                        check_custom_event_name(item)  # renamed after construction: still no fake RunCompleted
                        item.tool_call_id = te.tool_call_id
                        yield ctx.stamp(item)
                    else:
                        pieces.append(item)
        if any(isinstance(p, ToolResult) for p in pieces):  # media for the model
            pieces = [_take_media(te, p) if isinstance(p, ToolResult) else p for p in pieces]
        result = _result_text(fn, pieces)
    except ToolInputRequired as exc:  # the tool asks a human: the run pauses, continue_run calls it again
        te.status = "paused"
        te.requires_user_input = True
        te.user_input_schema = list(exc.fields)
        te.input_request = exc.request
        te.answered = False
        return
    except TimeoutError as exc:
        if scope is not None and scope.expired():
            yield _fail(ctx, te, t0, f"tool {te.tool_name!r} timed out after {fn.timeout_seconds} s")  # type: ignore[union-attr]
        else:  # the tool's own timeout (a network call inside it, say)
            yield _fail(ctx, te, t0, f"TimeoutError: {exc}")
        return
    except (Exception, RecursionError) as exc:
        detail = str(exc) if isinstance(exc, ToolError) else f"{type(exc).__name__}: {str(exc)[:1000]}"
        yield _fail(ctx, te, t0, detail)
        return
    te.result = result
    te.status = "completed"
    _timed(te, t0)
    if not ctx.quiet:
        yield ctx.stamp(ToolCallCompletedEvent(tool=_snapshot(te), content=result))


def _result_text(fn: Function[..., Any], pieces: list[Any]) -> str:
    """The tool's result as the model will see it; a value that cannot be written as text is the tool's error."""
    try:
        if fn.kind in ("sync", "async"):
            return result_to_str(pieces[0] if pieces else None)
        if all(isinstance(p, str) for p in pieces):
            return "".join(pieces)
        return result_to_str(pieces)
    except (TypeError, ValueError, RecursionError) as exc:
        raise ToolError(f"tool {fn.name!r} returned a value that cannot be turned into text for the model "
                        f"({type(exc).__name__}: {str(exc)[:200]}); return a str, or JSON-ready data") from None


def _timed(te: ToolExecution, t0: float) -> None:
    te.duration = time.perf_counter() - t0
    if te.metrics is not None:
        te.metrics.duration = te.duration
        te.metrics.end_time = time.time()


def _fail(ctx: RunContext, te: ToolExecution, t0: float, error: str) -> RunOutputEvent:
    te.status = "error"
    te.tool_call_error = True
    te.error = error
    te.result = f"Error: {error}"
    _timed(te, t0)
    return ctx.stamp(ToolCallErrorEvent(tool=_snapshot(te), error=error))


async def run_tool_calls(ctx: RunContext, executions: list[ToolExecution]) -> AsyncIterator[RunOutputEvent]:
    """Run ``executions`` concurrently; each yields ToolCallCompleted as soon as it finishes.

    Calls that need a human (confirmation, input, external execution) and have
    not been answered are marked paused and skipped. Tool messages are appended
    to the run's messages in call order once all calls are done.
    """
    runnable = []
    for te in executions:
        if te.status in ("rejected", "completed", "error"):  # answered by a human, or done before a restart
            continue
        fn = ctx.functions.get(te.tool_name)
        if fn is not None and fn.needs_human and not te.answered:
            te.status = "paused"
            continue
        runnable.append(te)
        if not ctx.quiet:
            yield ctx.stamp(ToolCallStartedEvent(tool=_snapshot(te)))
    if len(runnable) == 1:
        async for event in run_one(ctx, runnable[0]):
            yield event
    elif runnable:
        queue: asyncio.Queue[Any] = asyncio.Queue()

        async def pump(te: ToolExecution) -> None:
            try:
                async for event in run_one(ctx, te):
                    queue.put_nowait(event)
            except Exception as exc:  # never lost in a task: the run fails with it
                queue.put_nowait(exc)
            finally:
                queue.put_nowait(_DONE)

        tasks = [asyncio.ensure_future(pump(te)) for te in runnable]
        remaining = len(tasks)
        try:
            while remaining:
                item = await queue.get()
                if item is _DONE:
                    remaining -= 1
                elif isinstance(item, Exception):
                    raise item
                else:
                    yield item
        finally:
            for task in tasks:
                if not task.done():
                    task.cancel()
                    te = runnable[tasks.index(task)]
                    te.status = "interrupted"
    for te in executions:
        if te.status in ("completed", "error", "rejected"):
            ctx.messages.append(tool_message(te))
    media = [te for te in executions if te.status == "completed" and (te.images or te.audio or te.files)]
    if media and not any(te.status == "paused" for te in executions):  # tool messages must follow their call
        ctx.messages.append(media_message(media))


def _take_media(te: ToolExecution, result: ToolResult) -> str:
    for name in ("images", "audio", "files"):
        given = getattr(result, name)
        if given:
            setattr(te, name, [*(getattr(te, name) or []), *given])
    return result.content


def media_message(executions: list[ToolExecution]) -> Message:
    """The media tools returned, as a user message after the tool results."""
    names = ", ".join(f"{te.tool_name} ({te.tool_call_id})" for te in executions)
    return Message(
        role="user",
        content=f"The media returned by the tool calls {names}:",
        images=[m for te in executions for m in te.images or []] or None,
        audio=[m for te in executions for m in te.audio or []] or None,
        files=[m for te in executions for m in te.files or []] or None,
    )


def tool_message(te: ToolExecution) -> Message:
    if te.status == "rejected":
        note = f" Note: {te.confirmation_note}" if te.confirmation_note else ""
        content = f"The user rejected the call to {te.tool_name}.{note}"
    else:
        content = te.result or ""
    return Message(role="tool", content=content, tool_call_id=te.tool_call_id, name=te.tool_name)
