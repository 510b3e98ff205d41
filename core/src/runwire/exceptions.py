"""Exceptions raised by runwire."""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

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


class ToolArgumentsError(ToolError, ValueError):
    """The model gave a tool arguments that do not fit its schema."""


class ScriptExhaustedError(RunwireError):
    """A ScriptedModel was asked for more turns than its script has."""


class StorageError(RunwireError):
    """Storage failed to keep part of a run (the run itself may have finished)."""


class PluginError(RunwireError):
    """A plugin failed to load or register (fatal only with RUNWIRE_STRICT_PLUGINS=1)."""
