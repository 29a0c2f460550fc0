"""A manager logs in, logs a held meeting from the home page and sees the funnel and the
plan pace change (headless Chromium on the live server)."""

import importlib
from datetime import timedelta
from urllib.parse import urlparse

import pytest
from django.apps import apps
from django.utils import timezone

from crm.page_tools import user_zone
from funnel import services as funnel_services
from funnel.periods import month_of
from tests import factories
from tests.e2e.conftest import log_in

# The live server needs committed rows, so each test ends with a flush, which also empties
# the sectors and benchmarks seeded by a data migration: the fixture seeds them again.
pytestmark = pytest.mark.django_db(transaction=True)
SEED = importlib.import_module("funnel.migrations.0002_seed_sectors_and_benchmarks")


def number_in(tab, selector: str) -> int:
    return int(tab.locator(selector).inner_text().strip())


@pytest.fixture
def manager_with_a_plan():
    """The seeded sectors, and a b2b manager (Berlin time) with a plan of 6 held meetings
    this month and one new prospect, Acme, created a minute ago (so it is in this month's
    cohort, at `lead`)."""
    SEED.seed(apps, None)
    team = factories.TeamFactory(name="E2E team")
    manager = factories.UserFactory(username="e2e-manager", first_name="Mia", profile__team=team)
    today = timezone.localtime(timezone.now(), user_zone(manager)).date()
    month = month_of(today)
    funnel_services.plan_create(
        manager=manager, start=month.start, end=month.end, by=None, targets={"meetings": 6}
    )
    acme = factories.prospect(
        manager, name="Acme", created_at=timezone.now() - timedelta(minutes=1)
    )
    return manager, acme


def test_a_manager_logs_a_held_meeting_and_sees_funnel_and_plan_move(
    page, shot, manager_with_a_plan
):
    manager, _ = manager_with_a_plan
    log_in(page, manager.username)
    page.goto("/")
    page.wait_for_load_state("networkidle")

    # given: this month's numbers before
    assert page.get_by_role("heading", name="Welcome, Mia").is_visible()
    meetings_before = number_in(page, 'tr[data-metric="meetings"] td[data-actual]')
    meeting_stage_before = number_in(page, 'tr[data-stage="meeting"] td[data-reached]')
    lead_stage_before = number_in(page, 'tr[data-stage="lead"] td[data-reached]')
    assert (meetings_before, meeting_stage_before, lead_stage_before) == (0, 0, 1)
    shot(page, "before")

    # when: a held meeting with Acme, now (the form's default start), decision maker there
    form = page.locator('form[action="/log/meeting/"]')
    form.get_by_label("Prospect").select_option(label="Acme")
    form.get_by_label("held (it took place)").check()
    form.get_by_label("A decision maker was (or will be) present").check()
    form.get_by_label("Location").fill("Their office")
    form.get_by_role("button", name="Log the meeting").click()
    page.wait_for_load_state("networkidle")

    # then: back home with the message; SPEC 3.4: meetings actual = held meetings, so +1;
    # SPEC 2: a held meeting moves a prospect below `meeting` to `meeting`, and SPEC 3.1
    # credits the furthest stage reached: Acme (cohort, was `lead`) now reaches `meeting`
    # (and `contacted`, skipped but credited), so reached(meeting) goes 0 → 1 while
    # reached(lead) stays 1.
    assert urlparse(page.url).path == "/"
    assert page.get_by_text("Held meeting with Acme logged.").is_visible()
    assert number_in(page, 'tr[data-metric="meetings"] td[data-actual]') == meetings_before + 1
    assert number_in(page, 'tr[data-stage="meeting"] td[data-reached]') == 1
    assert number_in(page, 'tr[data-stage="contacted"] td[data-reached]') == 1
    assert number_in(page, 'tr[data-stage="lead"] td[data-reached]') == 1
    # the agenda shows it held today, with the decision maker
    today = page.locator('ul[aria-labelledby="agenda-today"]')
    assert today.get_by_text("Acme", exact=True).is_visible()
    assert today.locator(".status--held").is_visible()
    assert today.get_by_text("decision maker").is_visible()
    # the charts are drawn (an SVG that loaded has a width)
    for name in ("funnel", "plan"):
        image = page.locator(f'img[src^="/charts/{name}.svg"]')
        assert image.evaluate("img => img.complete && img.naturalWidth > 0")
        assert image.get_attribute("alt").startswith("e2e-manager, ")
    shot(page, "after")


def test_a_bad_quick_log_keeps_the_input_and_leads_back(page, shot, manager_with_a_plan):
    manager, _ = manager_with_a_plan
    log_in(page, manager.username)
    page.goto("/")

    form = page.locator('form[action="/log/meeting/"]')
    form.get_by_label("Prospect").select_option(label="Acme")
    form.get_by_label("held (it took place)").check()
    form.get_by_label("Starts").fill("2099-01-05T09:00")
    form.get_by_role("button", name="Log the meeting").click()
    page.wait_for_load_state()

    assert page.get_by_role("heading", name="Log a meeting").is_visible()
    assert page.get_by_text("The meeting has not started yet.").is_visible()
    assert page.get_by_label("Starts").input_value() == "2099-01-05T09:00"
    shot(page, "error")
    page.get_by_role("link", name="Back without saving").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Welcome, Mia").is_visible()


def test_the_home_fits_a_phone(page, shot, manager_with_a_plan):
    manager, _ = manager_with_a_plan
    page.set_viewport_size({"width": 375, "height": 800})
    log_in(page, manager.username)
    page.goto("/")
    page.wait_for_load_state("networkidle")

    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    shot(page, "phone")
