"""Two worker processes (`runwire serve`) sharing the local PostgreSQL and Redis serve as one.

A run started on worker A is streamed live, resumed, cancelled and continued through worker B.
Without PostgreSQL or Redis these tests skip (fail under RUNWIRE_REQUIRE_SERVICES=1, as in CI).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
from httpx_sse import connect_sse
from rw_server_kit import ANN_KEY, BOB_KEY, data, free_port, ids, names, sse

PG_URL = os.environ.get("RUNWIRE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("RUNWIRE_TEST_REDIS", "redis://127.0.0.1:6379/0")


def require_services() -> None:
    problems = []
    try:
        import psycopg

        psycopg.connect(PG_URL, connect_timeout=3).close()
    except Exception as exc:
        problems.append(f"PostgreSQL at {PG_URL}: {exc}")
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except Exception as exc:
        problems.append(f"Redis at {REDIS_URL}: {exc}")
    if problems:
        if os.environ.get("RUNWIRE_REQUIRE_SERVICES") == "1":
            pytest.fail("; ".join(problems))
        pytest.skip("; ".join(problems))


class Worker:
    def __init__(self, env: dict, cwd: Path, db: str, *extra: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        cmd = [sys.executable, "-c", "import sys; from runwire.cli import main; sys.exit(main())", "serve",
               "server_app:agents", "--port", str(self.port), "--db", db, "--redis", REDIS_URL, "--log-level", "warning",
               *extra]
        self.log = open(cwd / f"worker-{self.port}.log", "w")
        self.proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self) -> None:
        for _ in range(1200):  # bounded: a worker starts in about a second
            if self.proc.poll() is not None:
                raise RuntimeError(f"worker exited: {Path(self.log.name).read_text()[-2000:]}")
            try:
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError("worker did not start")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


@pytest.fixture
def workers(tmp_path, keys_file, gates):
    require_services()
    import psycopg
    import redis

    schema = "rw_srv_" + uuid.uuid4().hex[:10]
    prefix = f"rwtest:{uuid.uuid4().hex[:10]}:"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    db = f"{PG_URL}?options=-csearch_path%3D{schema}"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent), "RUNWIRE_SERVER_KEYS": str(keys_file),
           "RUNWIRE_TEST_GATES": str(gates.path), "RUNWIRE_SERVER_REDIS_PREFIX": prefix}
    env.pop("RUNWIRE_CANCELLATION", None)
    env.pop("RUNWIRE_DB", None)
    started: list[Worker] = []

    def start(*extra: str) -> Worker:
        started.append(Worker(env, tmp_path, db, *extra))
        started[-1].wait_ready()
        return started[-1]

    start.prefix = prefix  # type: ignore[attr-defined]  (the workers' Redis key prefix)
    start.schema = schema  # type: ignore[attr-defined]  (their PostgreSQL schema)
    try:
        yield start
    finally:
        for w in started:
            w.stop()
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(match=prefix + "*"):
            client.delete(key)


def as_user(worker: Worker, key: str = ANN_KEY) -> httpx.Client:
    return httpx.Client(base_url=worker.url, headers={"Authorization": f"Bearer {key}"}, timeout=30)


def test_started_on_one_worker_streamed_live_and_resumed_through_the_other(workers, gates):
    a, b = workers(), workers()
    with as_user(a) as on_a, as_user(b) as on_b:
        run_id = on_a.post("/agents/gated/runs", json={"message": "w1", "background": True}).json()["run_id"]
        events = []
        with connect_sse(on_b, "GET", f"/runs/{run_id}/events") as source:
            for event in source.iter_sse():
                events.append(event)
                if event.event == "ToolCallStarted":
                    gates.open("w1")  # the run on A goes on; B keeps streaming it live
        assert ids(events) == list(range(len(events))) and names(events)[-1] == "RunCompleted"

        first = sse(on_a, "POST", "/agents/gated/runs", json={"message": "w2"}, stop_after="ToolCallStarted")
        run2 = data(first[0])["run_id"]
        with connect_sse(on_b, "GET", f"/runs/{run2}/events", headers={"Last-Event-ID": first[-1].id}) as source:
            gates.open("w2")
            rest = list(source.iter_sse())
        everything = first + rest
        assert ids(everything) == list(range(len(everything))) and names(everything)[-1] == "RunCompleted"
        stored = sse(on_a, "GET", f"/runs/{run2}/events")
        assert [(e.id, e.event) for e in stored] == [(e.id, e.event) for e in everything]
        assert on_b.get(f"/runs/{run2}").json()["content"] == "released after the gate, all done"
        with as_user(b, BOB_KEY) as bob_on_b:
            assert bob_on_b.get(f"/runs/{run2}/events").status_code == 404


def test_cancelled_and_continued_through_the_other_worker(workers):
    a, b = workers(), workers()
    with as_user(a) as on_a, as_user(b) as on_b:
        run_id = on_a.post("/agents/gated/runs", json={"message": "never", "background": True}).json()["run_id"]
        assert on_b.post(f"/runs/{run_id}/cancel").json() == {"cancelled": True}
        events = sse(on_b, "GET", f"/runs/{run_id}/events")
        assert names(events)[-1] == "RunCancelled" and ids(events) == list(range(len(events)))

        paused = sse(on_a, "POST", "/agents/confirm/runs", json={"message": "orders"})
        assert names(paused)[-1] == "RunPaused"
        paused_id = data(paused[0])["run_id"]
        call = on_b.get(f"/runs/{paused_id}").json()["tools"][0]
        resumed = sse(on_b, "POST", f"/runs/{paused_id}/continue",
                      json={"tools": [{"tool_call_id": call["tool_call_id"], "confirmed": True}]})
        assert ids(paused + resumed) == list(range(len(paused) + len(resumed)))
        assert names(resumed)[-1] == "RunCompleted"
        assert on_a.post(f"/runs/{paused_id}/continue", json={"tools": []}).status_code == 409
        whole = sse(on_a, "GET", f"/runs/{paused_id}/events")
        assert [(e.id, e.event) for e in whole] == [(e.id, e.event) for e in paused + resumed]



@pytest.mark.slow
def test_serve_with_two_uvicorn_workers(workers):
    server = workers("--workers", "2")  # one port, two processes, either may answer
    with as_user(server) as c:
        run_ids = [c.post("/agents/confirm/runs", json={"message": f"t{i}", "stream": False}).json()["run_id"]
                   for i in range(4)]
        for run_id in run_ids:
            call = c.get(f"/runs/{run_id}").json()["tools"][0]
            events = sse(c, "POST", f"/runs/{run_id}/continue",
                         json={"tools": [{"tool_call_id": call["tool_call_id"], "confirmed": False}]})
            assert names(events)[-1] == "RunCompleted"
            assert int(events[0].id) > 0 and ids(events) == list(range(int(events[0].id), int(events[-1].id) + 1))


def test_many_streams_through_the_other_worker_share_one_redis_reader(workers, gates):
    """Forty clients of worker B watch forty runs live on worker A: each gets its run's events once, in order, to
    the end, while B (and A) hold a handful of Redis connections, not one per stream."""
    import asyncio

    import redis
    from httpx_sse import aconnect_sse

    count = 40
    a, b = workers("--max-runs-per-user", "100"), workers("--max-runs-per-user", "100")
    with as_user(a) as on_a:
        run_ids = [on_a.post("/agents/gated/runs", json={"message": f"many{i}", "background": True}).json()["run_id"]
                   for i in range(count)]
    live = [asyncio.Event() for _ in range(count)]

    async def watch(client: httpx.AsyncClient, i: int) -> list:
        events = []
        async with aconnect_sse(client, "GET", f"/runs/{run_ids[i]}/events") as source:
            async for event in source.aiter_sse():
                events.append(event)
                if event.event == "ToolCallStarted":
                    live[i].set()
        return events

    async def main() -> tuple[list, list]:
        headers = {"Authorization": f"Bearer {ANN_KEY}"}
        limits = httpx.Limits(max_connections=count + 5)
        async with httpx.AsyncClient(base_url=b.url, headers=headers, timeout=60, limits=limits) as client:
            streams = [asyncio.ensure_future(watch(client, i)) for i in range(count)]
            await asyncio.wait_for(asyncio.gather(*(e.wait() for e in live)), 60)  # every stream is live on B
            prefix = workers.prefix
            names = [c.get("name", "") for c in redis.Redis.from_url(REDIS_URL, decode_responses=True).client_list()]
            ours = [n for n in names if n == f"runwire-server:{prefix}"]
            for i in range(count):
                gates.open(f"many{i}")
            return await asyncio.wait_for(asyncio.gather(*streams), 60), ours

    results, connections = asyncio.run(main())
    assert 1 <= len(connections) <= 6, connections  # was one per stream (40+)
    for events in results:
        assert ids(events) == list(range(len(events))) and names(events)[-1] == "RunCompleted"
        assert data(events[0])["run_id"] in run_ids
    assert sorted(data(events[0])["run_id"] for events in results) == sorted(run_ids)
    with as_user(b) as on_b:
        stored = sse(on_b, "GET", f"/runs/{run_ids[7]}/events")
    assert [(e.id, e.event, data(e)) for e in stored] == [(e.id, e.event, data(e)) for e in results[7]]


def test_a_worker_shutting_down_leaves_its_runs_interrupted_and_another_worker_continues_them(workers, gates):
    """SIGTERM (a deploy, a scale-down): the worker's live runs are left interrupted, not cancelled, and the
    other worker resumes one from its last step; its log reads as one run, seqs unbroken, nothing cancelled."""
    import signal

    a, b = workers(), workers()
    with as_user(a) as on_a, as_user(b) as on_b:
        run_id = on_a.post("/agents/gated/runs", json={"message": "deploy", "background": True}).json()["run_id"]
        before = sse(on_b, "GET", f"/runs/{run_id}/events", stop_after="ToolCallStarted")  # live on A, in the tool
        a.proc.send_signal(signal.SIGTERM)
        a.proc.wait(30)  # graceful: uvicorn shuts the app down, then exits by the signal (-15)
        assert on_b.get(f"/runs/{run_id}").json()["status"] == "interrupted"
        gates.open("deploy")
        resumed = sse(on_b, "POST", f"/runs/{run_id}/continue", json={"tools": []})
        assert names(resumed)[0] == "RunContinued" and names(resumed)[-1] == "RunCompleted"
        assert on_b.get(f"/runs/{run_id}").json()["content"] == "released after the gate, all done"
        whole = sse(on_b, "GET", f"/runs/{run_id}/events")
        assert ids(whole) == list(range(len(whole)))
        assert [e.event for e in whole[:len(before)]] == names(before)
        assert "RunCancelled" not in names(whole) and names(whole).count("ToolCallCompleted") == 1


def _listening(port: int) -> int:
    """How many sockets listen on ``port`` here (each SO_REUSEPORT worker has its own), from /proc/net."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                count += 1
    return count


def test_serve_spreads_a_burst_of_connections_over_its_workers(workers, gates):
    """Eighty clients connecting at once to `runwire serve --workers 2` land on both workers about evenly (a socket
    per worker, SO_REUSEPORT), not mostly on whichever woke first."""
    import asyncio

    import psycopg

    server = workers("--workers", "2", "--max-runs-per-user", "1000")
    count = 80
    port = httpx.URL(server.url).port
    for _ in range(600):  # /health answered by one worker says nothing of the other: wait for both to listen
        if _listening(port) >= 2:
            break
        time.sleep(0.1)
    else:
        raise AssertionError(f"two workers never listened on port {port}")

    async def start_all() -> list:
        limits = httpx.Limits(max_connections=count + 5)
        headers = {"Authorization": f"Bearer {ANN_KEY}"}
        async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=60, limits=limits) as client:
            replies = await asyncio.gather(*(client.post("/agents/gated/runs", json={"message": "spread",
                                                                                     "background": True})
                                             for _ in range(count)))
        return [r.json()["run_id"] for r in replies]

    run_ids = asyncio.run(start_all())
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        owners = conn.execute(f"SELECT owner FROM {workers.schema}.runwire_runs WHERE status = 'running'").fetchall()
    gates.open("spread")
    per_process: dict = {}
    for (owner,) in owners:
        pid = owner.split(":")[1]  # host:pid:start:namespace
        per_process[pid] = per_process.get(pid, 0) + 1
    assert len(owners) == count == len(set(run_ids))
    assert len(per_process) == 2 and min(per_process.values()) >= count // 4, per_process


def test_a_continued_run_is_followed_live_from_the_other_worker_segment_after_segment(workers):
    """A run paused, then continued on A, watched from B each time: B reads one segment to
    its end (never into the next), then the next one live, with no gap and no repeat."""
    a, b = workers(), workers()
    with as_user(a) as on_a, as_user(b) as on_b:
        paused = sse(on_a, "POST", "/agents/confirm/runs", json={"message": "logs"})
        run_id = data(paused[0])["run_id"]
        assert names(sse(on_b, "GET", f"/runs/{run_id}/events")) == names(paused)
        call = on_a.get(f"/runs/{run_id}").json()["tools"][0]
        assert on_a.post(f"/runs/{run_id}/continue", json={"tools": [{"tool_call_id": call["tool_call_id"],
                                                                       "confirmed": True}],
                                                             "background": True}).status_code == 202
        rest = sse(on_b, "GET", f"/runs/{run_id}/events", headers={"Last-Event-ID": paused[-1].id})
        assert names(rest)[0] == "RunContinued" and names(rest)[-1] == "RunCompleted"
        assert ids(paused + rest) == list(range(len(paused) + len(rest)))
