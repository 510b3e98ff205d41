"""Models: the provider interface and messages."""

from runwire.models.base import Model, ModelDelta, ModelRequest
from runwire.models.message import Message, ToolCall

__all__ = ["Message", "Model", "ModelDelta", "ModelRequest", "ToolCall"]
