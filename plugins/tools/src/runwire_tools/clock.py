"""``current_datetime``: the date and time now, in a time zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from runwire.tools import tool


@tool
def current_datetime(timezone: str = "UTC") -> str:
    """Return the current date and time (ISO 8601) and the weekday.

    Args:
        timezone: An IANA time zone such as "Europe/Paris"; UTC by default.
    """
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {timezone!r}; use an IANA name such as 'UTC' or 'America/New_York'") from None
    now = datetime.now(zone)
    return f"{now.isoformat(timespec='seconds')} ({now.strftime('%A')}, {timezone})"
