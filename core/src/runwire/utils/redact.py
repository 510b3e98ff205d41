"""Keeping secrets out of messages: API keys in text and in URLs."""

from __future__ import annotations

import re
from typing import Iterable, Optional
from urllib.parse import parse_qsl, urlsplit

_URL_SECRETS = re.compile(
    r"(?i)([?&](?:[a-z0-9_-]*(?:key|token|secret|password|passwd|auth|credential)[a-z0-9_-]*|sig|signature|code)=)"
    r"[^&\s'\"]+"
)
_URL_PASSWORD = re.compile(r"(://[^:@/\s]*:)[^@/\s]+@")
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


def redact_url(url: Optional[str]) -> Optional[str]:
    """``url`` with its password and every query-string value masked: a base URL may carry a key anywhere there."""
    if not url:
        return url
    text = _URL_PASSWORD.sub(r"\1***@", url)
    head, sep, query = text.partition("?")
    if not sep:
        return text
    query, hash_, fragment = query.partition("#")
    masked = "&".join(p.partition("=")[0] + ("=***" if "=" in p else "") for p in query.split("&"))
    return f"{head}?{masked}{hash_}{fragment and '***'}"


def url_secrets(url: Optional[str]) -> list[str]:
    """The password and the longer query-string values of ``url`` (8+ characters: keys, not ``api-version=v1``),
    to pass to :func:`redact` as secrets."""
    if not url:
        return []
    try:
        parts = urlsplit(url)
    except ValueError:
        return []
    values = [value for _, value in parse_qsl(parts.query, keep_blank_values=False)]
    return [v for v in (parts.password, *values) if v and len(v) >= 8]
