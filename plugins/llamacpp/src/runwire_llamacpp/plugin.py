"""The runwire plugin: registers the ``llamacpp`` model provider as the embedded default."""

from __future__ import annotations

from typing import Any

from runwire import hookimpl


def _factory(model_id: str, **options: Any) -> Any:
    from runwire_llamacpp.model import LlamaCpp

    return LlamaCpp(model_id, **options)


@hookimpl
def runwire_register_models(register: Any) -> None:
    from runwire_llamacpp.model import DEFAULT_MODEL

    register(
        "llamacpp",
        _factory,
        default_model=DEFAULT_MODEL,
        description="in-process llama.cpp: 'llamacpp:gemma-3-270m' or 'llamacpp:/path/to/model.gguf'",
    )
