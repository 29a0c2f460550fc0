"""The benchmark data generator (bench/scale.py) at a tiny size: exact counts, history that
reads as if the services wrote it, sequences past the loaded ids, refusal to overwrite,
and the same rows for the same seed.

The history is checked here in Python, row by row, independently of the generator's own
SQL checks (``consistency_problems``), which must agree.
"""

import itertools
from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import F

from bench.scale import DatabaseNotEmptyError, Sizes, build, consistency_problems
from crm import services
from crm.models import (
    Call,
    CloseDateChange,
    Contact,
    Meeting,
    MeetingStatus,
    Profile,
    Prospect,
    Referral,
    ReferralStatus,
    Role,
    Source,
    Stage,
    StageChange,
    Team,
)
from events import services as event_services
from events.models import AttendanceStatus, EventAttendance
from funnel.models import PerformanceReview, Plan
from funnel.periods import WorkCalendar

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the bench generator loads with PostgreSQL COPY; set DATABASE_URL to a "
        "PostgreSQL database to run it",
    ),
    pytest.mark.django_db,
]

User = get_user_model()
TODAY = date(2026, 11, 23)
TINY = Sizes(managers=10, prospects=500, calls=5_000, meetings=1_500)
REACHING = {"talked", "meeting_booked"}
OPEN = set(Stage.open_stages())


@pytest.fixture
def loaded():
    return build(sizes=TINY, seed=1, today=TODAY, progress=False, vacuum=False, check=False)


def stage_at(history: list[StageChange], moment: datetime) -> str:
    """The stage after every change made at or before ``moment``."""
    stage = ""
    for change in history:
        if change.changed_at > moment:
            break
        stage = change.to_stage
    return stage


def test_counts_are_exactly_the_sizes_asked(loaded):
    # given a tiny load
    # then
    assert Profile.objects.filter(role=Role.MANAGER).count() == TINY.managers
    assert Prospect.objects.count() == TINY.prospects
    assert Call.objects.count() == TINY.calls
    assert Meeting.objects.count() == TINY.meetings
    assert Team.objects.count() == 3
    assert Profile.objects.filter(role=Role.LEAD).count() == 3
    assert set(Team.objects.values_list("sector__code", flat=True)) == {
        "b2b",
        "consumer_goods",
        "consulting",
    }
    assert loaded.rows["crm_prospect"] == TINY.prospects
    for model in (Contact, StageChange, CloseDateChange, Referral, Plan, PerformanceReview):
        assert model.objects.exists(), model
    assert Meeting.attendees.through.objects.exists()
    assert EventAttendance.objects.filter(status=AttendanceStatus.ATTENDED).exists()
    assert Prospect.objects.filter(source=Source.EVENT).exists()
    # calendar tokens are unique secrets
    tokens = list(Profile.objects.values_list("calendar_token", flat=True))
    assert len(set(tokens)) == len(tokens)


def test_stage_history_reads_like_the_services_wrote_it(loaded):
    # given
    history = defaultdict(list)
    for change in StageChange.objects.order_by("prospect_id", "changed_at", "id"):
        history[change.prospect_id].append(change)
    zones = {
        profile.user_id: profile.team.tz
        for profile in Profile.objects.exclude(team=None).select_related("team")
    }
    # then
    for prospect in Prospect.objects.all():
        changes = history[prospect.pk]
        assert changes, prospect.pk
        assert changes[0].from_stage == ""
        assert changes[0].changed_at == prospect.created_at
        for before, after in itertools.pairwise(changes):
            assert after.from_stage == before.to_stage, prospect.pk
            assert after.changed_at >= before.changed_at, prospect.pk
            assert after.from_stage != after.to_stage
        assert changes[-1].to_stage == prospect.stage, prospect.pk
        created_day = prospect.created_at.astimezone(zones[prospect.owner_id]).date()
        if prospect.stage == Stage.CONTRACT:
            assert prospect.contract_value is not None
            assert prospect.contract_value >= 0
            assert prospect.signed_on >= created_day
            assert (
                prospect.signed_on
                == changes[-1].changed_at.astimezone(zones[prospect.owner_id]).date()
            )
        else:
            assert prospect.signed_on is None
            assert prospect.contract_value is None
        if prospect.stage == Stage.LOST:
            assert prospect.lost_reason
            assert prospect.lost_on >= created_day
            assert prospect.lost_from_stage == changes[-1].from_stage
            assert prospect.revisit_on is None or prospect.revisit_on > prospect.lost_on
        else:
            assert not prospect.lost_reason
            assert prospect.lost_on is None
            assert prospect.lost_from_stage == ""
            assert prospect.revisit_on is None
        reopenings = [c for c in changes if c.from_stage == Stage.LOST]
        assert all(c.note == "reopened" for c in reopenings)
    stages = set(Prospect.objects.values_list("stage", flat=True))
    assert stages == {*OPEN, Stage.CONTRACT, Stage.LOST}
    assert StageChange.objects.filter(note="reopened").exists()


def test_close_date_chains_end_at_the_current_date(loaded):
    # given
    chains = defaultdict(list)
    for change in CloseDateChange.objects.order_by("prospect_id", "changed_at", "id"):
        chains[change.prospect_id].append(change)
    history = defaultdict(list)
    for change in StageChange.objects.order_by("prospect_id", "changed_at", "id"):
        history[change.prospect_id].append(change)
    pushes = Counter()
    # then
    for prospect in Prospect.objects.all():
        chain = chains.get(prospect.pk, [])
        if not chain:
            assert prospect.expected_close_date is None
            continue
        assert chain[0].from_date is None
        for before, after in itertools.pairwise(chain):
            assert after.from_date == before.to_date, prospect.pk
            assert after.changed_at >= before.changed_at
        assert chain[-1].to_date == prospect.expected_close_date, prospect.pk
        for change in chain:
            assert change.changed_at >= prospect.created_at
            # the services refuse to move the close date of a signed or lost prospect
            assert stage_at(history[prospect.pk], change.changed_at) in OPEN, prospect.pk
            pushes[prospect.pk] += change.is_push
    assert max(pushes.values()) >= 3  # some unreliable deals
    assert CloseDateChange.objects.filter(to_date__lt=F("from_date")).exists()  # pull-ins


def test_activity_moves_the_funnel_like_the_services(loaded):
    # given
    history = defaultdict(list)
    for change in StageChange.objects.order_by("prospect_id", "changed_at", "id"):
        history[change.prospect_id].append(change)
    created = dict(Prospect.objects.values_list("id", "created_at"))
    # then: a reaching call finds its prospect past `lead` (the call moved it, or it was)
    for call in Call.objects.exclude(prospect=None):
        assert call.at >= created[call.prospect_id]
        if call.outcome in REACHING:
            assert stage_at(history[call.prospect_id], call.at) != Stage.LEAD, call.pk
    # a held meeting finds its prospect at `meeting` or later
    for meeting in Meeting.objects.filter(status=MeetingStatus.HELD):
        stage = stage_at(history[meeting.prospect_id], meeting.starts_at)
        assert stage not in (Stage.LEAD, Stage.CONTACTED), meeting.pk
    # the notes of the changes that activity made
    notes = set(StageChange.objects.values_list("note", flat=True))
    assert {"call", "meeting held"} <= notes


def test_activity_happens_in_working_hours_on_working_days(loaded):
    # given
    teams = {
        p.user_id: (
            p.team.tz,
            WorkCalendar.from_team_fields(p.team.work_week, p.team.holiday_country),
        )
        for p in Profile.objects.filter(role=Role.MANAGER).select_related("team")
    }
    # then
    for manager_id, at in Call.objects.values_list("manager_id", "at"):
        zone, calendar = teams[manager_id]
        local = at.astimezone(zone)
        assert calendar.is_working_day(local.date()), (manager_id, local)
        assert time(7) <= local.time() <= time(20), local
    for meeting in Meeting.objects.all():
        zone, calendar = teams[meeting.manager_id]
        local = meeting.starts_at.astimezone(zone)
        assert calendar.is_working_day(local.date())
        assert meeting.ends_at > meeting.starts_at
        # planned only from today on; held, cancelled or no-show only before
        assert (meeting.status == MeetingStatus.PLANNED) == (local.date() >= TODAY)
    statuses = set(Meeting.objects.values_list("status", flat=True))
    assert statuses == set(MeetingStatus.values)


def test_meetings_referrals_and_events_agree(loaded):
    # then: attendees are contacts of the meeting's prospect; a decision maker among them
    # makes decision_maker_present true
    for meeting in Meeting.objects.prefetch_related("attendees"):
        attendees = list(meeting.attendees.all())
        assert all(c.prospect_id == meeting.prospect_id for c in attendees)
        if any(c.is_decision_maker for c in attendees):
            assert meeting.decision_maker_present
    for referral in Referral.objects.select_related("from_prospect", "referred_prospect"):
        assert referral.from_prospect.owner_id == referral.manager_id
        if referral.status == ReferralStatus.RECEIVED:
            assert referral.referred_prospect.source == Source.REFERRAL
            assert referral.answered_on >= referral.asked_on
        else:
            assert referral.referred_prospect is None
    assert not Prospect.objects.filter(source=Source.REFERRAL, referral=None).exists()
    for prospect in Prospect.objects.filter(source=Source.EVENT).select_related("source_event"):
        assert prospect.created_at > prospect.source_event.starts_at
        assert EventAttendance.objects.filter(
            event=prospect.source_event,
            manager_id=prospect.owner_id,
            status=AttendanceStatus.ATTENDED,
        ).exists()
    # the generator's own SQL checks agree
    assert consistency_problems(today=TODAY) == []


def test_the_application_can_write_after_the_load(loaded):
    """Sequences are past the loaded ids: a row of every table can be added."""
    # given
    manager = User.objects.filter(profile__role=Role.MANAGER).order_by("id").first()
    team = manager.profile.team
    # when: one write of each kind, through the services
    user = services.user_create(username="after-the-load", team=team)
    prospect = services.prospect_create(
        owner=manager, name="After the load", by=manager, expected_close_date=TODAY
    )
    services.prospect_change_close_date(
        prospect=prospect, expected_close_date=TODAY + timedelta(days=9), by=manager
    )
    contact = services.contact_create(prospect=prospect, name="Ann", is_decision_maker=True)
    start = datetime.combine(TODAY + timedelta(days=1), time(10), tzinfo=team.tz)
    meeting = services.meeting_plan(
        manager=manager,
        prospect=prospect,
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        by=manager,
        attendees=[contact],
    )
    call = services.call_log(manager=manager, at=start, outcome="talked", by=manager)
    referral = services.referral_ask(
        manager=manager, from_prospect=prospect, asked_on=TODAY, by=manager
    )
    event = event_services.event_create(
        name="After", kind="meetup", starts_at=start, ends_at=start + timedelta(hours=2), by=None
    )
    attendance = event_services.event_attend(event=event, manager=manager)
    plan = Plan.objects.create(
        manager=manager, start=date(2027, 1, 1), end=date(2027, 1, 31), calls=1
    )
    review = PerformanceReview.objects.create(
        manager=manager, period_start=date(2027, 1, 1), period_end=date(2027, 1, 31), notes="x"
    )
    new_team = services.team_create(name="After the load", sector=team.sector)
    # then: every new row got the highest id of its table
    for row, model in (
        (prospect, Prospect),
        (contact, Contact),
        (meeting, Meeting),
        (call, Call),
        (referral, Referral),
        (event, type(event)),
        (attendance, EventAttendance),
        (plan, Plan),
        (review, PerformanceReview),
        (new_team, Team),
        (user, User),
        (user.profile, Profile),
    ):
        assert row.pk == model.objects.order_by("-pk").values_list("pk", flat=True)[0]
    assert StageChange.objects.filter(prospect=prospect).count() == 1
    assert CloseDateChange.objects.filter(prospect=prospect).count() == 2
    assert Meeting.attendees.through.objects.filter(meeting=meeting).exists()


def test_refuses_domain_rows_unless_reset_and_a_seed_gives_the_same_rows(loaded):
    # when
    with pytest.raises(DatabaseNotEmptyError, match="--reset"):
        build(sizes=TINY, seed=1, today=TODAY, progress=False, vacuum=False, check=False)
    before = fingerprint()
    build(
        sizes=TINY,
        seed=1,
        today=TODAY,
        reset_first=True,
        progress=False,
        vacuum=False,
        check=False,
    )
    # then
    assert fingerprint() == before
    assert Prospect.objects.count() == TINY.prospects


def fingerprint() -> dict[str, str]:
    """An md5 of every table the simulation decides (ids included), minus secrets."""
    queries = {
        "prospects": "SELECT id, owner_id, name, stage, lost_from_stage, source, "
        "source_event_id, expected_value, expected_close_date, contract_value, signed_on, "
        "lost_on, revisit_on, created_at FROM crm_prospect",
        "stage changes": "SELECT id, prospect_id, from_stage, to_stage, changed_at, note "
        "FROM crm_stagechange",
        "close dates": "SELECT * FROM crm_closedatechange",
        "calls": "SELECT id, manager_id, prospect_id, at, duration, outcome FROM crm_call",
        "meetings": "SELECT id, prospect_id, starts_at, status, decision_maker_present "
        "FROM crm_meeting",
        "attendees": "SELECT * FROM crm_meeting_attendees",
        "referrals": "SELECT id, from_prospect_id, status, referred_prospect_id FROM crm_referral",
        "plans": "SELECT id, manager_id, start, contracts, revenue, meetings FROM funnel_plan",
        "users": "SELECT id, username FROM auth_user",
    }
    found = {}
    with connection.cursor() as cursor:
        for name, sql in queries.items():
            cursor.execute(f"SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) FROM ({sql}) t")
            found[name] = cursor.fetchone()[0]
    return found
