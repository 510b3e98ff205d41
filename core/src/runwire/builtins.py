"""The core's own plugin: the scripted model, the JSONL sink, SQLite storage, the model memory updater.

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


@hookimpl
def runwire_register_storage(register: Register) -> None:
    from runwire.storage.sqlite import SqliteStorage

    register("sqlite", SqliteStorage)


@hookimpl
def runwire_register_memory(register: Register) -> None:
    from runwire.run.memory import ModelMemoryUpdater

    register("model", ModelMemoryUpdater)
