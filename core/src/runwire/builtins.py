"""The core's own plugin: the scripted model provider and the JSONL event sink.

Registered through the ``runwire`` entry point ``core``, exactly like any other
plugin.
"""

from __future__ import annotations

from runwire.hookspecs import Register, hookimpl


@hookimpl
def runwire_register_models(register: Register) -> None:
    from runwire.testing.scripted import echo_model

    register(
        "scripted",
        echo_model,
        description="deterministic test model: 'scripted:echo' echoes the input, 'scripted:TEXT' answers TEXT",
    )


@hookimpl
def runwire_register_sinks(register: Register) -> None:
    from runwire.sinks.jsonl import JsonlSink

    register("jsonl", JsonlSink)
