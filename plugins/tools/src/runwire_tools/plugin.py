"""The runwire plugin: registers the tools by name, and the progress event type."""

from __future__ import annotations

from typing import Any

from runwire import hookimpl


@hookimpl
def runwire_register_tools(register: Any) -> None:
    from runwire_tools import calculator, current_datetime, file_tools

    register(calculator)
    register(current_datetime)
    for fn in file_tools():
        register(fn)


@hookimpl
def runwire_register_event_types(register: Any) -> None:
    from runwire_tools.files import FileSearchProgress

    register(FileSearchProgress)
