"""``LiteLLM``: a runwire Model that calls any provider through ``litellm.acompletion``."""

from __future__ import annotations

import asyncio
import os
import random
from typing import Any, AsyncIterator, Optional

from runwire.exceptions import ModelError
from runwire.metrics import Usage
from runwire.models.base import Model, ModelDelta, ModelRequest
from runwire.models.chat_format import request_fields
from runwire.models.errors import provider_error, secrets_from_env
from runwire.models.message import ToolCall
from runwire.utils.redact import redact_url, url_secrets

_litellm: Any = None
_HAS_ATTRIBUTE: dict[tuple[type, str], bool] = {}


def _get(obj: Any, name: str) -> Any:
    """``getattr(obj, name, None)`` without pydantic's slow path. litellm keeps most stream fields in a model's
    extras and removes absent ones, so a plain getattr goes through pydantic's ``__getattr__`` and, for a missing
    field (``usage`` on every chunk but the last, ``reasoning_content``), raises an AttributeError: about 8 us a
    field, several a chunk, which was most of runwire-litellm's cost over litellm called directly."""
    extra = getattr(obj, "__pydantic_extra__", None)
    if extra and name in extra:
        return extra[name]
    fields = getattr(obj, "__dict__", None)
    if fields is not None and name in fields:
        return fields[name]
    key = (type(obj), name)
    known = _HAS_ATTRIBUTE.get(key)
    if known is None:  # a property or class attribute: the slow way, once per class and name
        known = _HAS_ATTRIBUTE[key] = extra is None or hasattr(type(obj), name)
    return getattr(obj, name, None) if known else None


def load_litellm() -> Any:
    """Import litellm once, offline-friendly (no remote price-list fetch unless asked for)."""
    global _litellm
    if _litellm is None:
        os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
        import litellm

        litellm.suppress_debug_info = True
        litellm.drop_params = True
        litellm.disable_aiohttp_transport = True  # httpx: clean shutdown with the run's event loop
        _litellm = litellm
    return _litellm


def _retry_after(exc: BaseException) -> Optional[float]:
    headers: Any = getattr(exc, "litellm_response_headers", None)
    if headers is None:
        response = getattr(exc, "response", None)
        headers = getattr(response, "headers", None)
    if not headers:
        return None
    try:
        value = headers.get("retry-after") or headers.get("Retry-After")
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


class LiteLLM(Model):
    """A model reached through litellm: ``LiteLLM(id="openai/gpt-4o-mini", api_key=..., api_base=...)``.

    Extra keyword arguments (``temperature``, ``top_p``, ``reasoning_effort``,
    ...) are passed to ``litellm.acompletion``.

    ``lean=True`` sends ``openai/...`` ids (the OpenAI API, or any OpenAI-compatible
    server at ``api_base``) through runwire-openai's lean HTTP path instead of
    litellm: the same requests, a fraction of the time (extra keyword arguments
    then go into the request body as they are). Needs ``runwire-litellm[lean]``.
    """

    provider = "litellm"
    supports_native_structured_output = True

    def __init__(
        self,
        id: str,
        *,
        api_key: Optional[str] = None,
        api_base: Optional[str] = None,
        timeout: float = 600.0,
        max_retries: int = 3,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        lean: bool = False,
        **params: Any,
    ) -> None:
        if not id:
            raise ValueError("LiteLLM needs a model id such as 'openai/gpt-5-mini'")
        super().__init__(id)
        self._lean: Optional[Model] = _lean_model(id, api_key, api_base, timeout, max_retries, params) if lean else None
        self._api_key = api_key
        self.api_base = api_base
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.params = params
        self._environment_checked = False
        self._unpriced: Optional[int] = None  # len(litellm.model_cost) when this model was found to have no price

    def __repr__(self) -> str:  # never shows the key
        return f"LiteLLM(id={self.id!r}, api_base={redact_url(self.api_base)!r})"

    @property
    def vendor(self) -> str:
        return self.id.split("/", 1)[0] if "/" in self.id else "openai"

    def _error(self, exc: BaseException, *, streamed: int = 0) -> ModelError:
        secrets = [self._api_key, *url_secrets(self.api_base), *secrets_from_env(dict(os.environ))]
        return provider_error(f"{self.vendor} via litellm", self.id, exc, streamed=streamed, secrets=secrets)

    def _kwargs(self, request: ModelRequest) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "model": self.id,
            "stream": True,
            "stream_options": {"include_usage": True},
            "timeout": self.timeout,
            "max_retries": 0,  # retries are ours: only before the first token
            "num_retries": 0,
            **request_fields(request),
            **self.params,
        }
        if self._api_key:
            kwargs["api_key"] = self._api_key
        if self.api_base:
            kwargs["api_base"] = self.api_base
        return kwargs

    def _check_environment(self) -> None:
        """Fail at once, naming the variable, when the provider needs a key that is neither given nor set."""
        if self._api_key or self._environment_checked:
            return
        try:
            report = load_litellm().validate_environment(model=self.id, api_base=self.api_base)
        except Exception:  # litellm cannot tell for this model: the request will say
            report = {}
        keys = [k for k in report.get("missing_keys") or () if k.endswith(("_KEY", "_TOKEN"))]
        if keys and not report.get("keys_in_environment"):
            names = keys[0] if len(keys) == 1 else "one of " + ", ".join(keys)
            raise ModelError(
                f"{self.vendor} model {self.id!r} via litellm: no API key. To fix: set {names} in the environment "
                "or pass LiteLLM(api_key=...)", provider="litellm", model=self.id)
        self._environment_checked = True

    async def _open(self, kwargs: dict[str, Any]) -> Any:
        self._check_environment()
        litellm = load_litellm()
        attempt = 0
        while True:
            try:
                return await litellm.acompletion(**kwargs)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                error = self._error(exc)
                wait = _retry_after(exc)
            if not error.retryable or attempt >= self.max_retries:
                if attempt:
                    error.args = (f"{error.args[0]} (gave up after {attempt + 1} attempts)",)
                raise error  # outside the except block: no __context__ holding the raw error
            if wait is None:
                wait = min(self.max_backoff, self.backoff * (2 ** attempt)) * (0.5 + random.random() / 2)
            attempt += 1
            await asyncio.sleep(min(wait, self.max_backoff))

    async def astream(self, request: ModelRequest) -> AsyncIterator[ModelDelta]:
        if self._lean is not None:
            async for delta in self._lean.astream(request):
                yield delta
            return
        stream = await self._open(self._kwargs(request))
        calls: dict[int, dict[str, Any]] = {}
        usage: Optional[Usage] = None
        streamed = 0
        try:
            async for chunk in stream:
                chunk_usage = _get(chunk, "usage")
                if chunk_usage:
                    usage = self._usage(chunk_usage)
                choices = chunk.choices
                if not choices:
                    continue
                delta = choices[0].delta
                content = _get(delta, "content")
                reasoning = _get(delta, "reasoning_content")
                if content or reasoning:
                    streamed += 1
                    yield ModelDelta(content=content or None, reasoning_content=reasoning or None)
                for fragment in _get(delta, "tool_calls") or ():
                    slot = calls.setdefault(fragment.index or 0, {"id": None, "name": "", "arguments": ""})
                    if fragment.id:
                        slot["id"] = fragment.id
                    function = fragment.function
                    if function is not None:
                        if function.name:
                            slot["name"] = function.name
                        if function.arguments:
                            slot["arguments"] += function.arguments
        except asyncio.CancelledError:
            raise
        except ModelError:
            raise
        except Exception as exc:
            failure: Optional[ModelError] = self._error(exc, streamed=streamed)
        else:
            failure = None
        if failure is not None:  # raised here, not in the except block: no __context__ holding the raw error
            raise failure
        if calls:
            yield ModelDelta(tool_calls=[
                ToolCall(name=c["name"], arguments=c["arguments"], id=c["id"]) if c["id"] else ToolCall(c["name"], c["arguments"])
                for _, c in sorted(calls.items())
            ])
        if usage is not None:
            yield ModelDelta(usage=usage)

    async def aclose(self) -> None:
        if self._lean is not None:
            await self._lean.aclose()

    def _usage(self, raw: Any) -> Usage:
        def get(obj: Any, name: str) -> int:
            value = getattr(obj, name, None) if obj is not None else None
            return int(value or 0)

        prompt, completion = get(raw, "prompt_tokens"), get(raw, "completion_tokens")
        usage = Usage(
            input_tokens=prompt,
            output_tokens=completion,
            total_tokens=get(raw, "total_tokens") or prompt + completion,
            reasoning_tokens=get(getattr(raw, "completion_tokens_details", None), "reasoning_tokens"),
            cache_read_tokens=get(getattr(raw, "prompt_tokens_details", None), "cached_tokens"),
        )
        billed = _get(raw, "cost")  # litellm's own bill for the response, when it priced it while streaming
        if isinstance(billed, (int, float)) and not isinstance(billed, bool):
            usage.cost = float(billed)
            return usage
        litellm = load_litellm()
        prices = len(litellm.model_cost)  # grows when a price is registered: then an unpriced model is asked again
        if self._unpriced == prices:  # litellm's search for a price costs about 0.7 ms: once per model when there is none
            usage.cost = None
            return usage
        try:
            prompt_cost, completion_cost = litellm.cost_per_token(model=self.id, prompt_tokens=prompt,
                                                                  completion_tokens=completion)
            usage.cost = prompt_cost + completion_cost
        except Exception:  # unknown model: no price
            usage.cost = None
            self._unpriced = prices
        return usage


def _lean_model(id: str, api_key: Optional[str], api_base: Optional[str], timeout: float, max_retries: int,
                params: dict[str, Any]) -> Model:
    vendor, _, name = id.partition("/")
    if vendor != "openai" or not name:
        raise ValueError(f"LiteLLM(lean=True) serves 'openai/...' ids (the OpenAI API or an OpenAI-compatible server at "
                         f"api_base), not {id!r}. To fix: drop lean=True for this model")
    try:
        from runwire_openai import OpenAIChat
    except ImportError:
        raise ImportError("LiteLLM(lean=True) needs runwire-openai. To fix: pip install 'runwire-litellm[lean]'") from None
    return OpenAIChat(id=name, base_url=api_base, api_key=api_key, timeout=timeout, max_retries=max_retries, **params)
