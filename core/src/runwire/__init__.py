"""runwire: a small agent framework with a typed event stream and pluggable everything.

``import runwire`` is cheap: names are imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_LAZY = {
    "Agent": "runwire.agent.agent",
    "RunOutput": "runwire.run.output",
    "RunStatus": "runwire.run.output",
    "RunOutputEvent": "runwire.run.events",
    "RunStreamEvent": "runwire.run.event_union",
    "RunEvent": "runwire.run.events",
    "CustomEvent": "runwire.run.events",
    "tool": "runwire.tools.decorator",
    "Function": "runwire.tools.function",
    "Message": "runwire.models.message",
    "Model": "runwire.models.base",
    "Image": "runwire.media",
    "Audio": "runwire.media",
    "Video": "runwire.media",
    "File": "runwire.media",
    "EventSink": "runwire.sinks.base",
    "hookimpl": "runwire.hookspecs",
    "pprint_run_response": "runwire.utils.pprint",
}

if TYPE_CHECKING:
    from runwire.agent.agent import Agent
    from runwire.hookspecs import hookimpl
    from runwire.media import Audio, File, Image, Video
    from runwire.models.base import Model
    from runwire.models.message import Message
    from runwire.run.event_union import RunStreamEvent
    from runwire.run.events import CustomEvent, RunEvent, RunOutputEvent
    from runwire.run.output import RunOutput, RunStatus
    from runwire.sinks.base import EventSink
    from runwire.tools.decorator import tool
    from runwire.tools.function import Function
    from runwire.utils.pprint import pprint_run_response


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'runwire' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "Agent", "Audio", "CustomEvent", "EventSink", "File", "Function", "Image", "Message", "Model",
    "RunEvent", "RunOutput", "RunOutputEvent", "RunStatus", "RunStreamEvent", "Video", "hookimpl", "pprint_run_response", "tool",
]
