"""Errors of the lean HTTP path, named as the openai SDK names them.

``runwire.models.errors.provider_error`` matches exceptions by class name, so
these map to the same clear messages (and retryability) as the SDK's.
"""

from __future__ import annotations

import json
from typing import Any, Optional


class APIError(Exception):
    """The server answered with an error, or could not be reached."""

    def __init__(self, message: str, *, status: Optional[int] = None, code: Optional[str] = None) -> None:
        super().__init__(message)
        self.status_code = status
        self.code = code


class APIConnectionError(APIError):
    pass


class APITimeoutError(APIConnectionError):
    pass


class APIStatusError(APIError):
    pass


class BadRequestError(APIStatusError):
    pass


class AuthenticationError(APIStatusError):
    pass


class PermissionDeniedError(APIStatusError):
    pass


class NotFoundError(APIStatusError):
    pass


class UnprocessableEntityError(APIStatusError):
    pass


class RateLimitError(APIStatusError):
    pass


class InternalServerError(APIStatusError):
    pass


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError, 401: AuthenticationError, 403: PermissionDeniedError, 404: NotFoundError,
    422: UnprocessableEntityError, 429: RateLimitError,
}


def status_error(status: int, raw: bytes) -> APIStatusError:
    """The exception for an HTTP error response whose body is ``raw`` (any bytes: it is not trusted)."""
    detail: Any = raw[:2000].decode("utf-8", "replace")
    code = None
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):  # (deep nesting)
        data = None
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        error = data["error"]
        code = error.get("code") if isinstance(error.get("code"), str) else None
        detail = error.get("message") if isinstance(error.get("message"), str) else detail
    if status == 407:  # from a proxy on the way (an http target's): its page says nothing more useful
        detail = "the proxy asks for credentials or refused them: check the user and password in the proxy URL"
    cls = _BY_STATUS.get(status) or (InternalServerError if status >= 500 else APIStatusError)
    return cls(f"Error code: {status} - {detail}", status=status, code=code)


RETRYABLE_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})
