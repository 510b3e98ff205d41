"""runwire-postgres is found by URL scheme and never shows a password."""

import asyncio
import os
import threading
import time
import uuid

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


PG_URL = os.environ.get("RUNWIRE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture
def group_storage():
    """Make a PostgresStorage in a schema of its own on the real server (closed and dropped afterwards); skips
    without a server, fails under RUNWIRE_REQUIRE_SERVICES=1 (CI)."""
    import psycopg

    try:
        psycopg.connect(PG_URL, connect_timeout=3).close()
    except Exception as exc:
        if os.environ.get("RUNWIRE_REQUIRE_SERVICES") == "1":
            pytest.fail(f"PostgreSQL at {PG_URL}: {exc}")
        pytest.skip(f"PostgreSQL at {PG_URL}: {exc}")
    made: list[tuple[PostgresStorage, str]] = []

    def make(max_size: int) -> PostgresStorage:
        schema = "rw_group_" + uuid.uuid4().hex[:10]
        made.append((PostgresStorage(PG_URL, schema=schema, max_size=max_size), schema))
        return made[-1][0]

    yield make
    for storage, schema in made:
        storage.close()
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


class HeldTransactions:
    """Stands in for a storage's transaction: the i-th one to start waits until ``release(i)``, so a test puts
    each caller where it wants it, with no timing."""

    def __init__(self, storage: PostgresStorage, count: int) -> None:
        self.storage, self.transaction = storage, storage._transaction
        self.gates = [threading.Event() for _ in range(count)]
        self.entered = 0

    def __enter__(self) -> "HeldTransactions":
        self.storage._transaction = self.held
        return self

    def __exit__(self, *exc: object) -> None:
        self.storage._transaction = self.transaction

    async def held(self, conn, ops, durable):
        index, self.entered = self.entered, self.entered + 1
        while index < len(self.gates) and not self.gates[index].is_set():
            await asyncio.sleep(0.01)
        return await self.transaction(conn, ops, durable)

    def release(self, index: int) -> None:
        self.gates[index].set()

    @staticmethod
    async def until(check) -> None:
        """Wait (bounded) until ``check()``: states the storage's own thread reaches."""
        deadline = time.monotonic() + 30
        while not check():
            assert time.monotonic() < deadline
            await asyncio.sleep(0.01)

    def append(self, run: str) -> "asyncio.Future[None]":
        return asyncio.ensure_future(self.storage.append_events(run, "s", 0, [{"event": "RunStarted"}]))

    def waiting(self) -> int:
        """Appends queued for a connection, not yet taken by a transaction."""
        home = self.storage._home
        return len(home.appends) if home is not None else 0


async def outcomes_of(tasks: dict[str, "asyncio.Future[None]"]) -> dict[str, str]:
    outcomes = {}
    for name, task in tasks.items():
        try:
            await task
            outcomes[name] = "ok"
        except BaseException as exc:
            outcomes[name] = type(exc).__name__
    return outcomes


def test_concurrent_appends_share_commits_but_an_error_reaches_only_its_caller(group_storage):
    """Two hundred runs appending at once (a busy server): every run's records are stored, and the one append
    that breaks a rule (a seq already taken) fails alone, while the others in its transaction are committed."""
    import psycopg

    storage = group_storage(max_size=2)

    async def main() -> list:
        await storage.setup()
        await storage.append_events("run-bad", "s", 0, [{"event": "RunStarted"}])

        async def append(i: int) -> None:
            run_id = "run-bad" if i == 57 else f"run-{i}"  # seq 0 of run-bad is taken: a unique violation
            await storage.append_events(run_id, "s", 0, [{"event": "RunStarted", "n": i}, {"event": "RunContent"}])

        return await asyncio.gather(*(append(i) for i in range(200)), return_exceptions=True)

    results = asyncio.run(main())
    failed = [i for i, r in enumerate(results) if isinstance(r, BaseException)]
    assert failed == [57] and isinstance(results[57], psycopg.errors.UniqueViolation)

    async def read() -> list:
        return [await storage.read_events(f"run-{i}") for i in (0, 56, 58, 199)] + [await storage.read_events("run-bad")]

    stored = asyncio.run(read())
    assert [[(seq, e["event"]) for seq, e in log] for log in stored[:4]] == [[(0, "RunStarted"), (1, "RunContent")]] * 4
    assert [e.get("n") for _, e in stored[0] + stored[3]][::2] == [0, 199]
    assert [(seq, e["event"]) for seq, e in stored[4]] == [(0, "RunStarted")]


def test_a_caller_cancelled_during_a_shared_commit_does_not_cancel_the_others(group_storage):
    """The caller whose task commits a group gives up (its run was cancelled): the others in the group are still
    committed and told so (they got CancelledError and their records were lost: a run's event writer died)."""
    storage = group_storage(max_size=1)

    async def main() -> dict:
        await storage.setup()
        with HeldTransactions(storage, 2) as held:
            tasks = {"A": held.append("A")}
            await held.until(lambda: held.entered == 1)  # A holds the only connection
            tasks["B"] = held.append("B")
            await held.until(lambda: held.waiting() == 1)
            tasks["C"] = held.append("C")
            await held.until(lambda: held.waiting() == 2)
            held.release(0)  # A commits; B's caller takes [B, C] and commits them in one transaction
            await held.until(lambda: held.entered == 2)
            tasks["B"].cancel()  # B's caller gives up mid-commit
            held.release(1)
            outcomes: dict = await outcomes_of(tasks)
        outcomes["stored"] = [len(await storage.read_events(run)) for run in "AC"]
        return outcomes

    assert asyncio.run(main()) == {"A": "ok", "B": "CancelledError", "C": "ok", "stored": [1, 1]}


def test_a_caller_cancelled_while_its_group_commits_leaves_the_others_their_own_outcome(group_storage):
    """One caller of a group gives up while the group's transaction runs, and another's records break a rule:
    each of the rest still gets its own outcome (the rule-breaker its UniqueViolation, the others success and
    their records stored), not an InvalidStateError with its records lost."""
    storage = group_storage(max_size=2)

    async def main() -> dict:
        await storage.setup()
        await storage.append_events("D", "s", 0, [{"event": "RunStarted"}])  # D's seq 0 is taken
        with HeldTransactions(storage, 3) as held:
            tasks = {"A1": held.append("A1"), "A2": held.append("A2")}
            await held.until(lambda: held.entered == 2)  # both connections held
            for count, run in enumerate("BCDE", start=1):
                tasks[run] = held.append(run)
                await held.until(lambda: held.waiting() == count)
            held.release(0)  # A1 done: B's caller commits [B, C, D, E] in one transaction
            await held.until(lambda: held.entered == 3)
            held.release(1)  # A2 done: C's caller gets the free connection slot, finds its append taken, and waits
            await asyncio.wait([tasks["A2"]])
            await asyncio.sleep(0.2)
            tasks["C"].cancel()  # C's caller gives up while the group's transaction runs
            held.release(2)  # the group fails on D, then each is written alone
            outcomes: dict = await outcomes_of(tasks)
        outcomes["stored"] = [len(await storage.read_events(run)) for run in "BE"]
        return outcomes

    assert asyncio.run(main()) == {"A1": "ok", "A2": "ok", "B": "ok", "C": "CancelledError",
                                   "D": "UniqueViolation", "E": "ok", "stored": [1, 1]}
