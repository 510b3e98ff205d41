"""``OpenAIChat``: the OpenAI chat protocol over a lean HTTP path, or through the official client.

The lean path (the default) posts the request body itself (tool specs serialized
once per set of tools), parses the server-sent events itself, reads every body
to its end so connections are reused, and sends a non-streamed request when
nobody wants the answer piece by piece (``ModelRequest.stream``). Pass
``client=openai.AsyncOpenAI(...)`` (or ``AsyncAzureOpenAI``) or ``use_sdk=True``
to go through the official client instead: its auth helpers, Azure, its retries.
"""

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
from runwire_openai.errors import APIConnectionError, APIError
from runwire_openai.http11 import Target
from runwire_openai.proxy import ProxyOption, proxy_secrets
from runwire_openai.transport import MAX_BODY, Pools, ToolSpecCache, encode_body, post, sse_data

DEFAULT_BASE_URL = "https://api.openai.com/v1"


class OpenAIChat(Model):
    """A chat model on an OpenAI-compatible server. Extra keyword arguments go into the request body.

    ``client``: an ``openai.AsyncOpenAI`` / ``AsyncAzureOpenAI`` to send requests through
    (its own auth, base URL and retries); ``use_sdk=True`` builds one from these arguments.
    ``proxy``: an ``http://[user:password@]host:port`` proxy URL, False for none, or None (the default)
    for the environment's (``HTTPS_PROXY``, ``HTTP_PROXY``, ``ALL_PROXY``, ``NO_PROXY``).
    """

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
        max_connections: int = 1000,
        default_headers: Optional[dict[str, str]] = None,
        proxy: ProxyOption = None,
        client: Any = None,
        use_sdk: bool = False,
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
        self.default_headers = dict(default_headers or {})
        if not (proxy is None or proxy is False or isinstance(proxy, str)):
            raise TypeError(f"OpenAIChat(proxy=...) takes a proxy URL, False or None, not {type(proxy).__name__}")
        self.proxy = proxy
        self.params = params
        self.use_sdk = use_sdk or client is not None
        self._given_client = client
        self._clients: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any]" = weakref.WeakKeyDictionary()
        self._pools = Pools(timeout=timeout, max_connections=max_connections)
        self._tools = ToolSpecCache()
        self._target: Optional[Target] = None

    def __repr__(self) -> str:  # never shows the key
        return f"OpenAIChat(id={self.id!r}, base_url={redact_url(self.base_url)!r})"

    # -- the request ----------------------------------------------------------------
    def _key(self) -> str:
        key = self._api_key or os.environ.get("OPENAI_API_KEY")
        if not key:
            raise ModelError(
                f"openai model {self.id!r}: no API key. To fix: set OPENAI_API_KEY or pass "
                "OpenAIChat(api_key=...) (any non-empty string for local servers that need none)",
                provider="openai", model=self.id,
            )
        return key

    def _body(self, request: ModelRequest, stream: bool) -> dict[str, Any]:
        body: dict[str, Any] = {"model": self.id, "stream": stream}
        if stream:
            body["stream_options"] = {"include_usage": True}
        body.update(request_fields(request, max_tokens_key="max_completion_tokens", tool_names=False))
        body.update(self.params)
        return body

    def _error(self, exc: BaseException, streamed: int = 0) -> Exception:
        secrets = [self._api_key, *url_secrets(self.base_url), *proxy_secrets(self.proxy),
                   *secrets_from_env(dict(os.environ))]
        return provider_error("openai", self.id, exc, streamed=streamed, secrets=secrets)

    def astream(self, request: ModelRequest) -> AsyncIterator[ModelDelta]:
        # the request mode's own generator, not one wrapped in another: a generator level costs per delta
        stream = request.stream
        body = self._body(request, stream)
        if self.use_sdk:
            return self._sdk_stream(body) if stream else self._sdk_complete(body)
        return self._lean_stream(body) if stream else self._lean_complete(body)

    # -- the lean path ----------------------------------------------------------------
    def _lean_target(self) -> Target:
        """Where the lean path posts, with its request head (URL and headers) prepared once."""
        if self._target is None:
            headers = {"Authorization": f"Bearer {self._key()}", "Content-Type": "application/json",
                       "Accept": "application/json"}
            if self.organization:
                headers["OpenAI-Organization"] = self.organization
            headers.update(self.default_headers)
            try:
                self._target = Target((self.base_url or DEFAULT_BASE_URL).rstrip("/") + "/chat/completions", headers,
                                      self.proxy)
            except ValueError as exc:
                raise ModelError(f"openai model {self.id!r}: {exc}. To fix: check base_url, default_headers and "
                                 "the proxy (proxy=..., HTTPS_PROXY, HTTP_PROXY)",
                                 provider="openai", model=self.id) from None
        return self._target

    async def _lean_post(self, body: dict[str, Any]) -> Any:
        tools = body.pop("tools", None)
        payload = encode_body(body, tools, self._tools)
        return await post(self._pools, self._lean_target(), payload, max_retries=self.max_retries)

    def _lean_error(self, exc: BaseException, streamed: int = 0) -> Exception:
        """A transport failure of the lean path as the provider error the model reports."""
        if isinstance(exc, OSError):  # a socket error outside the pool's own wrapping
            exc = APIConnectionError(f"connection error: {exc}")
        elif not isinstance(exc, APIError):  # the answer's JSON or its shape (json, int(), .get on a list, ...)
            exc = APIError(f"the server's answer could not be read as a chat completion ({type(exc).__name__}: {exc})")
        return self._error(exc, streamed)

    async def _lean_complete(self, body: dict[str, Any]) -> AsyncIterator[ModelDelta]:
        failure: Optional[Exception] = None
        try:
            response = await self._lean_post(body)
            try:
                raw = await response.read(MAX_BODY)
            finally:
                response.release()
            deltas = completion_deltas(json.loads(raw))
        except (asyncio.CancelledError, ModelError):
            raise
        except Exception as exc:
            failure = self._lean_error(exc)
        if failure is not None:  # raised here, not in the except block: no __context__ holding the raw error
            raise failure
        for delta in deltas:
            yield delta

    async def _lean_stream(self, body: dict[str, Any]) -> AsyncIterator[ModelDelta]:
        parser = StreamParser()
        failure: Optional[Exception] = None
        try:
            response = await self._lean_post(body)
            try:
                stream = sse_data(response)
                async for data in stream:
                    delta = parser.feed(data)
                    if delta is not None:
                        yield delta
                    if parser.done:
                        break
                if parser.done:  # the answer is whole: the rest of the body only decides whether the connection
                    await _drain(stream, min(self.timeout, DONE_GRACE))  # is kept; a server gone quiet is left
            finally:
                response.release()
        except (asyncio.CancelledError, ModelError, GeneratorExit):
            raise
        except Exception as exc:
            if not parser.done:  # after [DONE] the answer is whole: what breaks in the rest of the body is ignored
                failure = self._lean_error(exc, parser.streamed)
        if failure is not None:  # raised here, not in the except block: no __context__ holding the raw error
            raise failure
        for delta in parser.finish(self.id):
            yield delta

    # -- the official client ------------------------------------------------------------
    def _client(self) -> Any:
        if self._given_client is not None:
            return self._given_client
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            import openai

            http_client = None  # the SDK's own, which takes proxies from the environment
            if self.proxy is not None:
                http_client = (openai.DefaultAsyncHttpxClient(proxy=self.proxy) if self.proxy else
                               openai.DefaultAsyncHttpxClient(trust_env=False))
            client = openai.AsyncOpenAI(api_key=self._key(), base_url=self.base_url, organization=self.organization,
                                        timeout=self.timeout, max_retries=self.max_retries,
                                        default_headers=self.default_headers or None, http_client=http_client)
            self._clients[loop] = client
        return client

    async def _sdk_complete(self, body: dict[str, Any]) -> AsyncIterator[ModelDelta]:
        failure: Optional[Exception] = None
        try:
            raw = await self._client().chat.completions.with_raw_response.create(**body)
            deltas = completion_deltas(json.loads(raw.content))
        except (asyncio.CancelledError, ModelError):
            raise
        except Exception as exc:
            failure = self._error(exc)
        if failure is not None:  # raised here, not in the except block: no __context__ holding the raw error
            raise failure
        for delta in deltas:
            yield delta

    async def _sdk_stream(self, body: dict[str, Any]) -> AsyncIterator[ModelDelta]:
        parser = StreamParser()
        failure: Optional[Exception] = None
        try:
            async with self._client().chat.completions.with_streaming_response.create(**body) as response:
                async for line in response.iter_lines():  # to the end, so the connection is reused
                    if line.startswith("data:"):
                        delta = parser.feed(line[5:].strip())
                        if delta is not None:
                            yield delta
        except (asyncio.CancelledError, ModelError, GeneratorExit):
            raise
        except Exception as exc:
            failure = self._error(exc, parser.streamed)
        if failure is not None:  # raised here, not in the except block: no __context__ holding the raw error
            raise failure
        for delta in parser.finish(self.id):
            yield delta

    async def aclose(self) -> None:
        await self._pools.aclose()
        client = self._clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.close()


DONE_GRACE = 5.0  # seconds the end of a body may take after [DONE] before the connection is given up on


async def _drain(stream: AsyncIterator[bytes], grace: float) -> None:
    """Read what is left of a stream whose answer is complete, for at most ``grace`` seconds; what breaks or
    does not come only costs the connection (it is then closed, not reused)."""
    try:
        async with asyncio.timeout(grace):
            async for _ in stream:
                pass
    except Exception:  # TimeoutError included
        pass


class StreamParser:
    """Chat-completion chunks in, content deltas out; tool calls and usage collected for the end."""

    __slots__ = ("calls", "usage", "streamed", "finished", "done")

    def __init__(self) -> None:
        self.calls: dict[int, dict[str, Any]] = {}
        self.usage: Optional[Usage] = None
        self.streamed = 0
        self.finished = False
        self.done = False

    def feed(self, data: Any) -> Optional[ModelDelta]:
        """One ``data:`` payload (bytes or str); a delta when it carries content or reasoning."""
        if self.done or data in (b"[DONE]", "[DONE]"):
            self.done = True  # the rest of the body is read (connection reuse) and ignored
            return None
        chunk = json.loads(data)
        if not isinstance(chunk, dict):
            raise APIError(f"the server sent a stream chunk that is not an object: {str(data)[:200]}")
        if chunk.get("usage"):
            self.usage = _usage(chunk["usage"])
        choices = chunk.get("choices")
        if not choices:
            if "error" in chunk:
                raise APIError(f"the server sent an error mid-stream: {chunk['error']}")
            return None
        choice = choices[0]
        if choice.get("finish_reason"):
            self.finished = True
        delta = choice.get("delta") or {}
        for fragment in delta.get("tool_calls") or ():
            slot = self.calls.setdefault(fragment.get("index", 0), {"id": None, "name": "", "arguments": ""})
            if fragment.get("id"):
                slot["id"] = fragment["id"]
            function = fragment.get("function") or {}
            if function.get("name"):
                slot["name"] = _text(function["name"], "a tool name")
            if function.get("arguments"):
                slot["arguments"] += _text(function["arguments"], "tool arguments")
        content = delta.get("content")
        reasoning = delta.get("reasoning_content") or delta.get("reasoning")
        if content or reasoning:
            self.streamed += 1
            return ModelDelta(content=_text(content, "content") or None,
                              reasoning_content=_text(reasoning, "reasoning") or None)
        return None

    def finish(self, model: str) -> list[ModelDelta]:
        """The tool calls and usage, once the stream has ended; an error if it ended early."""
        if not (self.finished or self.done):
            raise ModelError(
                f"openai model {model!r}: the stream ended before the response was complete, after {self.streamed} "
                "streamed chunk(s); what was produced is kept. To fix: try again, or check the server",
                provider="openai", model=model,
            )
        out = []
        if self.calls:
            out.append(ModelDelta(tool_calls=[_tool_call(c["name"], c["arguments"], c["id"])
                                              for _, c in sorted(self.calls.items())]))
        if self.usage is not None:
            out.append(ModelDelta(usage=self.usage))
        return out


def completion_deltas(data: Any) -> list[ModelDelta]:
    """A non-streamed chat completion as deltas: reasoning, then content with tool calls and usage."""
    choices = data.get("choices") if isinstance(data, dict) else None
    if not choices or not isinstance(choices, list) or not isinstance(choices[0], dict):
        raise APIError(f"the server's answer is not a chat completion: {str(data)[:200]}")
    message = choices[0].get("message") or {}
    if not isinstance(message, dict):
        raise APIError(f"the server's answer has no message: {str(data)[:200]}")
    out: list[ModelDelta] = []
    reasoning = message.get("reasoning_content") or message.get("reasoning")
    if reasoning:
        out.append(ModelDelta(reasoning_content=_text(reasoning, "reasoning")))
    calls = []
    for call in message.get("tool_calls") or ():
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict):
            raise APIError(f"the server sent a tool call without a function: {str(call)[:200]}")
        arguments = function.get("arguments") or ""
        if isinstance(arguments, dict):
            arguments = json.dumps(arguments)
        calls.append(_tool_call(_text(function.get("name") or "", "a tool name"), _text(arguments, "tool arguments"),
                                call.get("id")))
    content = message.get("content")
    if isinstance(content, list):  # content parts
        content = "".join(p.get("text") or "" for p in content if isinstance(p, dict))
    usage = _usage(data["usage"]) if isinstance(data.get("usage"), dict) else None
    out.append(ModelDelta(content=_text(content, "content") or None, tool_calls=calls or None, usage=usage))
    return out


def _text(value: Any, what: str) -> Any:
    if value is None or isinstance(value, str):
        return value
    raise APIError(f"the server sent {what} that is not a string: {str(value)[:200]}")


def _tool_call(name: str, arguments: str, call_id: Any) -> ToolCall:
    return ToolCall(name, arguments, id=call_id) if isinstance(call_id, str) and call_id else ToolCall(name, arguments)


def _usage(raw: Any) -> Usage:
    if not isinstance(raw, dict):
        raise APIError(f"the server sent usage that is not an object: {str(raw)[:200]}")
    prompt, completion = int(raw.get("prompt_tokens") or 0), int(raw.get("completion_tokens") or 0)
    return Usage(
        input_tokens=prompt,
        output_tokens=completion,
        total_tokens=int(raw.get("total_tokens") or prompt + completion),
        reasoning_tokens=int((raw.get("completion_tokens_details") or {}).get("reasoning_tokens") or 0),
        cache_read_tokens=int((raw.get("prompt_tokens_details") or {}).get("cached_tokens") or 0),
    )
