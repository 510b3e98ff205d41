"""Keeping secrets out of messages: API keys in text and in URLs."""

from __future__ import annotations

import re
from typing import Iterable, Optional

_URL_SECRETS = re.compile(r"(?i)([?&](?:key|api[_-]?key|token|access_token|sig|signature)=)[^&\s'\"]+")
_URL_PASSWORD = re.compile(r"(://[^:@/\s]+:)[^@/\s]+@")
_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._\-]{8,}")
_KEY_LIKE = re.compile(r"\b(sk-[A-Za-z0-9_\-]{8,}|AIza[0-9A-Za-z_\-]{20,})")


def redact(text: str, secrets: Iterable[Optional[str]] = ()) -> str:
    """``text`` with the given secrets, URL passwords and key parameters, bearer tokens and key-like strings masked."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    text = _URL_SECRETS.sub(r"\1***", text)
    text = _URL_PASSWORD.sub(r"\1***@", text)
    text = _BEARER.sub(r"\1***", text)
    return _KEY_LIKE.sub("***", text)
