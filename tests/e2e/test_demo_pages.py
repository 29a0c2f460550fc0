"""Every page works in Chromium from the demo data: each role follows its navigation and
the links on those pages, and every page answers 200, loads its images and logs no
JavaScript error. Screenshots of each role's pages go to the artifacts."""

import importlib
import re
from datetime import date
from urllib.parse import urlsplit

import pytest
from django.apps import apps

from crm.demo import build_demo
from tests.e2e.conftest import log_in

# The live server needs committed rows, so each test ends with a flush, which also empties
# the sectors and benchmarks seeded by a data migration: the test seeds them again.
pytestmark = pytest.mark.django_db(transaction=True)
SEED = importlib.import_module("funnel.migrations.0002_seed_sectors_and_benchmarks")

TODAY = date(2026, 11, 23)
# Links that leave the pages: the API, the admin, calendar feeds and downloads, charts
# (checked as images), and signing out.
SKIP = re.compile(r"^/(api|api-auth|admin|charts|logout)/|\.ics$|^/calendar/new-link/")
PER_PATTERN = 2  # pages visited per URL shape (/prospects/<n>/ counts once per role)


def _shape(path: str) -> str:
    return re.sub(r"\d+", "<n>", path)


def _check(tab, url: str) -> None:
    answer = tab.goto(url)
    assert answer is not None, url
    assert answer.status == 200, f"{url}: {answer.status}"
    tab.wait_for_load_state("networkidle")
    broken = tab.eval_on_selector_all(
        "img", "imgs => imgs.filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)"
    )
    assert broken == [], f"{url}: images that did not load: {broken}"
    assert tab.locator("main h1").count() >= 1, f"{url}: no heading"


def _links(tab) -> list[str]:
    hrefs = tab.eval_on_selector_all("main a[href]", "links => links.map(a => a.href)")
    found = []
    for href in hrefs:
        parts = urlsplit(href)
        if parts.scheme not in ("http", "https") or parts.netloc != urlsplit(tab.url).netloc:
            continue
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if not SKIP.search(parts.path):
            found.append(path)
    return found


@pytest.mark.parametrize("username", ["b2b-1", "lead-b2b", "admin"])
def test_every_page_a_role_can_reach_works_on_the_demo(page, shot, username):
    SEED.seed(apps, None)
    build_demo(seed=7, today=TODAY, managers_per_team=5, months=1, progress=False)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda message: errors.append(message.text) if message.type == "error" else None,
    )

    log_in(page, username, password="demo")
    nav = page.eval_on_selector_all(
        "nav a[href]", "links => links.map(a => new URL(a.href).pathname)"
    )
    pages = [path for path in nav if not SKIP.search(path)]
    assert {"/", "/prospects/", "/events/"} <= set(pages), pages
    assert ("/review/" in pages) == (username != "b2b-1")

    seen: dict[str, int] = {}
    visited: list[str] = []
    for path in pages:
        _check(page, path)
        shot(page, path.strip("/").replace("/", "-") or "home")
        visited.append(path)
        for link in _links(page):
            shape = _shape(urlsplit(link).path)
            if link in visited or seen.get(shape, 0) >= PER_PATTERN or shape in map(_shape, pages):
                continue
            seen[shape] = seen.get(shape, 0) + 1
            _check(page, link)
            visited.append(link)
        _check(page, path)  # back on the nav page for the next round

    assert errors == [], errors
    assert len(visited) > len(pages), visited
