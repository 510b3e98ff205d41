"""runwire-dbos: durable runwire runs on DBOS Transact (a run survives its process; runs spread over workers)."""

from runwire_dbos.durability import DBOSDurability

__all__ = ["DBOSDurability"]
