"""runwire-weather: a tool that reports progress with a custom event, and an event sink."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any, Iterator, Optional, TextIO, Union

from runwire import CustomEvent, EventSink, RunOutputEvent, hookimpl, tool


@dataclass
class StationRead(CustomEvent):
    """A weather station answered (a custom event: streamed to the caller, stored with the run)."""

    city: str = ""
    station: str = ""
    temperature_c: float = 0.0


@tool
def get_weather(city: str) -> Iterator[Union[StationRead, str]]:
    """Get the current weather for a city.

    Args:
        city: The city's name, e.g. "Oslo".
    """
    yield StationRead(city=city, station=f"{city.lower()}-central", temperature_c=21.0)
    yield f"Sunny, 21 °C in {city}"  # the last value that is not an event is the tool's result


class ConsoleSink(EventSink):
    """Prints one line per event to stderr (RunContent chunks included), and one per finished run."""

    name = "console"

    def __init__(self, stream: Optional[TextIO] = None) -> None:
        self.stream = stream or sys.stderr

    async def handle(self, event: RunOutputEvent) -> None:
        print(f"[console sink] {event.event} run={(event.run_id or '')[:8]}", file=self.stream)

    async def finish_run(self, run_id: Optional[str]) -> None:
        print(f"[console sink] finished run={(run_id or '')[:8]}", file=self.stream)


@hookimpl
def runwire_register_tools(register: Any) -> None:
    register(get_weather)


@hookimpl
def runwire_register_event_types(register: Any) -> None:
    register(StationRead)  # so any process with the plugin reads stored StationRead events back as this class


@hookimpl
def runwire_register_sinks(register: Any) -> None:
    register("console", ConsoleSink)
