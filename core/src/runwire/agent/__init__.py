"""``from runwire.agent import Agent, RunOutput, RunOutputEvent``."""

from runwire.agent.agent import Agent
from runwire.run.events import RunEvent, RunOutputEvent
from runwire.run.output import RunOutput, RunStatus

__all__ = ["Agent", "RunEvent", "RunOutput", "RunOutputEvent", "RunStatus"]
