"""The runwire plugin: the ``otel`` event sink."""

from __future__ import annotations

from typing import Any

from runwire import hookimpl


def _factory(arg: str = "") -> Any:
    from runwire_otel.sink import OtelSink

    return OtelSink(service=arg or None)


@hookimpl
def runwire_register_sinks(register: Any) -> None:
    register("otel", _factory)
