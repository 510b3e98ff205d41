"""The page at ``/`` in Debian's Chromium: chat, watch, steer, resume and replay runs on a real server."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect
from rw_server_kit import ANN_KEY, BOB_KEY
from web_agents import FINAL

SCREENSHOTS = Path(__file__).parent / "screenshots"


def sign_in(page, server, key=ANN_KEY, agent="echo"):
    page.goto(server.url + "/")
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Agent").select_option(agent)


def send(page, text):
    page.get_by_label("Message").fill(text)
    page.get_by_label("Message").press("Enter")


def timeline(page) -> list[tuple[int, str]]:
    return [(int(seq), name) for seq, name in page.locator("#events li").evaluate_all(
        "items => items.map(li => [li.dataset.seq, li.dataset.event])")]


def wait_event(page, name):
    expect(page.locator(f'#events li[data-event="{name}"]').first).to_be_attached()


def stored_events(server, run_id, key=ANN_KEY) -> list[dict]:
    response = httpx.get(f"{server.url}/runs/{run_id}?events=true", headers={"Authorization": f"Bearer {key}"})
    response.raise_for_status()
    return response.json()["events"]


def run_id_of(page) -> str:
    return page.locator('#events li[data-event="RunStarted"] pre').text_content().split('"run_id": "')[1].split('"')[0]


def test_the_page_is_public_but_the_api_is_not(server, open_page):
    page = open_page()
    page.goto(server.url + "/")
    response = httpx.get(server.url + "/")
    assert response.status_code == 200 and "script-src 'self'" in response.headers["content-security-policy"]
    assert httpx.get(server.url + "/web/app.js").status_code == 200
    assert httpx.get(server.url + "/agents").status_code == 401
    page.get_by_label("API key").fill("not-a-key")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("not accepted")
    expect(page.locator("#workspace")).to_be_hidden()


def test_send_a_message_and_watch_text_and_every_event_stream_in(server, gates, open_page):
    page = open_page()
    sign_in(page, server, agent="weather")
    send(page, "gate-watch")
    answer = page.locator(".msg.assistant")
    # held at the gate: the first words are on the page and the run has not ended
    expect(answer).to_have_text("Looking it up.")
    wait_event(page, "ToolCallError")
    assert "RunCompleted" not in [name for _, name in timeline(page)]
    expect(page.get_by_role("button", name="Cancel run")).to_be_visible()
    gates.open("gate-watch")
    wait_event(page, "RunCompleted")

    seen = timeline(page)
    run_id = run_id_of(page)
    stored = stored_events(server, run_id)
    assert [seq for seq, _ in seen] == list(range(len(stored)))  # every event, once, in order
    assert [name for _, name in seen] == [e["event"] for e in stored]
    assert [name for _, name in seen].count("RunContent") > 5  # the answer came word by word
    # rendered markdown; the model's HTML stays text
    expect(answer.locator("strong")).to_have_text("Oslo")
    expect(answer.locator("li")).to_have_text(["umbrella", "boots"])
    expect(answer.locator("code")).to_have_text("boots")
    assert answer.locator("img, script").count() == 0
    expect(answer).to_contain_text('<img src=x onerror="window.pwned=1">')
    assert page.evaluate("window.pwned") is None
    # the timeline names tools with their arguments and results, custom events with their fields, errors
    expect(page.locator('#events li[data-event="ToolCallCompleted"]').first).to_contain_text('lookup(city="Oslo") → rain in Oslo')
    expect(page.locator('#events li[data-event="CustomEvent"]')).to_contain_text('city="Oslo", sky="rain"')
    expect(page.locator('#events li[data-event="ToolCallError"]')).to_contain_text("broken() failed:")
    expect(page.locator('#events li[data-event="ReasoningContentDelta"]').first).to_be_attached()
    # expandable to the event's JSON, by keyboard
    custom = page.locator('#events li[data-event="CustomEvent"] summary')
    custom.focus()
    page.keyboard.press("Enter")
    expect(page.locator('#events li[data-event="CustomEvent"] pre')).to_contain_text('"sky": "rain"')
    expect(page.locator("#metrics")).to_contain_text("Time to first token")
    assert stored[-1]["content"].endswith(FINAL)


def test_confirm_a_tool_in_place_and_the_run_goes_on(server, open_page):
    page = open_page()
    sign_in(page, server, agent="confirm")
    send(page, "invoices")
    pause = page.locator("#pause")
    expect(pause).to_contain_text('delete_records({"table":"invoices"})')
    expect(page.locator("#sessions li[data-session]")).to_have_count(1)  # the new session is listed at once
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "paused_for_confirmation.png"), full_page=True)
    page.get_by_label("Approve").check()
    page.get_by_role("button", name="Continue run").click()
    wait_event(page, "RunCompleted")
    expect(page.locator(".msg.assistant")).to_have_text("done: deleted every record of invoices")
    expect(pause).to_be_hidden()
    names = [name for _, name in timeline(page)]
    assert names.index("RunPaused") < names.index("RunContinued") < names.index("ToolCallCompleted")
    assert [seq for seq, _ in timeline(page)] == list(range(len(stored_events(server, run_id_of(page)))))


def test_fill_the_user_input_form_of_a_paused_tool(server, open_page):
    page = open_page(width=380)
    sign_in(page, server, agent="ask")
    send(page, "book me a trip")
    page.get_by_label("city").fill("Lisbon")
    page.get_by_role("button", name="Continue run").click()
    wait_event(page, "RunCompleted")
    expect(page.locator(".msg.assistant")).to_have_text("done: booked a trip to Lisbon")
    assert page.evaluate("document.documentElement.scrollWidth") <= 380  # no sideways scrolling on a phone


def test_cancel_a_running_run(server, gates, open_page):
    page = open_page()
    sign_in(page, server, agent="gated")
    send(page, "gate-never-opened")
    wait_event(page, "ToolCallStarted")
    page.get_by_role("button", name="Cancel run").click()
    wait_event(page, "RunCancelled")
    expect(page.get_by_role("status")).to_contain_text("Cancelled")
    expect(page.get_by_role("button", name="Cancel run")).to_be_hidden()


def test_reload_mid_run_resumes_with_nothing_repeated_or_missing(server, gates, open_page):
    page = open_page()
    sign_in(page, server, agent="gated")
    send(page, "gate-reload")
    wait_event(page, "ToolCallStarted")
    before = timeline(page)
    run_id = run_id_of(page)
    asked = []
    page.on("request", lambda r: asked.append((r.url, r.headers.get("last-event-id"))) if "/events" in r.url else None)
    page.reload()
    expect(page.locator("#events li")).to_have_count(len(before))  # what the tab had seen, from sessionStorage
    assert asked == [(f"{server.url}/runs/{run_id}/events", str(before[-1][0]))]
    gates.open("gate-reload")
    wait_event(page, "RunCompleted")
    after = timeline(page)
    assert after[:len(before)] == before
    assert [seq for seq, _ in after] == list(range(len(stored_events(server, run_id))))
    expect(page.locator(".msg.assistant")).to_have_text("released after the gate, all done")


def test_replay_a_past_run_with_its_metrics(server, open_page):
    page = open_page()
    sign_in(page, server)
    send(page, "first words")
    wait_event(page, "RunCompleted")
    live = timeline(page)
    run_id = run_id_of(page)
    page.get_by_role("button", name="New chat").click()
    expect(page.locator("#events li")).to_have_count(0)
    page.locator("#sessions summary").first.click()
    page.locator(f'#sessions button[data-run="{run_id}"]').click()
    expect(page.get_by_role("status")).to_contain_text(f"Replayed {run_id}")
    assert timeline(page) == live
    expect(page.locator(".msg.user")).to_have_text("first words")
    expect(page.locator(".msg.assistant strong")).to_have_text("first words")
    metrics = page.locator("#metrics")
    expect(metrics).to_contain_text("Tokens")
    expect(metrics).to_contain_text("Duration")
    assert "0 in · 0 out" not in metrics.text_content()


@pytest.mark.parametrize("width", [380])
def test_another_users_run_is_not_visible(server, open_page, width):
    ann = open_page()
    sign_in(ann, server)
    send(ann, "ann's secret")
    wait_event(ann, "RunCompleted")
    run_id = run_id_of(ann)

    bob = open_page(width=width)
    sign_in(bob, server, key=BOB_KEY)
    expect(bob.locator("#sessions")).to_have_text("No sessions yet.")
    bob.goto(f"{server.url}/#run={run_id}")
    expect(bob.get_by_role("alert")).to_contain_text(f"no run '{run_id}'")
    expect(bob.locator("#events li")).to_have_count(0)
    assert "ann's secret" not in bob.content()
