"""runwire-weather: a tool plugin and an event-sink plugin in one module."""

import sys

from runwire import hookimpl
from runwire.sinks import EventSink
from runwire.tools import tool


@tool
def get_weather(city: str) -> str:
    """Get the current weather for a city.

    Args:
        city: The city's name, e.g. "Oslo".
    """
    return f"Sunny, 21 °C in {city}"


class ConsoleSink(EventSink):
    """Prints one line per event to stderr (RunContent chunks included)."""

    name = "console"

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr

    async def handle(self, event):
        print(f"[console sink] {event.event} run={event.run_id[:8]}", file=self.stream)


@hookimpl
def runwire_register_tools(register):
    register(get_weather)


@hookimpl
def runwire_register_sinks(register):
    register("console", ConsoleSink)
