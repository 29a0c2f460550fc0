"""End-to-end tests: the real pages in headless Chromium against a live server.

Chromium is Debian's package (/usr/bin/chromium), driven by Playwright's Python package;
``playwright install`` (which downloads its own browsers) is never used. Without Chromium
the tests are skipped, unless FUNNELBOOK_REQUIRE_E2E=1 (set by .ci/run), which makes a
missing browser a failure. Screenshots of every page go to test-artifacts/e2e/ (or
$FUNNELBOOK_ARTIFACTS), to be looked at.
"""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test's thread; the ORM calls the tests
# make in between (fixtures, checks) are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REQUIRED = os.environ.get("FUNNELBOOK_REQUIRE_E2E") == "1"
ARTIFACTS = Path(os.environ.get("FUNNELBOOK_ARTIFACTS", "test-artifacts")) / "e2e"


def _missing() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"Chromium is not installed ({CHROMIUM}); apt-get install chromium"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright's Python package is not installed (pip install -e '.[test]')"
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    missing = _missing()
    if missing:
        if REQUIRED:
            pytest.fail(f"FUNNELBOOK_REQUIRE_E2E=1 but {missing}")
        pytest.skip(missing)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server, _fast_passwords):
    """A fresh browser context on the live server (1280 by 800), closed after the test."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 800})
    context.set_default_timeout(15_000)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def shot(request):
    """``shot(page, "name")`` saves a full-page screenshot as <artifacts>/e2e/<test>-<name>.png."""

    def save(tab, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{request.node.name}-{name}.png"
        tab.screenshot(path=str(path), full_page=True)
        return path

    return save


def log_in(tab, username: str, password: str = "pw") -> None:
    """Sign in through the login page, as a person would."""
    tab.goto("/login/")
    tab.get_by_label("Username").fill(username)
    tab.get_by_label("Password").fill(password)
    tab.get_by_role("button", name="Sign in").click()
    tab.wait_for_load_state()
