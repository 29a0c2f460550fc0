"""``manage.py review``: the team review as terminal tables (and JSON), and ``render()``."""

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from crm import services
from crm.models import Role
from funnel import reports
from funnel.review_table import WIDTH, render
from funnel.services import plan_create
from tests import factories
from tests.funnel.scenario import at, move, prospect


def sign(p, value: str, day: int) -> None:
    services.prospect_sign(
        prospect=p,
        contract_value=Decimal(value),
        signed_on=date(2026, 10, day),
        by=p.owner,
        at=at(10, day),
    )


def review(*args: str) -> str:
    out = StringIO()
    call_command("review", *args, stdout=out)
    return out.getvalue()


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    """Pin the reports' clock: Monday 23 November 2026."""
    monkeypatch.setattr(reports, "now", lambda: datetime(2026, 11, 23, 12, tzinfo=UTC))


@pytest.fixture
def team(db):
    """October 2026 (Mon-Fri, no holidays: its last 5 working days are 26-30 Oct).

    m: contracts target 1, revenue target 1000.00; signs Q2 (500) and Q6 (800) → 2/1
    exceeded by 1, 1300.00/1000.00 exceeded by 300.00. Q1 due 10 Oct, moved on 27 Oct to
    5 Nov (a late slip), still open → slipped; so m is postponing. Q4 pushed 3 times in
    September → unreliable. quiet: no plan, nothing done.
    """
    team = factories.TeamFactory(name="Review Team")
    lead = services.user_create(username="lead", role=Role.LEAD, team=team)
    m = factories.UserFactory(username="m", profile__team=team)
    factories.UserFactory(username="quiet", profile__team=team)
    plan_create(
        manager=m,
        start=date(2026, 10, 1),
        end=date(2026, 10, 31),
        by=lead,
        targets={"contracts": 1, "revenue": Decimal("1000")},
    )
    q1 = prospect(m, "Q1 Slipper GmbH", date(2026, 10, 10), "1000")
    move(q1, date(2026, 11, 5), 10, 27)
    sign(prospect(m, "Q2", date(2026, 10, 15), "500"), "500", 18)
    sign(prospect(m, "Q6", date(2026, 10, 20), "800"), "800", 20)
    q4 = prospect(m, "Q4 Pusher AG", date(2026, 9, 10), "100")
    for day, to in ((5, date(2026, 9, 20)), (15, date(2026, 9, 25)), (20, date(2026, 9, 30))):
        move(q4, to, 9, day)
    return team


def test_the_review_names_team_period_overage_postponing_and_slips(team):
    # when
    out = review("--team", str(team.pk), "--period", "2026-10")
    # then
    title = out.splitlines()[0]
    assert "Review Team" in title
    assert "2026-10 (2026-10-01..2026-10-31)" in title
    assert "22 of 22 working days elapsed" in title
    exceeded = out.split("Exceeded the plan\n")[1].split("\n\n")[0]
    assert [line.split() for line in exceeded.splitlines()[2:]] == [
        ["m", "contracts", "▲", "+1", "200.0%"],
        ["m", "revenue", "▲", "+300.00", "130.0%"],
    ]
    assert "2/1 (200.0%) ▲ +1" in out
    assert "1,300.00/1,000.00 (130.0%) ▲ +300.00" in out
    assert "Postponing (contracts ≥ 100% and a late slip): m\n" in out
    slipped = out.split("Slipped deals (1)\n")[1].split("\n\n")[0]
    assert slipped.splitlines()[2].split() == [
        "Q1",
        "Slipper",
        "GmbH",
        "m",
        "1,000.00",
        "2026-11-05",
        "2026-10-27",
        "late",
    ]
    assert "Unreliable close dates (pushed later 3+ times) (1)" in out
    assert "Q4 Pusher AG" in out
    assert max(len(line) for line in out.splitlines()) <= WIDTH


def test_quiet_manager_has_no_plan_and_dashes(team):
    out = review("--team", "Review Team", "--period", "2026-10")
    quiet = next(line for line in out.splitlines() if line.startswith("quiet "))
    assert quiet.split()[1:3] == ["0/—", "0.00/—"]


def test_team_by_name_ignores_case(team):
    assert review("--team", "review team", "--period", "2026-10") == review(
        "--team", str(team.pk), "--period", "2026-10"
    )


def test_unknown_team_lists_the_teams(team):
    with pytest.raises(CommandError, match=r"No team “Nope”\. Teams: Review Team\.$"):
        review("--team", "Nope")


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["--period", "2026-13"], "period"),
        (["--period", "November"], "period"),
        (["--start", "2026-10-01"], "end"),
        (["--period", "2026-10", "--start", "2026-10-01", "--end", "2026-10-31"], "period"),
    ],
)
def test_a_bad_period_gives_the_apis_message(team, args, field):
    with pytest.raises(CommandError, match=rf"^{field}: .*Use period=2026-11 \(month\)") as error:
        review("--team", str(team.pk), *args)
    assert "2026-Q4 (quarter)" in str(error.value)


def test_start_and_end_and_default_period(team):
    assert "2026-10-01..2026-10-31 (2026-10-01..2026-10-31)" in review(
        "--team", str(team.pk), "--start", "2026-10-01", "--end", "2026-10-31"
    )
    # the current month in the team's time zone (the clock is pinned to 23 Nov 2026)
    assert "· 2026-11 (2026-11-01..2026-11-30) · 16 of 21" in review("--team", str(team.pk))


def test_json_is_the_report(team):
    body = json.loads(review("--team", str(team.pk), "--period", "2026-10", "--format", "json"))
    assert body["report"] == "team-review"
    assert [m["username"] for m in body["managers"]] == ["m", "quiet"]
    assert body["postponing"] == ["m"]
    # the JSON keeps the API's units; render() reads it back the same
    assert body["managers"][0]["metrics"]["contracts"]["attainment"] == "2.0000"
    assert render(body) == review("--team", str(team.pk), "--period", "2026-10")


def test_as_a_manager_of_another_team_is_refused(team):
    factories.UserFactory(username="outsider", profile__team=factories.TeamFactory(name="Other"))
    with pytest.raises(CommandError, match="outsider may not see the team “Review Team”"):
        review("--team", str(team.pk), "--as", "outsider")


def test_as_an_unknown_user(team):
    with pytest.raises(CommandError, match="No user “ghost”"):
        review("--team", str(team.pk), "--as", "ghost")


def test_without_a_lead_the_first_superuser_runs_it(db):
    team = factories.TeamFactory(name="Leaderless")
    factories.UserFactory(username="solo", profile__team=team)
    with pytest.raises(CommandError, match="no lead and there is no superuser"):
        review("--team", "Leaderless")
    services.user_create(username="root", role=Role.ADMIN)
    assert "solo" in review("--team", "Leaderless", "--period", "2026-10")


# ---------------------------------------------------------------- render() alone


def metric(target, actual, attainment, overage, status) -> dict:
    return {
        "target": target,
        "actual": actual,
        "attainment": attainment,
        "overage": overage,
        "expected_to_date": target,
        "pace": attainment,
        "status": status,
    }


NO_TARGET = metric(None, 3, None, None, None)


def hand_written() -> dict:
    plain = {
        "revenue": metric("1000.00", "1234.50", Decimal("1.2345"), "234.50", "exceeded"),
        "meetings": metric(20, 19, Decimal("0.95"), -1, "cautioned"),
        "calls": NO_TARGET,
        "new_prospects": NO_TARGET,
        "referrals_asked": NO_TARGET,
    }
    return {
        "scope": {"kind": "team", "manager": None, "teams": [1], "label": "Alpha"},
        "period": {"label": "2026-11", "start": date(2026, 11, 1), "end": date(2026, 11, 30)},
        "working_days": 21,
        "elapsed_working_days": 16,
        "managers": [
            {
                "manager": 7,
                "username": "ann",
                "metrics": plain | {"contracts": metric(2, 3, Decimal("1.5"), 1, "exceeded")},
                "slippage": {
                    "slipped_count": 1,
                    "slipped_value": "1500.00",
                    "late_slips": 1,
                    "pulled_in": 0,
                    "postponing": True,
                },
                "win_rate": Decimal("0.4286"),
                "cycle_days_median": None,
                "meetings_per_day": Decimal("1.1875"),
                "calls_per_day": None,
                "dm_reach": "0.5",
                "alternation": None,
                "coverage": None,
                "ratings": [
                    {
                        "metric": "meetings_per_day",
                        "value": Decimal("1.1875"),
                        "low": Decimal(1),
                        "high": Decimal(2),
                        "note": "B2B: 1-2 meetings a day is good",
                        "rating": "within",
                    }
                ],
            }
        ],
        "totals": {
            "win_rate": Decimal("0.4286"),
            "plan": {"contracts": {"target": 2, "actual": 3, "attainment": Decimal("1.5")}},
        },
        "exceeded": [{"username": "ann", "metric": "contracts", "overage": 1, "attainment": 1.5}],
        "postponing": ["ann"],
        "slipped": [
            {
                "name": "Zeta",
                "manager": 7,
                "expected_value": "1500.00",
                "expected_close_date": date(2026, 12, 2),
                "slipped_on": date(2026, 11, 27),
                "late": True,
            }
        ],
        "unreliable": [],
        "stalled": [{"name": "Eta", "manager": 99, "stage": "meeting", "held_meetings": 4}],
        "stale": [],
    }


def test_render_shows_percentages_money_marks_and_dashes():
    # given
    report = hand_written()
    # when
    out = render(report)
    # then
    lines = out.splitlines()
    assert lines[0] == (
        "Team review: Alpha · 2026-11 (2026-11-01..2026-11-30) · 16 of 21 working days elapsed"
    )
    ann = next(line for line in lines if line.startswith("ann "))
    assert "3/2 (150.0%) ▲ +1" in ann
    assert "1,234.50/1,000.00 (123.5%) ▲ +234.50" in ann
    assert "19/20 (95.0%) ! -1" in ann
    assert "3/—" in out  # no target: the actual alone, no ratio, no mark
    scorecard = next(
        line for line in out.split("Scorecard")[1].splitlines() if line.startswith("ann ")
    )
    assert scorecard.split() == ["ann", "42.9%", "—", "1.19", "within", "—", "50.0%", "—", "—"]
    assert "Benchmark meetings/day 1.00 to 2.00 (B2B: 1-2 meetings a day is good)" in out
    assert "Postponing (contracts ≥ 100% and a late slip): ann" in out
    assert ["Zeta", "ann", "1,500.00", "2026-12-02", "2026-11-27", "late"] in [
        line.split() for line in lines
    ]
    assert ["Eta", "#99", "meeting", "4"] in [line.split() for line in lines]  # unknown id
    assert "Unreliable close dates (pushed later 3+ times): none" in out
    assert "Stale prospects (no call or meeting for longer than the rotting days): none" in out


def test_render_reads_the_json_form_alike():
    report = hand_written()
    assert render(json.loads(json.dumps(report, default=str))) == render(report)


def test_render_survives_missing_keys():
    assert render({}).splitlines()[:3] == [
        "Team review: — · — (—..—) · — of — working days elapsed",
        "",
        "No managers in scope.",
    ]
    report = hand_written()
    del report["managers"][0]["slippage"], report["totals"], report["exceeded"]
    out = render(report)
    assert "Exceeded the plan: nobody" in out
    assert "team Σ         0           0.00" in out


def test_wide_tables_are_split_to_fit():
    report = hand_written()
    row = report["managers"][0]
    big = metric("9999999.00", "12345678.90", Decimal("1.2346"), "2345679.90", "exceeded")
    row["metrics"] = dict.fromkeys(("contracts", "meetings", "calls"), big) | {
        "revenue": big,
        "new_prospects": big,
        "referrals_asked": big,
    }
    row["username"] = "a-rather-long-username"
    out = render(report)
    assert max(len(line) for line in out.splitlines()) <= WIDTH
    plan = out.split("Plan:")[1].split("Exceeded")[0]
    assert plan.count("manager") > 1  # the first column repeats in each group


def test_render_says_when_a_list_shows_only_the_first_ones():
    report = {
        "managers": [{"manager": 1, "username": "ann"}],
        "stale": [
            {"name": "Acme", "manager": 1, "stage": "lead", "last_touch": None, "days_idle": 40}
        ],
        "stale_total": 250,
    }

    assert "(first 1 of 250)" in render(report)
