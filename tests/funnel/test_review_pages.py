"""The lead's pages (funnel.pages): the team review, the review note, scorecards and plan
editing, for every role, from hand-worked numbers (October 2026, a team in Berlin)."""

import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from crm import context_processors, services
from crm.models import Prospect
from funnel import reports
from funnel.models import PerformanceReview, Plan
from funnel.services import plan_create, review_save
from tests import factories
from tests.funnel.scenario import at, move, prospect

PERIOD = "2026-10"


@pytest.fixture(autouse=True)
def today_is_23_november_2026(monkeypatch):
    """October is over; "this month" is November 2026 for the reports and the picker."""
    instant = datetime(2026, 11, 23, 11, tzinfo=UTC)
    monkeypatch.setattr(reports, "now", lambda: instant)
    monkeypatch.setattr(context_processors, "now", lambda: instant)


def build_review_team(name: str = "Review team"):
    """A lead and two managers; October 2026 (Mon-Fri, no holidays; its last 5 working
    days are 26-30 Oct).

    alice: contracts target 2; signs A1, A2, A3 on 5, 12 and 20 Oct → actual 3,
        attainment 3/2 = 150.0%, overage +1: exceeded ("▲ +1 (150.0%)"). No slip.
    bob: contracts target 1; signs B1 on 14 Oct → actual 1, attainment 100% (met).
        B2 due 20 Oct is moved on 27 Oct (a late working day) to 5 Nov and stays open:
        slipped, late → contracts ≥ 100% and a late slip: postponing. Slipped value 800.
    Team Σ contracts: target 2 + 1 = 3, actual 3 + 1 = 4 → 4/3 = 133.3%, overage +1.
    """
    team = factories.TeamFactory(name=name)
    lead = factories.UserFactory(profile__team=team, profile__role="lead")
    alice = factories.UserFactory(username=f"alice-{team.pk}", profile__team=team)
    bob = factories.UserFactory(username=f"bob-{team.pk}", profile__team=team)
    october = {"start": date(2026, 10, 1), "end": date(2026, 10, 31), "by": lead}
    plan_create(manager=alice, targets={"contracts": 2}, **october)
    plan_create(manager=bob, targets={"contracts": 1}, **october)
    for number, day in ((1, 5), (2, 12), (3, 20)):
        won = prospect(alice, f"A{number}", date(2026, 10, day), "1000")
        services.prospect_sign(
            prospect=won,
            contract_value=Decimal("1000"),
            signed_on=date(2026, 10, day),
            by=alice,
            at=at(10, day),
        )
    b1 = prospect(bob, "B1", date(2026, 10, 14), "500")
    services.prospect_sign(
        prospect=b1,
        contract_value=Decimal("500"),
        signed_on=date(2026, 10, 14),
        by=bob,
        at=at(10, 14),
    )
    b2 = prospect(bob, "B2 Kessler", date(2026, 10, 20), "800")
    move(b2, date(2026, 11, 5), 10, 27)
    return team, lead, alice, bob


@pytest.fixture
def review_team(db):
    return build_review_team()


def review_url(team=None, period=PERIOD, **more) -> str:
    query = {**({"team": team.pk} if team else {}), "period": period, **more}
    return reverse("team-review-page") + "?" + "&".join(f"{k}={v}" for k, v in query.items())


def row_of(html: str, username: str) -> str:
    found = re.search(rf'<tr data-manager="{username}">(.*?)</tr>', html, re.S)
    assert found, username
    return found.group(1)


# --- the team review ----------------------------------------------------------------------


def test_the_lead_sees_who_exceeded_and_who_is_postponing(client, review_team):
    _team, lead, alice, bob = review_team
    client.force_login(lead)

    page = client.get(review_url())  # no team: the lead's own

    assert page.status_code == 200
    html = page.text
    alice_row = row_of(html, alice.username)
    assert 'data-metric="contracts" data-status="exceeded"' in alice_row
    assert "▲ +1 (150.0%)" in alice_row
    assert "plan-cell--exceeded" in alice_row
    assert "postponing" not in alice_row
    bob_row = row_of(html, bob.username)
    assert "✓ +0 (100.0%)" in bob_row
    assert "badge--postponing" in bob_row
    assert "800.00" in bob_row  # slipped value
    # Team Σ: 4 of 3 contracts
    tfoot = html.split("<tfoot>")[1]
    assert "▲ +1 (133.3%)" in tfoot
    # each manager links to their scorecard for the same period
    scorecard = reverse("scorecard-page", args=[alice.pk]) + f"?period={PERIOD}"
    assert f'href="{scorecard}"' in html
    for needed in ("<caption", 'scope="colgroup"', 'scope="row"'):
        assert needed in html
    # the highlights above the table
    assert "Exceeded the plan" in html
    assert "contracts signed" in html
    # the slipped deal is listed below the table
    assert "B2 Kessler" in html


def test_the_review_has_the_charts_with_alt_text_and_text_links(client, review_team):
    team, lead, _alice, bob = review_team
    client.force_login(lead)
    html = client.get(review_url()).text
    plan_svg = reverse("chart", kwargs={"name": "plan", "fmt": "svg"})
    plan_txt = reverse("chart", kwargs={"name": "plan", "fmt": "txt"})
    # the image carries the data generation, so a write shows a fresh chart at once
    assert re.search(rf'src="{plan_svg}\?team={team.pk}&amp;period={PERIOD}&amp;v=\d+"', html)
    assert f'href="{plan_txt}?team={team.pk}&amp;period={PERIOD}"' in html
    for name in ("funnel", "activity", "alternation"):
        assert reverse("chart", kwargs={"name": name, "fmt": "svg"}) in html
    activity = reverse("chart", kwargs={"name": "activity", "fmt": "svg"})
    assert re.search(rf'src="{activity}\?manager={bob.pk}&amp;period={PERIOD}&amp;v=\d+"', html)
    images = re.findall(r"<img [^>]*>", html)
    assert images
    assert all('alt="' in image and 'alt=""' not in image for image in images)
    assert 'id="period-select"' in html  # the shared picker


def test_chart_links_of_the_page_answer(client, review_team):
    _team, lead, *_ = review_team
    client.force_login(lead)
    html = client.get(review_url()).text
    sources = re.findall(r'<img src="([^"]+)"', html)
    assert len(sources) == 2 + 2 * 2  # team plan and funnel; activity, alternation each
    for source in sources[:3]:
        answer = client.get(source.replace("&amp;", "&"))
        assert answer.status_code == 200, source


def test_prospects_link_to_their_page(client, review_team):
    _team, lead, *_ = review_team
    client.force_login(lead)
    html = client.get(review_url()).text
    kessler = Prospect.objects.get(name="B2 Kessler")
    url = reverse("prospect-detail-page", args=[kessler.pk])
    assert f'<a href="{url}">B2 Kessler</a>' in html


def test_a_manager_gets_a_404(client, review_team):
    team, _lead, alice, _bob = review_team
    client.force_login(alice)
    assert client.get(review_url()).status_code == 404
    assert client.get(review_url(team)).status_code == 404


def test_anonymous_visitors_go_to_the_login(client, review_team):
    team, _lead, alice, _bob = review_team
    for url in (
        review_url(team),
        reverse("scorecard-page", args=[alice.pk]),
        reverse("plan-edit-page", args=[alice.pk]),
    ):
        answer = client.get(url)
        assert answer.status_code == 302
        assert answer["Location"].startswith(reverse("login") + "?next=")


def test_another_teams_review_is_a_404(client, review_team):
    team, lead, *_ = review_team
    other, *_ = build_review_team("Other team")
    client.force_login(lead)
    assert client.get(review_url(other)).status_code == 404
    assert client.get(review_url(team)).status_code == 200


def test_an_admin_picks_a_team(client, review_team):
    _team, _lead, alice, _bob = review_team
    other, _, carol, _ = build_review_team("Other team")
    admin = factories.UserFactory(profile__team=None, profile__role="admin")
    client.force_login(admin)

    html = client.get(review_url(other)).text

    assert '<label for="team-select">Team</label>' in html
    assert f'<option value="{other.pk}" selected>Other team</option>' in html
    assert carol.username in html
    assert alice.username not in html
    default = client.get(review_url())  # no team: the first one
    assert default.status_code == 200


def test_a_bad_period_is_a_400_naming_it(client, review_team):
    _team, lead, *_ = review_team
    client.force_login(lead)
    answer = client.get(review_url(period="2026-13"))
    assert answer.status_code == 400
    assert "period:" in answer.text
    assert 'role="alert"' in answer.text


def test_a_get_writes_nothing(client, review_team, nothing_written):
    _team, lead, *_ = review_team
    client.force_login(lead)
    with nothing_written():
        client.get(review_url())


# --- the review note ----------------------------------------------------------------------


def test_the_lead_saves_a_note_for_the_period(client, review_team):
    team, lead, _alice, bob = review_team
    client.force_login(lead)

    answer = client.post(review_url(team), {"manager": bob.pk, "notes": "Sign B2 in time."})

    assert answer.status_code == 302
    assert answer["Location"] == review_url(team) + "#notes"
    note = PerformanceReview.objects.get(manager=bob)
    assert (note.period_start, note.period_end) == (date(2026, 10, 1), date(2026, 10, 31))
    assert note.author == lead
    page = client.get(answer["Location"])
    assert "Review note on " + bob.username in page.text  # the success message
    assert "Sign B2 in time." in page.text


def test_saved_notes_show_in_the_users_time_zone(client, review_team):
    team, lead, alice, _bob = review_team
    note = review_save(
        manager=alice,
        author=lead,
        period_start=date(2026, 10, 1),
        period_end=date(2026, 10, 31),
        notes="Great month.",
    )
    PerformanceReview.objects.filter(pk=note.pk).update(
        updated_at=datetime(2026, 11, 2, 8, 30, tzinfo=UTC)
    )
    client.force_login(lead)
    html = client.get(review_url(team)).text
    assert "Great month." in html
    assert "2 Nov 2026, 09:30" in html  # Berlin: UTC+1 in November
    edit = client.get(review_url(team, note_for=alice.pk)).text
    assert "Great month.</textarea>" in edit


def test_an_empty_note_is_a_400_next_to_the_field(client, review_team, nothing_written):
    team, lead, _alice, bob = review_team
    client.force_login(lead)
    with nothing_written():
        answer = client.post(review_url(team), {"manager": bob.pk, "notes": "   "})
    assert answer.status_code == 400
    assert re.search(
        r'class="field__error" id="id_notes-error">This field is required', answer.text
    )
    assert f'<option value="{bob.pk}" selected>' in answer.text  # input kept


def test_a_note_on_another_teams_manager_is_refused(client, review_team, nothing_written):
    team, lead, *_ = review_team
    _, _, carol, _ = build_review_team("Other team")
    client.force_login(lead)
    with nothing_written():
        answer = client.post(review_url(team), {"manager": carol.pk, "notes": "Hello"})
    assert answer.status_code == 400
    assert "Select a valid choice" in answer.text


def test_a_manager_cannot_post_a_note(client, review_team, nothing_written):
    team, _lead, alice, _bob = review_team
    client.force_login(alice)
    with nothing_written():
        assert (
            client.post(review_url(team), {"manager": alice.pk, "notes": "Me"}).status_code == 404
        )


# --- the scorecard ------------------------------------------------------------------------


def scorecard_url(user, period=PERIOD) -> str:
    return reverse("scorecard-page", args=[user.pk]) + f"?period={period}"


def test_the_scorecard_shows_every_group_with_ratings(client, review_team):
    team, lead, _alice, bob = review_team
    client.force_login(lead)

    page = client.get(scorecard_url(bob))

    assert page.status_code == 200
    html = page.text
    assert f"Scorecard: {bob.username}" in html
    for group in (
        "funnel",
        "activity",
        "slippage",
        "decision-makers",
        "referrals",
        "alternation",
        "coverage",
        "cycle",
        "events",
    ):
        assert f'id="group-{group}"' in html, group
    assert "badge--postponing" in html
    # b2b sector: 1-2 held meetings a day; bob held none → below
    assert "rating--below" in html
    assert "Sector rule: 1.00 to 2.00 (B2B: 1\N{EN DASH}2 meetings a day is good)" in html
    assert "✓ +0 (100.0%)" in html
    back = review_url(team)
    assert f'href="{back.replace("&", "&amp;")}"' in html
    assert (
        reverse("chart", kwargs={"name": "alternation", "fmt": "svg"}) + f"?manager={bob.pk}"
        in html
    )


def test_a_manager_opens_their_own_scorecard_only(client, review_team):
    _team, _lead, alice, bob = review_team
    client.force_login(alice)
    own = client.get(scorecard_url(alice))
    assert own.status_code == 200
    assert "▲ +1 (150.0%)" in own.text
    assert "Edit the plan" not in own.text
    assert client.get(scorecard_url(bob)).status_code == 404


def test_a_lead_opens_their_teams_scorecards_only(client, review_team):
    _team, lead, alice, _bob = review_team
    _, _, carol, _ = build_review_team("Other team")
    client.force_login(lead)
    assert client.get(scorecard_url(alice)).status_code == 200
    assert client.get(scorecard_url(carol)).status_code == 404
    assert client.get(scorecard_url(lead)).status_code == 404  # a lead has no scorecard
    assert client.get(scorecard_url(alice, period="soon")).status_code == 400


def test_an_admin_opens_any_scorecard(client, review_team):
    _team, _lead, alice, _bob = review_team
    admin = factories.UserFactory(profile__team=None, profile__role="admin")
    client.force_login(admin)
    assert client.get(scorecard_url(alice)).status_code == 200


# --- plan editing ---------------------------------------------------------------------------


def plan_url(user, period="2026-12") -> str:
    return reverse("plan-edit-page", args=[user.pk]) + f"?period={period}"


def test_the_plan_form_is_prefilled_with_the_existing_plan(client, review_team):
    _team, lead, alice, _bob = review_team
    client.force_login(lead)
    html = client.get(plan_url(alice, PERIOD)).text
    assert 'name="contracts" value="2"' in html
    assert re.search(r'name="revenue"(?![^>]*value=)[^>]*>', html)  # no revenue target
    assert "Editing the existing plan" in html
    for label in ("Contracts signed", "Revenue", "Held meetings", "Calls", "New prospects"):
        assert f">{label}</label>" in html


def test_without_a_plan_the_form_holds_the_suggestion(client, review_team):
    """December 2026: history September-November; alice's own contracts 0, 3, 0 (the
    fixture's three in October) → mean 1 * 1.10 = 1.1 → 1 contract suggested."""
    _team, lead, alice, _bob = review_team
    client.force_login(lead)
    html = client.get(plan_url(alice)).text
    assert "No plan yet" in html
    assert 'name="contracts" value="1"' in html
    assert "Suggested: <strong>1</strong>" in html
    assert "plus 10.0% growth" in html


def test_saving_a_new_plan_creates_it_and_goes_back_to_the_review(client, review_team):
    team, lead, alice, _bob = review_team
    client.force_login(lead)

    answer = client.post(plan_url(alice), {"contracts": "3", "revenue": "1500.50", "calls": ""})

    assert answer.status_code == 302
    assert answer["Location"] == review_url(team, period="2026-12")
    plan = Plan.objects.get(manager=alice, start=date(2026, 12, 1))
    assert (plan.end, plan.contracts, plan.revenue, plan.calls) == (
        date(2026, 12, 31),
        3,
        Decimal("1500.50"),
        None,
    )
    assert plan.set_by == lead
    assert "Plan of " + alice.username in client.get(answer["Location"]).text


def test_saving_an_existing_plan_updates_it(client, review_team):
    _team, lead, alice, _bob = review_team
    client.force_login(lead)
    answer = client.post(plan_url(alice, PERIOD), {"contracts": "", "meetings": "20"})
    assert answer.status_code == 302
    plan = Plan.objects.get(manager=alice, start=date(2026, 10, 1))
    assert (plan.contracts, plan.meetings) == (None, 20)
    assert Plan.objects.filter(manager=alice).count() == 1


def test_bad_targets_are_a_400_by_field(client, review_team, nothing_written):
    _team, lead, alice, _bob = review_team
    client.force_login(lead)
    with nothing_written():
        negative = client.post(plan_url(alice), {"contracts": "-1", "revenue": "12.345"})
        empty = client.post(plan_url(alice), {})
    assert negative.status_code == 400
    assert re.search(r'id="id_contracts-error">Ensure this value is greater than', negative.text)
    assert re.search(
        r'id="id_revenue-error">Ensure that there are no more than 2 decimal', negative.text
    )
    assert 'name="revenue" value="12.345"' in negative.text  # input kept
    assert empty.status_code == 400
    assert re.search(r'id="id_contracts-error">Set at least one target', empty.text)


def test_an_overlapping_plan_is_refused_next_to_the_metric(client, review_team, nothing_written):
    _team, lead, alice, _bob = review_team
    client.force_login(lead)
    with nothing_written():
        answer = client.post(
            reverse("plan-edit-page", args=[alice.pk]) + "?start=2026-10-15&end=2026-11-15",
            {"contracts": "1"},
        )
    assert answer.status_code == 400
    assert re.search(r'id="id_contracts-error">Plan #\d+ \(2026-10-01…2026-10-31\)', answer.text)
    assert "overlap these dates" in answer.text


def test_plans_are_for_leads_of_the_team_and_admins(client, review_team):
    _team, lead, alice, _bob = review_team
    _, _, carol, _ = build_review_team("Other team")
    client.force_login(alice)
    assert client.get(plan_url(alice)).status_code == 404
    assert client.post(plan_url(alice), {"contracts": "9"}).status_code == 404
    client.force_login(lead)
    assert client.get(plan_url(carol)).status_code == 404
    assert client.get(plan_url(lead)).status_code == 404  # not their own plan
    admin = factories.UserFactory(profile__team=None, profile__role="admin")
    client.force_login(admin)
    assert client.get(plan_url(carol)).status_code == 200
    assert not Plan.objects.filter(manager=alice, start=date(2026, 12, 1)).exists()


# --- query counts -----------------------------------------------------------------------------


def team_of(size: int):
    team = factories.TeamFactory(name=f"Flat {size}")
    lead = factories.UserFactory(profile__team=team, profile__role="lead")
    managers = []
    for i in range(size):
        m = factories.UserFactory(profile__team=team)
        plan_create(
            manager=m,
            start=date(2026, 10, 1),
            end=date(2026, 10, 31),
            by=lead,
            targets={"contracts": 1, "calls": 10},
        )
        q = prospect(m, f"q{i}", date(2026, 10, 10), "10")
        move(q, date(2026, 11, 5), 10, 27)
        review_save(
            manager=m,
            author=lead,
            period_start=date(2026, 10, 1),
            period_end=date(2026, 10, 31),
            notes="ok",
        )
        managers.append(m)
    return team, lead, managers


# Review: session, user, the lead's profile; the report's own (teams, the open deals needing
# attention, activity per day, managers' counts, plan targets, slipped deals, median
# cycles, benchmarks); the team of the user's zone; the saved notes; the note form's
# managers. Scorecard: session, user, profile; the scorecard report's (with the coverage
# fallback) and the events report's (its own scope and events); the zone's team.
REVIEW_QUERIES = 15
SCORECARD_QUERIES = 17


@pytest.mark.parametrize("size", [2, 12])
def test_the_team_review_query_count_is_flat(client, db, size, django_assert_max_num_queries):
    team, lead, _managers = team_of(size)
    client.force_login(lead)
    with django_assert_max_num_queries(REVIEW_QUERIES):
        page = client.get(review_url(team))
    assert page.status_code == 200
    assert page.text.count('<tr data-manager="') == size


@pytest.mark.parametrize("size", [2, 12])
def test_the_scorecard_query_count_is_flat(client, db, size, django_assert_max_num_queries):
    _team, lead, managers = team_of(size)
    client.force_login(lead)
    with django_assert_max_num_queries(SCORECARD_QUERIES):
        page = client.get(scorecard_url(managers[-1]))
    assert page.status_code == 200
