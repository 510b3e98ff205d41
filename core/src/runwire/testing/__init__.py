"""Testing kit: a scripted model and event helpers (also a pytest plugin: ``runwire.testing.pytest_plugin``)."""

from runwire.models.message import ToolCall
from runwire.testing.events import collect_events, event_names
from runwire.testing.scripted import Reply, ScriptedModel

__all__ = ["Reply", "ScriptedModel", "ToolCall", "collect_events", "event_names"]
