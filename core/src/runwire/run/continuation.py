"""Continuing a paused run: applying the human's answers to the tools that waited for them."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Optional

from runwire.exceptions import RunwireError
from runwire.run.events import RunOutputEvent, ToolCallCompletedEvent
from runwire.run.output import RunOutput, RunStatus
from runwire.run.requirement import missing_input
from runwire.run.tool_execution import ToolExecution

if TYPE_CHECKING:
    from runwire.run.context import RunContext


class ContinueRunError(RunwireError, ValueError):
    """A run cannot be continued as asked (not paused, unknown, or tools left unanswered)."""


def tools_from_requirements(requirements: Iterable[Any]) -> list[Any]:
    """The tool calls that ``continue_run(requirements=...)`` answers (RunRequirement objects or their dicts)."""
    from runwire.run.requirement import RunRequirement

    return [(RunRequirement.from_dict(r) if isinstance(r, dict) else r).tool_execution for r in requirements]


def apply_updates(run: RunOutput, updated_tools: Optional[Iterable[Any]]) -> None:
    """Copy the human's answers from ``updated_tools`` onto the run's paused tools (matched by tool_call_id)."""
    if not updated_tools:
        return
    by_id = {te.tool_call_id: te for te in run.tools}
    for update in updated_tools:
        data = update if isinstance(update, dict) else update.__dict__
        if "tool_execution" in data:  # a RunRequirement (or its dict) given as a tool
            data = tools_from_requirements([update])[0].__dict__
        target = by_id.get(data.get("tool_call_id", ""))
        if target is None:
            raise ContinueRunError(f"run {run.run_id} has no tool call {data.get('tool_call_id')!r}")
        if target is update:
            continue
        for name in ("confirmed", "confirmation_note", "result", "user_input_schema", "tool_args"):
            if data.get(name) is not None:
                setattr(target, name, copy.deepcopy(data[name]) if name == "user_input_schema" else data[name])
        if isinstance(target.user_input_schema, list):
            from runwire._codec import from_jsonable
            from runwire.run.tool_execution import UserInputField

            target.user_input_schema = [from_jsonable(UserInputField, f) if isinstance(f, dict) else f
                                        for f in target.user_input_schema]


def check_continuable(run: Optional[RunOutput], run_id: Optional[str]) -> RunOutput:
    """The run, if it is paused (or interrupted) and every waiting tool has its answer; else a clear error."""
    if run is None:
        raise ContinueRunError(f"there is no run {run_id!r} to continue (check run_id and session_id, and db=)")
    if run.status == RunStatus.running:
        raise ContinueRunError(f"run {run.run_id} is already being continued (or is still running): "
                               "only one continue_run of a paused run wins")
    if run.status not in (RunStatus.paused, RunStatus.interrupted):
        raise ContinueRunError(f"run {run.run_id} is {run.status}, not paused: only a paused (or interrupted) run "
                               "can be continued")
    problems = []
    for te in run.tools:
        if te.status != "paused":
            continue
        if te.requires_confirmation and te.confirmed is None:
            problems.append(f"{te.tool_name} ({te.tool_call_id}) needs confirmation: set tool.confirmed = True or False")
        if te.requires_user_input:
            missing = missing_input(te)  # (fields a tool that asked may leave empty are not missing)
            if missing:
                problems.append(f"{te.tool_name} ({te.tool_call_id}) needs user input for {', '.join(missing)}: "
                                "set each field's .value in tool.user_input_schema")
        if te.external_execution_required and te.result is None:
            problems.append(f"{te.tool_name} ({te.tool_call_id}) was to be executed outside: set tool.result")
    if problems:
        raise ContinueRunError(f"run {run.run_id} still waits on: " + "; ".join(problems))
    return run


def resolve_paused(ctx: "RunContext", pending: list[ToolExecution]) -> Iterator[RunOutputEvent]:
    """Turn answered tools into runnable, rejected or completed ones; yields events for external results."""
    for te in pending:
        if te.requires_confirmation and te.confirmed is False:
            te.status = "rejected"
            continue
        if te.external_execution_required and te.result is not None:
            te.status = "completed"
            te.answered = True
            yield ctx.stamp(ToolCallCompletedEvent(tool=copy.copy(te), content=te.result))
            continue
        if te.requires_user_input and te.input_request is None:  # a tool that asked reads the answers itself
            answers = {f.name: f.value for f in te.user_input_schema or [] if f.value is not None}
            te.tool_args = {**(te.tool_args or {}), **answers}
        te.answered = True
        te.status = "pending"


def apply_logged_tool_results(run: RunOutput, events: Iterable[dict[str, Any]]) -> None:
    """Bring an interrupted run's tools up to date from its event log: tool calls that completed (or failed)
    after the run's last checkpoint are taken as done, so resuming does not run them again."""
    by_id = {te.tool_call_id: te for te in run.tools}
    for event in events:
        if event.get("event") not in ("ToolCallCompleted", "ToolCallError") or not isinstance(event.get("tool"), dict):
            continue
        logged = ToolExecution.from_dict(event["tool"])
        if logged.status not in ("completed", "error"):
            continue
        current = by_id.get(logged.tool_call_id)
        if current is None:
            run.tools.append(logged)
            by_id[logged.tool_call_id] = logged
        elif current.status not in ("completed", "error", "rejected"):
            current.__dict__.update(logged.__dict__)
