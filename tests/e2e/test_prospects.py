"""The prospect pages in headless Chromium: a manager lists and filters their prospects,
opens one, pushes its close date and sees it in the history, and cannot open another
team's prospect (a 404, as in the API)."""

import importlib
from datetime import date, timedelta

import pytest
from django.apps import apps
from django.utils import timezone

from crm.models import CloseDateChange
from tests import factories
from tests.e2e.conftest import log_in

# The live server needs committed rows, so each test ends with a flush, which also empties
# the sectors and benchmarks seeded by a data migration: the fixture seeds them again.
pytestmark = pytest.mark.django_db(transaction=True)
SEED = importlib.import_module("funnel.migrations.0002_seed_sectors_and_benchmarks")


@pytest.fixture
def two_teams():
    """Mia (team North) has Acme (proposal, closing 30 Jan 2027) and Birch (lead); Olle of
    team South has Cobalt."""
    SEED.seed(apps, None)
    mia = factories.UserFactory(username="mia", profile__team=factories.TeamFactory(name="North"))
    olle = factories.UserFactory(username="olle", profile__team=factories.TeamFactory(name="South"))
    a_minute_ago = timezone.now() - timedelta(minutes=1)
    acme = factories.prospect(
        mia,
        name="Acme",
        stage="proposal",
        expected_value=12000,
        expected_close_date=date(2027, 1, 30),
        created_at=a_minute_ago,
    )
    factories.contact(acme, name="Dana Boss", is_decision_maker=True)
    factories.prospect(mia, name="Birch", created_at=a_minute_ago)
    cobalt = factories.prospect(olle, name="Cobalt", created_at=a_minute_ago)
    return mia, acme, cobalt


def test_a_manager_works_a_prospect_and_cannot_open_another_teams(page, shot, two_teams):
    mia, acme, cobalt = two_teams
    log_in(page, mia.username)

    # the list: own prospects only
    page.get_by_role("navigation").get_by_role("link", name="Prospects").click()
    page.wait_for_load_state("networkidle")
    names = page.locator("table.prospect-table tbody th").all_inner_texts()
    assert names == ["Acme", "Birch"]  # Acme has a close date, so it comes first
    shot(page, "list")

    # filtered by stage
    page.get_by_label("Stage", exact=True).select_option("proposal")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_load_state("networkidle")
    assert "stage=proposal" in page.url
    assert page.locator("table.prospect-table tbody th").all_inner_texts() == ["Acme"]

    # the detail page, then a push of the close date to 26 Feb 2027
    page.get_by_role("link", name="Acme").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", name="Acme", level=1).is_visible()
    assert page.get_by_text("Dana Boss").is_visible()
    shot(page, "detail")
    form = page.locator('form[action$="/close-date/"]')
    form.get_by_label("Expected close date").fill("2027-02-26")
    form.get_by_role("button", name="Change the close date").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text(
        "Close date pushed from 30 January 2027 to 26 February 2027."
    ).is_visible()
    history = page.locator("ol.timeline li").first
    assert "Close date pushed 2027-01-30 → 2027-02-26" in history.inner_text()
    change = CloseDateChange.objects.filter(prospect=acme).latest("changed_at")
    assert (change.from_date, change.to_date) == (date(2027, 1, 30), date(2027, 2, 26))
    shot(page, "pushed")

    # another team's prospect: the 404 page, nothing of Cobalt shown
    answer = page.goto(f"/prospects/{cobalt.pk}/")
    assert answer.status == 404
    assert page.get_by_role("heading", name="Not found").is_visible()
    assert "Cobalt" not in page.content()
    shot(page, "other-team")


def test_a_refused_sign_keeps_the_input_and_says_why(page, shot, two_teams):
    mia, acme, _ = two_teams
    log_in(page, mia.username)
    page.goto(f"/prospects/{acme.pk}/")
    form = page.locator('form[action$="/sign/"]')
    form.get_by_label("Contract value").fill("11500")
    form.get_by_label("Signed on").fill("2020-01-01")  # before Acme existed: the service says no
    form.get_by_role("button", name="Sign the contract").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("That was not saved").is_visible()
    form = page.locator('form[action$="/sign/"]')
    assert form.get_by_label("Contract value").input_value() == "11500"
    assert form.get_by_text("cannot be signed before the prospect was created").is_visible()
    acme.refresh_from_db()
    assert acme.stage == "proposal"
    shot(page, "refused")
