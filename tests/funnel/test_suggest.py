"""/api/plans/suggest/: SPEC 3.11 plan suggestion (funnel/suggest.py).

Most tests ask for December 2026, so the history is September, October and November 2026
in the team's time zone (Europe/Berlin). Activity is dated on or before 20 November, so
the tests hold whatever day they run on.
"""

import zoneinfo
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from crm import services
from crm.models import CallOutcome
from funnel import reports
from funnel.periods import month_of
from funnel.services import plan_create
from tests import factories

URL = "/api/plans/suggest/"
VETERAN = date(2025, 1, 6)  # hired long before every history period
# Prospects whose contracts, meetings, calls and referrals are counted are created in March,
# before every history period, so they never count as new prospects.
EARLY = datetime(2026, 3, 2, 9, tzinfo=UTC)


def at(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def client_of(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def manager(team, username: str, hired_on: date | None = VETERAN):
    return factories.UserFactory(username=username, profile__team=team, profile__hired_on=hired_on)


def sign(owner, value: str, on: date) -> None:
    prospect = factories.prospect(owner, name=f"deal {on} {value}", created_at=EARLY)
    services.prospect_sign(
        prospect=prospect,
        contract_value=Decimal(value),
        signed_on=on,
        by=owner,
        at=datetime.combine(on, datetime.min.time(), tzinfo=UTC) + timedelta(hours=12),
    )


def contracts(owner, year: int, month: int, values: list[str]) -> None:
    for i, value in enumerate(values):
        sign(owner, value, date(year, month, 2 + i))


def activity(
    owner,
    month: int,
    *,
    meetings: int = 0,
    cancelled: int = 0,
    calls: int = 0,
    new_prospects: int = 0,
    referrals: int = 0,
) -> None:
    """Held (and cancelled) meetings, calls, new prospects and referral asks in a month of
    2026, on days 2…20."""
    client = factories.prospect(owner, name=f"client {month}", created_at=EARLY)
    for i in range(meetings + cancelled):
        meeting = factories.meeting(client, starts_at=at(2026, month, 2 + i % 18, 9 + i // 18))
        if i < meetings:
            services.meeting_hold(meeting=meeting, by=owner)
        else:
            services.meeting_cancel(meeting=meeting, by=owner)
    for i in range(calls):
        services.call_log(
            manager=owner,
            at=at(2026, month, 2 + i % 18, 9 + i // 18),
            outcome=CallOutcome.NO_ANSWER,
            by=owner,
        )
    for i in range(new_prospects):
        factories.prospect(owner, name=f"new {month}-{i}", created_at=at(2026, month, 3 + i))
    for i in range(referrals):
        factories.referral(client, asked_on=date(2026, month, 4 + i))


# The plans are set on 1 December 2026: September to November are over.
NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)


@pytest.fixture(autouse=True)
def pinned_now(monkeypatch):
    monkeypatch.setattr(reports, "now", lambda: NOW)


@pytest.fixture
def team(db):
    return factories.TeamFactory(name="Suggest")


@pytest.fixture
def lead(team):
    return factories.UserFactory(username="lead", profile__team=team, profile__role="lead")


@pytest.fixture
def ann(team):
    """A veteran with three full months before December 2026.

    contracts        Sep 2 (400 + 600), Oct 3 (500 + 500 + 1000), Nov 4 (3 x 1000 + 0.50)
      → mean (2 + 3 + 4) / 3 = 3; x 1.1 = 3.3 → 3
    revenue          1000, 2000, 3000.50 → mean 2000.1666…; x 1.1 = 2200.18333… → 2200.18
    meetings (held)  4, 5, 6 (+ 1 cancelled in November, not counted)
      → mean 5; x 1.1 = 5.5 → 6 (half up)
    calls            10, 12, 14; September's tenth is at 31 Aug 22:30 UTC = 1 Sep 00:30 in
                     Berlin; a call at 31 Aug 21:00 UTC (23:00 in Berlin) is August's
      → mean 12; x 1.1 = 13.2 → 13
    new_prospects    1, 2, 0 (the prospects above are created in March) → 1; x 1.1 = 1.1 → 1
    referrals_asked  0, 0, 3 (+ one asked on 31 August) → mean 1; x 1.1 = 1.1 → 1
    """
    ann = manager(team, "ann")
    contracts(ann, 2026, 9, ["400", "600"])
    contracts(ann, 2026, 10, ["500", "500", "1000"])
    contracts(ann, 2026, 11, ["1000", "1000", "1000", "0.50"])
    activity(ann, 9, meetings=4, calls=9, new_prospects=1)
    activity(ann, 10, meetings=5, calls=12, new_prospects=2)
    activity(ann, 11, meetings=6, cancelled=1, calls=14, referrals=3)
    for moment in (at(2026, 8, 31, 22) + timedelta(minutes=30), at(2026, 8, 31, 21)):
        services.call_log(manager=ann, at=moment, outcome=CallOutcome.TALKED, by=ann)
    factories.referral(factories.prospect(ann, created_at=EARLY), asked_on=date(2026, 8, 31))
    return ann


# --- (1) own history ----------------------------------------------------------------------


def test_own_history_mean_times_growth(lead, ann):
    # given ann's three full months (see the fixture); no colleague has any history
    # when
    response = client_of(lead).get(URL, {"manager": ann.pk, "period": "2026-12"})
    # then
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["report"] == "plan-suggestion"
    assert body["scope"]["manager"] == ann.pk
    assert body["period"] == {"label": "2026-12", "start": "2026-12-01", "end": "2026-12-31"}
    assert body["manager"] == ann.pk
    assert body["username"] == "ann"
    assert body["growth"] == "0.10"
    assert body["basis"] == "own"
    assert body["months_since_hire"] == 23  # January 2025 → December 2026
    assert body["ramp"] is None
    assert [(h["period"], h["start"], h["end"], h["full"]) for h in body["history"]] == [
        ("2026-09", "2026-09-01", "2026-09-30", True),
        ("2026-10", "2026-10-01", "2026-10-31", True),
        ("2026-11", "2026-11-01", "2026-11-30", True),
    ]
    assert [h["actuals"] for h in body["history"]] == [
        {
            "contracts": 2,
            "revenue": "1000.00",
            "meetings": 4,
            "calls": 10,
            "new_prospects": 1,
            "referrals_asked": 0,
        },
        {
            "contracts": 3,
            "revenue": "2000.00",
            "meetings": 5,
            "calls": 12,
            "new_prospects": 2,
            "referrals_asked": 0,
        },
        {
            "contracts": 4,
            "revenue": "3000.50",
            "meetings": 6,
            "calls": 14,
            "new_prospects": 0,
            "referrals_asked": 3,
        },
    ]
    assert body["suggested"] == {
        "contracts": 3,
        "revenue": "2200.18",
        "meetings": 6,
        "calls": 13,
        "new_prospects": 1,
        "referrals_asked": 1,
    }
    # nobody else in the team has three full periods (the lead is not a manager)
    assert body["team_median"] == dict.fromkeys(body["suggested"])


def test_an_existing_plan_does_not_change_the_suggestion(lead, ann):
    # given a December plan already set: the suggestion comes from actuals, not targets
    plan_create(
        manager=ann,
        start=date(2026, 12, 1),
        end=date(2026, 12, 31),
        by=lead,
        targets={"contracts": 50},
    )
    # when
    body = client_of(lead).get(URL, {"manager": ann.pk, "period": "2026-12"}).json()
    # then
    assert body["suggested"]["contracts"] == 3


def test_period_defaults_to_the_one_after_the_current_month(lead, team):
    # given a manager; no period in the request
    bob = manager(team, "bob")
    today = timezone.localtime(NOW, timezone=zoneinfo.ZoneInfo(team.timezone)).date()
    expected = month_of(today).next()
    # when
    body = client_of(lead).get(URL, {"manager": bob.pk}).json()
    # then: next month (January 2027); its history is the last three months that are over
    # (September to November), not the running December
    assert body["period"]["label"] == expected.label == "2027-01"
    assert [h["period"] for h in body["history"]] == ["2026-09", "2026-10", "2026-11"]
    assert body["history"][-1]["complete"] is True


def test_history_skips_the_running_month(lead, ann, monkeypatch):
    # given the December plan set on 23 November: November is not over
    monkeypatch.setattr(reports, "now", lambda: datetime(2026, 11, 23, 9, tzinfo=UTC))
    # when
    body = client_of(lead).get(URL, {"manager": ann.pk, "period": "2026-12"}).json()
    # then: August to October
    assert [h["period"] for h in body["history"]] == ["2026-08", "2026-09", "2026-10"]


# --- (2) growth ---------------------------------------------------------------------------


def test_growth_parameter(lead, ann):
    # given ann (fixture); growth 20%:
    #   contracts 3 x 1.2 = 3.6 → 4; revenue 2000.1666… x 1.2 = 2400.20; meetings 5 x 1.2 = 6;
    #   calls 12 x 1.2 = 14.4 → 14; new_prospects and referrals 1 x 1.2 = 1.2 → 1
    # when
    response = client_of(lead).get(URL, {"manager": ann.pk, "period": "2026-12", "growth": "0.2"})
    # then
    assert response.status_code == 200
    assert response.json()["growth"] == "0.20"
    assert response.json()["suggested"] == {
        "contracts": 4,
        "revenue": "2400.20",
        "meetings": 6,
        "calls": 14,
        "new_prospects": 1,
        "referrals_asked": 1,
    }


def test_negative_growth_for_a_declining_market(lead, ann):
    # contracts 3 x 0.9 = 2.7 → 3; revenue 2000.1666… x 0.9 = 1800.15; calls 12 x 0.9 = 10.8 → 11
    params = {"manager": ann.pk, "period": "2026-12", "growth": "-0.1"}
    body = client_of(lead).get(URL, params).json()
    assert body["growth"] == "-0.10"
    assert body["suggested"]["revenue"] == "1800.15"
    assert body["suggested"]["calls"] == 11


@pytest.mark.parametrize("growth", ["abc", "15", "1.5", "-1", "NaN", "0.12345", "1e-1", "0,1"])
def test_bad_growth_is_a_400_naming_growth(lead, team, growth):
    bob = manager(team, "bob")
    response = client_of(lead).get(URL, {"manager": bob.pk, "period": "2026-12", "growth": growth})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["growth"]


# --- (3) new hires: team median x ramp ----------------------------------------------------


@pytest.fixture
def veterans(team, lead):
    """Three veterans (100 per contract, 100.10 for v2) and, to be left out of the median, a
    lead with no activity and a manager of another team with a lot.

    contracts  v1 1, 1, 1 → 1;  v2 3, 3, 3 → 3;  v3 4, 5, 6 → 5;  median 3
    revenue    v1 100 → 100;  v2 300.30 → 300.30;  v3 400, 500, 600 → 500;  median 300.30
    calls      v1 3, 3, 3 → 3;  v2 0 → 0;  v3 6, 6, 6 → 6;  median 3
    With the lead counted (0, 0) the medians would be 2 and 200.20.
    """
    v1, v2, v3 = manager(team, "v1"), manager(team, "v2"), manager(team, "v3")
    outsider = manager(factories.TeamFactory(name="Elsewhere"), "outsider")
    for month in (9, 10, 11):
        contracts(v1, 2026, month, ["100"])
        contracts(v2, 2026, month, ["100.10"] * 3)
        contracts(v3, 2026, month, ["100"] * (month - 5))
        contracts(outsider, 2026, month, ["9999"] * 5)
        activity(v1, month, calls=3)
        activity(v3, month, calls=6)
    return v1, v2, v3


@pytest.mark.parametrize(
    ("hired_on", "months", "ramp", "contracts_", "revenue", "calls"),
    [
        # hired in December, the period's month: 1st month, 50%
        #   3 x 0.5 = 1.5 → 2; 300.30 x 0.5 = 150.15; 3 x 0.5 = 1.5 → 2
        (date(2026, 12, 1), 0, 0.5, 2, "150.15", 2),
        # hired after the period starts: still the 1st month
        (date(2026, 12, 14), 0, 0.5, 2, "150.15", 2),
        # hired in November, the month before: 2nd month, 75%
        #   3 x 0.75 = 2.25 → 2; 300.30 x 0.75 = 225.225 → 225.23 (half up); 2.25 → 2
        (date(2026, 11, 10), 1, 0.75, 2, "225.23", 2),
        # hired in October: 3rd month, 100%, but only November is a full month
        (date(2026, 10, 15), 2, 1.0, 3, "300.30", 3),
        # hired on 2 September: September is not full (2 full months) → median x 100%
        (date(2026, 9, 2), 3, 1.0, 3, "300.30", 3),
    ],
)
def test_new_hire_gets_the_team_median_times_the_ramp(
    team, veterans, hired_on, months, ramp, contracts_, revenue, calls
):
    # given the veterans and a new hire with a little activity of their own
    new = manager(team, "new", hired_on)
    contracts(new, 2026, 11, ["5000"] * 2)
    admin = factories.UserFactory(username="root", is_superuser=True, profile=None)
    # when an admin asks
    body = client_of(admin).get(URL, {"manager": new.pk, "period": "2026-12"}).json()
    # then
    assert body["basis"] == "team_median"
    assert body["months_since_hire"] == months
    assert body["ramp"] == ramp
    assert body["team_median"]["contracts"] == 3
    assert body["team_median"]["revenue"] == "300.30"
    assert body["team_median"]["calls"] == 3
    assert body["suggested"]["contracts"] == contracts_
    assert body["suggested"]["revenue"] == revenue
    assert body["suggested"]["calls"] == calls
    assert body["suggested"]["meetings"] == 0
    assert body["history"][-1]["actuals"]["contracts"] == 2


def test_hired_on_the_first_day_of_the_oldest_period_has_own_history(team, veterans, lead):
    # given a manager hired on 1 September with 3, 3, 0 contracts: all three months are full
    #   → own basis: mean 2 x 1.1 = 2.2 → 2
    sep = manager(team, "sep", date(2026, 9, 1))
    contracts(sep, 2026, 9, ["10"] * 3)
    contracts(sep, 2026, 10, ["10"] * 3)
    # when
    body = client_of(lead).get(URL, {"manager": sep.pk, "period": "2026-12"}).json()
    # then
    assert body["basis"] == "own"
    assert [h["full"] for h in body["history"]] == [True, True, True]
    assert body["suggested"]["contracts"] == 2


def test_team_median_is_of_the_other_managers(team, veterans, lead):
    # given v1 asks about themselves: the median is of v2 (3) and v3 (5): 4;
    #   revenue (300.30 + 500) / 2 = 400.15; own basis: 1 x 1.1 = 1.1 → 1
    v1, _, _ = veterans
    body = client_of(v1).get(URL, {"manager": v1.pk, "period": "2026-12"}).json()
    assert body["basis"] == "own"
    assert body["team_median"]["contracts"] == 4
    assert body["team_median"]["revenue"] == "400.15"
    assert body["suggested"]["contracts"] == 1
    assert body["suggested"]["revenue"] == "110.00"


def test_new_hire_without_colleagues_with_history_gets_no_suggestion(lead, team):
    new = manager(team, "new", date(2026, 11, 2))
    body = client_of(lead).get(URL, {"manager": new.pk, "period": "2026-12"}).json()
    assert body["basis"] is None
    assert body["ramp"] is None
    assert set(body["suggested"].values()) == {None}
    assert set(body["team_median"].values()) == {None}


# --- (4) team median, even count ----------------------------------------------------------


def test_team_median_of_an_even_number_of_managers(lead, team):
    # given four veterans (100 per contract):
    #   w1 0, 0, 0 → 0;  w2 1, 1, 2 → 4/3;  w3 2, 2, 2 → 2;  w4 5, 5, 5 → 5
    #   median = (4/3 + 2) / 2 = 5/3 = 1.6666… (shown 1.67); revenue 166.666… (166.67)
    # and three new hires:
    #   1st month: 5/3 x 0.5 = 0.8333… → 1;   revenue 83.333… → 83.33
    #   2nd month: 5/3 x 0.75 = 1.25 → 1;     revenue 125.00
    #   3rd month: 5/3 x 1 = 1.666… → 2;      revenue 166.67
    manager(team, "w1")
    w2, w3, w4 = manager(team, "w2"), manager(team, "w3"), manager(team, "w4")
    for month, (n2, n3, n4) in zip((9, 10, 11), ((1, 2, 5), (1, 2, 5), (2, 2, 5)), strict=True):
        contracts(w2, 2026, month, ["100"] * n2)
        contracts(w3, 2026, month, ["100"] * n3)
        contracts(w4, 2026, month, ["100"] * n4)
    hires = {
        "first": (date(2026, 12, 1), 1, "83.33"),
        "second": (date(2026, 11, 1), 1, "125.00"),
        "third": (date(2026, 10, 1), 2, "166.67"),
    }
    client = client_of(lead)
    for username, (hired_on, expected_contracts, expected_revenue) in hires.items():
        new = manager(team, username, hired_on)
        # when
        body = client.get(URL, {"manager": new.pk, "period": "2026-12"}).json()
        # then
        assert body["team_median"]["contracts"] == 1.67, username
        assert body["team_median"]["revenue"] == "166.67", username
        assert body["suggested"]["contracts"] == expected_contracts, username
        assert body["suggested"]["revenue"] == expected_revenue, username


def test_ramped_half_cent_rounds_up_exactly(lead, team):
    # given three veterans with revenue sums 100.06, 100.06, 100.06 → median mean
    #   33.35333…; the 2nd-month hire gets 100.06 / 3 x 0.75 = 25.015 exactly → 25.02
    #   (a mean rounded to 28 digits would give 25.0149… → 25.01)
    for name in ("x1", "x2", "x3"):
        veteran = manager(team, name)
        contracts(veteran, 2026, 9, ["100.06"])
    new = manager(team, "new", date(2026, 11, 5))
    body = client_of(lead).get(URL, {"manager": new.pk, "period": "2026-12"}).json()
    assert body["team_median"]["revenue"] == "33.35"
    assert body["suggested"]["revenue"] == "25.02"


# --- (5) other period kinds ---------------------------------------------------------------


def test_quarter_uses_the_three_previous_quarters(lead, team, monkeypatch):
    # given the first-quarter plans set on 2 January 2027, when 2026-Q4 is over;
    # a veteran with contracts 2026-Q2 1, Q3 2, Q4 3 → mean 2 x 1.1 = 2.2 → 2
    # and a hire of 1 May 2026: Q2 is not full, Q3 and Q4 are (2 < 3) → team median (2) x
    # ramp 100% (January 2027 is their 9th month) = 2
    vet = manager(team, "vet")
    contracts(vet, 2026, 5, ["100"])
    contracts(vet, 2026, 8, ["100", "100"])
    contracts(vet, 2026, 10, ["100", "100"])
    contracts(vet, 2026, 11, ["100"])
    may = manager(team, "may", date(2026, 5, 1))
    monkeypatch.setattr(reports, "now", lambda: datetime(2027, 1, 2, 9, tzinfo=UTC))
    client = client_of(lead)
    # when
    own = client.get(URL, {"manager": vet.pk, "period": "2027-Q1"}).json()
    hire = client.get(URL, {"manager": may.pk, "period": "2027-Q1"}).json()
    # then
    assert [(h["period"], h["full"]) for h in own["history"]] == [
        ("2026-Q2", True),
        ("2026-Q3", True),
        ("2026-Q4", True),
    ]
    assert [h["actuals"]["contracts"] for h in own["history"]] == [1, 2, 3]
    assert own["basis"] == "own"
    assert own["suggested"]["contracts"] == 2
    assert own["suggested"]["revenue"] == "220.00"
    assert [h["full"] for h in hire["history"]] == [False, True, True]
    assert hire["basis"] == "team_median"
    assert hire["months_since_hire"] == 8
    assert hire["ramp"] == 1.0
    assert hire["suggested"]["contracts"] == 2


@pytest.mark.parametrize(
    ("params", "labels"),
    [
        ({"period": "2026-W48"}, ["2026-W45", "2026-W46", "2026-W47"]),
        ({"period": "2026-w01"}, ["2025-W50", "2025-W51", "2025-W52"]),
        (
            {"start": "2026-11-01", "end": "2026-11-10"},
            ["2026-10-02..2026-10-11", "2026-10-12..2026-10-21", "2026-10-22..2026-10-31"],
        ),
    ],
)
def test_weeks_and_ranges_use_three_previous_periods_of_the_same_length(lead, team, params, labels):
    bob = manager(team, "bob")
    body = client_of(lead).get(URL, {"manager": bob.pk, **params}).json()
    assert [h["period"] for h in body["history"]] == labels


def test_week_counts_in_the_team_time_zone(lead, team):
    # given calls on Sunday 15 Nov 23:30 UTC (Monday 16 Nov 00:30 Berlin, W47) and on
    # Sunday 15 Nov 22:00 UTC (23:00 Berlin, W46), one held meeting in W45
    bob = manager(team, "bob")
    for moment in (at(2026, 11, 15, 23) + timedelta(minutes=30), at(2026, 11, 15, 22)):
        services.call_log(manager=bob, at=moment, outcome=CallOutcome.TALKED, by=bob)
    client = factories.prospect(bob, created_at=EARLY)
    services.meeting_hold(meeting=factories.meeting(client, starts_at=at(2026, 11, 4)), by=bob)
    # when
    body = client_of(lead).get(URL, {"manager": bob.pk, "period": "2026-W48"}).json()
    # then: W45, W46, W47
    assert [h["actuals"]["calls"] for h in body["history"]] == [0, 1, 1]
    assert [h["actuals"]["meetings"] for h in body["history"]] == [1, 0, 0]
    # (0 + 1 + 1) / 3 x 1.1 = 0.733… → 1; meetings 1/3 x 1.1 = 0.366… → 0
    assert body["suggested"]["calls"] == 1
    assert body["suggested"]["meetings"] == 0


def test_a_range_reaching_before_the_calendar_is_a_400(lead, team):
    bob = manager(team, "bob")
    response = client_of(lead).get(
        URL, {"manager": bob.pk, "start": "0002-01-01", "end": "0002-12-31"}
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["start"]


# --- (6) permissions ----------------------------------------------------------------------


def test_manager_may_ask_for_themselves_only(team):
    me, mate = manager(team, "me"), manager(team, "mate")
    client = client_of(me)
    assert client.get(URL, {"manager": me.pk, "period": "2026-12"}).status_code == 200
    assert client.get(URL, {"manager": mate.pk, "period": "2026-12"}).status_code == 404


def test_lead_may_not_ask_for_another_teams_manager(lead, team, stranger):
    assert client_of(lead).get(URL, {"manager": stranger.pk}).status_code == 404


def test_admin_may_ask_for_anyone(stranger):
    admin = factories.UserFactory(username="root", is_superuser=True, profile=None)
    assert client_of(admin).get(URL, {"manager": stranger.pk}).status_code == 200


@pytest.mark.parametrize("params", [{}, {"manager": ""}, {"period": "2026-12"}])
def test_missing_manager_is_a_400_naming_manager(lead, params):
    response = client_of(lead).get(URL, params)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["manager"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"manager": "x"}, "manager"),
        ({"period": "2026-13"}, "period"),
        ({"start": "2026-11-01"}, "end"),
    ],
)
def test_bad_parameters_are_a_400_naming_them(lead, team, params, field):
    bob = manager(team, "bob")
    response = client_of(lead).get(URL, {"manager": bob.pk, **params})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]


def test_anonymous_is_refused(team):
    bob = manager(team, "bob")
    assert APIClient().get(URL, {"manager": bob.pk}).status_code == 401


# --- (7) query count ----------------------------------------------------------------------


@pytest.mark.parametrize("managers", [2, 40])
def test_query_count_is_flat(db, managers):
    # given a team of `managers` veterans, each with a contract, a call, a held meeting,
    # a referral ask and a new prospect in each history month, and a new hire
    team = factories.TeamFactory(name=f"Flat {managers}")
    lead = factories.UserFactory(profile__team=team, profile__role="lead")
    for i in range(managers):
        veteran = manager(team, f"flat{managers}-{i}")
        for month in (9, 10, 11):
            contracts(veteran, 2026, month, ["100"])
            activity(veteran, month, meetings=1, calls=1, new_prospects=1, referrals=1)
    new = manager(team, f"flat{managers}-new", date(2026, 11, 2))
    client = client_of(lead)
    # when
    with CaptureQueriesContext(connection) as captured:
        response = client.get(URL, {"manager": new.pk, "period": "2026-12"})
    # then
    assert response.status_code == 200
    body = response.json()
    assert body["basis"] == "team_median"
    # median 1 of everything x 75% = 0.75 → 1; revenue 100 x 0.75 = 75.00
    assert body["suggested"] == {
        "contracts": 1,
        "revenue": "75.00",
        "meetings": 1,
        "calls": 1,
        "new_prospects": 1,
        "referrals_asked": 1,
    }
    # the scope (the teams, the manager asked about), then for each of the 3 history
    # months the plan report's own two queries: the team's managers and their actuals
    assert len(captured) == 8, "\n".join(q["sql"] for q in captured)
