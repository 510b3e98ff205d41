"""The interface every model provider implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, ClassVar, Optional

from runwire.metrics import Usage
from runwire.models.message import Message, ToolCall


@dataclass
class ModelRequest:
    """What the run loop asks a model for.

    ``tools`` are OpenAI-style function specs (``{"type": "function", "function":
    {...}}``); ``output_schema`` is a pydantic model class or a JSON-schema dict.
    ``stream`` says whether anyone wants the response piece by piece (a stream
    consumer, a sink asking for deltas, stored RunContent events); when False a
    provider may send one non-streamed request and yield the whole answer at once.
    """

    messages: list[Message]
    tools: Optional[list[dict[str, Any]]] = None
    output_schema: Any = None
    tool_choice: Optional[Any] = None
    stop: Optional[list[str]] = None
    max_tokens: Optional[int] = None
    run_id: Optional[str] = None
    options: dict[str, Any] = field(default_factory=dict)
    stream: bool = True


@dataclass(slots=True)
class ModelDelta:
    """One piece of a streamed model response.

    Providers assemble streamed tool-call fragments themselves and report each
    tool call once, complete, in ``tool_calls``. ``usage`` usually comes last.
    """

    content: Optional[str] = None
    reasoning_content: Optional[str] = None
    tool_calls: Optional[list[ToolCall]] = None
    usage: Optional[Usage] = None
    parsed: Any = None


class Model(ABC):
    """A chat model. Subclasses implement :meth:`astream`.

    ``provider`` names the plugin (the prefix of model strings such as
    ``"litellm:openai/gpt-5-mini"``); ``id`` names the model within it.
    """

    provider: ClassVar[str] = "custom"
    supports_tools: ClassVar[bool] = True
    supports_native_structured_output: ClassVar[bool] = False

    def __init__(self, id: str = "") -> None:
        self.id = id

    @property
    def name(self) -> str:
        """``provider:id``, the string that resolves to this model."""
        return f"{self.provider}:{self.id}" if self.id else self.provider

    @abstractmethod
    def astream(self, request: ModelRequest) -> AsyncIterator[ModelDelta]:
        """Stream the response to ``request`` as :class:`ModelDelta` pieces."""

    async def aclose(self) -> None:
        """Release resources (connections, loaded weights). Optional."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(id={self.id!r})"
