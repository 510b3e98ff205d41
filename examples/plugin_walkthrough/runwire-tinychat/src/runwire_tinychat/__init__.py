"""runwire-tinychat: a model provider for OpenAI-compatible chat servers (llama-server, vLLM, Ollama's /v1)."""

from __future__ import annotations

import json
import os
from typing import Any, AsyncIterator, Optional

import httpx

from runwire import hookimpl
from runwire.exceptions import ModelError
from runwire.metrics import Usage
from runwire.models.base import Model, ModelDelta, ModelRequest
from runwire.models.chat_format import request_fields
from runwire.models.message import ToolCall

DEFAULT_BASE_URL = "http://127.0.0.1:8080/v1"
TODO = {401: "set $TINYCHAT_API_KEY (or api_key=)", 404: "check the model name and base_url",
        429: "wait, or send fewer requests", 503: "wait until the server has loaded the model"}


class TinyChat(Model):
    """Streams chat completions from the server at ``base_url`` (default: $TINYCHAT_BASE_URL)."""

    provider = "tinychat"

    def __init__(self, id: str, *, base_url: Optional[str] = None, api_key: Optional[str] = None,
                 timeout: float = 60.0) -> None:
        super().__init__(id)
        self.base_url = (base_url or os.environ.get("TINYCHAT_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
        self.api_key = api_key or os.environ.get("TINYCHAT_API_KEY")
        self.timeout = timeout

    async def astream(self, request: ModelRequest) -> AsyncIterator[ModelDelta]:
        body = {"model": self.id, "stream": True, "stream_options": {"include_usage": True},
                **request_fields(request, tool_names=False)}
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        calls: dict[int, dict[str, str]] = {}  # tool calls arrive in fragments: assemble them by index
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                async with client.stream("POST", f"{self.base_url}/chat/completions",
                                         json=body, headers=headers) as response:
                    if response.status_code >= 400:
                        todo = TODO.get(response.status_code, "check the request's options and input")
                        raise self._error(f"HTTP {response.status_code}: {_message(await response.aread())}", todo)
                    async for line in response.aiter_lines():
                        if not line.startswith("data: ") or line == "data: [DONE]":
                            continue
                        chunk = json.loads(line[len("data: "):])
                        for choice in chunk.get("choices") or []:
                            delta = choice.get("delta") or {}
                            if delta.get("content") or delta.get("reasoning_content"):
                                yield ModelDelta(content=delta.get("content"),
                                                 reasoning_content=delta.get("reasoning_content"))
                            for part in delta.get("tool_calls") or []:
                                call = calls.setdefault(part["index"], {"id": "", "name": "", "arguments": ""})
                                call["id"] = part.get("id") or call["id"]
                                call["name"] += (part.get("function") or {}).get("name") or ""
                                call["arguments"] += (part.get("function") or {}).get("arguments") or ""
                            if choice.get("finish_reason") and calls:  # complete now: hand them on once
                                yield ModelDelta(tool_calls=[_tool_call(c) for c in calls.values()])
                                calls.clear()
                        if chunk.get("usage"):  # the last chunk, asked for by stream_options
                            usage = chunk["usage"]
                            yield ModelDelta(usage=Usage(input_tokens=usage.get("prompt_tokens") or 0,
                                                         output_tokens=usage.get("completion_tokens") or 0))
        except httpx.HTTPError as exc:
            raise self._error(f"{type(exc).__name__}: {exc}",
                              "start the server, or point $TINYCHAT_BASE_URL (or base_url=) at it") from None

    def _error(self, what: str, todo: str) -> ModelError:
        return ModelError(f"tinychat model {self.id!r} at {self.base_url}: {what}. To fix: {todo}",
                          provider=self.provider, model=self.id)


def _tool_call(parts: dict[str, str]) -> ToolCall:
    # the arguments stay the model's text, even malformed: the run tells the model what was wrong
    ids = {"id": parts["id"]} if parts["id"] else {}  # a server that sends no id gets one made up
    return ToolCall(parts["name"], parts["arguments"], **ids)


def _message(body: bytes) -> str:
    try:
        return str(json.loads(body)["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return body.decode(errors="replace")[:300]


def _factory(model_id: str, **options: Any) -> TinyChat:
    return TinyChat(model_id, **options)


@hookimpl
def runwire_register_models(register: Any) -> None:
    register("tinychat", _factory,
             description="OpenAI-compatible chat servers: 'tinychat:qwen2.5' (at $TINYCHAT_BASE_URL)")
