"""The runwire plugin: the ``openai`` provider (``"openai:gpt-5-mini"``)."""

from __future__ import annotations

from typing import Any

from runwire import hookimpl


def _factory(model_id: str, **options: Any) -> Any:
    from runwire_openai.model import OpenAIChat

    return OpenAIChat(id=model_id, **options)


@hookimpl
def runwire_register_models(register: Any) -> None:
    register("openai", _factory, description="OpenAI-compatible chat servers, lean: 'openai:gpt-5-mini' (base_url= for others)")
