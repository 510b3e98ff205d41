"""Turn a model string such as ``"litellm:openai/gpt-5-mini"`` into a Model."""

from __future__ import annotations

from typing import Any, Optional

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
                return candidate.factory(candidate.default_model, **options)
        raise ModelNotFoundError(f"the agent names no model and no embedded default is installed. {INSTALL_HINT}.")
    if not isinstance(spec, str):
        raise TypeError(f"model must be a runwire Model or a string like 'provider:model-id', got {type(spec).__name__}")
    prefix, sep, model_id = spec.partition(":")
    provider = registry.models.get(prefix) if sep else None
    if provider is None:
        bare: Optional[Any] = next((p for p in registry.models.values() if p.bare_ids), None)
        if bare is None:
            known = ", ".join(sorted(registry.models)) or "none"
            raise ModelNotFoundError(
                f"no model provider for {spec!r} (registered providers: {known}). "
                f"Write 'provider:model-id' with one of them. {INSTALL_HINT}."
            )
        return bare.factory(spec, **options)
    return provider.factory(model_id, **options)
