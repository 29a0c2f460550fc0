"""A manager adds an event through the form, finds it on the list, says "I'm going", and
sees themselves on the event's page with its return and its .ics (headless Chromium on the
live server)."""

import importlib
from datetime import timedelta
from urllib.parse import urlparse

import pytest
from django.apps import apps
from django.utils import timezone

from crm.page_tools import user_zone
from events.models import AttendanceStatus, Event, EventAttendance
from tests import factories
from tests.e2e.conftest import log_in

# The live server needs committed rows, so each test ends with a flush, which also empties
# the sectors seeded by a data migration: the fixture seeds them again.
pytestmark = pytest.mark.django_db(transaction=True)
SEED = importlib.import_module("funnel.migrations.0002_seed_sectors_and_benchmarks")


@pytest.fixture
def events_manager():
    """A b2b manager (Berlin time) whose team already has one upcoming event."""
    SEED.seed(apps, None)
    team = factories.TeamFactory(name="E2E events team")
    manager = factories.UserFactory(
        username="e2e-events", first_name="Ella", last_name="Vent", profile__team=team
    )
    factories.event(name="Partner meetup", team=team, starts_at=timezone.now() + timedelta(days=3))
    return manager


def test_a_manager_adds_an_event_goes_and_sees_it(page, shot, events_manager):
    manager = events_manager
    log_in(page, manager.username)
    zone = user_zone(manager)
    starts = (timezone.localtime(timezone.now(), zone) + timedelta(days=2)).replace(
        hour=9, minute=30, second=0, microsecond=0
    )
    ends = starts + timedelta(hours=8)

    # given: the form, reached from the list
    page.goto("/events/")
    page.get_by_role("link", name="Add an event").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Add an event").is_visible()

    # when: a bad end first (before the start): a 400 with the error at the field
    page.get_by_label("Name").fill("Fintech summit")
    page.get_by_label("Kind").select_option(label="conference")
    page.get_by_label("Starts").fill(starts.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Ends").fill((starts - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Location").fill("Hamburg, Messe")
    page.get_by_label("Cost").fill("1200")
    page.get_by_role("button", name="Add event").click()
    page.wait_for_load_state()
    assert page.get_by_text("An event must end after it starts.").is_visible()
    assert page.get_by_label("Location").input_value() == "Hamburg, Messe"
    assert not Event.objects.filter(name="Fintech summit").exists()
    shot(page, "form-error")

    # then fixed: saved, on its page
    page.get_by_label("Ends").fill(ends.strftime("%Y-%m-%dT%H:%M"))
    shot(page, "form")
    page.get_by_role("button", name="Add event").click()
    page.wait_for_load_state()
    event = Event.objects.get(name="Fintech summit")
    assert urlparse(page.url).path == f"/events/{event.pk}/"
    assert page.get_by_text("Added “Fintech summit”.").is_visible()
    # typed in the manager's zone
    assert event.starts_at == starts
    assert event.team_id == manager.profile.team_id

    # the list shows it, with "I'm going"
    page.get_by_role("link", name="Events", exact=True).first.click()
    page.wait_for_load_state("networkidle")
    row = page.locator(f'tr[data-event="{event.pk}"]')
    assert row.get_by_role("link", name="Fintech summit").is_visible()
    assert row.get_by_text(starts.strftime("%a %-d %b %Y, %H:%M")).is_visible()
    assert row.get_by_text("nobody yet").is_visible()
    row.get_by_role("button", name="I\N{RIGHT SINGLE QUOTATION MARK}m going").click()
    page.wait_for_load_state("networkidle")
    assert urlparse(page.url).path == "/events/"
    assert page.get_by_text("You are going to “Fintech summit”.").is_visible()
    row = page.locator(f'tr[data-event="{event.pk}"]')
    assert row.locator("td[data-going]").inner_text() == "Ella Vent"
    assert row.get_by_role("button", name="Not going").is_visible()
    assert EventAttendance.objects.get(event=event, manager=manager).status == (
        AttendanceStatus.PLANNED
    )
    # the period's chart drew (an SVG that loaded has a width)
    image = page.locator('img[src^="/charts/events.svg"]')
    assert image.evaluate("img => img.complete && img.naturalWidth > 0")
    assert "Fintech summit" in image.get_attribute("alt")
    shot(page, "list")

    # the event's page: me in the attendance list, its return, the .ics
    row.get_by_role("link", name="Fintech summit").click()
    page.wait_for_load_state()
    attendance = page.locator("table.attendance-table")
    assert attendance.get_by_role("rowheader", name="Ella Vent").is_visible()
    assert attendance.get_by_text("going").is_visible()
    assert page.get_by_role("heading", name="Return on this event").is_visible()
    assert page.locator("dd[data-cost]").inner_text() == "1200.00"
    # nothing sourced yet: no cost per prospect, and ROI (0 - 1200) ÷ 1200 = -100%
    assert page.locator("dd[data-cost-per-prospect]").inner_text() == "—"
    assert page.locator("dd[data-roi]").inner_text() == "\N{MINUS SIGN}100%"
    shot(page, "detail")
    ics = page.get_by_role("link", name="Add to my calendar (.ics)")
    answer = page.request.get(ics.get_attribute("href"))
    assert answer.status == 200
    assert answer.headers["content-type"].startswith("text/calendar")
    assert "SUMMARY:Fintech summit" in answer.text()


def test_the_events_list_fits_a_phone(page, shot, events_manager):
    page.set_viewport_size({"width": 375, "height": 800})
    log_in(page, events_manager.username)
    page.goto("/events/")
    page.wait_for_load_state("networkidle")

    # the page itself does not scroll sideways (wide tables scroll in their own box)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    wide = page.evaluate(
        "[...document.querySelectorAll('body *')].filter(e => !e.closest('.table-scroll') &&"
        " e.getBoundingClientRect().right > window.innerWidth + 1).slice(0, 5)"
        ".map(e => e.tagName + '.' + e.className)"
    )
    assert overflow <= 0, wide
    shot(page, "phone")
