"""``ScriptedModel``: a deterministic model for tests, examples and benchmarks."""

from __future__ import annotations

import asyncio
import json
import re
from collections import deque
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Callable, Iterable, Optional, Union

from runwire.exceptions import ScriptExhaustedError
from runwire.metrics import Usage
from runwire.models.base import Model, ModelDelta, ModelRequest
from runwire.models.message import ToolCall

_WORDS = re.compile(r"\s*\S+\s*")


@dataclass
class Reply:
    """A scripted turn with several parts: text, reasoning and/or tool calls."""

    content: Optional[str] = None
    tool_calls: list[ToolCall] = field(default_factory=list)
    reasoning: Optional[str] = None
    parsed: Any = None


Turn = Union[str, Reply, list[Any], BaseException, Callable[[ModelRequest], Any]]


def _words(text: str) -> list[str]:
    return _WORDS.findall(text) or ([text] if text else [])


def count_words(text: str) -> int:
    return len(text.split())


class ScriptedModel(Model):
    """A model that plays back a script, one entry per model turn.

    A turn is a string (the answer, streamed word by word), a list of
    :class:`ToolCall` (the model calls those tools), a :class:`Reply`, an
    exception instance (raised at that turn) or a callable taking the
    :class:`ModelRequest` and returning any of those. A callable script (instead
    of a list) answers every turn. Usage counts words, so it is deterministic.

    ``chunk_delay`` (seconds) sleeps before each streamed chunk; ``latency``
    sleeps once before the response starts.
    """

    provider = "scripted"

    def __init__(
        self,
        script: Union[Iterable[Turn], Callable[[ModelRequest], Any]] = (),
        *,
        id: str = "scripted",
        chunk_delay: float = 0.0,
        latency: float = 0.0,
    ) -> None:
        super().__init__(id)
        self._responder = script if callable(script) else None
        self._script: deque[Turn] = deque() if callable(script) else deque(script)
        self.chunk_delay = chunk_delay
        self.latency = latency
        self.requests: list[ModelRequest] = []
        self.turns_played = 0

    def add(self, *turns: Turn) -> "ScriptedModel":
        """Enqueue more turns."""
        self._script.extend(turns)
        return self

    @property
    def remaining(self) -> int:
        return len(self._script)

    def _next_turn(self, request: ModelRequest) -> Any:
        if self._responder is not None:
            return self._responder(request)
        if not self._script:
            raise ScriptExhaustedError(
                f"ScriptedModel ran past its script: turn {self.turns_played + 1} was asked for but the script "
                f"had {self.turns_played} turn(s). Add turns with ScriptedModel([...]) or model.add(...)"
            )
        turn = self._script.popleft()
        return turn(request) if callable(turn) and not isinstance(turn, BaseException) else turn

    async def astream(self, request: ModelRequest) -> AsyncIterator[ModelDelta]:
        self.requests.append(request)
        turn = self._next_turn(request)
        self.turns_played += 1
        if self.latency:
            await asyncio.sleep(self.latency)
        if isinstance(turn, BaseException):
            raise turn
        if isinstance(turn, ToolCall):
            turn = [turn]
        if isinstance(turn, list):
            turn = Reply(tool_calls=list(turn))
        elif isinstance(turn, str):
            turn = Reply(content=turn)
        elif not isinstance(turn, Reply):
            turn = Reply(parsed=turn, content=_dump(turn))
        input_words = sum(count_words(m.text()) for m in request.messages)
        output_words = 0
        delay = self.chunk_delay
        if turn.reasoning:
            for word in _words(turn.reasoning):
                if delay:
                    await asyncio.sleep(delay)
                output_words += 1
                yield ModelDelta(reasoning_content=word)
        if turn.content:
            for word in _words(turn.content):
                if delay:
                    await asyncio.sleep(delay)
                output_words += 1
                yield ModelDelta(content=word)
        if turn.tool_calls:
            calls = turn.tool_calls
            output_words += sum(count_words(c.arguments_json()) + 1 for c in calls)
            yield ModelDelta(tool_calls=calls)
        yield ModelDelta(
            usage=Usage(input_tokens=input_words, output_tokens=output_words),
            parsed=turn.parsed,
        )


def _dump(value: Any) -> str:
    dump = getattr(value, "model_dump_json", None)
    if dump is not None:
        return str(dump())
    return json.dumps(value)


def echo_model(model_id: str = "echo", **options: Any) -> ScriptedModel:
    """The ``scripted`` provider's factory: ``"scripted:echo"`` echoes the last user message;
    ``"scripted:any other text"`` always answers that text."""

    def respond(request: ModelRequest) -> str:
        if model_id in ("", "echo"):
            users = [m for m in request.messages if m.role == "user"]
            return users[-1].text() if users else ""
        return model_id

    return ScriptedModel(respond, id=model_id or "echo", **options)
