"""``Closeable``: ``close()`` and ``with`` / ``async with`` for anything that implements ``aclose()``."""

from __future__ import annotations

from typing import Any, TypeVar

C = TypeVar("C", bound="Closeable")


class Closeable:
    """Adds ``close()`` (sync), ``with`` and ``async with`` to a class with ``async aclose()``."""

    async def aclose(self) -> None:
        """Release what this object holds (connections, threads). Safe to call twice."""

    def close(self) -> None:
        """``aclose()`` from sync code (inside a running loop it runs on runwire's background loop)."""
        from runwire.run.sync_bridge import get_runner

        get_runner()(self.aclose())

    async def __aenter__(self: C) -> C:
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.aclose()

    def __enter__(self: C) -> C:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()
