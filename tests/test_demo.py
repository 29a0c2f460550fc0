"""The demo company: logins, history written through the services, determinism, the
refusal to overwrite real data, and the data properties the demo exists to show."""

from collections import Counter
from datetime import date, datetime, timedelta
from io import StringIO

import holidays
import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Count, Exists, OuterRef, Q

from crm.demo import build_demo
from crm.models import (
    Call,
    CloseDateChange,
    Contact,
    Meeting,
    MeetingStatus,
    Prospect,
    Referral,
    ReferralStatus,
    Role,
    Source,
    Stage,
    StageChange,
    Team,
)
from events.models import Event, EventAttendance
from funnel.models import PerformanceReview, Plan
from tests import factories

User = get_user_model()
TODAY = date(2026, 11, 23)  # a Monday; the last full month is October 2026
SMALL_TODAY = date(2026, 11, 16)
OCTOBER = (date(2026, 10, 1), date(2026, 10, 31))
OPEN = Stage.open_stages()


def working_days(team: Team, first: date, last: date) -> list[date]:
    public = holidays.country_holidays(team.holiday_country, years=first.year)
    span = (last - first).days + 1
    days = (first + timedelta(days=i) for i in range(span))
    return [d for d in days if d.isoweekday() <= 5 and d not in public]


def local_range(team: Team, first: date, last: date) -> tuple[datetime, datetime]:
    start = datetime(first.year, first.month, first.day, tzinfo=team.tz)
    return start, datetime(last.year, last.month, last.day, tzinfo=team.tz) + timedelta(days=1)


def held_per_working_day(username: str) -> float:
    team = Team.objects.get(members__user__username=username)
    start, end = local_range(team, *OCTOBER)
    held = Meeting.objects.filter(
        manager__username=username,
        status=MeetingStatus.HELD,
        starts_at__gte=start,
        starts_at__lt=end,
    ).count()
    return held / len(working_days(team, *OCTOBER))


def row_counts() -> dict[str, int]:
    models = (User, Team, Prospect, Contact, Call, Meeting, Referral, Event, Plan)
    return {model.__name__: model.objects.count() for model in models}


def fingerprint() -> dict[str, list[tuple]]:
    """The demo's rows by their content (ids, tokens and insert timestamps left out)."""
    attendees: dict[int, list[str]] = {}
    for meeting_id, name in Meeting.attendees.through.objects.values_list(
        "meeting_id", "contact__name"
    ):
        attendees.setdefault(meeting_id, []).append(name)
    meetings = [
        (*row[1:], tuple(sorted(attendees.get(row[0], []))))
        for row in Meeting.objects.values_list(
            "id",
            "manager__username",
            "prospect__name",
            "starts_at",
            "ends_at",
            "status",
            "location",
            "decision_maker_present",
            "notes",
            "sequence",
        )
    ]
    tables = {
        "users": User.objects.values_list(
            "username", "email", "first_name", "profile__role", "profile__hired_on"
        ),
        "teams": Team.objects.values_list("name", "sector__code", "timezone", "holiday_country"),
        "prospects": Prospect.objects.values_list(
            "owner__username",
            "name",
            "stage",
            "source",
            "source_event__name",
            "expected_value",
            "expected_close_date",
            "contract_value",
            "signed_on",
            "lost_reason",
            "lost_on",
            "revisit_on",
            "created_at",
        ),
        "contacts": Contact.objects.values_list(
            "prospect__name", "name", "title", "email", "phone", "is_decision_maker"
        ),
        "stage changes": StageChange.objects.values_list(
            "prospect__name", "from_stage", "to_stage", "changed_at", "by__username", "note"
        ),
        "close-date changes": CloseDateChange.objects.values_list(
            "prospect__name", "from_date", "to_date", "changed_at", "by__username"
        ),
        "calls": Call.objects.values_list(
            "manager__username", "prospect__name", "at", "duration", "kind", "outcome"
        ),
        "referrals": Referral.objects.values_list(
            "manager__username",
            "from_prospect__name",
            "asked_on",
            "status",
            "answered_on",
            "referred_prospect__name",
        ),
        "events": Event.objects.values_list("name", "kind", "starts_at", "ends_at", "cost"),
        "attendances": EventAttendance.objects.values_list(
            "event__name", "manager__username", "status"
        ),
        "plans": Plan.objects.values_list(
            "manager__username",
            "start",
            "end",
            "contracts",
            "revenue",
            "meetings",
            "calls",
            "new_prospects",
            "referrals_asked",
            "set_by__username",
        ),
        "reviews": PerformanceReview.objects.values_list(
            "manager__username", "period_start", "notes"
        ),
    }
    rows = {name: sorted(map(tuple, query), key=repr) for name, query in tables.items()}
    rows["meetings"] = sorted(meetings, key=repr)
    return rows


@pytest.mark.slow
@pytest.mark.django_db
def test_demo_builds_a_company_worth_looking_at():
    # when
    summary = build_demo(seed=7, today=TODAY, managers_per_team=5, months=1, progress=False)

    # then: the documented logins, with their roles and teams, all with password "demo"
    teams = {"b2b": "B2B Solutions", "goods": "Consumer Goods", "consulting": "Consulting"}
    expected = {"admin": (Role.ADMIN, None)}
    for key, team in teams.items():
        expected[f"lead-{key}"] = (Role.LEAD, team)
        expected |= {f"{key}-{n}": (Role.MANAGER, team) for n in range(1, 6)}
    users = User.objects.values_list("username", "profile__role", "profile__team__name")
    assert {u: (role, team) for u, role, team in users} == expected
    logins = [login.username for login in summary.logins]
    assert sorted(logins) == sorted(expected)
    assert logins[:4] == ["admin", "lead-b2b", "lead-goods", "lead-consulting"]
    assert authenticate(username="admin", password="demo").is_superuser
    assert authenticate(username="goods-5", password="demo") is not None
    assert authenticate(username="b2b-1", password="wrong") is None
    for key, name in teams.items():
        assert Team.objects.get(name=name).lead.username == f"lead-{key}"
    assert summary.counts["prospects"] == Prospect.objects.count()

    # history: every prospect has its creation row; pushes and pull-ins exist
    assert StageChange.objects.count() >= Prospect.objects.count()
    assert StageChange.objects.filter(from_stage="").count() == Prospect.objects.count()
    changes = CloseDateChange.objects.exclude(from_date=None)
    pushes = [c for c in changes if c.is_push]
    assert len(pushes) >= 5
    assert len(pushes) < changes.count()  # some dates were pulled in
    assert Prospect.objects.filter(stage=Stage.CONTRACT, signed_on__isnull=False).exists()
    assert Prospect.objects.filter(stage=Stage.LOST).exclude(lost_reason="").exists()
    assert Prospect.objects.filter(revisit_on__isnull=False).exists()

    # activity lies in working hours of working days, in the team's time zone
    for team in Team.objects.all():
        days = set(working_days(team, date(2025, 1, 1), date(2026, 12, 31)))
        for at in Meeting.objects.filter(manager__profile__team=team).values_list(
            "starts_at", flat=True
        ):
            local = at.astimezone(team.tz)
            assert local.date() in days
            assert 8 <= local.hour < 18
        for at in Call.objects.filter(manager__profile__team=team).values_list("at", flat=True):
            assert at.astimezone(team.tz).date() in days
    # the past holds no planned meeting; the agenda ahead does
    for team in Team.objects.all():
        today, _ = local_range(team, TODAY, TODAY)
        planned = Meeting.objects.filter(manager__profile__team=team, status=MeetingStatus.PLANNED)
        assert not planned.filter(starts_at__lt=today).exists()
        assert planned.filter(starts_at__gte=today).exists()
    assert Meeting.objects.filter(status=MeetingStatus.CANCELLED).exclude(sequence=1).count() == 0
    assert Meeting.objects.filter(status=MeetingStatus.NO_SHOW).exists()
    # decision_maker_present is what the services derive from the attendees
    dm_attended = Exists(
        Meeting.attendees.through.objects.filter(
            meeting_id=OuterRef("pk"), contact__is_decision_maker=True
        )
    )
    meetings = Meeting.objects.annotate(dm=dm_attended)
    assert not meetings.filter(dm=True, decision_maker_present=False).exists()
    assert not meetings.filter(dm=False, decision_maker_present=True).exists()

    # sector rates: store visits dwarf B2B meetings
    b2b = [held_per_working_day(f"b2b-{n}") for n in range(1, 5)]
    goods = [held_per_working_day(f"goods-{n}") for n in range(1, 6)]
    assert all(0.7 <= rate <= 2.2 for rate in b2b), b2b
    assert all(14 <= rate <= 26 for rate in goods), goods
    assert min(goods) > 8 * max(b2b)

    # a stalled deal: open, 3+ held meetings, never the decision maker
    stalled = Prospect.objects.filter(stage__in=OPEN).annotate(
        held=Count("meetings", filter=Q(meetings__status=MeetingStatus.HELD)),
        with_dm=Count(
            "meetings",
            filter=Q(meetings__status=MeetingStatus.HELD, meetings__decision_maker_present=True),
        ),
    )
    assert stalled.filter(held__gte=3, with_dm=0).exists()

    # the postponer: at or above the contracts target in October, then late slips
    b2b_team = Team.objects.get(name="B2B Solutions")
    late = working_days(b2b_team, *OCTOBER)[-5:]
    plan = Plan.objects.get(manager__username="b2b-2", start__lte=OCTOBER[1], end=OCTOBER[1])
    signed = Prospect.objects.filter(owner__username="b2b-2", signed_on__range=OCTOBER).count()
    assert signed >= plan.contracts
    slips = [
        c
        for c in CloseDateChange.objects.filter(prospect__owner__username="b2b-2")
        .select_related("prospect")
        .exclude(from_date=None)
        if c.changed_at.astimezone(b2b_team.tz).date() in late
        and OCTOBER[0] <= c.from_date <= OCTOBER[1] < c.to_date
        and not (c.prospect.signed_on and c.prospect.signed_on <= OCTOBER[1])
    ]
    assert slips

    # plans for every manager and month, set by the lead; a few reviews
    for manager in User.objects.filter(profile__role=Role.MANAGER):
        plan = Plan.objects.get(manager=manager, start__lte=TODAY, end__gte=TODAY)
        assert plan.set_by.username.startswith("lead-")
        assert None not in (plan.contracts, plan.revenue, plan.meetings, plan.calls)
    assert PerformanceReview.objects.exists()
    hired = User.objects.get(username="b2b-5").profile.hired_on
    assert TODAY - timedelta(days=62) <= hired < TODAY

    # referrals asked, received (a new prospect) and declined; events, some free
    statuses = Counter(Referral.objects.values_list("status", flat=True))
    assert statuses[ReferralStatus.RECEIVED] > 0
    assert statuses[ReferralStatus.DECLINED] > 0
    assert Prospect.objects.filter(source=Source.REFERRAL, referral__isnull=False).exists()
    assert Event.objects.filter(cost=0).exists()
    assert Event.objects.filter(cost__gt=0).exists()
    assert Prospect.objects.filter(source=Source.EVENT, source_event__isnull=False).exists()
    assert EventAttendance.objects.filter(status="attended").exists()
    assert Contact.objects.filter(is_decision_maker=True).exists()


@pytest.mark.slow
@pytest.mark.django_db
def test_same_seed_and_day_give_the_same_rows_and_a_rerun_replaces_the_demo():
    # given a small demo (one manager a team, the first half of a month)
    def seed(n: int) -> dict[str, list[tuple]]:
        build_demo(seed=n, today=SMALL_TODAY, managers_per_team=1, months=0, progress=False)
        return fingerprint()

    first = seed(3)

    # when it is seeded again over itself, then with another seed
    again = seed(3)
    other = seed(4)

    # then
    for table, rows in first.items():
        assert again[table] == rows, table
    assert other["prospects"] != first["prospects"]
    assert User.objects.filter(username="b2b-1").count() == 1


@pytest.mark.django_db
def test_the_command_refuses_a_database_with_data_that_is_not_the_demo():
    # given a real user
    factories.UserFactory(username="alice")
    before = row_counts()

    # when / then
    with pytest.raises(CommandError, match="alice"):
        call_command("demo", "--no-serve", "--today", "2026-11-23", stdout=StringIO())
    assert row_counts() == before


@pytest.mark.django_db
def test_the_command_refuses_an_admin_that_is_not_the_demo_admin():
    # given an "admin" someone created by hand (not the demo's)
    User.objects.create_superuser("admin", "ops@company.example", "secret")

    # when / then
    with pytest.raises(CommandError, match="admin"):
        call_command("demo", "--no-serve", "--today", "2026-11-23", stdout=StringIO())
    assert User.objects.get(username="admin").email == "ops@company.example"


@pytest.mark.django_db
def test_the_command_asks_for_at_least_five_managers():
    with pytest.raises(CommandError, match="at least 5"):
        call_command("demo", "--no-serve", "--managers", "3", stdout=StringIO())


@pytest.mark.slow
@pytest.mark.django_db
def test_the_command_seeds_and_prints_the_logins():
    # given: no full month before "today", so the demo is small
    out = StringIO()

    # when
    call_command(
        "demo", "--no-serve", "--months", "0", "--today", "2026-11-04", "-v", "0", stdout=out
    )

    # then
    text = out.getvalue()
    for login in ("admin", "lead-b2b", "lead-goods", "lead-consulting", "b2b-5", "goods-1"):
        assert f"  {login} " in text
    assert "consulting-5" in text
    assert "password “demo”" in text
    assert "prospects" in text
    assert "Seeded in" in text
    assert User.objects.count() == 19
