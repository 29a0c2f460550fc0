"""/api/reports/scorecard/: every metric of SPEC section 3 per manager, worked by hand.

One b2b team in Europe/Berlin (Mon-Fri, no holidays). P = October 2026: 22 working
days, all elapsed (today is pinned to Monday 23 November 2026). Times are 10:00 UTC,
12:00 in Berlin, so every local day is the UTC day.
"""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from crm import services
from funnel import reports
from funnel.services import plan_create
from tests import factories

TODAY = datetime(2026, 11, 23, 9, tzinfo=UTC)


def at(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def new(m, name: str, month: int, day: int, **kwargs):
    return factories.prospect(m, name=name, created_at=at(month, day), **kwargs)


def sign(p, value: str, month: int, day: int) -> None:
    services.prospect_sign(
        prospect=p,
        contract_value=Decimal(value),
        signed_on=date(2026, month, day),
        by=p.owner,
        at=at(month, day),
    )


def lose(p, month: int, day: int) -> None:
    services.prospect_lose(prospect=p, reason="budget", by=p.owner, at=at(month, day))


def held(p, month: int, day: int, *, dm: bool = False) -> None:
    meeting = services.meeting_plan(
        manager=p.owner,
        prospect=p,
        starts_at=at(month, day),
        ends_at=at(month, day, 11),
        by=p.owner,
    )
    services.meeting_hold(meeting=meeting, by=p.owner, decision_maker_present=dm, at=TODAY)


@pytest.fixture(autouse=True)
def pinned_today(monkeypatch):
    monkeypatch.setattr(reports, "now", lambda: TODAY)


@pytest.fixture
def scorecard(db):
    """Manager m (plan: 5 contracts in October) and m2 (no plan), team "Card", sector b2b
    (meetings_per_day 1-2), rotting days 30 for stage meeting, 14 for the others.

    Won in October (SPEC 3.2): W1 created 1 Sep, signed 12 Oct, 1000 (cycle 41 days);
    W2 created 2 Oct from a referral, signed 12 Oct, 3000 (cycle 10); W3 created 21 Sep,
    signed 21 Oct, 2000 (cycle 30). Lost: L1 (created 10 Sep) on 15 Oct.
      won 3, lost 1 → win_rate 0.75; cycles 10, 30, 41 → median 30, mean 81/3 = 27.
    Open at the start of October, from the history: created before it are W1 W3 L1 O1 X
    Y Pa Pb Pc (9); X was lost on 20 Sep, Y lost on 25 Sep and reopened on 5 Oct, so both
    were closed on 1 Oct → open_at_start 7 (W1 W3 L1 O1 Pa Pb Pc).
      velocity = 7 * 0.75 * (6000 / 3) * 30 / 27 = 315000 / 27 = 11666.67 per 30 days.
    Cohort (created in October): W2 (lead → contract by signing) and R (lead, from the
      referral received on 20 Oct): reached lead 2, contacted 1, meeting 1, proposal 1,
      contract 1 → overall 0.5, one_in_n 2.
    Held meetings in October: Pa 6 Oct; Pb 7, 8, 9 Oct; Pc 13 Oct = 5 (a cancelled and a
      no-show one on Pa do not count) → meetings_per_day 5 / 22 = 0.2273: below b2b's 1.
      Calls: 5 cold calls on 1 Oct and 6 on 2 Oct = 11 → calls_per_day 0.5.
    Decision makers: Pa had one on 15 Sep (before P: counts), Pb never, Pc only on 3 Nov
      (after P) → dm_reach 1/3. Stalled now: Pb (open, 3 held, no decision maker).
    Alternation, active working days: 1 Oct (5 calls), 2 Oct (6 calls), 6, 7, 8, 9, 13 Oct
      (1 meeting each) → C C M M M M M: 1 switch / 6 = 0.1667; meeting days 5/7 = 0.7143.
    Stale on 23 Nov: O1 was called on 20 Nov (fresh, idle 3); Y (reopened, no touch since
      its creation on 4 Sep, idle 80 > 14), R (created 20 Oct, idle 34), Pa (meeting stage,
      last touch 6 Oct, idle 48 > 30), Pb (idle 45) are stale; Pc (last touch 3 Nov,
      idle 20 ≤ 30) is not → stale 4.
    Referrals: asked 28 Sep of X → received 2 Oct (W2); asked 3 Oct of W1 → received 20 Oct
      (R); asked 4 Oct of W3 → declined 22 Oct; asked 5 Oct of L1, pending.
      asked in October 3, received 2, declined 1; asks_per_contract 3/3 = 1.
      referral_conversion: the cohort's referral prospects W2 (signed) and R → 1/2.
    Coverage: remaining 5 - 3 = 2. m's own cohort over April-September has 9 prospects
      (< 20) and b2b has no lead_to_contract benchmark, so the team's rate is used: m's 9
      (W1 and W3 signed) plus m2's 20 created in June (4 signed in July) → 6/29.
      required = ceil(2 / (6/29)) = ceil(9.67) = 10; open now O1 Y Pa Pb Pc R = 6 →
      coverage 0.6. m2: own cohort of 20 → own rate 4/20 = 0.2; no plan → no coverage.
    """
    team = factories.TeamFactory(name="Card", rotting_days={"meeting": 30})
    lead = factories.UserFactory(username="lead", profile__team=team, profile__role="lead")
    m = factories.UserFactory(username="m", profile__team=team)
    m2 = factories.UserFactory(username="m2", profile__team=team)
    plan_create(
        manager=m,
        start=date(2026, 10, 1),
        end=date(2026, 10, 31),
        by=lead,
        targets={"contracts": 5},
    )
    w1 = new(m, "W1", 9, 1)
    w3 = new(m, "W3", 9, 21)
    l1 = new(m, "L1", 9, 10)
    o1 = new(m, "O1", 9, 5)
    x = new(m, "X", 9, 3)
    y = new(m, "Y", 9, 4)
    pa, pb, pc = new(m, "Pa", 9, 1), new(m, "Pb", 9, 1), new(m, "Pc", 9, 1)
    lose(x, 9, 20)
    lose(y, 9, 25)
    services.prospect_reopen(prospect=y, by=m, at=at(10, 5))
    r0 = services.referral_ask(manager=m, from_prospect=x, asked_on=date(2026, 9, 28), by=m)
    w2 = services.referral_receive(referral=r0, by=m, name="W2", at=at(10, 2)).referred_prospect
    sign(w1, "1000", 10, 12)
    sign(w2, "3000", 10, 12)
    sign(w3, "2000", 10, 21)
    lose(l1, 10, 15)
    r1 = services.referral_ask(manager=m, from_prospect=w1, asked_on=date(2026, 10, 3), by=m)
    services.referral_receive(referral=r1, by=m, name="R", at=at(10, 20))
    r2 = services.referral_ask(manager=m, from_prospect=w3, asked_on=date(2026, 10, 4), by=m)
    services.referral_decline(referral=r2, by=m, at=at(10, 22))
    services.referral_ask(manager=m, from_prospect=l1, asked_on=date(2026, 10, 5), by=m)
    held(pa, 9, 15, dm=True)
    held(pa, 10, 6)
    for day in (7, 8, 9):
        held(pb, 10, day)
    held(pc, 10, 13)
    held(pc, 11, 3, dm=True)
    for day, status in ((14, "cancel"), (15, "no_show")):
        meeting = services.meeting_plan(
            manager=m, prospect=pa, starts_at=at(10, day), ends_at=at(10, day, 11), by=m
        )
        if status == "cancel":
            services.meeting_cancel(meeting=meeting, by=m)
        else:
            services.meeting_no_show(meeting=meeting, by=m, at=TODAY)
    for day, count in ((1, 5), (2, 6)):
        for i in range(count):
            services.call_log(
                manager=m, at=at(10, day) + timedelta(minutes=i), outcome="no_answer", by=m
            )
    services.call_log(manager=m, prospect=o1, at=at(11, 20), outcome="no_answer", by=m)
    for i in range(20):
        p = new(m2, f"J{i}", 6, 2 + i)
        if i < 4:
            sign(p, "100", 7, 1 + i)
    return SimpleNamespace(team=team, lead=lead, m=m, m2=m2)


def _get(user, **params):
    client = APIClient()
    client.force_authenticate(user)
    response = client.get("/api/reports/scorecard/", {"period": "2026-10", **params})
    assert response.status_code == 200, response.content
    return response.json()


def test_every_metric_of_the_worked_scorecard(scorecard):
    lead = scorecard.lead

    body = _get(lead)

    assert body["report"] == "scorecard"
    assert body["working_days"] == 22
    assert body["elapsed_working_days"] == 22
    row = {r["username"]: r for r in body["managers"]}["m"]
    assert row["won"] == 3
    assert row["lost"] == 1
    assert row["win_rate"] == 0.75
    assert row["cycle_days_median"] == 30
    assert row["cycle_days_mean"] == 27
    assert row["open_at_start"] == 7
    assert row["velocity"] == "11666.67"
    assert row["reached"] == {
        "lead": 2,
        "contacted": 1,
        "meeting": 1,
        "proposal": 1,
        "contract": 1,
    }
    assert row["overall"] == 0.5
    assert row["one_in_n"] == 2
    assert row["meetings_per_day"] == 0.2273
    assert row["calls_per_day"] == 0.5
    assert row["dm_reach"] == 0.3333
    assert row["met_prospects"] == 3
    assert row["stalled"] == 1
    assert row["stale"] == 4
    assert row["referrals"] == {"asked": 3, "received": 2, "declined": 1}
    assert row["asks_per_contract"] == 1
    assert row["referral_conversion"] == 0.5
    assert row["alternation"] == 0.1667
    assert row["meeting_day_share"] == 0.7143
    assert row["active_days"] == 7
    assert row["open_now"] == 6
    assert row["remaining_contracts"] == 2
    assert row["conversion_rate_source"] == "team"
    assert row["conversion_rate_used"] == 0.2069
    assert row["required_new_prospects"] == 10
    assert row["coverage"] == 0.6
    assert row["metrics"]["contracts"]["attainment"] == 0.6


def test_benchmark_rating_names_the_sector_rule(scorecard):
    lead = scorecard.lead

    row = {r["username"]: r for r in _get(lead)["managers"]}["m"]

    (rated,) = [r for r in row["ratings"] if r["metric"] == "meetings_per_day"]
    assert rated["rating"] == "below"
    assert rated["value"] == 0.2273
    assert rated["low"] == 1
    assert rated["high"] == 2
    assert "meetings a day" in rated["note"]


def test_own_rate_with_twenty_prospects_and_no_plan_means_no_coverage(scorecard):
    lead = scorecard.lead

    row = {r["username"]: r for r in _get(lead)["managers"]}["m2"]

    assert row["conversion_rate_source"] == "own"
    assert row["conversion_rate_used"] == 0.2
    assert row["remaining_contracts"] is None
    assert row["coverage"] is None
    assert row["win_rate"] is None  # nothing closed in October
    assert row["velocity"] is None


def test_manager_scope_uses_the_whole_team_for_the_fallback_rate(scorecard):
    m = scorecard.m

    body = _get(m)

    assert body["scope"]["kind"] == "manager"
    (row,) = body["managers"]
    assert row["conversion_rate_source"] == "team"
    assert row["conversion_rate_used"] == 0.2069
    assert row["required_new_prospects"] == 10


def test_team_totals_pool_counts(scorecard):
    """Team: won 3 + 4 (m2's were signed in July, not October) → 3; lost 1 → 0.75.
    Held meetings 5 over 2 managers * 22 days → 5/44 = 0.1136; calls 11/44 = 0.25.
    Alternation: m 0.1667, m2 none (no active day) → mean 0.1667."""
    lead = scorecard.lead

    totals = _get(lead)["totals"]

    assert totals["managers"] == 2
    assert totals["win_rate"] == 0.75
    assert totals["meetings_per_day"] == 0.1136
    assert totals["calls_per_day"] == 0.25
    assert totals["alternation"] == 0.1667
    assert totals["stalled"] == 1
    assert totals["plan"]["contracts"]["attainment"] == 0.6


def test_another_teams_manager_is_a_404(scorecard):
    lead = scorecard.lead
    stranger = factories.UserFactory(profile__team=factories.TeamFactory(name="Other"))
    client = APIClient()
    client.force_authenticate(lead)

    response = client.get("/api/reports/scorecard/", {"manager": stranger.pk})

    assert response.status_code == 404


def test_an_empty_period_has_nulls_not_zeros_in_disguise(scorecard):
    lead = scorecard.lead

    row = {r["username"]: r for r in _get(lead, period="2025-01")["managers"]}["m"]

    assert row["win_rate"] is None
    assert row["cycle_days_median"] is None
    assert row["overall"] is None
    assert row["dm_reach"] is None
    assert row["alternation"] is None
    assert row["meetings_per_day"] == 0
    assert row["reached"]["lead"] == 0


@pytest.mark.parametrize("managers", [2, 40])
def test_scorecard_query_count_is_flat(db, managers):
    team = factories.TeamFactory(name=f"Flat {managers}")
    lead = factories.UserFactory(profile__team=team, profile__role="lead")
    for i in range(managers):
        m = factories.UserFactory(profile__team=team)
        p = new(m, f"p{i}", 10, 1)
        held(p, 10, 2)
        sign(p, "10", 10, 5)
    client = APIClient()
    client.force_authenticate(lead)
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/api/reports/scorecard/", {"team": team.pk, "period": "2026-10"})
    assert response.status_code == 200
    assert len(response.json()["managers"]) == managers
    # teams, calls and meetings per day, managers, the counts (one UNION ALL), plan
    # targets, slipped deals, median cycles, benchmarks, and the company's conversion per
    # team (coverage fallback: no own cohort of 20, no sector rate, no team history)
    assert len(captured) == 9, [q["sql"] for q in captured]


def test_team_review_lists_stalled_and_stale_deals(scorecard):
    """Same scenario: stalled Pb (3 held, no decision maker); stale, most idle first:
    Y 80 days (since its creation on 4 Sep), R 34 (created 20 Oct), Pa 48 and Pb 45 (stage
    meeting, rotting 30) → Y 80, Pa 48, Pb 45, R 34. m2's 16 unsigned June prospects were
    never touched either."""
    lead, m = scorecard.lead, scorecard.m
    client = APIClient()
    client.force_authenticate(lead)

    body = client.get("/api/reports/team-review/", {"period": "2026-10"}).json()

    assert [(s["name"], s["held_meetings"]) for s in body["stalled"]] == [("Pb", 3)]
    mine = [s for s in body["stale"] if s["manager"] == m.pk]
    assert [(s["name"], s["days_idle"], s["rotting_days"]) for s in mine] == [
        ("Y", 80, 14),
        ("Pa", 48, 30),
        ("Pb", 45, 30),
        ("R", 34, 14),
    ]
    assert len(body["stale"]) == 4 + 16  # and m2's 16 open June prospects, never touched
    stale_y = mine[0]
    assert stale_y["last_touch"] is None
    assert stale_y["stage"] == "lead"
    row = {r["username"]: r for r in body["managers"]}["m"]
    assert row["stale"] == 4
    assert any(r["metric"] == "meetings_per_day" and r["rating"] == "below" for r in row["ratings"])


def test_team_review_lists_are_cut_in_order_with_their_totals(scorecard, monkeypatch):
    """Same scenario, lists of 3: each list is the first 3 of the whole list, in its
    order, and its total counts all of it (20 stale, 1 stalled, 0 unreliable)."""
    client = APIClient()
    client.force_authenticate(scorecard.lead)
    whole = client.get("/api/reports/team-review/", {"period": "2026-10"}).json()

    monkeypatch.setattr("funnel.reports.LIST_LIMIT", 3)
    cut = client.get("/api/reports/team-review/", {"period": "2026-10"}).json()

    assert (cut["stale_total"], cut["stalled_total"], cut["unreliable_total"]) == (20, 1, 0)
    assert len(whole["stale"]) == whole["stale_total"] == 20
    assert cut["stale"] == whole["stale"][:3]
    assert cut["stalled"] == whole["stalled"]
    assert cut["unreliable"] == []


def test_a_repeating_rate_is_exact_before_the_ceiling(db):
    """Own cohort April-September: 21 prospects created in June, 6 of them signed in July →
    rate 6/21 = 2/7 (0.285714…). October target 2, nothing signed → remaining 2,
    required = ceil(2 ÷ 2/7) = 7 exactly (a rate rounded at the 28th digit would give 8);
    open now 15 → coverage 15/7 = 2.1429."""
    team = factories.TeamFactory(name="Exact")
    lead = factories.UserFactory(profile__team=team, profile__role="lead")
    m = factories.UserFactory(username="m", profile__team=team)
    plan_create(
        manager=m,
        start=date(2026, 10, 1),
        end=date(2026, 10, 31),
        by=lead,
        targets={"contracts": 2},
    )
    for i in range(21):
        p = new(m, f"J{i}", 6, 1 + i)
        if i < 6:
            sign(p, "100", 7, 1 + i)

    (row,) = _get(lead)["managers"]

    assert row["conversion_rate_source"] == "own"
    assert row["conversion_rate_used"] == 0.2857
    assert row["remaining_contracts"] == 2
    assert row["required_new_prospects"] == 7
    assert row["coverage"] == 2.1429


def test_team_review_lists_the_first_hundred_and_counts_all(db):
    """102 prospects created in June and never touched: all stale on 23 November. The list
    shows the 100 most idle (oldest first), stale_total and the manager's count say 102."""
    team = factories.TeamFactory(name="Many")
    lead = factories.UserFactory(profile__team=team, profile__role="lead")
    m = factories.UserFactory(username="m", profile__team=team)
    for i in range(102):
        new(m, f"S{i:03}", 6, 1 + i % 28)
    client = APIClient()
    client.force_authenticate(lead)

    body = client.get("/api/reports/team-review/", {"period": "2026-10"}).json()

    assert len(body["stale"]) == 100
    assert body["stale_total"] == 102
    assert body["stale"][0]["days_idle"] == 175  # 1 June → 23 November
    assert body["managers"][0]["stale"] == 102


@pytest.mark.parametrize("path", ["/api/reports/scorecard/", "/api/reports/team-review/"])
def test_a_full_answer_matches_the_documented_schema(scorecard, wsgi_test_connection, path):
    """The contract test sees mostly empty answers; this one has a value in every field."""
    import schemathesis
    from rest_framework.authtoken.models import Token
    from schemathesis.checks import response_schema_conformance

    from config.wsgi import application

    schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
    token = Token.objects.create(user=scorecard.lead).key
    case = schema[path]["GET"].Case(query={"period": "2026-10"})

    response = case.call(headers={"Authorization": f"Token {token}"})

    assert response.status_code == 200
    case.validate_response(response, checks=[response_schema_conformance])
