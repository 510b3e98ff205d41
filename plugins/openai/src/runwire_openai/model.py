"""``OpenAIChat``: the OpenAI chat protocol through the official client, parsing the SSE stream itself."""

from __future__ import annotations

import asyncio
import json
import os
import weakref
from typing import Any, AsyncIterator, Optional

from runwire.exceptions import ModelError
from runwire.metrics import Usage
from runwire.models.base import Model, ModelDelta, ModelRequest
from runwire.models.chat_format import request_fields
from runwire.models.errors import provider_error, secrets_from_env
from runwire.models.message import ToolCall
from runwire.utils.redact import redact_url, url_secrets


class OpenAIChat(Model):
    """A chat model on an OpenAI-compatible server. Extra keyword arguments go into the request body."""

    provider = "openai"
    supports_native_structured_output = True

    def __init__(
        self,
        id: str,
        *,
        base_url: Optional[str] = None,
        api_key: Optional[str] = None,
        organization: Optional[str] = None,
        timeout: float = 600.0,
        max_retries: int = 2,
        **params: Any,
    ) -> None:
        if not id:
            raise ValueError("OpenAIChat needs a model id such as 'gpt-5-mini'")
        super().__init__(id)
        self.base_url = base_url or os.environ.get("OPENAI_BASE_URL") or os.environ.get("OPENAI_API_BASE")
        self._api_key = api_key
        self.organization = organization
        self.timeout = timeout
        self.max_retries = max_retries
        self.params = params
        self._clients: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any]" = weakref.WeakKeyDictionary()

    def __repr__(self) -> str:  # never shows the key
        return f"OpenAIChat(id={self.id!r}, base_url={redact_url(self.base_url)!r})"

    def _client(self) -> Any:
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            import openai

            key = self._api_key or os.environ.get("OPENAI_API_KEY")
            if not key:
                raise ModelError(
                    f"openai model {self.id!r}: no API key. To fix: set OPENAI_API_KEY or pass "
                    "OpenAIChat(api_key=...) (any non-empty string for local servers that need none)",
                    provider="openai", model=self.id,
                )
            client = openai.AsyncOpenAI(api_key=key, base_url=self.base_url, organization=self.organization,
                                        timeout=self.timeout, max_retries=self.max_retries)
            self._clients[loop] = client
        return client

    def _body(self, request: ModelRequest) -> dict[str, Any]:
        return {
            "model": self.id,
            "stream": True,
            "stream_options": {"include_usage": True},
            **request_fields(request, max_tokens_key="max_completion_tokens", tool_names=False),
            **self.params,
        }

    def _error(self, exc: BaseException, streamed: int = 0) -> Exception:
        secrets = [self._api_key, *url_secrets(self.base_url), *secrets_from_env(dict(os.environ))]
        return provider_error("openai", self.id, exc, streamed=streamed, secrets=secrets)

    async def astream(self, request: ModelRequest) -> AsyncIterator[ModelDelta]:
        client = self._client()
        body = self._body(request)
        calls: dict[int, dict[str, Any]] = {}
        usage: Optional[Usage] = None
        streamed = 0
        finished = False
        loads = json.loads
        try:
            async with client.chat.completions.with_streaming_response.create(**body) as response:
                async for line in response.iter_lines():
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        finished = True
                        break
                    chunk = loads(data)
                    if chunk.get("usage"):
                        usage = _usage(chunk["usage"])
                    choices = chunk.get("choices")
                    if not choices:
                        if "error" in chunk:
                            raise RuntimeError(f"the server sent an error mid-stream: {chunk['error']}")
                        continue
                    if choices[0].get("finish_reason"):
                        finished = True
                    delta = choices[0].get("delta") or {}
                    content = delta.get("content")
                    reasoning = delta.get("reasoning_content") or delta.get("reasoning")
                    if content or reasoning:
                        streamed += 1
                        yield ModelDelta(content=content or None, reasoning_content=reasoning or None)
                    for fragment in delta.get("tool_calls") or ():
                        slot = calls.setdefault(fragment.get("index", 0), {"id": None, "name": "", "arguments": ""})
                        if fragment.get("id"):
                            slot["id"] = fragment["id"]
                        function = fragment.get("function") or {}
                        if function.get("name"):
                            slot["name"] = function["name"]
                        if function.get("arguments"):
                            slot["arguments"] += function["arguments"]
        except (asyncio.CancelledError, ModelError):
            raise
        except Exception as exc:
            failure: Optional[Exception] = self._error(exc, streamed)
        else:
            failure = None
        if failure is not None:  # raised here, not in the except block: no __context__ holding the raw error
            raise failure
        if not finished:
            raise ModelError(
                f"openai model {self.id!r}: the stream ended before the response was complete, after {streamed} "
                "streamed chunk(s); what was produced is kept. To fix: try again, or check the server",
                provider="openai", model=self.id,
            )
        if calls:
            yield ModelDelta(tool_calls=[
                ToolCall(c["name"], c["arguments"], id=c["id"]) if c["id"] else ToolCall(c["name"], c["arguments"])
                for _, c in sorted(calls.items())
            ])
        if usage is not None:
            yield ModelDelta(usage=usage)

    async def aclose(self) -> None:
        client = self._clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.close()


def _usage(raw: dict[str, Any]) -> Usage:
    prompt, completion = int(raw.get("prompt_tokens") or 0), int(raw.get("completion_tokens") or 0)
    return Usage(
        input_tokens=prompt,
        output_tokens=completion,
        total_tokens=int(raw.get("total_tokens") or prompt + completion),
        reasoning_tokens=int((raw.get("completion_tokens_details") or {}).get("reasoning_tokens") or 0),
        cache_read_tokens=int((raw.get("prompt_tokens_details") or {}).get("cached_tokens") or 0),
    )
