"""Exceptions raised by runwire."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

if TYPE_CHECKING:
    from runwire.run.output import RunOutput


class RunwireError(Exception):
    """Base class of runwire's errors."""


class RunFailedError(RunwireError):
    """A non-streamed run failed; ``run_output`` holds what it produced before the failure."""

    def __init__(self, message: str, run_output: "RunOutput", error_type: Optional[str] = None) -> None:
        super().__init__(message)
        self.run_output = run_output
        self.error_type = error_type


class RunLimitError(RunwireError):
    """A run exceeded ``tool_call_limit`` or ``max_turns``."""


class RunCancelledError(RunwireError):
    """The run was cancelled (raised inside the loop, turned into RunCancelled)."""


class ModelError(RunwireError):
    """A model provider failed; the message names the provider, the model and what to do."""

    def __init__(self, message: str, *, provider: Optional[str] = None, model: Optional[str] = None,
                 retryable: bool = False) -> None:
        super().__init__(message)
        self.provider = provider
        self.model = model
        self.retryable = retryable


class ModelNotFoundError(RunwireError, LookupError):
    """A model string names no registered provider."""


class ToolError(RunwireError):
    """A tool call could not be made."""


class ToolInputRequired(ToolError):
    """Raised by a tool that needs a human's answer first: the run pauses with the tool in
    ``tools_requiring_user_input``; on ``continue_run`` the tool is called again with the same
    arguments and reads the answers from its ``tool_execution`` parameter (``user_input_schema``).

    ``fields`` are :class:`~runwire.run.tool_execution.UserInputField` s; ``request`` is
    JSON data the tool keeps for its second call (stored with the paused run); its
    ``"optional"`` entry lists fields the human may leave empty.
    """

    def __init__(self, message: str, fields: list[Any], request: Optional[dict[str, Any]] = None) -> None:
        super().__init__(message)
        self.fields = fields
        self.request = {"message": message, **(request or {})}


class ToolDefinitionError(ToolError, TypeError):
    """A tool's signature cannot be offered to a model (e.g. a parameter type with no JSON schema)."""


class ToolArgumentsError(ToolError, ValueError):
    """The model gave a tool arguments that do not fit its schema."""


class ScriptExhaustedError(RunwireError):
    """A ScriptedModel was asked for more turns than its script has."""


class StorageError(RunwireError):
    """Storage failed to keep part of a run (the run itself may have finished)."""


class PluginError(RunwireError):
    """A plugin failed to load or register (fatal only with RUNWIRE_STRICT_PLUGINS=1)."""
