"""The runwire plugin: the ``litellm`` provider, which also serves bare model ids."""

from __future__ import annotations

from typing import Any

from runwire import hookimpl


def _factory(model_id: str, **options: Any) -> Any:
    from runwire_litellm.model import LiteLLM

    return LiteLLM(id=model_id, **options)


@hookimpl
def runwire_register_models(register: Any) -> None:
    register(
        "litellm",
        _factory,
        bare_ids=True,
        description="every provider litellm reaches: 'litellm:openai/gpt-5-mini' or just 'openai/gpt-5-mini'",
    )
