"""runwire-server under 200 concurrent streamed runs, beside Agno's AgentOS serving the same agent.

    python benchmarks/bench_server.py            # or: scripts/dev bench --only server
    RUNWIRE_BENCH_QUICK=1 python benchmarks/bench_server.py

Each server runs in its own processes (1 worker, then 2), answering from the same
OpenAI-compatible stub; the client opens N streams at once (the same form request
on both: message, stream=true) and measures per stream the time to its first SSE
event, the events per second delivered over the whole batch, and the servers' added
resident memory per open stream (peak RSS of the server's processes during the batch
minus idle, over N). Rounds alternate between the servers; figures are medians over
rounds and ratios are runwire / AgentOS within this one process run. One worker
keeps runs in SQLite on both sides; two workers use the local PostgreSQL on both
sides, and Redis for runwire's live events (AgentOS has no cross-worker streams).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, Optional

sys.path.insert(0, str(Path(__file__).parent))

from common import QUICK, Result, installed, scale  # noqa: E402

HERE = Path(__file__).parent
PG_URL = os.environ.get("RUNWIRE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("RUNWIRE_TEST_REDIS", "redis://127.0.0.1:6379/0")
WORDS = 20


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def tree_rss(pid: int) -> int:
    """Resident bytes of a process and its descendants (from /proc)."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
            for task in Path(f"/proc/{current}/task").iterdir():
                children = (task / "children").read_text().split()
                todo.extend(int(c) for c in children)
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total


class Server:
    def __init__(self, name: str, cmd: list[str], env: dict[str, str], port: int) -> None:
        self.name, self.port = name, port
        self.url = f"http://127.0.0.1:{port}"
        self.log = tempfile.NamedTemporaryFile("w+", prefix="rwbench-server-", suffix=".log", delete=False)
        self.proc = subprocess.Popen(cmd, env=env, cwd=HERE, stdout=self.log, stderr=subprocess.STDOUT)

    def wait(self) -> None:
        import httpx

        for _ in range(1200):
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {Path(self.log.name).read_text()[-2000:]}")
            for path in ("/health", "/docs"):
                try:
                    if httpx.get(self.url + path, timeout=1).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} did not start")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        errors = Path(self.log.name).read_text()
        if "Traceback" in errors:
            print(f"   {self.name} logged errors ({self.log.name}):\n{errors[-1500:]}", file=sys.stderr)
        else:
            os.unlink(self.log.name)


def start_runwire(workers: int, env: dict[str, str], tmp: str) -> Optional[Server]:
    port = free_port()
    db = f"sqlite:///{tmp}/runwire.db"
    extra: list[str] = []
    if workers > 1:
        if not services_up():
            return None
        schema = "rw_bench_" + uuid.uuid4().hex[:8]
        import psycopg

        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
        env = {**env, "BENCH_PG_SCHEMA": schema, "RUNWIRE_SERVER_REDIS_PREFIX": f"rwbench:{schema}:"}
        db = f"{PG_URL}?options=-csearch_path%3D{schema}"
        extra = ["--redis", REDIS_URL]
    cmd = [sys.executable, "-c", "import sys; from runwire.cli import main; sys.exit(main())", "serve",
           "server_apps:runwire_agents", "--port", str(port), "--db", db, "--workers", str(workers),
           "--insecure-no-auth", "--max-runs-per-user", "100000", "--log-level", "warning", *extra]
    server = Server(f"runwire-server x{workers}", cmd, env, port)
    server.schema = env.get("BENCH_PG_SCHEMA")  # type: ignore[attr-defined]
    return server


def start_agno(workers: int, env: dict[str, str]) -> Server:
    port = free_port()
    if workers > 1:
        env = {**env, "BENCH_PG_URL": PG_URL, "BENCH_AGNO_PG_SCHEMA": "agno_bench_" + uuid.uuid4().hex[:8]}
    cmd = [sys.executable, "-m", "uvicorn", "server_apps:agno_app", "--factory", "--port", str(port),
           "--workers", str(workers), "--log-level", "warning"]
    server = Server(f"agno AgentOS x{workers}", cmd, env, port)
    server.schema = env.get("BENCH_AGNO_PG_SCHEMA")  # type: ignore[attr-defined]
    return server


def drop_schemas(schemas: list[Optional[str]]) -> None:
    """Drop the benchmark's PostgreSQL schemas and its Redis keys (runwire's prefix names the schema)."""
    if not any(schemas):
        return
    import psycopg
    import redis

    with psycopg.connect(PG_URL, autocommit=True) as conn:
        for schema in schemas:
            if schema:
                conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    client = redis.Redis.from_url(REDIS_URL)
    for schema in schemas:
        if schema:
            for key in client.scan_iter(match=f"rwbench:{schema}:*"):
                client.delete(key)


def services_up() -> bool:
    try:
        import psycopg
        import redis

        psycopg.connect(PG_URL, connect_timeout=3).close()
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
        return True
    except Exception:
        return False


async def one_stream(client: Any, url: str, started: float) -> tuple[float, int]:
    """Seconds to the first SSE event, and the number of events, of one streamed run."""
    first, count = None, 0
    async with client.stream("POST", url, data={"message": "hi", "stream": "true"}) as response:
        response.raise_for_status()
        async for line in response.aiter_lines():
            if line.startswith("data:"):
                count += 1
                if first is None:
                    first = time.perf_counter() - started
    if first is None:
        raise RuntimeError(f"{url}: a stream sent no event")
    return first, count


async def batch(server: Server, n: int) -> dict[str, float]:
    import httpx

    url = f"{server.url}/agents/bench/runs"
    idle = tree_rss(server.proc.pid)
    peak = idle
    done = asyncio.Event()

    async def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss(server.proc.pid))
            await asyncio.sleep(0.02)

    limits = httpx.Limits(max_connections=n + 10, max_keepalive_connections=n + 10)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:
        sampler = asyncio.ensure_future(sample())
        start = time.perf_counter()
        results = await asyncio.gather(*(one_stream(client, url, time.perf_counter()) for _ in range(n)))
        wall = time.perf_counter() - start
        done.set()
        await sampler
    firsts = sorted(r[0] for r in results)
    return {"p50": statistics.median(firsts) * 1000, "p99": firsts[min(len(firsts) - 1, int(len(firsts) * 0.99))] * 1000,
            "eps": sum(r[1] for r in results) / wall, "rps": n / wall, "mem": max(0, peak - idle) / n / 1024}


async def warm(server: Server) -> None:
    await batch(server, 5)


async def bench_server() -> list[Result]:
    if not installed("runwire_server") or not installed("runwire_openai"):
        return []
    n, rounds = scale(200, 10), scale(3, 1)
    proc = subprocess.Popen([sys.executable, str(HERE / "stub_server.py"), "--words", str(WORDS)],
                            stdout=subprocess.PIPE, text=True)
    stub = proc.stdout.readline().strip()  # type: ignore[union-attr]
    results: list[Result] = []
    tmp = tempfile.mkdtemp(prefix="rwbench-")
    env = {**os.environ, "BENCH_STUB_URL": stub, "BENCH_DB_DIR": tmp, "PYTHONPATH": str(HERE)}
    env.pop("RUNWIRE_CANCELLATION", None)
    peer = installed("agno") and installed("sqlalchemy")
    try:
        for workers in (1, 2):
            ours = start_runwire(workers, env, tmp)
            if ours is None:
                print(f"   server x{workers}: no PostgreSQL/Redis, skipped", file=sys.stderr)
                continue
            theirs = start_agno(workers, env) if peer else None
            servers = [s for s in (ours, theirs) if s is not None]
            try:
                for s in servers:
                    s.wait()
                    await warm(s)
                figures: dict[str, list[dict[str, float]]] = {s.name: [] for s in servers}
                for _ in range(rounds):
                    for s in servers:
                        figures[s.name].append(await batch(s, n))
                results += report(workers, n, ours.name, figures, theirs.name if theirs else None)
            finally:
                for s in servers:
                    s.stop()
                drop_schemas([getattr(s, "schema", None) for s in servers])
    finally:
        proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    return results


def report(workers: int, n: int, ours: str, figures: dict[str, list[dict[str, float]]], theirs: Optional[str]) -> list[Result]:
    def med(name: str, key: str) -> float:
        return statistics.median(f[key] for f in figures[name])

    section = f"server: {n} concurrent streams, {workers} worker{'s' if workers > 1 else ''}"
    rows = [("time to first event p50", "p50", "ms", "lower"), ("time to first event p99", "p99", "ms", "lower"),
            ("events per second", "eps", "events/s", "higher"), ("streamed runs per second", "rps", "runs/s", "higher"),
            ("memory per open stream", "mem", "KiB", "lower")]
    out = []
    for label, key, unit, better in rows:
        value = med(ours, key)
        base = med(theirs, key) if theirs else None
        ok = None
        if base is not None:
            ok = value <= base if better == "lower" else value >= base
        out.append(Result(section, f"{label} (runwire-server vs Agno AgentOS)", value, unit,
                          "Agno 3.1.10 AgentOS" if theirs else None, base,
                          f"{'below' if better == 'lower' else 'above'} AgentOS" if theirs else None, ok,
                          note="quick" if QUICK else ""))
    return out


def main() -> int:
    from run import render

    results = asyncio.run(bench_server())
    print(render(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
