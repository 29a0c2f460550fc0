"""A lead opens the team review, sees who exceeded the plan and who is postponing, and
opens a scorecard (headless Chromium on the live server; screenshots in the artifacts)."""

import importlib
from datetime import UTC, datetime

import pytest
from django.apps import apps

from crm import context_processors
from funnel import reports
from tests.e2e.conftest import log_in
from tests.funnel.test_review_pages import build_review_team

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sectors():
    """The sectors and benchmarks of the data migration: a transactional test that ran
    before this one flushed them (the seed is idempotent)."""
    seed = importlib.import_module("funnel.migrations.0002_seed_sectors_and_benchmarks").seed
    seed(apps, None)


@pytest.fixture
def today_is_23_november_2026(monkeypatch):
    """Last month is October 2026 for the reports and the period picker."""
    instant = datetime(2026, 11, 23, 11, tzinfo=UTC)
    monkeypatch.setattr(reports, "now", lambda: instant)
    monkeypatch.setattr(context_processors, "now", lambda: instant)


def _broken_images(tab) -> list[str]:
    return tab.eval_on_selector_all(
        "img", "imgs => imgs.filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)"
    )


def test_a_lead_sees_who_exceeded_and_who_postpones_then_opens_a_scorecard(
    page, shot, today_is_23_november_2026, sectors
):
    """The team of ``build_review_team`` (October 2026, worked by hand there):

    alice: contracts target 2, signed 3 (5, 12, 20 Oct) → attainment 3/2 = 150.0%, overage
        +1 → her contracts cell reads "▲ +1 (150.0%)", exceeded.
    bob: contracts target 1, signed 1 (14 Oct) → 100%, met. B2 was due 20 Oct; on Tue 27
        Oct, one of October's last 5 working days (26-30), it was moved to 5 Nov and is still
        open → a late slip; 100% of contracts and a late slip → postponing.
    """
    _team, lead, alice, bob = build_review_team()
    log_in(page, lead.username)

    page.goto("/review/")
    picker = page.locator("form.period-picker")
    picker.get_by_label("Period").select_option("2026-10")  # "Last month (October 2026)"
    picker.get_by_role("button", name="Show").click()
    page.wait_for_load_state("networkidle")

    assert "period=2026-10" in page.url
    assert page.get_by_role("heading", level=1).inner_text() == "Team review: Review team"
    exceeded = page.locator(f'tr[data-manager="{alice.username}"] td[data-metric="contracts"]')
    assert exceeded.get_attribute("data-status") == "exceeded"
    assert "▲ +1 (150.0%)" in exceeded.inner_text()
    assert "exceeded" in exceeded.inner_text()
    bob_row = page.locator(f'tr[data-manager="{bob.username}"]')
    assert bob_row.locator("td .badge--postponing").inner_text() == "» postponing"
    assert page.locator(".highlight--postponing").get_by_text(bob.username).is_visible()
    assert _broken_images(page) == []
    shot(page, "review-1280")

    page.set_viewport_size({"width": 1920, "height": 1080})  # the meeting-room screen
    page.wait_for_timeout(200)
    shot(page, "review-1920")
    page.set_viewport_size({"width": 1280, "height": 800})

    page.get_by_role("link", name=alice.username, exact=True).first.click()
    page.wait_for_load_state("networkidle")

    assert page.get_by_role("heading", level=1).inner_text() == f"Scorecard: {alice.username}"
    assert "period=2026-10" in page.url
    plan = page.locator("table.score-table").first
    assert "▲ +1 (150.0%)" in plan.inner_text()
    assert page.locator("#group-slippage").is_visible()
    assert _broken_images(page) == []
    shot(page, "scorecard-1280")
