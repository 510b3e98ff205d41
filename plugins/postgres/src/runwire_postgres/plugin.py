"""The runwire plugin: ``postgresql://`` and ``postgres://`` storage URLs."""

from __future__ import annotations

from typing import Any

from runwire import hookimpl


def _factory(url: str) -> Any:
    from runwire_postgres.storage import PostgresStorage

    return PostgresStorage(url)


@hookimpl
def runwire_register_storage(register: Any) -> None:
    register("postgresql", _factory)
    register("postgres", _factory)
