"""Runs that outlive a process: pause in one, continue in another (SQLite and PostgreSQL);
cancel through Redis from a second process."""

import os
import subprocess
import sys
import textwrap
import time
import uuid

import pytest

from runwire.agent import Agent
from runwire.testing import ScriptedModel
from runwire.testing.events import event_names

from .storage.conftest import PG_URL, require_postgres

TOOLS = textwrap.dedent("""
    from runwire.tools import tool

    @tool(requires_confirmation=True)
    def transfer(amount: int) -> str:
        \"\"\"Transfer money.\"\"\"
        return f"transferred {amount}"
""")


def run_child(code: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/shared.db"
    require_postgres()
    return PG_URL  # the default schema; every test uses its own session and run ids


def test_pause_in_one_process_continue_in_another(db_url, tmp_path):
    session = "cross-" + uuid.uuid4().hex[:8]
    (tmp_path / "shared_tools.py").write_text(TOOLS)
    child = run_child(textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(tmp_path)!r})
        from shared_tools import transfer
        from runwire.agent import Agent
        from runwire.testing import ScriptedModel, ToolCall
        agent = Agent(model=ScriptedModel([[ToolCall("transfer", {{"amount": 50}})]]), tools=[transfer], db={db_url!r})
        out = agent.run("send 50", user_id="ann", session_id={session!r})
        print(out.status, out.run_id)
    """))
    assert child.returncode == 0, child.stderr
    status, run_id = child.stdout.split()
    assert status == "paused"

    sys.path.insert(0, str(tmp_path))
    try:
        from shared_tools import transfer
    finally:
        sys.path.remove(str(tmp_path))
    agent = Agent(model=ScriptedModel(["Sent."]), tools=[transfer], db=db_url)
    stored = agent.get_run_output(run_id, session)
    assert stored.is_paused and stored.tools_requiring_confirmation[0].tool_args == {"amount": 50}
    stored.tools_requiring_confirmation[0].confirmed = True
    done = agent.continue_run(run_id=run_id, session_id=session, updated_tools=stored.tools)
    assert done.status == "completed" and done.content == "Sent." and done.user_id == "ann"
    assert done.tools[0].result == "transferred 50"
    names = event_names(agent.get_run_events(run_id))  # the full log (the run itself keeps no events)
    assert names[0] == "RunStarted" and "RunPaused" in names and "RunContinued" in names and names[-1] == "RunCompleted"


def redis_url() -> str:
    url = os.environ.get("RUNWIRE_TEST_REDIS", "redis://127.0.0.1:6379/0")
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except Exception:
        if os.environ.get("RUNWIRE_REQUIRE_SERVICES") == "1":
            pytest.fail(f"Redis is required (RUNWIRE_REQUIRE_SERVICES=1) but {url} is not reachable")
        pytest.skip(f"no Redis at {url}")
    return url


VICTIM = textwrap.dedent("""
    import sys
    from runwire.agent import Agent
    from runwire.testing import ScriptedModel
    words = " ".join(f"w{i}" for i in range(100000))
    agent = Agent(model=ScriptedModel([words], chunk_delay=0.001))
    stream = agent.run("go", run_id=sys.argv[1], stream=True)
    count = 0
    for event in stream:
        if event.event == "RunContent":
            count += 1
            if count == 50:
                print("STREAMING", flush=True)
        else:
            print(event.event, getattr(event, "reason", ""), flush=True)
    print("STATUS", stream.run_output.status, len(stream.run_output.content.split()), flush=True)
""")


def test_cancel_through_redis_from_another_process(tmp_path):
    url = redis_url()
    from runwire.run.cancel import set_cancellation_backend
    from runwire_redis import RedisCancellation

    run_id = "redis-" + uuid.uuid4().hex
    script = tmp_path / "victim.py"
    script.write_text(VICTIM)
    proc = subprocess.Popen([sys.executable, str(script), run_id], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "RUNWIRE_CANCELLATION": url})
    try:
        assert proc.stdout.readline().strip() == "STREAMING"
        set_cancellation_backend(RedisCancellation(url))
        started = time.perf_counter()
        assert Agent(model=ScriptedModel([])).cancel_run(run_id, "stopped from afar") is True
        out, err = proc.communicate(timeout=30)
        latency = time.perf_counter() - started
    finally:
        set_cancellation_backend(None)
        proc.kill()
    assert "RunCancelled stopped from afar" in out, err
    status_line = [line for line in out.splitlines() if line.startswith("STATUS")][0]
    _, status, words = status_line.split()
    assert status == "cancelled" and 50 <= int(words) < 100000
    assert latency < 10


def test_cancel_through_redis_before_the_run_starts(tmp_path):
    url = redis_url()
    from runwire.run.cancel import set_cancellation_backend
    from runwire_redis import RedisCancellation

    run_id = "early-" + uuid.uuid4().hex
    set_cancellation_backend(RedisCancellation(url))
    try:
        assert Agent(model=ScriptedModel([])).cancel_run(run_id) is False  # not live anywhere yet
    finally:
        set_cancellation_backend(None)
    script = tmp_path / "victim.py"
    script.write_text(VICTIM)
    result = subprocess.run([sys.executable, str(script), run_id], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "RUNWIRE_CANCELLATION": url})
    assert "STATUS cancelled 0" in result.stdout, result.stdout + result.stderr
