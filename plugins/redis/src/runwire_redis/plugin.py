"""The runwire plugin: ``redis://`` and ``rediss://`` cancellation backends."""

from __future__ import annotations

from typing import Any

from runwire import hookimpl


def _factory(url: str) -> Any:
    from runwire_redis.cancellation import RedisCancellation

    return RedisCancellation(url)


@hookimpl
def runwire_register_cancellation(register: Any) -> None:
    register("redis", _factory)
    register("rediss", _factory)
