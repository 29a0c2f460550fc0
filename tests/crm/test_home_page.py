"""The home page (crm.pages.home): agenda, quick log, own funnel, plan pace, ratings, stale
prospects, calendar links; by role; with a flat query count.

The clock is Monday 23 November 2026, 12:00 UTC (13:00 in Berlin, the test team's zone).
November 2026 has 21 working days (Mon-Fri: 2-6, 9-13, 16-20, 23-27, 30); 16 of them are
gone on the 23rd (2-6, 9-13, 16-20 and the 23rd itself).
"""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.urls import reverse as real_reverse

from crm import context_processors, pages, services
from crm.models import CallOutcome
from events import services as event_services
from funnel import reports
from funnel import services as funnel_services
from tests import factories
from tests.factories import moment

EN_DASH = "\N{EN DASH}"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _today_is_monday_23_november(monkeypatch):
    for module in (pages, reports, context_processors):
        monkeypatch.setattr(module, "now", lambda: NOW)


@pytest.fixture
def month(manager):
    """A manager's November, worked by hand.

    Created in November (2 Nov 09:00 UTC): Acme (called on 20 Nov, talked: lead →
    contacted; met on 5 Nov, held: → meeting) and Beta (stays a lead, never touched).
    Plan: 8 held meetings in November.
    """
    acme = factories.prospect(manager, name="Acme")
    beta = factories.prospect(manager, name="Beta")
    held = factories.meeting(acme, starts_at=moment(5, 10))
    services.meeting_hold(meeting=held, by=manager, decision_maker_present=False)
    services.call_log(
        manager=manager, by=manager, prospect=acme, at=moment(20, 9), outcome=CallOutcome.TALKED
    )
    funnel_services.plan_create(
        manager=manager,
        start=date(2026, 11, 1),
        end=date(2026, 11, 30),
        by=None,
        targets={"meetings": 8},
    )
    return {"acme": acme, "beta": beta}


def main(html: str) -> str:
    return html[html.index("<main") : html.index("</main>")]


def row(html: str, attribute: str, value: str) -> str:
    """The table row (<tr ...>...</tr>) carrying data-<attribute>="<value>"."""
    found = re.search(rf'<tr data-{attribute}="{value}">(.*?)</tr>', html, re.S)
    assert found, f"no row {attribute}={value}"
    return re.sub(r"\s+", " ", found.group(1))


def cells(row_html: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>", "", cell).strip()
        for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row_html, re.S)
    ]


# --- who may see it --------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_anonymous_visitor_is_sent_to_the_login(client):
    answer = client.get("/")
    assert answer.status_code == 302
    assert answer["Location"] == "/login/?next=/"


def test_the_home_never_writes(client, manager, month, nothing_written):
    client.force_login(manager)
    with nothing_written():
        assert client.get("/", {"period": "2026-11"}).status_code == 200
        assert client.post("/").status_code == 405


def test_a_manager_sees_only_their_own_numbers_whatever_the_query(client, manager, stranger, month):
    theirs = factories.prospect(stranger, name="Stranger Deal")
    factories.meeting(theirs, starts_at=moment(23, 14))
    client.force_login(manager)

    page = client.get("/", {"period": "2026-11", "manager": stranger.pk, "team": 999})

    assert page.status_code == 200
    assert "Stranger Deal" not in page.text
    charts = re.findall(r'src="(/charts/[^"]+?)&amp;v=\d+"', page.text)
    assert charts == [  # the manager's own, whatever the query asked for
        f"/charts/funnel.svg?period=2026-11&amp;manager={manager.pk}",
        f"/charts/plan.svg?period=2026-11&amp;manager={manager.pk}",
    ]


# --- the numbers of the period ---------------------------------------------------------------


def test_the_funnel_is_the_cohort_of_the_period(client, manager, month):
    client.force_login(manager)
    html = client.get("/", {"period": "2026-11"}).text

    # cohort: Acme and Beta; reached lead 2, contacted 1 (Acme), meeting 1 (Acme), then 0
    assert cells(row(html, "stage", "lead")) == ["lead", "2", "50%"]  # 1 of 2 on
    assert cells(row(html, "stage", "contacted")) == ["contacted", "1", "100%"]
    assert cells(row(html, "stage", "meeting")) == ["meeting", "1", "0%"]
    assert cells(row(html, "stage", "proposal")) == ["proposal", "0", "—"]  # 0 ÷ 0
    assert cells(row(html, "stage", "contract")) == ["contract", "0", ""]
    assert "The 2 prospects you created in the period" in html
    assert "16 of 21 working days gone" in html


def test_the_funnel_chart_has_its_alt_text_and_a_text_version(client, manager, month):
    client.force_login(manager)
    html = client.get("/", {"period": "2026-11"}).text

    query = f"period=2026-11&amp;manager={manager.pk}"
    assert re.search(
        rf'<img src="/charts/funnel.svg\?{query}&amp;v=\d+" alt="{manager.username}, 2026-11\.',
        html,
    )
    assert f'<a href="/charts/funnel.txt?{query}">The funnel chart as text</a>' in html
    assert re.search(rf'<img src="/charts/plan.svg\?{query}&amp;v=\d+" alt="', html)


def test_plan_pace_per_metric_with_overage(client, manager, month):
    client.force_login(manager)
    html = client.get("/", {"period": "2026-11"}).text

    # meetings: 1 held of 8 → attainment 12.5% (shown 13%), overage 1 - 8 = -7;
    # expected by now 8 * 16 ÷ 21 = 6.095 → 6.10; pace 1 ÷ 6.095 = 0.164 → 16%: off track
    found = row(html, "metric", "meetings")
    assert cells(found)[:3] == ["Held meetings", "8", "1"]
    assert "13%" in cells(found)[3]
    assert cells(found)[4:6] == ["\N{MINUS SIGN}7", "6.10"]
    assert "off track" in cells(found)[6]
    assert "16%" in cells(found)[6]
    assert 'class="plan-bar__fill" style="width: 12.5%"' in found  # scale 0-100%
    # the metrics without a target show their actuals
    assert "Without a target: Contracts signed 0; Revenue 0.00; Calls 1;" in html


def test_overage_past_the_target_shows_on_the_bar(client, manager, month):
    acme = month["acme"]
    for day in (9, 10, 11, 12, 13, 16, 17, 18, 19):  # 9 more held: 10 of 8
        meeting = factories.meeting(acme, starts_at=moment(day, 10))
        services.meeting_hold(meeting=meeting, by=manager)
    client.force_login(manager)

    found = row(client.get("/", {"period": "2026-11"}).text, "metric", "meetings")

    # 10 of 8 = 125%, overage +2; the scale stretches to 125%: the target mark at
    # 1 ÷ 1.25 = 80%, the bar's part up to it 80%, the overage 0.25 ÷ 1.25 = 20%
    assert cells(found)[1:3] == ["8", "10"]
    assert "125%" in cells(found)[3]
    assert cells(found)[4] == "+2"
    assert "exceeded" in cells(found)[6]
    assert 'class="plan-bar__fill" style="width: 80.0%"' in found
    assert 'class="plan-bar__over" style="width: 20.0%"' in found
    assert 'class="plan-bar__target" style="left: 80.0%"' in found


def test_without_a_plan_the_actuals_still_show(client, manager):
    factories.prospect(manager, name="Solo")
    client.force_login(manager)
    html = client.get("/", {"period": "2026-11"}).text
    assert "No plan for this period yet" in html
    assert "<li>New prospects: 1</li>" in html


def test_the_benchmark_rating_names_its_sector_rule(client, manager, month):
    client.force_login(manager)
    html = client.get("/", {"period": "2026-11"}).text

    # meetings per working day: 1 held ÷ 16 elapsed working days = 0.0625 (shown 0.06),
    # below the b2b band of 1-2
    rating = re.search(r'<li class="rating" data-metric="meetings_per_day">(.*?)</li>', html, re.S)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", rating.group(1))).strip()
    assert 'class="badge badge--below">below</span>' in rating.group(1)
    assert f"held meetings per working day: 0.06 (good: 1{EN_DASH}2)" in text
    assert f"B2B: 1{EN_DASH}2 meetings a day is good" in text


def test_stale_prospects_link_to_their_pages(client, manager, month):
    client.force_login(manager)
    html = client.get("/", {"period": "2026-11"}).text

    # Beta: open, never touched since 2 Nov: 21 days idle > 14 (the default rotting days).
    # Acme: called on 20 Nov, 3 days idle: not stale.
    stale = html[html.index('id="stale-title"') :]
    stale = stale[: stale.index("</table>")]
    beta = month["beta"]
    assert f'<a href="/prospects/{beta.pk}/">Beta</a>' in stale
    assert cells(re.search(r"<tbody>\s*<tr>(.*?)</tr>", stale, re.S).group(1)) == [
        "Beta",
        "lead",
        "never",
        "21",
        "14",
    ]
    assert "Acme" not in stale


def test_a_bad_period_is_a_400_saying_why(client, manager, month):
    client.force_login(manager)
    page = client.get("/", {"period": "2026-13"})
    assert page.status_code == 400
    assert 'class="form-errors" role="alert"' in page.text
    assert "Your agenda" in page.text  # the rest of the page still works


# --- the agenda ------------------------------------------------------------------------------


@pytest.fixture
def week(manager, stranger):
    """This week (Mon 23 - Sun 29 Nov), in Berlin time (UTC+1)."""
    acme = factories.prospect(manager, name="Acme")
    today = factories.meeting(acme, starts_at=moment(23, 14))  # 15:00 Berlin, today
    wednesday = factories.meeting(acme, starts_at=moment(25, 8), minutes=30)  # 09:00-09:30
    cancelled = factories.meeting(acme, starts_at=moment(24, 8))
    services.meeting_cancel(meeting=cancelled, by=manager)
    factories.meeting(acme, starts_at=moment(20, 8))  # last week: not shown
    factories.meeting(acme, starts_at=moment(30, 8))  # next week: not shown
    expo = factories.event(name="Nordic Expo", starts_at=moment(26, 8))
    event_services.event_attend(event=expo, manager=manager)
    other = factories.event(name="Someone else's fair", starts_at=moment(26, 8))
    event_services.event_attend(event=other, manager=stranger)
    return {"acme": acme, "today": today, "wednesday": wednesday, "expo": expo}


def test_the_agenda_shows_today_and_this_week_in_the_users_zone(client, manager, week):
    client.force_login(manager)
    html = main(client.get("/").text)

    today = html[html.index('id="agenda-today"') : html.index('id="agenda-week"')]
    assert f"15:00</time>{EN_DASH}<time" in today  # 14:00 UTC is 15:00 in Berlin
    assert f'<a href="/prospects/{week["acme"].pk}/">Acme</a>' in today
    assert f'href="/api/meetings/{week["today"].pk}/ics/"' in today
    assert f"This week (23 Nov {EN_DASH} 29 Nov 2026)" in html
    rest = html[html.index('id="agenda-week"') : html.index('id="quick-log-title"')]
    assert rest.index("Tuesday 24 November") < rest.index("Wednesday 25 November")
    assert rest.index("Wednesday 25 November") < rest.index("Thursday 26 November")
    assert f"09:00</time>{EN_DASH}<time" in rest
    assert "09:30</time>" in rest
    assert "agenda__item--cancelled" in rest
    assert '<span class="status status--cancelled">cancelled</span>' in rest
    assert f'<a href="/events/{week["expo"].pk}/">Nordic Expo</a>' in rest
    assert f'href="/api/events/{week["expo"].pk}/ics/"' in rest
    assert "Someone else" not in html
    assert html.count('class="agenda__item ') == 4  # today, Tue, Wed, the expo


def test_the_home_has_the_quick_log_forms_and_the_calendar_links(client, manager, month):
    client.force_login(manager)
    html = client.get("/").text

    for name in ("log-call", "log-meeting", "log-referral"):
        assert f'action="{real_reverse(name)}"' in html
    assert '<input type="hidden" name="next" value="/">' in html
    token = manager.profile.calendar_token
    assert f'value="http://testserver/calendar/{token}.ics" readonly' in html
    assert f'href="webcal://testserver/calendar/{token}.ics"' in html
    assert f'href="{real_reverse("calendar-page")}"' in html


# --- leads and admins ------------------------------------------------------------------------


def test_a_lead_gets_their_agenda_quick_log_and_the_team_review(client, lead, team):
    acme = factories.prospect(lead, name="Lead's Own")
    factories.meeting(acme, starts_at=moment(23, 14))
    client.force_login(lead)

    page = client.get("/")

    assert page.status_code == 200
    html = main(page.text)
    assert f'<a class="button" href="/review/?team={team.pk}">Open the team review</a>' in html
    assert "Lead&#x27;s Own" in html
    assert 'action="/log/meeting/"' in html
    assert "Your numbers" not in html  # a lead's numbers are the team's, in the review


def test_the_review_link_keeps_the_period(client, lead, team):
    client.force_login(lead)
    html = client.get("/", {"period": "2026-Q4"}).text
    assert f'href="/review/?team={team.pk}&amp;period=2026-Q4">Open the team review' in html


def test_an_admin_without_a_team_gets_a_working_home(client, db):
    admin = factories.UserFactory(profile=None, is_superuser=True, is_staff=True)
    client.force_login(admin)

    page = client.get("/")

    assert page.status_code == 200
    assert '<a class="button" href="/review/">Open the team review</a>' in page.text
    assert "Nothing on your calendar today." in page.text


# --- query count -----------------------------------------------------------------------------


@pytest.mark.parametrize("size", [2, 40])
def test_the_query_count_is_flat(client, manager, size, django_assert_max_num_queries):
    for n in range(size):
        prospect = factories.prospect(manager, name=f"P{n}")
        meeting = factories.meeting(prospect, starts_at=moment(23, 8) + timedelta(minutes=n))
        if n % 2:
            services.meeting_hold(meeting=meeting, by=manager)
        expo = factories.event(name=f"E{n}", starts_at=moment(24, 8))
        event_services.event_attend(event=expo, manager=manager)
    funnel_services.plan_create(
        manager=manager,
        start=date(2026, 11, 1),
        end=date(2026, 11, 30),
        by=None,
        targets={"meetings": 8, "calls": 20},
    )
    client.force_login(manager)

    # 23 at both sizes: the charts' alt texts come from the reports the page already has
    with django_assert_max_num_queries(23):
        page = client.get("/", {"period": "2026-11"})

    assert page.status_code == 200
    assert page.text.count('class="agenda__item ') == 2 * size
