"""runwire-llamacpp: the embedded local model provider (llama-cpp-python is imported on first use)."""

from runwire_llamacpp.model import DEFAULT_MODEL, LlamaCpp

__all__ = ["DEFAULT_MODEL", "LlamaCpp"]
