"""Plugin discovery: the ``runwire`` entry-point group, loaded once per process.

``get_registry()`` builds the plugin manager on first use (never at import
time), loads every allowed plugin, calls its registration hooks, and keeps what
they registered. A plugin that fails to import or register is recorded, not
fatal, unless ``RUNWIRE_STRICT_PLUGINS=1``.

Environment:
- ``RUNWIRE_LOAD_PLUGINS=a,b``: load only these plugins ('' loads none besides the core's).
- ``RUNWIRE_DISABLE_PLUGINS=a,b``: never load these.
- ``RUNWIRE_STRICT_PLUGINS=1``: a plugin error raises ``PluginError``.
"""

from __future__ import annotations

import os
import threading
import warnings
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, Callable, Optional

import pluggy

from runwire import hookspecs
from runwire.exceptions import PluginError

GROUP = "runwire"
CORE_PLUGIN = "core"


@dataclass
class ModelProvider:
    """A registered model provider: ``factory(model_id, **options)`` builds a Model."""

    name: str
    factory: Callable[..., Any]
    default_model: Optional[str] = None
    bare_ids: bool = False
    description: str = ""
    plugin: str = ""


@dataclass
class CommandSpec:
    name: str
    configure: Callable[[Any], None]
    run: Callable[[Any], int]
    help: str = ""
    plugin: str = ""


@dataclass
class PluginInfo:
    """What ``runwire plugins`` shows about one plugin."""

    name: str
    module: str
    distribution: Optional[str] = None
    version: Optional[str] = None
    hooks: list[str] = field(default_factory=list)
    registered: dict[str, list[str]] = field(default_factory=dict)
    error: Optional[str] = None
    skipped: Optional[str] = None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class Registry:
    """Everything the loaded plugins registered, by kind and name."""

    def __init__(self) -> None:
        self.models: dict[str, ModelProvider] = {}
        self.tools: dict[str, Any] = {}
        self.memory: dict[str, Callable[..., Any]] = {}
        self.storage: dict[str, Callable[..., Any]] = {}
        self.sinks: dict[str, Callable[..., Any]] = {}
        self.cancellation: dict[str, Callable[..., Any]] = {}
        self.event_types: dict[str, type] = {}
        self.commands: dict[str, CommandSpec] = {}
        self.plugins: dict[str, PluginInfo] = {}
        self.owners: dict[tuple[str, str], str] = {}
        self.manager: Optional[pluggy.PluginManager] = None

    # -- bookkeeping -------------------------------------------------------
    def _claim(self, kind: str, name: str, plugin: str) -> bool:
        owner = self.owners.get((kind, name))
        if owner is not None and owner != plugin:
            warnings.warn(
                f"runwire: plugin {plugin!r} registers {kind} {name!r}, already registered by plugin "
                f"{owner!r}; keeping {owner!r}'s. Disable one with RUNWIRE_DISABLE_PLUGINS={plugin}",
                RuntimeWarning,
                stacklevel=4,
            )
            return False
        self.owners[(kind, name)] = plugin
        self.plugins[plugin].registered.setdefault(kind, []).append(name)
        return True

    def registrar(self, hook: str, plugin: str) -> Callable[..., None]:
        """The ``register`` callback handed to ``plugin``'s implementation of ``hook``."""
        kind = hook.removeprefix("runwire_register_")

        def register_models(provider: str, factory: Callable[..., Any], *, default_model: Optional[str] = None,
                            bare_ids: bool = False, description: str = "") -> None:
            if self._claim("models", provider, plugin):
                self.models[provider] = ModelProvider(provider, factory, default_model, bare_ids, description, plugin)

        def register_tools(fn: Any, name: Optional[str] = None) -> None:
            from runwire.tools.function import as_function

            function = as_function(fn)
            if name:
                function.name = name
            if self._claim("tools", function.name, plugin):
                self.tools[function.name] = function

        def register_named(table: dict[str, Any]) -> Callable[..., None]:
            def register(name: str, factory: Callable[..., Any]) -> None:
                if not callable(factory):
                    raise TypeError(f"{kind} {name!r}: factory must be callable, got {factory!r}")
                if self._claim(kind, name, plugin):
                    table[name] = factory

            return register

        def register_event_types(cls: type) -> None:
            from runwire.run.events import RunOutputEvent, check_is_dataclass, register_event_type

            if not (isinstance(cls, type) and issubclass(cls, RunOutputEvent)):
                raise TypeError(f"event types must subclass runwire CustomEvent, got {cls!r}")
            check_is_dataclass(cls)
            if self._claim("event_types", cls.__name__, plugin):
                register_event_type(cls, replace=True)
                self.event_types[cls.__name__] = cls

        def register_commands(name: str, configure: Callable[[Any], None], run: Callable[[Any], int],
                              help: str = "") -> None:
            if self._claim("commands", name, plugin):
                self.commands[name] = CommandSpec(name, configure, run, help, plugin)

        registrars: dict[str, Callable[..., None]] = {
            "models": register_models,
            "tools": register_tools,
            "memory": register_named(self.memory),
            "storage": register_named(self.storage),
            "sinks": register_named(self.sinks),
            "cancellation": register_named(self.cancellation),
            "event_types": register_event_types,
            "commands": register_commands,
        }
        return registrars[kind]


def _env_list(name: str) -> Optional[set[str]]:
    value = os.environ.get(name)
    if value is None:
        return None
    return {part.strip() for part in value.split(",") if part.strip()}


def _strict() -> bool:
    return os.environ.get("RUNWIRE_STRICT_PLUGINS", "").lower() in ("1", "true", "yes")


def _record_error(registry: Registry, info: PluginInfo, what: str, exc: BaseException) -> None:
    info.error = f"{what}: {type(exc).__name__}: {exc}"
    if _strict():
        raise PluginError(f"runwire plugin {info.name!r} ({info.module}) failed to {what}: {exc}") from exc
    warnings.warn(
        f"runwire: plugin {info.name!r} failed to {what} and was skipped: {type(exc).__name__}: {exc} "
        f"(see `runwire plugins`; RUNWIRE_STRICT_PLUGINS=1 makes this fatal)",
        RuntimeWarning,
        stacklevel=3,
    )


def build_registry(entry_points: Optional[list[Any]] = None) -> Registry:
    """Discover and load plugins into a new :class:`Registry` (see the module docstring)."""
    registry = Registry()
    pm = pluggy.PluginManager(GROUP)
    pm.add_hookspecs(hookspecs)
    registry.manager = pm
    allow = _env_list("RUNWIRE_LOAD_PLUGINS")
    deny = _env_list("RUNWIRE_DISABLE_PLUGINS") or set()
    eps = list(metadata.entry_points(group=GROUP)) if entry_points is None else entry_points
    if not any(ep.name == CORE_PLUGIN for ep in eps):  # running from a source tree
        eps.insert(0, metadata.EntryPoint(CORE_PLUGIN, "runwire.builtins", GROUP))
    seen: set[str] = set()
    for ep in eps:
        if ep.name in seen:
            continue
        seen.add(ep.name)
        dist = getattr(ep, "dist", None)
        info = PluginInfo(
            name=ep.name,
            module=ep.value,
            distribution=dist.metadata["Name"] if dist is not None else None,
            version=dist.version if dist is not None else None,
        )
        registry.plugins[ep.name] = info
        if ep.name != CORE_PLUGIN:
            if ep.name in deny:
                info.skipped = "disabled by RUNWIRE_DISABLE_PLUGINS"
                continue
            if allow is not None and ep.name not in allow:
                info.skipped = "not in RUNWIRE_LOAD_PLUGINS"
                continue
        try:
            module = ep.load()
            pm.register(module, name=ep.name)
        except Exception as exc:
            _record_error(registry, info, "import", exc)
            continue
        try:
            pm.check_pending()
        except pluggy.PluginValidationError as exc:
            pm.unregister(name=ep.name)
            _record_error(registry, info, "validate (a hook it implements does not exist)", exc)
            continue
        _register_plugin(registry, pm, ep.name, info)
    return registry


def _register_plugin(registry: Registry, pm: pluggy.PluginManager, name: str, info: PluginInfo) -> None:
    for hook_name in hookspecs.HOOK_NAMES:
        for impl in getattr(pm.hook, hook_name).get_hookimpls():
            if impl.plugin_name != name:
                continue
            info.hooks.append(hook_name)
            undo = _snapshot(registry, info)
            try:
                impl.function(register=registry.registrar(hook_name, name))
            except Exception as exc:
                undo()  # a hook that fails partway leaves none of its registrations active
                _record_error(registry, info, f"register ({hook_name})", exc)


_TABLES = ("models", "tools", "memory", "storage", "sinks", "cancellation", "event_types", "commands")


def _snapshot(registry: Registry, info: PluginInfo) -> Callable[[], None]:
    """A function that puts the registry (and the event-class index) back as they are now."""
    from runwire.run import events

    tables = {kind: dict(getattr(registry, kind)) for kind in _TABLES}
    owners = dict(registry.owners)
    registered = {kind: list(names) for kind, names in info.registered.items()}
    by_class, by_event = dict(events._BY_CLASS), dict(events._BY_EVENT)

    def restore() -> None:
        for kind, table in tables.items():
            current = getattr(registry, kind)
            current.clear()
            current.update(table)
        registry.owners.clear()
        registry.owners.update(owners)
        info.registered.clear()
        info.registered.update(registered)
        for index, saved in ((events._BY_CLASS, by_class), (events._BY_EVENT, by_event)):
            index.clear()
            index.update(saved)

    return restore


_registry: Optional[Registry] = None
_lock = threading.Lock()


def get_registry() -> Registry:
    """The process-wide registry, built on first call and cached."""
    global _registry
    if _registry is None:
        with _lock:
            if _registry is None:
                _registry = build_registry()
    return _registry


def reset_registry(registry: Optional[Registry] = None) -> None:
    """Forget the cached registry (tests), or install ``registry`` as the process-wide one."""
    global _registry
    with _lock:
        _registry = registry
