"""Storage backends under test: SQLite (a temporary file) and PostgreSQL (the real local server).

PostgreSQL tests use a fresh schema each and drop it afterwards. Without a
server they skip, unless RUNWIRE_REQUIRE_SERVICES=1 (CI), where they fail.
"""

from __future__ import annotations

import os
import uuid

import pytest

PG_URL = os.environ.get("RUNWIRE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def postgres_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_URL, connect_timeout=3):
            return True
    except Exception:
        return False


def require_postgres() -> None:
    if not postgres_available():
        if os.environ.get("RUNWIRE_REQUIRE_SERVICES") == "1":
            pytest.fail(f"PostgreSQL is required (RUNWIRE_REQUIRE_SERVICES=1) but {PG_URL} is not reachable")
        pytest.skip(f"no PostgreSQL at {PG_URL}")


class Backend:
    def __init__(self, kind: str, url: str, schema: str | None = None) -> None:
        self.kind, self.url, self.schema = kind, url, schema

    def make(self):
        if self.kind == "sqlite":
            from runwire.storage.sqlite import SqliteStorage

            return SqliteStorage(self.url)
        from runwire_postgres import PostgresStorage

        return PostgresStorage(self.url, schema=self.schema)


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request, tmp_path):
    if request.param == "sqlite":
        yield Backend("sqlite", f"sqlite:///{tmp_path}/runwire.db")
        return
    require_postgres()
    import psycopg

    schema = "rw_" + uuid.uuid4().hex[:12]
    yield Backend("postgres", PG_URL, schema)
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@pytest.fixture
async def storage(backend):
    made = backend.make()
    yield made
    await made.aclose()  # closes its connections (a PostgreSQL pool, a SQLite file)
