"""runwire-openai: the OpenAI-compatible chat protocol, read lean (openai imported on first use)."""

from runwire_openai.model import OpenAIChat

__all__ = ["OpenAIChat"]
