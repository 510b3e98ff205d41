"""Event sinks: every event of a run, delivered to files, queues or tracing."""

from runwire.sinks.base import EventSink
from runwire.sinks.dispatch import default_sinks, resolve_sink, set_default_sinks
from runwire.sinks.jsonl import JsonlSink

__all__ = ["EventSink", "JsonlSink", "default_sinks", "resolve_sink", "set_default_sinks"]
