"""An agent's run as the seed imports it: ``from runwire.run.agent import RunEvent, CustomEvent``."""

from runwire.run import events as _events
from runwire.run.events import *  # noqa: F403
from runwire.run.output import RunOutput, RunStatus
from runwire.run.tool_execution import ReasoningStep, ToolExecution, UserInputField

__all__ = [*_events.__all__, "ReasoningStep", "RunOutput", "RunStatus", "ToolExecution", "UserInputField"]
