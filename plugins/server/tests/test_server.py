"""runwire-server over real HTTP: a uvicorn server on a loopback port, driven with httpx and httpx-sse."""

from __future__ import annotations

import asyncio
import base64
from typing import Any, Optional

import pytest
from runwire_server import MemoryBroker
from rw_server_kit import ANN_KEY, BOB_KEY, client, data, ids, names, sse


def wait_for_status(c, run_id: str, *statuses: str) -> dict:
    for _ in range(1000):  # bounded: the run settles in far fewer polls
        run = c.get(f"/runs/{run_id}").json()
        if run["status"] in statuses:
            return run
        import time

        time.sleep(0.01)
    raise AssertionError(f"run {run_id} stayed {run['status']}")


# -- auth ---------------------------------------------------------------------------------------
def test_every_endpoint_but_health_needs_a_credential(server):
    with client(server, key=None) as anonymous, client(server, key="not-a-key") as wrong:
        assert anonymous.get("/health").json() == {"status": "ok"}
        for c in (anonymous, wrong):
            for method, path in [("GET", "/agents"), ("POST", "/agents/echo/runs"), ("GET", "/runs/x"),
                                 ("GET", "/runs/x/events"), ("POST", "/runs/x/cancel"), ("GET", "/sessions")]:
                response = c.request(method, path, json={"message": "hi"})
                assert response.status_code == 401, (method, path)
                assert response.headers["www-authenticate"] == "Bearer"
                assert "Authorization: Bearer" in response.json()["detail"]
    with client(server, key=BOB_KEY) as bob:  # bob's key is stored hashed
        assert [a["id"] for a in bob.get("/agents").json()] == ["echo", "gated", "confirm", "ask"]


def test_a_server_without_auth_configured_accepts_nothing(make_server):
    from runwire_server import AuthConfig

    server = make_server(auth=AuthConfig())
    with client(server) as c:
        response = c.get("/agents")
        assert response.status_code == 401 and "RUNWIRE_SERVER_KEYS" in response.json()["detail"]


# -- runs ---------------------------------------------------------------------------------------
def test_streamed_run_sends_one_sse_message_per_event_with_its_seq(ann):
    events = sse(ann, "POST", "/agents/echo/runs", json={"message": "hello there world"})
    assert ids(events) == list(range(len(events)))
    assert names(events)[0] == "RunStarted" and names(events)[-1] == "RunCompleted"
    started = data(events[0])
    run_id, session_id = started["run_id"], started["session_id"]
    assert run_id and session_id
    content = "".join(data(e)["content"] for e in events if e.event == "RunContent")
    assert content == "echo hello there world" and names(events).count("RunContent") == 4

    run = ann.get(f"/runs/{run_id}").json()
    assert run["status"] == "completed" and run["content"] == content and run["user_id"] == "ann"
    replay = sse(ann, "GET", f"/runs/{run_id}/events")
    assert [(e.id, e.event, data(e)) for e in replay] == [(e.id, e.event, data(e)) for e in events]
    assert ids(sse(ann, "GET", f"/runs/{run_id}/events", headers={"Last-Event-ID": "3"})) == ids(events)[4:]
    assert ids(sse(ann, "GET", f"/runs/{run_id}/events?after=5")) == ids(events)[6:]


def test_not_streamed_returns_the_run_output(ann):
    out = ann.post("/agents/echo/runs", json={"message": "plain", "stream": False})
    assert out.status_code == 200
    body = out.json()
    assert body["status"] == "completed" and body["content"] == "echo plain" and body["user_id"] == "ann"
    assert body["messages"][-1]["role"] == "assistant"


def test_background_run_answers_202_then_streams_from_its_events(ann, gates):
    response = ann.post("/agents/gated/runs", json={"message": "bg", "background": True})
    assert response.status_code == 202
    started = response.json()
    assert started["status"] == "running" and started["run_id"] and started["session_id"]
    assert ann.get(f"/runs/{started['run_id']}").json()["status"] == "running"
    gates.open("bg")
    events = sse(ann, "GET", f"/runs/{started['run_id']}/events")
    assert ids(events) == list(range(len(events))) and names(events)[-1] == "RunCompleted"
    assert "ToolCallCompleted" in names(events)


def test_a_dropped_stream_resumes_with_last_event_id_exactly_once(ann, gates):
    first = sse(ann, "POST", "/agents/gated/runs", json={"message": "g1"}, stop_after="ToolCallStarted")
    run_id = data(first[0])["run_id"]
    assert ann.get(f"/runs/{run_id}").json()["status"] == "running"  # the disconnect did not stop it
    from httpx_sse import connect_sse

    rest = []
    with connect_sse(ann, "GET", f"/runs/{run_id}/events", headers={"Last-Event-ID": first[-1].id}) as source:
        gates.open("g1")  # the run was blocked in its tool all along: it goes on while we listen
        rest = list(source.iter_sse())
    assert rest, "the resumed stream sent nothing"
    everything = first + rest
    assert ids(everything) == list(range(len(everything)))
    assert names(everything)[-1] == "RunCompleted"
    stored = sse(ann, "GET", f"/runs/{run_id}/events")
    assert [(e.id, e.event) for e in stored] == [(e.id, e.event) for e in everything]


def test_resuming_a_live_run_right_after_it_started(ann, gates):
    run_id = ann.post("/agents/gated/runs", json={"message": "g2", "background": True}).json()["run_id"]
    from httpx_sse import connect_sse

    events = []
    with connect_sse(ann, "GET", f"/runs/{run_id}/events?after=0") as source:
        for event in source.iter_sse():
            events.append(event)
            if event.event == "ToolCallStarted":
                gates.open("g2")
    assert ids(events) == list(range(1, len(events) + 1)) and names(events)[-1] == "RunCompleted"


def test_cancel_over_http(ann, gates):
    run_id = ann.post("/agents/gated/runs", json={"message": "never", "background": True}).json()["run_id"]
    assert ann.post(f"/runs/{run_id}/cancel").json() == {"cancelled": True}
    events = sse(ann, "GET", f"/runs/{run_id}/events")
    assert names(events)[-1] == "RunCancelled" and ids(events) == list(range(len(events)))
    assert wait_for_status(ann, run_id, "cancelled")["status"] == "cancelled"
    assert ann.post(f"/runs/{run_id}/cancel").json() == {"cancelled": False}


def test_cancel_on_disconnect_opts_in_to_stopping_the_run(ann, gates):
    first = sse(ann, "POST", "/agents/gated/runs", json={"message": "bye", "cancel_on_disconnect": True},
                stop_after="ToolCallStarted")
    run = wait_for_status(ann, data(first[0])["run_id"], "cancelled", "completed")
    assert run["status"] == "cancelled"


def test_pause_and_continue_over_http(ann):
    paused = sse(ann, "POST", "/agents/confirm/runs", json={"message": "users"})
    assert names(paused)[-1] == "RunPaused"
    run_id = data(paused[0])["run_id"]
    run = ann.get(f"/runs/{run_id}").json()
    assert run["status"] == "paused"
    call = run["tools"][0]
    assert call["requires_confirmation"] and call["status"] == "paused"

    unanswered = ann.post(f"/runs/{run_id}/continue", json={"tools": []})
    assert unanswered.status_code == 409 and "needs confirmation" in unanswered.json()["detail"]
    resumed = sse(ann, "POST", f"/runs/{run_id}/continue",
                  json={"tools": [{"tool_call_id": call["tool_call_id"], "confirmed": True}]})
    assert int(resumed[0].id) == int(paused[-1].id) + 1 and names(resumed)[-1] == "RunCompleted"
    done = ann.get(f"/runs/{run_id}").json()
    assert done["status"] == "completed" and done["content"].endswith("deleted every record of users")
    again = ann.post(f"/runs/{run_id}/continue", json={"tools": []})
    assert again.status_code == 409 and "not paused" in again.json()["detail"]
    everything = sse(ann, "GET", f"/runs/{run_id}/events")
    assert [(e.id, e.event) for e in everything] == [(e.id, e.event) for e in paused + resumed]


class LateFirstClose(MemoryBroker):
    """A MemoryBroker whose first close (the paused run's) comes late: once the continue's segment has
    published RunContinued; that segment's later events wait until the late close has returned."""

    continued: Optional[asyncio.Event] = None
    closed_late: Optional[asyncio.Event] = None
    closes = 0

    def _events(self) -> tuple[asyncio.Event, asyncio.Event]:
        if self.continued is None or self.closed_late is None:  # made in the server's event loop
            self.continued, self.closed_late = asyncio.Event(), asyncio.Event()
        return self.continued, self.closed_late

    async def publish(self, segment: Any, event: Any) -> None:
        continued, closed_late = self._events()
        if continued.is_set():
            await closed_late.wait()
        await super().publish(segment, event)
        if event.name == "RunContinued":
            continued.set()

    async def close(self, segment: Any) -> None:
        continued, closed_late = self._events()
        self.closes += 1
        if self.closes == 1:
            await continued.wait()
        await super().close(segment)
        closed_late.set()


def test_a_paused_runs_late_close_leaves_its_continue_streaming(make_server):
    """The paused run's task closes its live segment only after a continue on the same worker opened the
    next one: the continue still streams to RunCompleted, and the run completes."""
    with client(make_server(broker=LateFirstClose())) as ann:
        paused = sse(ann, "POST", "/agents/confirm/runs", json={"message": "users"})
        assert names(paused)[-1] == "RunPaused"  # (its task is now held before closing its segment)
        run_id = data(paused[0])["run_id"]
        call = ann.get(f"/runs/{run_id}").json()["tools"][0]
        resumed = sse(ann, "POST", f"/runs/{run_id}/continue",
                      json={"tools": [{"tool_call_id": call["tool_call_id"], "confirmed": True}]})
        assert names(resumed)[0] == "RunContinued" and names(resumed)[-1] == "RunCompleted"
        assert ids(resumed) == list(range(int(paused[-1].id) + 1, int(resumed[-1].id) + 1))
        assert ann.get(f"/runs/{run_id}").json()["status"] == "completed"
        everything = sse(ann, "GET", f"/runs/{run_id}/events")
        assert [(e.id, e.event) for e in everything] == [(e.id, e.event) for e in paused + resumed]


def test_continue_with_user_input_not_streamed(ann):
    paused = ann.post("/agents/ask/runs", json={"message": "trip", "stream": False}).json()
    assert paused["status"] == "paused"
    call = paused["tools"][0]
    wrong = ann.post(f"/runs/{paused['run_id']}/continue",
                     json={"tools": [{"tool_call_id": call["tool_call_id"], "user_input": {"town": "Oslo"}}]})
    assert wrong.status_code == 422 and "city" in wrong.json()["detail"][0]["msg"]
    done = ann.post(f"/runs/{paused['run_id']}/continue", json={
        "stream": False, "tools": [{"tool_call_id": call["tool_call_id"], "user_input": {"city": "Oslo"}}]})
    assert done.status_code == 200 and done.json()["content"] == "done: booked a trip to Oslo"


# -- isolation ----------------------------------------------------------------------------------
def test_another_users_runs_and_sessions_are_404(ann, bob, gates):
    run = ann.post("/agents/confirm/runs", json={"message": "t", "stream": False, "session_id": "ann-s"}).json()
    run_id = run["run_id"]
    missing = bob.get("/runs/no-such-run")
    for response in [bob.get(f"/runs/{run_id}"), bob.get(f"/runs/{run_id}/events"),
                     bob.post(f"/runs/{run_id}/cancel"), bob.get("/sessions/ann-s"), bob.delete("/sessions/ann-s"),
                     bob.post(f"/runs/{run_id}/continue", json={"tools": [
                         {"tool_call_id": run["tools"][0]["tool_call_id"], "confirmed": True}]}),
                     bob.post("/agents/echo/runs", json={"message": "x", "session_id": "ann-s"})]:
        assert response.status_code == 404 and response.json() == {"detail": response.json()["detail"]}
        assert missing.status_code == 404
    assert bob.get("/sessions").json() == []
    assert ann.get(f"/runs/{run_id}").json()["status"] == "paused"  # bob's attempts changed nothing
    assert [s["session_id"] for s in ann.get("/sessions").json()] == ["ann-s"]


def test_the_user_comes_from_the_credential_never_the_body(ann):
    response = ann.post("/agents/echo/runs", json={"message": "x", "user_id": "bob", "stream": False})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "user_id"]


# -- bad input ----------------------------------------------------------------------------------
def test_bad_input_gets_clear_errors_and_leaves_nothing_behind(make_server):
    server = make_server(max_body_bytes=2000, max_runs_per_user=1)
    with client(server) as c:
        missing = c.post("/agents/echo/runs", json={"stream": False})
        assert missing.status_code == 422 and missing.json()["detail"][0]["loc"] == ["body", "message"]
        assert c.post("/agents/echo/runs", content=b"{not json").status_code == 422
        assert c.post("/agents/nobody/runs", json={"message": "x"}).status_code == 404
        big = c.post("/agents/echo/runs", json={"message": "x" * 5000})
        assert big.status_code == 413 and "2000 bytes" in big.json()["detail"]
        chunked = c.post("/agents/echo/runs", content=iter([b'{"message": "', b"y" * 3000, b'"}']))
        assert chunked.status_code == 413
        bad_image = c.post("/agents/echo/runs", json={"message": "x", "images": [{"url": "file:///etc/passwd"}]})
        assert bad_image.status_code == 422
        assert c.get("/runs/x/events", headers={"Last-Event-ID": "abc"}).status_code in (404, 422)
        assert c.get("/sessions").json() == []  # nothing was half-written

        live = c.post("/agents/gated/runs", json={"message": "hold", "background": True}).json()
        too_many = c.post("/agents/echo/runs", json={"message": "x", "stream": False})
        assert too_many.status_code == 429 and too_many.headers["retry-after"]
        assert c.post(f"/runs/{live['run_id']}/cancel").json() == {"cancelled": True}
        wait_for_status(c, live["run_id"], "cancelled")
        for _ in range(1000):  # the slot is released as the run's task ends
            ok = c.post("/agents/echo/runs", json={"message": "x", "stream": False})
            if ok.status_code != 429:
                break
        assert ok.status_code == 200


def test_multipart_runs_take_uploaded_files(ann):
    response = ann.post("/agents/echo/runs", data={"message": "with a file", "stream": "false"},
                        files=[("files", ("notes.txt", b"some notes", "text/plain"))])
    assert response.status_code == 200
    body = response.json()
    assert body["content"] == "echo with a file" and body["files"][0]["name"] == "notes.txt"
    assert base64.b64decode(body["files"][0]["content"]) == b"some notes"


# -- sessions -----------------------------------------------------------------------------------
def test_sessions_list_show_and_delete(ann):
    for word in ("one", "two"):
        ann.post("/agents/echo/runs", json={"message": word, "stream": False, "session_id": "chat-1"})
    ann.post("/agents/echo/runs", json={"message": "other", "stream": False, "session_id": "chat-2"})
    assert sorted(s["session_id"] for s in ann.get("/sessions").json()) == ["chat-1", "chat-2"]
    session = ann.get("/sessions/chat-1").json()
    assert [r["content"] for r in session["runs"]] == ["echo one", "echo two"]
    assert ann.delete("/sessions/chat-1").json() == {"deleted": True, "session_id": "chat-1"}
    assert ann.get("/sessions/chat-1").status_code == 404
    assert ann.get(f"/runs/{session['runs'][0]['run_id']}").status_code == 404
    assert [s["session_id"] for s in ann.get("/sessions").json()] == ["chat-2"]


def test_openapi_docs_are_served(ann):
    assert ann.get("/docs").status_code == 200
    spec = ann.get("/openapi.json").json()
    assert "/runs/{run_id}/events" in spec["paths"] and "/agents/{agent_id}/runs" in spec["paths"]


@pytest.mark.parametrize("key", [ANN_KEY])
def test_keys_file_rejects_malformed_lines(tmp_path, key):
    from runwire_server import APIKeys

    bad = tmp_path / "keys"
    bad.write_text(f"ann{key}\n")
    with pytest.raises(ValueError, match="expected 'user_id:key'"):
        APIKeys.from_file(bad)
    bad.write_text("ann:sha256:nothex\n")
    with pytest.raises(ValueError, match="64 hex digits"):
        APIKeys.from_file(bad)
