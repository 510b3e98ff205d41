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


def test_a_server_that_is_down_fails_with_one_clear_error_naming_the_redacted_url(caplog):
    import socket

    from runwire.exceptions import RunFailedError, StorageError

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"postgresql://bob:hunter2@127.0.0.1:{port}/test"
    agent = Agent(model="scripted:x", db=url)
    with pytest.raises((StorageError, RunFailedError)) as info:
        agent.run("hi")
    chain = [info.value, info.value.__cause__, info.value.__context__]
    error = next(e for e in chain if isinstance(e, StorageError))
    message = str(error)
    assert message.startswith(f"cannot connect to PostgreSQL at postgresql://bob:***@127.0.0.1:{port}/test: ")
    assert "Check that the server is running" in message and "\n" not in message
    assert "hunter2" not in message and "hunter2" not in str(info.value)
    assert not [r for r in caplog.records if r.name.startswith("psycopg")]  # no pool retry logs
    agent.get_storage().close()
