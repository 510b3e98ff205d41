"""runwire-postgres is found by URL scheme and never shows a password."""

import pytest

from runwire.agent import Agent
from runwire_postgres import PostgresStorage


@pytest.mark.parametrize("url", ["postgresql://bob:hunter2@127.0.0.1:5432/test", "postgres://bob:hunter2@127.0.0.1/test",
                                 "postgresql+psycopg://bob:hunter2@127.0.0.1/test"])
def test_urls_resolve_to_postgres_storage_without_leaking_the_password(url):
    storage = Agent(model="scripted:x", db=url).get_storage()
    assert isinstance(storage, PostgresStorage)
    assert "hunter2" not in repr(storage) and "bob:***@" in repr(storage)


def test_bad_schema_names_are_refused():
    with pytest.raises(ValueError, match="plain identifier"):
        PostgresStorage("postgresql://x@127.0.0.1/test", schema="x; DROP TABLE y")
