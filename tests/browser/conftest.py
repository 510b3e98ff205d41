"""Debian's Chromium (headless, driven by Playwright) against a real uvicorn server on scripted models."""

from __future__ import annotations

import contextlib
import os
import re
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
SCREENSHOTS = HERE / "screenshots"  # the CI artifact folder (README: "Web page")
CHROMIUM = os.environ.get("RUNWIRE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1] / "plugins" / "server" / "tests"))

from rw_server_kit import ANN_KEY, BOB_KEY, LiveServer, gates  # noqa: E402,F401  (gates: a fixture)

if not Path(CHROMIUM).exists():  # scripts/dev test installs it; a missing browser is an error, not a skip
    raise RuntimeError(f"{CHROMIUM} is missing: run scripts/dev test (it installs Debian's chromium) "
                       "or set RUNWIRE_CHROMIUM to a Chromium binary")


@pytest.fixture
def server(tmp_path, gates):  # noqa: F811 (the gates fixture, imported from rw_server_kit)
    from runwire_server import APIKeys, create_app
    from web_agents import make_agents

    keys = tmp_path / "keys"
    keys.write_text(f"ann:{ANN_KEY}\nbob:{BOB_KEY}\n")
    app = create_app(make_agents(), db=f"sqlite:///{tmp_path}/server.db", auth=APIKeys.from_file(keys), ping_seconds=1)
    with LiveServer(app) as live:
        yield live


@pytest.fixture(scope="module")
def browser():
    # module scope, not session: Playwright's sync API keeps an event loop running in this thread until it
    # stops, and the tests collected after this folder call asyncio.run
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def open_page(browser, request):
    """``open_page(width=1280)``: a fresh tab (its own sessionStorage); each test's last one is screenshotted."""
    pages = []
    with contextlib.ExitStack() as stack:
        def make(width: int = 1280, height: int = 860):
            context = browser.new_context(viewport={"width": width, "height": height})
            stack.callback(context.close)
            page = context.new_page()
            page.set_default_timeout(15_000)
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.js_errors = errors
            pages.append(page)
            return page

        yield make
        SCREENSHOTS.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]", "_", request.node.name)
        for i, page in enumerate(pages):
            suffix = "" if i == 0 else f"-{i + 1}"
            with contextlib.suppress(Exception):
                page.screenshot(path=str(SCREENSHOTS / f"{name}{suffix}.png"), full_page=True)
        for page in pages:
            assert page.js_errors == [], page.js_errors
