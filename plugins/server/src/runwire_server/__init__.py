"""runwire-server: agents over HTTP with resumable event streams, secure by default, on many workers.

Names load on first use, so discovering the plugin (``runwire_server.plugin``) imports no FastAPI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

_LAZY = {
    "create_app": "runwire_server.app",
    "APIKeys": "runwire_server.auth",
    "AuthConfig": "runwire_server.auth",
    "InsecureNoAuth": "runwire_server.auth",
    "JWTAuth": "runwire_server.auth",
    "hash_key": "runwire_server.auth",
    "Broker": "runwire_server.broker",
    "MemoryBroker": "runwire_server.broker",
    "RedisBroker": "runwire_server.redis_broker",
}

if TYPE_CHECKING:
    from runwire_server.app import create_app
    from runwire_server.auth import APIKeys, AuthConfig, InsecureNoAuth, JWTAuth, hash_key
    from runwire_server.broker import Broker, MemoryBroker
    from runwire_server.redis_broker import RedisBroker


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'runwire_server' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = ["APIKeys", "AuthConfig", "Broker", "InsecureNoAuth", "JWTAuth", "MemoryBroker", "RedisBroker",
           "create_app", "hash_key"]
