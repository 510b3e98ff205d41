"""Turning a provider SDK's exception into a ModelError a user can act on.

Matched by exception class name along the MRO, so the same table serves the
SDKs that share OpenAI's error names (openai, litellm, ...) without importing them.
"""

from __future__ import annotations

from typing import Iterable, Optional

from runwire.exceptions import ModelError
from runwire.utils.redact import redact

# class name -> (what happened, what to do, retryable)
KNOWN: dict[str, tuple[str, str, bool]] = {
    "AuthenticationError": ("the API key was missing or refused",
                            "set the provider's key (e.g. OPENAI_API_KEY) or pass api_key=", False),
    "PermissionDeniedError": ("the API key may not use this model", "check the key's permissions", False),
    "NotFoundError": ("the model or endpoint does not exist",
                      "check the model name and the base URL", False),
    "ContextWindowExceededError": ("the conversation is longer than the model's context window",
                                   "shorten the input or history, or use a model with a larger context", False),
    "ContentPolicyViolationError": ("the provider refused the content", "change the input", False),
    "BadRequestError": ("the provider rejected the request", "check the options and the input", False),
    "UnprocessableEntityError": ("the provider rejected the request", "check the options and the input", False),
    "RateLimitError": ("the provider's rate limit was hit", "wait, lower the request rate, or raise max_retries", True),
    "Timeout": ("the request timed out", "raise timeout= or try again", True),
    "APITimeoutError": ("the request timed out", "raise timeout= or try again", True),
    "APIConnectionError": ("the provider could not be reached", "check the base URL and the network", True),
    "InternalServerError": ("the provider had a server error", "try again later", True),
    "ServiceUnavailableError": ("the provider is unavailable", "try again later", True),
    "BadGatewayError": ("the provider had a gateway error", "try again later", True),
    "APIError": ("the provider returned an error", "try again, or check the request", True),
}
CONTEXT_CODES = {"context_length_exceeded", "string_above_max_length"}


def provider_error(provider: str, model: str, exc: BaseException, *, streamed: int = 0,
                   secrets: Iterable[Optional[str]] = ()) -> ModelError:
    """A ModelError naming the provider, the model, what happened and what to do; secrets redacted."""
    name = type(exc).__name__
    what, todo, retryable = "the call failed", "check the provider's status", False
    for cls in type(exc).__mro__:  # the most specific known class decides
        if cls.__name__ in KNOWN:
            what, todo, retryable = KNOWN[cls.__name__]
            break
    if getattr(exc, "code", None) in CONTEXT_CODES:
        what, todo, retryable = KNOWN["ContextWindowExceededError"]
    detail = redact(str(exc), secrets)[:500]
    where = f" after {streamed} streamed chunk(s); what was produced is kept" if streamed else ""
    message = f"{provider} model {model!r}: {what}{where} ({name}: {detail}). To fix: {todo}"
    return ModelError(message, provider=provider, model=model, retryable=retryable and not streamed)


def secrets_from_env(environ: dict[str, str]) -> list[str]:
    """Values of environment variables that look like credentials."""
    return [v for k, v in environ.items() if k.endswith(("_API_KEY", "_TOKEN", "_SECRET_ACCESS_KEY", "_SECRET"))]
