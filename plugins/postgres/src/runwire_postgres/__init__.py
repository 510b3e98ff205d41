"""runwire-postgres: storage on PostgreSQL."""

from runwire_postgres.storage import PostgresStorage

__all__ = ["PostgresStorage"]
