"""runwire-dbos: durable runwire runs on DBOS Transact (a run survives its process; runs spread over workers).

``dbos`` is imported on first use of :class:`DBOSDurability`, not when runwire discovers its plugins.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from runwire_dbos.durability import DBOSDurability

__all__ = ["DBOSDurability"]


def __getattr__(name: str) -> Any:
    if name == "DBOSDurability":
        from runwire_dbos.durability import DBOSDurability

        return DBOSDurability
    raise AttributeError(f"module 'runwire_dbos' has no attribute {name!r}")
