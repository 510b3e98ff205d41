"""runwire-litellm: hosted models through litellm (imported lazily, on first use)."""

from runwire_litellm.model import LiteLLM

__all__ = ["LiteLLM"]
