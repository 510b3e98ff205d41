"""JSON for storage columns that every SQL database accepts, and back, losslessly.

Models produce text PostgreSQL refuses: NUL characters (``\\x00``, not allowed in
TEXT or JSONB), lone surrogates (not encodable as UTF-8) and NaN/Infinity (not
JSON). Such values are stored in an escaped form that is itself plain JSON text:

- a string holding NUL or a lone surrogate becomes ``MARK + "s:" + base64(utf-8, surrogatepass)``;
- a float NaN / Infinity / -Infinity becomes ``MARK + "f:nan"`` (``inf``, ``-inf``);
- an int too long for Python to write in decimal becomes ``MARK + "i:" + hex``;
- a string that happens to start with ``MARK`` is escaped the same way, so decoding is exact.

``MARK`` is a noncharacter (U+FDD0) that models do not emit; decoding only walks a
value when its JSON text contains it, so ordinary rows cost one substring search.
"""

from __future__ import annotations

import base64
import json
import math
from typing import Any

MARK = "\ufdd0"
_BIG_INT_BITS = 13_000  # past about 4,300 decimal digits Python refuses to write an int as text


def _needs_escape(text: str) -> bool:
    if "\x00" in text or text.startswith(MARK):
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _escape_str(text: str) -> str:
    if not _needs_escape(text):
        return text
    raw = text.encode("utf-8", "surrogatepass")
    return MARK + "s:" + base64.b64encode(raw).decode("ascii")


def _escape(value: Any) -> Any:
    if isinstance(value, str):
        return _escape_str(value)
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > _BIG_INT_BITS:
        return MARK + "i:" + format(value, "x")
    if isinstance(value, float) and not math.isfinite(value):
        return MARK + "f:" + ("nan" if math.isnan(value) else "inf" if value > 0 else "-inf")
    if isinstance(value, dict):
        return {_escape_str(k) if isinstance(k, str) else k: _escape(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_escape(v) for v in value]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return _escape_str(str(value))  # what json's default=str would write, escaped like any string


def _unescape_str(text: str) -> Any:
    if not text.startswith(MARK):
        return text
    kind, _, body = text[len(MARK):].partition(":")
    if kind == "s":
        return base64.b64decode(body).decode("utf-8", "surrogatepass")
    if kind == "f":
        return float(body)
    if kind == "i":
        return int(body, 16)
    return text


def _unescape(value: Any) -> Any:
    if isinstance(value, str):
        return _unescape_str(value)
    if isinstance(value, dict):
        return {_unescape_str(k): _unescape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unescape(v) for v in value]
    return value


def dumps(value: Any) -> str:
    """JSON text for ``value`` that SQLite and PostgreSQL (TEXT or JSONB) both store unchanged."""
    try:
        text = json.dumps(value, default=str, ensure_ascii=False, allow_nan=False)
    except ValueError:  # NaN or Infinity, or an int too long to write in decimal
        return json.dumps(_escape(value), default=str, ensure_ascii=False, allow_nan=False)
    if "\\u0000" in text or MARK in text:
        return json.dumps(_escape(value), default=str, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return json.dumps(_escape(value), default=str, ensure_ascii=False)
    return text


def loads(value: Any) -> Any:
    """The value :func:`dumps` was given (``value`` is JSON text, or already decoded JSON)."""
    if isinstance(value, (bytes, bytearray)):
        value = bytes(value).decode("utf-8")
    if isinstance(value, str):
        decoded = json.loads(value)
        return _unescape(decoded) if MARK in value else decoded
    return _unescape(value) if value is not None else None


def escape_text(text: Any) -> Any:
    """A plain TEXT column's value (ids, memory text): escaped only when the database would refuse it."""
    return _escape_str(text) if isinstance(text, str) else text


def unescape_text(text: Any) -> Any:
    return _unescape_str(text) if isinstance(text, str) else text
