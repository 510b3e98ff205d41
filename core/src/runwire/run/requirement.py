"""``RunRequirement``: Agno's requirements style of human in the loop, over runwire's paused tools.

A paused run has one requirement per tool call that waits for a human. A
requirement keeps no state of its own: ``confirm()``, ``reject()``,
``provide_user_input()`` and ``set_external_execution_result()`` write the
answer onto the tool call, so ``continue_run(run_response)``,
``continue_run(requirements=...)`` and ``continue_run(updated_tools=...)`` all
see it.
"""

from __future__ import annotations

import datetime
from typing import Any, Iterable, Literal, Optional

from runwire.run.tool_execution import ToolExecution, UserInputField

PauseType = Literal["confirmation", "user_input", "external_execution"]


def needs_human(te: ToolExecution) -> bool:
    return bool(te.requires_confirmation or te.requires_user_input or te.external_execution_required)


def missing_input(te: ToolExecution) -> list[str]:
    """The user-input fields of ``te`` that a human still has to fill."""
    optional = (te.input_request or {}).get("optional") or ()  # fields a tool that asked may leave empty
    return [f.name for f in te.user_input_schema or [] if f.value is None and f.required and f.name not in optional]


class RunRequirement:
    """What one waiting tool call needs before the run can continue."""

    def __init__(self, tool_execution: ToolExecution, id: Optional[str] = None,
                 created_at: Optional[datetime.datetime] = None) -> None:
        self.tool_execution = tool_execution
        self.id = id or tool_execution.tool_call_id
        self.created_at = created_at or datetime.datetime.fromtimestamp(tool_execution.created_at, datetime.timezone.utc)

    def __repr__(self) -> str:
        return f"RunRequirement(tool={self.tool_execution.tool_name!r}, pause_type={self.pause_type!r}, resolved={self.is_resolved()})"

    # -- the answer, kept on the tool call ------------------------------------
    @property
    def confirmation(self) -> Optional[bool]:
        return self.tool_execution.confirmed

    @property
    def confirmation_note(self) -> Optional[str]:
        return self.tool_execution.confirmation_note

    @property
    def user_input_schema(self) -> Optional[list[UserInputField]]:
        return self.tool_execution.user_input_schema

    @property
    def external_execution_result(self) -> Optional[str]:
        te = self.tool_execution
        return te.result if te.external_execution_required else None

    @external_execution_result.setter
    def external_execution_result(self, result: Optional[str]) -> None:
        self.tool_execution.result = result

    # -- what is still needed ---------------------------------------------------
    @property
    def _waiting(self) -> bool:
        return self.tool_execution.status == "paused"

    @property
    def needs_confirmation(self) -> bool:
        te = self.tool_execution
        return self._waiting and te.requires_confirmation and te.confirmed is None

    @property
    def needs_user_input(self) -> bool:
        te = self.tool_execution
        return self._waiting and te.requires_user_input and not te.answered

    @property
    def needs_external_execution(self) -> bool:
        te = self.tool_execution
        return self._waiting and te.external_execution_required and te.result is None

    @property
    def pause_type(self) -> PauseType:
        te = self.tool_execution
        if te.external_execution_required:
            return "external_execution"
        if te.requires_user_input:
            return "user_input"
        return "confirmation"

    def is_resolved(self) -> bool:
        return not (self.needs_confirmation or self.needs_user_input or self.needs_external_execution)

    # -- answering ------------------------------------------------------------------
    def confirm(self) -> None:
        if not self.needs_confirmation:
            raise ValueError(f"{self!r} does not need a confirmation")
        self.tool_execution.confirmed = True

    def reject(self, note: Optional[str] = None) -> None:
        if not self.needs_confirmation:
            raise ValueError(f"{self!r} does not need a confirmation")
        self.tool_execution.confirmed = False
        self.tool_execution.confirmation_note = note

    def provide_user_input(self, values: dict[str, Any]) -> None:
        """Fill fields by name; once every field the tool needs has a value, the requirement is resolved."""
        if not self.needs_user_input:
            raise ValueError(f"{self!r} does not need user input")
        te = self.tool_execution
        known = {f.name for f in te.user_input_schema or []}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"tool {te.tool_name!r} has no user-input field {', '.join(unknown)} "
                             f"(its fields: {', '.join(sorted(known)) or 'none'})")
        for f in te.user_input_schema or []:
            if f.name in values:
                f.value = values[f.name]
        if not missing_input(te):
            te.answered = True

    def set_external_execution_result(self, result: str) -> None:
        if not self.needs_external_execution:
            raise ValueError(f"{self!r} does not wait for an external execution")
        self.tool_execution.result = result

    # -- serialisation ----------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "created_at": self.created_at.isoformat(), "confirmation": self.confirmation,
                "confirmation_note": self.confirmation_note, "external_execution_result": self.external_execution_result,
                "tool_execution": self.tool_execution.to_dict(),
                "user_input_schema": [f.to_dict() for f in self.user_input_schema or []] or None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "RunRequirement":
        te = ToolExecution.from_dict(data.get("tool_execution") or {})
        if data.get("confirmation") is not None:
            te.confirmed = data["confirmation"]
            te.confirmation_note = data.get("confirmation_note")
        if data.get("external_execution_result") is not None:
            te.result = data["external_execution_result"]
        if data.get("user_input_schema"):
            te.user_input_schema = [UserInputField.from_dict(f) for f in data["user_input_schema"]]
        created = data.get("created_at")
        return cls(te, data.get("id"), datetime.datetime.fromisoformat(created) if isinstance(created, str) else None)


def requirements_for(tools: Iterable[ToolExecution]) -> list[RunRequirement]:
    """A requirement for every tool call that needed a human (resolved ones included)."""
    return [RunRequirement(te) for te in tools if needs_human(te)]
