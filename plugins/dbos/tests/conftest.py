"""Each test module gets its own DBOS system database and runwire schema on the local PostgreSQL, dropped afterwards."""

from __future__ import annotations

import os
import uuid

import pytest

PG = os.environ.get("RUNWIRE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def _admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG, autocommit=True, connect_timeout=3) as conn:
        conn.execute(sql)


@pytest.fixture(scope="module")
def databases():
    try:
        _admin("SELECT 1")
    except Exception:
        if os.environ.get("RUNWIRE_REQUIRE_SERVICES") == "1":
            pytest.fail(f"PostgreSQL is required (RUNWIRE_REQUIRE_SERVICES=1) but {PG} is not reachable")
        pytest.skip(f"no PostgreSQL at {PG}")
    name = f"rwdbos_{uuid.uuid4().hex[:10]}"
    sysdb = PG.rsplit("/", 1)[0] + "/" + name
    yield {"RW_PG": PG, "RW_SCHEMA": name, "RW_SYSDB": sysdb}
    _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    _admin(f"DROP SCHEMA IF EXISTS {name} CASCADE")
