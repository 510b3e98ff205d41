"""Agents over MCP at /mcp/{agent_id}, behind the server's auth: the official MCP SDK client against real uvicorn."""

from __future__ import annotations

import asyncio

import pytest
from rw_server_kit import ANN_KEY, BOB_KEY, client

pytest.importorskip("runwire_mcp")

from mcp import Client  # noqa: E402
from mcp.client.streamable_http import streamable_http_client  # noqa: E402

INITIALIZE = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
              "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                         "clientInfo": {"name": "test", "version": "1"}}}
MCP_HEADERS = {"Accept": "application/json, text/event-stream"}


def mcp_client(server, agent_id: str, key: str) -> Client:
    import httpx2

    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=30)
    return Client(streamable_http_client(f"{server.url}/mcp/{agent_id}", http_client=http))


def ann_sessions(server, key=ANN_KEY) -> list[dict]:
    with client(server, key) as c:
        return c.get("/sessions").raise_for_status().json()


async def test_a_user_asks_an_agent_over_mcp_and_the_run_is_theirs_alone(server):
    progress: list[str] = []

    async def on_progress(value: float, total: float | None, text: str | None) -> None:
        progress.append(text or "")

    async with mcp_client(server, "echo", ANN_KEY) as mcp:
        (tool,) = (await mcp.list_tools()).tools
        result = await mcp.call_tool(tool.name, {"message": "hello over mcp"}, progress_callback=on_progress)
    assert tool.name == "echo" and tool.input_schema["required"] == ["message"]
    assert not result.is_error and [c.text for c in result.content] == ["echo hello over mcp"]
    assert progress[0] == "RunStarted" and progress[-1] == "RunCompleted"

    (session,) = ann_sessions(server)
    assert session["agent_id"] == "echo"
    with client(server) as ann:
        (run,) = ann.get(f"/sessions/{session['session_id']}").raise_for_status().json()["runs"]
        got = ann.get(f"/runs/{run['run_id']}")
    assert got.status_code == 200
    assert got.json()["user_id"] == "ann" and got.json()["status"] == "completed"
    assert got.json()["content"] == "echo hello over mcp"
    with client(server, BOB_KEY) as bob:
        assert bob.get(f"/runs/{run['run_id']}").status_code == 404
        assert bob.get(f"/sessions/{session['session_id']}").status_code == 404
    assert ann_sessions(server, BOB_KEY) == []


async def test_bob_asking_over_mcp_runs_as_bob(server):
    async with mcp_client(server, "echo", BOB_KEY) as mcp:
        result = await mcp.call_tool("echo", {"message": "hi"})
    assert [c.text for c in result.content] == ["echo hi"]
    assert ann_sessions(server) == []
    (session,) = ann_sessions(server, BOB_KEY)
    with client(server, BOB_KEY) as bob:
        (run,) = bob.get(f"/sessions/{session['session_id']}").json()["runs"]
    assert run["user_id"] == "bob"


async def test_a_client_cancelling_its_mcp_call_cancels_the_run(server, gates):
    started = asyncio.Event()

    async def on_progress(value: float, total: float | None, text: str | None) -> None:
        if text == "ToolCallStarted: wait_gate":
            started.set()

    async with mcp_client(server, "gated", ANN_KEY) as mcp:
        (tool,) = (await mcp.list_tools()).tools  # "ask": the agent has an id but no name
        call = asyncio.ensure_future(mcp.call_tool(tool.name, {"message": "never"}, progress_callback=on_progress))
        await started.wait()
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
        with client(server) as ann:
            (session,) = ann.get("/sessions").json()
            for _ in range(200):  # the server hears of it (a bound on polls, not a timing assertion)
                (run,) = ann.get(f"/sessions/{session['session_id']}").json()["runs"]
                if run["status"] != "running":
                    break
                await asyncio.sleep(0.05)
    assert run["status"] == "cancelled" and run["cancel_reason"] == "the MCP client cancelled the request"


@pytest.mark.parametrize("key", [None, "not-a-key"])
def test_mcp_without_a_valid_credential_gets_401(server, key):
    with client(server, key) as c:
        response = c.post("/mcp/echo", json=INITIALIZE, headers=MCP_HEADERS)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert "Authorization: Bearer" in response.json()["detail"]
    assert ann_sessions(server) == []


def test_another_user_cannot_use_someone_elses_mcp_session(server):
    with client(server) as ann:
        opened = ann.post("/mcp/echo", json=INITIALIZE, headers=MCP_HEADERS)
        assert opened.status_code == 200
        session = {**MCP_HEADERS, "Mcp-Session-Id": opened.headers["mcp-session-id"], "Mcp-Protocol-Version": "2025-06-18"}
        initialized = {"jsonrpc": "2.0", "method": "notifications/initialized"}
        with client(server, BOB_KEY) as bob:
            assert bob.post("/mcp/echo", json=initialized, headers=session).status_code == 404
        assert ann.post("/mcp/echo", json=initialized, headers=session).status_code == 202


def test_mcp_names_an_unknown_agent(server):
    with client(server) as c:
        response = c.post("/mcp/nobody", json=INITIALIZE, headers=MCP_HEADERS)
    assert response.status_code == 404 and "no agent 'nobody'" in response.json()["detail"]


def test_mcp_can_be_turned_off(make_server):
    server = make_server(mcp=False)
    with client(server) as c:
        response = c.post("/mcp/echo", json=INITIALIZE, headers=MCP_HEADERS)
        assert c.post("/agents/echo/runs", json={"message": "x"}).status_code == 200
    assert response.status_code in (404, 405)
