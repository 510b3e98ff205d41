"""Hook specifications: what a runwire plugin can implement.

A plugin is a module named by an entry point in the ``runwire`` group::

    [project.entry-points.runwire]
    weather = "runwire_weather"

It implements one or more hooks below with ``@runwire.hookimpl``. Every hook is
called once per process, at plugin discovery, with a ``register`` callback;
nothing here runs per run or per chunk. What a plugin registers that another
already registered is resolved by the core (the first one loaded keeps the
name) with a warning naming both plugins.
"""

from __future__ import annotations

from typing import Callable

import pluggy

hookspec = pluggy.HookspecMarker("runwire")
hookimpl = pluggy.HookimplMarker("runwire")

Register = Callable[..., None]


@hookspec
def runwire_register_models(register: Register) -> None:
    """Register model providers.

    ``register(provider, factory, *, default_model=None, bare_ids=False,
    description="")``: ``factory(model_id, **options)`` returns a
    :class:`runwire.models.base.Model` for the model string
    ``"provider:model_id"``. ``default_model`` makes this provider able to serve
    an agent that names no model (an embedded local model); ``bare_ids=True``
    makes it serve model strings without a provider prefix.
    """


@hookspec
def runwire_register_tools(register: Register) -> None:
    """Register tools by name: ``register(fn_or_Function, name=None)``.

    Agents then use them by name: ``Agent(tools=["calculator"])``.
    """


@hookspec
def runwire_register_memory(register: Register) -> None:
    """Register memory updaters: ``register(name, factory)``."""


@hookspec
def runwire_register_storage(register: Register) -> None:
    """Register storage backends by URL scheme: ``register(scheme, factory)``.

    ``factory(url)`` returns a storage object for ``Agent(db="scheme://...")``.
    """


@hookspec
def runwire_register_cancellation(register: Register) -> None:
    """Register cancellation backends by URL scheme: ``register(scheme, factory)``.

    ``factory(url)`` returns a :class:`runwire.run.cancel.CancellationBackend`
    that reaches runs in other processes; ``RUNWIRE_CANCELLATION=scheme://...``
    selects it.
    """


@hookspec
def runwire_register_sinks(register: Register) -> None:
    """Register event sinks: ``register(name, factory)``.

    ``factory(arg)`` returns a :class:`runwire.sinks.EventSink`; ``"name:arg"``
    strings in ``Agent(sinks=[...])`` or ``RUNWIRE_SINKS`` select it.
    """


@hookspec
def runwire_register_event_types(register: Register) -> None:
    """Register extra event classes (``CustomEvent`` subclasses): ``register(cls)``.

    Registered classes are rebuilt by ``run_output_event_from_dict`` in any
    process that loads the plugin, e.g. when reading stored events.
    """


@hookspec
def runwire_register_commands(register: Register) -> None:
    """Register CLI commands: ``register(name, configure, run, help="")``.

    ``configure(parser)`` adds arguments to an ``argparse`` sub-parser;
    ``run(args)`` runs the command and returns an exit code.
    """


HOOK_NAMES: tuple[str, ...] = tuple(n for n in dir() if n.startswith("runwire_register_"))

__all__ = ["HOOK_NAMES", "Register", "hookimpl", "hookspec"] + list(HOOK_NAMES)

