"""A plugin whose hooks fail partway: none of what they registered before failing may stay."""

from dataclasses import dataclass

from runwire import CustomEvent, hookimpl


def half_tool(text: str) -> str:
    """Registered, then the hook fails."""
    return text


@dataclass
class HalfEvent(CustomEvent):
    value: int = 0


@hookimpl
def runwire_register_tools(register):
    register(half_tool)
    raise RuntimeError("second tool needs libbar")


@hookimpl
def runwire_register_event_types(register):
    register(HalfEvent)
    raise RuntimeError("no more events")


@hookimpl
def runwire_register_sinks(register):
    register("half_sink", lambda **kw: None)  # this hook succeeds: its registration stays
