"""Every write of the CRM domain.

Each service is keyword-only and atomic, validates before it writes (a bad value is a
``ValidationError`` naming the field, and nothing is written), and records the history
the metrics are computed from: every stage transition is a ``StageChange`` and every
change of the expected close date a ``CloseDateChange``, with who and when.

``at`` is when the fact happened (default: now). History stays in order: a stage change
is never dated before the prospect's previous one.
"""

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Case, Count, F, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce, Greatest, Lower
from django.utils import timezone

from crm.editing import apply, lock, refuse_unknown
from crm.expressions import local_date
from crm.models import (
    ActivityDay,
    Call,
    CallDirection,
    CallKind,
    CallOutcome,
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
    new_calendar_token,
)
from crm.zones import named_zone
from events.ics import Invitation

User = get_user_model()

# A call with one of these outcomes means the prospect was reached (SPEC section 2).
REACHING_OUTCOMES = frozenset({CallOutcome.TALKED, CallOutcome.MEETING_BOOKED})


# --- helpers -------------------------------------------------------------------------


def _moment(at: datetime | None, field: str = "at") -> datetime:
    if at is None:
        return timezone.now()
    if not isinstance(at, datetime) or timezone.is_naive(at):
        raise ValidationError(
            {field: "Give a time with an offset, ISO 8601 such as 2026-11-23T10:00:00+01:00."}
        )
    return at


def _local_date(user: AbstractBaseUser, at: datetime) -> date:
    """The calendar day of ``at`` in the user's own (or their team's) time zone."""
    profile = getattr(user, "profile", None)
    zone = profile.effective_timezone if profile else None
    return timezone.localtime(at, timezone=_zone(zone)).date()


def _zone(name: str | None) -> tzinfo:
    return named_zone(name) if name else timezone.get_default_timezone()


def _lock(prospect: Prospect) -> Prospect:
    # of=("self",): PostgreSQL cannot lock the nullable side of the outer join to the profile.
    return (
        Prospect.objects.select_for_update(of=("self",))
        .select_related("owner__profile")
        .get(pk=prospect.pk)
    )


def _require_owner(prospect: Prospect | None, manager: AbstractBaseUser, field: str) -> None:
    if prospect is not None and prospect.owner_id != manager.pk:
        raise ValidationError({field: "That prospect belongs to another manager."})


def _require_member(user: AbstractBaseUser | None, field: str) -> None:
    profile = Profile.objects.filter(user_id=getattr(user, "pk", None)).first()
    if profile is None or profile.team_id is None:
        raise ValidationError({field: "Name a manager or lead who belongs to a team."})


def _record_stage(
    prospect: Prospect, to_stage: str, *, by: AbstractBaseUser | None, at: datetime, note: str = ""
) -> StageChange:
    """Write the transition and move the (locked) prospect; never dated before the last one."""
    last = (
        StageChange.objects.filter(prospect=prospect)
        .order_by("-changed_at", "-id")
        .values_list("changed_at", flat=True)
        .first()
    )
    changed_at = max(at, last) if last else at
    change = StageChange.objects.create(
        prospect=prospect,
        owner_id=prospect.owner_id,
        from_stage=prospect.stage,
        to_stage=to_stage,
        changed_at=changed_at,
        by=by,
        note=note[:200],
    )
    prospect.stage = to_stage
    if Stage.rank(to_stage) > Stage.rank(prospect.furthest_stage):
        prospect.furthest_stage = to_stage
    return change


# What _record_stage changes on the prospect.
STAGE_FIELDS = ("stage", "furthest_stage")

# What _record_close_date changes on the prospect.
CLOSE_DATE_FIELDS = ("expected_close_date", "push_count")


def _record_close_date(
    prospect: Prospect, to_date: date | None, *, by: AbstractBaseUser | None, at: datetime
) -> CloseDateChange | None:
    """Write the change of close date; like stages, never dated before the last change (or
    the prospect's creation), so the history replays in date order to the current date.
    A push (a later date than before) raises the prospect's ``push_count``."""
    if prospect.expected_close_date == to_date:
        return None
    last = (
        CloseDateChange.objects.filter(prospect=prospect)
        .order_by("-changed_at", "-id")
        .values_list("changed_at", flat=True)
        .first()
    )
    change = CloseDateChange.objects.create(
        prospect=prospect,
        owner_id=prospect.owner_id,
        from_date=prospect.expected_close_date,
        to_date=to_date,
        changed_at=max(at, last or prospect.created_at),
        by=by,
    )
    prospect.expected_close_date = to_date
    if change.is_push:
        prospect.push_count += 1
    return change


# --- people --------------------------------------------------------------------------


@transaction.atomic
def team_create(
    *,
    name: str,
    sector,
    timezone_name: str = "UTC",
    work_week: str = "12345",
    holiday_country: str = "",
    rotting_days: Mapping[str, int] | None = None,
) -> Team:
    team = Team(
        name=name,
        sector=sector,
        timezone=timezone_name,
        work_week=work_week,
        holiday_country=holiday_country,
        rotting_days=dict(rotting_days or {}),
    )
    team.full_clean()
    team.save()
    return team


@transaction.atomic
def user_create(
    *,
    username: str,
    role: str = Role.MANAGER,
    team: Team | None = None,
    password: str | None = None,
    password_hash: str | None = None,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    hired_on: date | None = None,
    timezone_name: str = "",
) -> AbstractBaseUser:
    """Create a user with their profile. A lead becomes the lead of their team.

    ``password_hash`` takes an already hashed password (the demo hashes ``demo`` once).
    """
    if User.objects.filter(username=username).exists():
        raise ValidationError({"username": f"The username “{username}” is taken."})
    user = User(
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        is_staff=role == Role.ADMIN,
        is_superuser=role == Role.ADMIN,
    )
    if password_hash is not None:
        user.password = password_hash
    elif password is not None:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    profile = Profile(
        role=role,
        team=team,
        hired_on=hired_on,
        timezone=timezone_name,
        calendar_token="x",
        # No calls or meetings yet: their (no) days are counted in the team's zone.
        activity_days_tz=team.timezone if team is not None else "",
    )
    profile.full_clean(exclude=["user", "calendar_token"])
    user.save()
    profile.user = user
    profile.calendar_token = new_calendar_token()
    profile.save()
    if role == Role.LEAD and team is not None:
        Team.objects.filter(pk=team.pk).update(lead=user)
        team.lead = user
    return user


@transaction.atomic
def calendar_token_rotate(*, user: AbstractBaseUser) -> str:
    """Give the user a new feed token; the old link stops working at once."""
    token = new_calendar_token()
    Profile.objects.filter(user=user).update(calendar_token=token)
    user.profile.calendar_token = token
    return token


@transaction.atomic
def team_calendar_token_rotate(*, team: Team) -> str:
    token = new_calendar_token()
    Team.objects.filter(pk=team.pk).update(team_calendar_token=token)
    team.team_calendar_token = token
    return token


# --- prospects -----------------------------------------------------------------------


@transaction.atomic
def prospect_create(
    *,
    owner: AbstractBaseUser,
    name: str,
    by: AbstractBaseUser | None,
    source: str = Source.OTHER,
    source_event=None,
    stage: str = Stage.LEAD,
    expected_value: Decimal | None = None,
    expected_close_date: date | None = None,
    created_at: datetime | None = None,
) -> Prospect:
    """Create a prospect in an open stage and write its first history rows."""
    created_at = _moment(created_at, "created_at")
    if stage not in Stage.open_stages():
        raise ValidationError(
            {"stage": "A prospect starts in an open stage; sign or lose it afterwards."}
        )
    _require_member(owner, "owner")
    prospect = Prospect(
        owner=owner,
        name=name,
        source=source,
        source_event=source_event,
        stage=stage,
        furthest_stage=stage,
        expected_value=expected_value,
        created_at=created_at,
    )
    prospect.full_clean()
    prospect.save()
    StageChange.objects.create(
        prospect=prospect,
        owner_id=prospect.owner_id,
        from_stage="",
        to_stage=stage,
        changed_at=created_at,
        by=by,
    )
    if expected_close_date is not None:
        _record_close_date(prospect, expected_close_date, by=by, at=created_at)
        prospect.save(update_fields=[*CLOSE_DATE_FIELDS, "updated_at"])
    return prospect


PROSPECT_EDITABLE = frozenset(
    {"name", "source", "source_event", "expected_value", "expected_close_date", "revisit_on"}
)


@transaction.atomic
def prospect_update(
    *,
    prospect: Prospect,
    by: AbstractBaseUser | None,
    data: Mapping[str, Any],
    at: datetime | None = None,
) -> Prospect:
    """Change plain fields; a new expected_close_date is recorded as a CloseDateChange."""
    at = _moment(at)
    refuse_unknown(
        data,
        PROSPECT_EDITABLE,
        hints=dict.fromkeys(
            ("stage", "contract_value", "signed_on", "lost_reason", "lost_on"),
            "Use move, sign, lose or reopen.",
        ),
    )
    locked = _lock(prospect)
    for field, value in data.items():
        if field != "expected_close_date":
            setattr(locked, field, value)
    if "expected_close_date" in data:
        _check_close_date_editable(locked)
        _record_close_date(locked, data["expected_close_date"], by=by, at=at)
    locked.full_clean()
    locked.save()
    return locked


def _check_close_date_editable(prospect: Prospect) -> None:
    if not prospect.is_open:
        raise ValidationError(
            {"expected_close_date": "A signed or lost prospect has no close date to move."}
        )


@transaction.atomic
def prospect_change_close_date(
    *,
    prospect: Prospect,
    expected_close_date: date | None,
    by: AbstractBaseUser | None,
    at: datetime | None = None,
) -> Prospect:
    """Move the expected close date (a push when later, a pull-in when earlier)."""
    at = _moment(at)
    locked = _lock(prospect)
    _check_close_date_editable(locked)
    if _record_close_date(locked, expected_close_date, by=by, at=at):
        locked.save(update_fields=[*CLOSE_DATE_FIELDS, "updated_at"])
    return locked


@transaction.atomic
def prospect_move(
    *, prospect: Prospect, to_stage: str, by: AbstractBaseUser | None, at: datetime | None = None
) -> Prospect:
    """Move an open prospect to another open stage, forward (skipping) or back."""
    at = _moment(at)
    locked = _lock(prospect)
    if locked.stage == Stage.CONTRACT:
        raise ValidationError({"stage": "A signed prospect is final."})
    if locked.stage == Stage.LOST:
        raise ValidationError({"stage": "A lost prospect must be reopened first."})
    if to_stage == Stage.CONTRACT:
        raise ValidationError({"stage": "A prospect enters contract only by signing."})
    if to_stage == Stage.LOST:
        raise ValidationError({"stage": "A prospect is lost only by losing it, with a reason."})
    if to_stage not in Stage.open_stages():
        raise ValidationError(
            {"stage": f"Unknown stage “{to_stage}”; use one of {', '.join(Stage.open_stages())}."}
        )
    if to_stage == locked.stage:
        raise ValidationError({"stage": f"The prospect is already in stage {to_stage}."})
    _record_stage(locked, to_stage, by=by, at=at)
    locked.save(update_fields=[*STAGE_FIELDS, "updated_at"])
    return locked


@transaction.atomic
def prospect_sign(
    *,
    prospect: Prospect,
    contract_value: Decimal | None,
    signed_on: date | None,
    by: AbstractBaseUser | None,
    at: datetime | None = None,
) -> Prospect:
    """Sign the contract: the prospect enters `contract` and is final."""
    at = _moment(at)
    locked = _lock(prospect)
    if locked.stage == Stage.CONTRACT:
        raise ValidationError({"stage": "The prospect is already signed."})
    if locked.stage == Stage.LOST:
        raise ValidationError({"stage": "Reopen a lost prospect before signing it."})
    errors = {}
    if contract_value is None:
        errors["contract_value"] = "A contract needs its value."
    if signed_on is None:
        errors["signed_on"] = "A contract needs the date it was signed."
    elif signed_on < _local_date(locked.owner, locked.created_at):
        errors["signed_on"] = "A contract cannot be signed before the prospect was created."
    if errors:
        raise ValidationError(errors)
    locked.contract_value = contract_value
    locked.signed_on = signed_on
    _record_stage(locked, Stage.CONTRACT, by=by, at=at)
    locked.full_clean()
    locked.save()
    return locked


@transaction.atomic
def prospect_lose(
    *,
    prospect: Prospect,
    reason: str,
    by: AbstractBaseUser | None,
    lost_on: date | None = None,
    revisit_on: date | None = None,
    at: datetime | None = None,
) -> Prospect:
    """Lose an open prospect with a reason; it remembers the stage it was lost from."""
    at = _moment(at)
    locked = _lock(prospect)
    if locked.stage == Stage.CONTRACT:
        raise ValidationError({"stage": "A signed prospect is final."})
    if locked.stage == Stage.LOST:
        raise ValidationError({"stage": "The prospect is already lost."})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the prospect was lost."})
    lost_on = lost_on or _local_date(locked.owner, at)
    if lost_on < _local_date(locked.owner, locked.created_at):
        raise ValidationError({"lost_on": "A prospect cannot be lost before it was created."})
    if revisit_on is not None and revisit_on <= lost_on:
        raise ValidationError({"revisit_on": "The revisit date comes after the day it was lost."})
    locked.lost_from_stage = locked.stage
    locked.lost_reason = reason[:300]
    locked.lost_on = lost_on
    locked.revisit_on = revisit_on
    _record_stage(locked, Stage.LOST, by=by, at=at, note=reason)
    locked.full_clean()
    locked.save()
    return locked


@transaction.atomic
def prospect_reopen(
    *, prospect: Prospect, by: AbstractBaseUser | None, at: datetime | None = None
) -> Prospect:
    """Reopen a lost prospect to the stage it was lost from (a refusal is not forever)."""
    at = _moment(at)
    locked = _lock(prospect)
    if locked.stage != Stage.LOST:
        raise ValidationError({"stage": "Only a lost prospect can be reopened."})
    _record_stage(locked, locked.lost_from_stage or Stage.LEAD, by=by, at=at, note="reopened")
    locked.lost_from_stage = ""
    locked.lost_reason = ""
    locked.lost_on = None
    locked.revisit_on = None
    locked.save()
    return locked


# --- contacts ------------------------------------------------------------------------

CONTACT_EDITABLE = frozenset({"name", "title", "email", "phone", "is_decision_maker"})


@transaction.atomic
def contact_create(
    *,
    prospect: Prospect,
    name: str,
    title: str = "",
    email: str = "",
    phone: str = "",
    is_decision_maker: bool = False,
) -> Contact:
    contact = Contact(
        prospect=prospect,
        name=name,
        title=title,
        email=email,
        phone=phone,
        is_decision_maker=is_decision_maker,
    )
    contact.full_clean()
    contact.save()
    return contact


@transaction.atomic
def contact_update(*, contact: Contact, data: Mapping[str, Any]) -> Contact:
    refuse_unknown(data, CONTACT_EDITABLE)
    return apply(lock(contact), data)


# --- calls ---------------------------------------------------------------------------


@transaction.atomic
def call_log(
    *,
    manager: AbstractBaseUser,
    at: datetime,
    outcome: str,
    by: AbstractBaseUser | None,
    prospect: Prospect | None = None,
    duration: timedelta = timedelta(0),
    direction: str = CallDirection.OUTBOUND,
    kind: str = CallKind.COLD,
    notes: str = "",
) -> Call:
    """Log a call; reaching a `lead` (talked, meeting booked) moves it to `contacted`."""
    at = _moment(at)
    _require_owner(prospect, manager, "prospect")
    call = Call(
        manager=manager,
        prospect=prospect,
        at=at,
        duration=duration,
        direction=direction,
        kind=kind,
        outcome=outcome,
        notes=notes,
    )
    call.full_clean()
    call.save()
    if prospect is not None and outcome in REACHING_OUTCOMES:
        locked = _lock(prospect)
        if locked.stage == Stage.LEAD:
            _record_stage(locked, Stage.CONTACTED, by=by, at=at, note="call")
            locked.save(update_fields=[*STAGE_FIELDS, "updated_at"])
            prospect.stage = locked.stage
    activity_changed(manager_id=manager.pk, prospect_id=None if prospect is None else prospect.pk)
    return call


# --- meetings ------------------------------------------------------------------------


def _check_attendees(prospect: Prospect, attendees: Iterable[Contact]) -> list[Contact]:
    attendees = list(attendees)
    if any(contact.prospect_id != prospect.pk for contact in attendees):
        raise ValidationError({"attendees": "Attendees are contacts of the meeting's prospect."})
    return attendees


@transaction.atomic
def meeting_plan(
    *,
    manager: AbstractBaseUser,
    prospect: Prospect,
    starts_at: datetime,
    ends_at: datetime,
    by: AbstractBaseUser | None,
    location: str = "",
    attendees: Iterable[Contact] = (),
    notes: str = "",
    ics_uid: str = "",
    ics_sequence: int = 0,
) -> Meeting:
    starts_at = _moment(starts_at, "starts_at")
    ends_at = _moment(ends_at, "ends_at")
    _require_owner(prospect, manager, "prospect")
    attendees = _check_attendees(prospect, attendees)
    meeting = Meeting(
        manager=manager,
        prospect=prospect,
        starts_at=starts_at,
        ends_at=ends_at,
        location=location,
        notes=notes,
        ics_uid=ics_uid,
        ics_sequence=ics_sequence,
        decision_maker_present=any(contact.is_decision_maker for contact in attendees),
    )
    meeting.full_clean()
    meeting.save()
    if attendees:
        meeting.attendees.set(attendees)
    return meeting


MEETING_EDITABLE = frozenset({"location", "notes", "attendees", "decision_maker_present"})


@transaction.atomic
def meeting_update(*, meeting: Meeting, data: Mapping[str, Any]) -> Meeting:
    """Change what a meeting is about; times and status have their own services."""
    refuse_unknown(
        data,
        MEETING_EDITABLE,
        hints=dict.fromkeys(
            ("status", "starts_at", "ends_at"), "Use hold, cancel, no-show or reschedule."
        ),
    )
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    attendees = data.get("attendees")
    for field, value in data.items():
        if field != "attendees":
            setattr(meeting, field, value)
    if attendees is not None:
        attendees = _check_attendees(meeting.prospect, attendees)
        if "decision_maker_present" not in data:
            meeting.decision_maker_present = any(c.is_decision_maker for c in attendees)
    meeting.full_clean()
    meeting.save()
    if attendees is not None:
        meeting.attendees.set(attendees)
    if meeting.status == MeetingStatus.HELD:
        prospect_activity_refresh(prospect_ids=[meeting.prospect_id])
    return meeting


def _lock_meeting(meeting: Meeting) -> Meeting:
    return Meeting.objects.select_for_update().select_related("prospect").get(pk=meeting.pk)


def _check_started(meeting: Meeting, now: datetime) -> None:
    if meeting.starts_at > now:
        raise ValidationError({"starts_at": "The meeting has not started yet."})


@transaction.atomic
def meeting_hold(
    *,
    meeting: Meeting,
    by: AbstractBaseUser | None,
    decision_maker_present: bool | None = None,
    at: datetime | None = None,
) -> Meeting:
    """Mark a planned meeting held; a prospect below `meeting` moves to `meeting`.

    Without ``decision_maker_present`` it is true when an attending contact is a decision
    maker. The stage change is dated at the meeting's start.
    """
    now = _moment(at)
    locked = _lock_meeting(meeting)
    if locked.status != MeetingStatus.PLANNED:
        raise ValidationError(
            {"status": f"Only a planned meeting can be held; this one is {locked.status}."}
        )
    _check_started(locked, now)
    if decision_maker_present is None:
        decision_maker_present = locked.attendees.filter(is_decision_maker=True).exists()
    locked.status = MeetingStatus.HELD
    locked.decision_maker_present = decision_maker_present
    locked.save(update_fields=["status", "decision_maker_present", "updated_at"])
    prospect = _lock(locked.prospect)
    if Stage.rank(prospect.stage) in (0, 1):  # lead or contacted
        _record_stage(prospect, Stage.MEETING, by=by, at=locked.starts_at, note="meeting held")
        prospect.save(update_fields=[*STAGE_FIELDS, "updated_at"])
    activity_changed(manager_id=locked.manager_id, prospect_id=prospect.pk)
    return locked


@transaction.atomic
def meeting_cancel(*, meeting: Meeting, by: AbstractBaseUser | None) -> Meeting:
    """Cancel a planned meeting; it stays (calendar feeds show it cancelled)."""
    locked = _lock_meeting(meeting)
    if locked.status != MeetingStatus.PLANNED:
        raise ValidationError(
            {"status": f"Only a planned meeting can be cancelled; this one is {locked.status}."}
        )
    locked.status = MeetingStatus.CANCELLED
    locked.sequence += 1
    locked.save(update_fields=["status", "sequence", "updated_at"])
    return locked


@transaction.atomic
def meeting_no_show(
    *, meeting: Meeting, by: AbstractBaseUser | None, at: datetime | None = None
) -> Meeting:
    """The prospect did not come to a planned meeting."""
    now = _moment(at)
    locked = _lock_meeting(meeting)
    if locked.status != MeetingStatus.PLANNED:
        raise ValidationError(
            {"status": f"Only a planned meeting can be a no-show; this one is {locked.status}."}
        )
    _check_started(locked, now)
    locked.status = MeetingStatus.NO_SHOW
    locked.save(update_fields=["status", "updated_at"])
    return locked


@transaction.atomic
def meeting_reschedule(
    *,
    meeting: Meeting,
    starts_at: datetime,
    ends_at: datetime,
    by: AbstractBaseUser | None,
) -> Meeting:
    """Move a meeting to a new time; it keeps its identity and raises its SEQUENCE.

    A cancelled or no-show meeting becomes planned again; a held one cannot move.
    """
    starts_at = _moment(starts_at, "starts_at")
    ends_at = _moment(ends_at, "ends_at")
    locked = _lock_meeting(meeting)
    if locked.status == MeetingStatus.HELD:
        raise ValidationError({"status": "A held meeting cannot be rescheduled."})
    locked.starts_at = starts_at
    locked.ends_at = ends_at
    locked.status = MeetingStatus.PLANNED
    locked.sequence += 1
    locked.full_clean()
    locked.save(update_fields=["starts_at", "ends_at", "status", "sequence", "updated_at"])
    return locked


# --- imported invitations (.ics) -------------------------------------------------------------

# Enough for any real agenda; Google's Meet block alone is about 600 characters.
IMPORTED_NOTES_MAX = 10_000


@transaction.atomic
def meeting_import(
    *,
    manager: AbstractBaseUser,
    invitation: Invitation,
    by: AbstractBaseUser | None,
    prospect: Prospect | None = None,
) -> tuple[Meeting, bool]:
    """Log an invitation (as ``events.ics.parse_invitation`` read it) as the manager's meeting.

    Returns the meeting and whether it is new. The invitation's UID is the key, per manager:

    - A new UID plans a meeting (``meeting_plan``) with the prospect the invitation's people
      point at: the manager's own prospects with a contact whose e-mail (any case) is an
      attendee's or the organizer's, the manager's own e-mail left out. It must be exactly
      one, unless ``prospect`` (one of the manager's own) says which. Notes are the summary,
      a blank line and the description (at most ``IMPORTED_NOTES_MAX`` characters); the
      location is cut to the column's length. A cancellation of an unknown UID is refused.
    - A known UID updates its meeting, which never moves to another prospect. An invitation
      older than the one imported before (lower SEQUENCE) is refused; the same SEQUENCE again
      is applied (Google keeps it for some edits), so the file wins over edits made here
      since. A cancellation cancels a planned meeting (``meeting_cancel``: a held or
      no-show one is refused; a cancelled one stays so). Otherwise a new time reschedules it
      (``meeting_reschedule``: raises our SEQUENCE; a held meeting cannot move), and so does
      a newer invitation for a cancelled meeting (the sender restored it); changed location,
      notes or attendees go through ``meeting_update``. Attendees become the invited
      contacts of the meeting's prospect, plus the attendees without an e-mail, whom no
      invitation can name.

    The sender's SEQUENCE is stored as ``ics_sequence``. Every refusal is a ValidationError
    on ``file``, ``prospect`` or (from the services used) ``status``, and nothing is written.
    """
    # Imports of one manager take turns, so a double submit of a new invitation updates the
    # meeting the first one made instead of failing on the unique UID.
    User.objects.select_for_update().filter(pk=manager.pk).first()
    uid_length = Meeting._meta.get_field("ics_uid").max_length
    if len(invitation.uid) > uid_length:
        raise ValidationError(
            {"file": f"The invitation's UID is longer than {uid_length} characters."}
        )
    _require_owner(prospect, manager, "prospect")
    emails = _invited_emails(invitation, manager)
    contacts = _invited_contacts(manager, emails)
    meeting = (
        Meeting.objects.select_for_update(of=("self",))
        .select_related("prospect")
        .filter(manager=manager, ics_uid=invitation.uid)
        .first()
    )
    if meeting is None:
        if invitation.cancelled:
            raise ValidationError(
                {
                    "file": "This is a cancellation of a meeting that was never imported; "
                    "nothing to cancel."
                }
            )
        prospect = prospect or _invited_prospect(manager, emails, contacts)
        meeting = meeting_plan(
            manager=manager,
            prospect=prospect,
            starts_at=invitation.starts_at,
            ends_at=invitation.ends_at,
            by=by,
            location=_imported_location(invitation),
            attendees=[c for c in contacts if c.prospect_id == prospect.pk],
            notes=_imported_notes(invitation),
            ics_uid=invitation.uid,
            ics_sequence=invitation.sequence,
        )
        return meeting, True
    return _meeting_reimport(meeting, invitation, contacts, prospect=prospect, by=by), False


def _meeting_reimport(
    meeting: Meeting,
    invitation: Invitation,
    contacts: list[Contact],
    *,
    prospect: Prospect | None,
    by: AbstractBaseUser | None,
) -> Meeting:
    """A known UID again: bring its meeting up to this version (see ``meeting_import``)."""
    if invitation.sequence < meeting.ics_sequence:
        raise ValidationError(
            {
                "file": f"This invitation (SEQUENCE {invitation.sequence}) is older than the "
                f"one already imported (SEQUENCE {meeting.ics_sequence}); nothing changed."
            }
        )
    if prospect is not None and prospect.pk != meeting.prospect_id:
        raise ValidationError(
            {
                "prospect": f"This invitation was imported as a meeting with "
                f"{meeting.prospect.name} (id {meeting.prospect_id}); a meeting does not "
                "move to another prospect."
            }
        )
    newer = invitation.sequence > meeting.ics_sequence
    if invitation.cancelled:
        # A cancellation says nothing new about time, place or people ("Canceled: …").
        if meeting.status != MeetingStatus.CANCELLED:
            meeting = meeting_cancel(meeting=meeting, by=by)
    else:
        moved = (meeting.starts_at, meeting.ends_at) != (invitation.starts_at, invitation.ends_at)
        if moved or (newer and meeting.status == MeetingStatus.CANCELLED):
            meeting = meeting_reschedule(
                meeting=meeting, starts_at=invitation.starts_at, ends_at=invitation.ends_at, by=by
            )
        changes = _imported_changes(meeting, invitation, contacts)
        if changes:
            meeting = meeting_update(meeting=meeting, data=changes)
    if newer:
        meeting.ics_sequence = invitation.sequence
        meeting.save(update_fields=["ics_sequence", "updated_at"])
    return meeting


def _invited_emails(invitation: Invitation, manager: AbstractBaseUser) -> list[str]:
    """The attendees' and the organizer's e-mails (lower-cased, file order), the manager's
    own left out: they are on every invitation they receive."""
    own = (getattr(manager, "email", "") or "").strip().lower()
    emails = dict.fromkeys((*invitation.attendee_emails, invitation.organizer_email))
    return [email for email in emails if email and email != own]


def _invited_contacts(manager: AbstractBaseUser, emails: list[str]) -> list[Contact]:
    """Contacts of the manager's own prospects with one of ``emails``, in any case."""
    if not emails:
        return []
    return list(
        Contact.objects.alias(email_lower=Lower("email"))
        .filter(prospect__owner=manager, email_lower__in=emails)
        .select_related("prospect")
        .order_by("prospect_id", "pk")
    )


def _invited_prospect(
    manager: AbstractBaseUser, emails: list[str], contacts: list[Contact]
) -> Prospect:
    """The one prospect the invited contacts belong to; none or several is a 400."""
    prospects = {contact.prospect_id: contact.prospect for contact in contacts}
    if len(prospects) == 1:
        return next(iter(prospects.values()))
    if prospects:
        names = ", ".join(f"{p.name} (id {p.pk})" for p in prospects.values())
        raise ValidationError(
            {
                "prospect": f"The attendees match several prospects: {names}; say which "
                "with prospect=<id>."
            }
        )
    if not emails:
        raise ValidationError(
            {
                "file": "The invitation names no attendee or organizer e-mail other than "
                f"{manager.get_username()}'s own, so it matches no prospect; say which with "
                "prospect=<id>."
            }
        )
    raise ValidationError(
        {
            "file": f"No prospect of {manager.get_username()} has a contact with any of these "
            f"e-mails: {', '.join(emails)}. Add the contact to the prospect first, or say "
            "which prospect with prospect=<id>."
        }
    )


def _imported_location(invitation: Invitation) -> str:
    """The location on one line, cut to the column's length."""
    limit = Meeting._meta.get_field("location").max_length
    return " ".join(invitation.location.split())[:limit]


def _imported_notes(invitation: Invitation) -> str:
    """The summary, a blank line and the description; at most ``IMPORTED_NOTES_MAX``."""
    parts = (invitation.summary.strip(), invitation.description.strip())
    return "\n\n".join(part for part in parts if part)[:IMPORTED_NOTES_MAX]


def _imported_changes(
    meeting: Meeting, invitation: Invitation, contacts: list[Contact]
) -> dict[str, Any]:
    """What ``meeting_update`` must change for the meeting to say what the invitation says."""
    changes: dict[str, Any] = {}
    location, notes = _imported_location(invitation), _imported_notes(invitation)
    if meeting.location != location:
        changes["location"] = location
    if meeting.notes != notes:
        changes["notes"] = notes
    current = list(meeting.attendees.all())
    wanted = {c.pk: c for c in contacts if c.prospect_id == meeting.prospect_id}
    # Contacts without an e-mail cannot be on any invitation: the file says nothing of them.
    wanted.update((c.pk, c) for c in current if not c.email.strip())
    if wanted.keys() != {c.pk for c in current}:
        changes["attendees"] = list(wanted.values())
        if meeting.status != MeetingStatus.PLANNED:
            # Who was present is recorded when a meeting is held; an invitation cannot
            # change that.
            changes["decision_maker_present"] = meeting.decision_maker_present
    return changes


# --- referrals -----------------------------------------------------------------------


@transaction.atomic
def referral_ask(
    *,
    manager: AbstractBaseUser,
    from_prospect: Prospect,
    asked_on: date,
    by: AbstractBaseUser | None,
    notes: str = "",
) -> Referral:
    """Record that the manager asked a client for a referral."""
    _require_owner(from_prospect, manager, "from_prospect")
    referral = Referral(
        manager=manager, from_prospect=from_prospect, asked_on=asked_on, notes=notes
    )
    referral.full_clean()
    referral.save()
    return referral


def _lock_referral(referral: Referral) -> Referral:
    return Referral.objects.select_for_update().get(pk=referral.pk)


@transaction.atomic
def referral_receive(
    *,
    referral: Referral,
    by: AbstractBaseUser | None,
    referred_prospect: Prospect | None = None,
    name: str = "",
    received_on: date | None = None,
    at: datetime | None = None,
) -> Referral:
    """The client referred someone: link an existing prospect or create one by name.

    The referred prospect's source becomes `referral`.
    """
    at = _moment(at)
    locked = _lock_referral(referral)
    if locked.status != ReferralStatus.ASKED:
        raise ValidationError({"status": f"This referral is already {locked.status}."})
    received_on = received_on or _local_date(locked.manager, at)
    if received_on < locked.asked_on:
        raise ValidationError({"received_on": "A referral is received after it was asked."})
    if referred_prospect is None:
        if not name.strip():
            raise ValidationError(
                {"referred_prospect": "Name the referred prospect, or give a name for a new one."}
            )
        referred_prospect = prospect_create(
            owner=locked.manager,
            name=name.strip(),
            by=by,
            source=Source.REFERRAL,
            created_at=at,
        )
    else:
        _require_owner(referred_prospect, locked.manager, "referred_prospect")
        if referred_prospect.pk == locked.from_prospect_id:
            raise ValidationError(
                {"referred_prospect": "The referred prospect cannot be the client who referred."}
            )
        if Referral.objects.filter(referred_prospect=referred_prospect).exists():
            raise ValidationError(
                {"referred_prospect": "That prospect already came from another referral."}
            )
        if referred_prospect.source == Source.EVENT:
            raise ValidationError(
                {"referred_prospect": "That prospect was sourced at an event, not by referral."}
            )
        if referred_prospect.source != Source.REFERRAL:
            Prospect.objects.filter(pk=referred_prospect.pk).update(source=Source.REFERRAL)
            referred_prospect.source = Source.REFERRAL
    locked.status = ReferralStatus.RECEIVED
    locked.referred_prospect = referred_prospect
    locked.answered_on = received_on
    locked.full_clean()
    locked.save()
    return locked


@transaction.atomic
def referral_decline(
    *,
    referral: Referral,
    by: AbstractBaseUser | None,
    declined_on: date | None = None,
    at: datetime | None = None,
) -> Referral:
    at = _moment(at)
    locked = _lock_referral(referral)
    if locked.status != ReferralStatus.ASKED:
        raise ValidationError({"status": f"This referral is already {locked.status}."})
    declined_on = declined_on or _local_date(locked.manager, at)
    if declined_on < locked.asked_on:
        raise ValidationError({"declined_on": "A referral is declined after it was asked."})
    locked.status = ReferralStatus.DECLINED
    locked.answered_on = declined_on
    locked.full_clean()
    locked.save()
    return locked


# --- plain edits ---------------------------------------------------------------------

CALL_EDITABLE = frozenset({"duration", "notes"})
REFERRAL_EDITABLE = frozenset({"notes"})
TEAM_EDITABLE = frozenset(
    {"name", "sector", "timezone", "work_week", "holiday_country", "rotting_days"}
)


@transaction.atomic
def call_update(*, call: Call, data: Mapping[str, Any]) -> Call:
    """A logged call is a fact (its outcome may have moved the funnel): only duration and
    notes change."""
    refuse_unknown(
        data, CALL_EDITABLE, hint="A logged call is a fact; only duration and notes change."
    )
    return apply(lock(call), data)


@transaction.atomic
def referral_update(*, referral: Referral, data: Mapping[str, Any]) -> Referral:
    refuse_unknown(data, REFERRAL_EDITABLE, hint="Use the receive or decline actions.")
    return apply(lock(referral), data)


@transaction.atomic
def team_update(*, team: Team, data: Mapping[str, Any]) -> Team:
    """Edit a team; a new time zone recounts its members' days (ActivityDay) in it."""
    refuse_unknown(data, TEAM_EDITABLE)
    team = lock(team)
    zone = team.timezone
    team = apply(team, data)
    if team.timezone != zone:
        activity_days_refresh(manager_ids=team.members.values_list("user_id", flat=True))
    return team


@transaction.atomic
def team_delete(*, team: Team) -> None:
    """Delete a team nobody is in; its events go with it.

    Refused while it has members (a manager or lead belongs to a team) or while one of its
    events is the source of prospects (they would lose their source).
    """
    if team.members.exists():
        raise ValidationError("The team still has members; move them to another team first.")
    if Prospect.objects.filter(source_event__team=team).exists():
        raise ValidationError(
            "Prospects were sourced at this team's events; the team cannot be deleted."
        )
    team.delete()


# --- the activity cache on prospects ---------------------------------------------------------


def activity_cache_values(prospect_model, meeting_model, call_model) -> dict[str, Any]:
    """The expressions that recompute Prospect.held_meetings, held_with_dm and
    last_touch_at from the calls and meetings (models passed in, so a migration can use
    its historical ones)."""
    prospect = OuterRef("pk")
    held = meeting_model.objects.filter(prospect=prospect, status=MeetingStatus.HELD)

    def count(queryset):
        return Coalesce(
            Subquery(
                queryset.order_by()
                .annotate(_one=Value(1))
                .values("_one")
                .annotate(n=Count("pk"))
                .values("n")[:1]
            ),
            Value(0),
        )

    last_call = Subquery(
        call_model.objects.filter(prospect=prospect).order_by("-at").values("at")[:1]
    )
    last_meeting = Subquery(held.order_by("-starts_at").values("starts_at")[:1])
    return {
        "held_meetings": count(held),
        "held_with_dm": count(held.filter(decision_maker_present=True)),
        # GREATEST is NULL on SQLite when either side is: coalesce each with the other.
        "last_touch_at": Greatest(
            Coalesce(last_call, last_meeting), Coalesce(last_meeting, last_call)
        ),
    }


def push_count_value(prospect_model, change_model) -> Coalesce:
    """The expression that recomputes Prospect.push_count from the prospect's
    CloseDateChanges: those that moved a date later (from NULL is not a push)."""
    pushes = (
        change_model.objects.filter(prospect=OuterRef("pk"), to_date__gt=F("from_date"))
        .order_by()
        .annotate(_one=Value(1))
        .values("_one")
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    return Coalesce(Subquery(pushes), Value(0))


def furthest_stage_value(change_model) -> Coalesce:
    """The expression that recomputes Prospect.furthest_stage from the prospect's
    StageChanges: the latest funnel stage (in funnel order) any of them entered."""
    rank = Case(
        *(When(to_stage=stage, then=Value(n)) for n, stage in enumerate(Stage.funnel())),
        output_field=IntegerField(),
    )
    furthest = (
        change_model.objects.filter(prospect=OuterRef("pk"), to_stage__in=Stage.funnel())
        .annotate(_rank=rank)
        .order_by("-_rank")
        .values("to_stage")[:1]
    )
    return Coalesce(Subquery(furthest), Value(""))


def prospect_history_refresh(*, prospect_ids: Iterable[int] | None = None) -> int:
    """Recompute what the services keep on these prospects (all when None) from their
    close-date and stage history, ``push_count`` and ``furthest_stage``. One UPDATE, for
    the bench loader after its bulk load; the services keep both as they write."""
    prospects = Prospect.objects.all()
    if prospect_ids is not None:
        prospects = prospects.filter(pk__in={pk for pk in prospect_ids if pk is not None})
    return prospects.update(
        push_count=push_count_value(Prospect, CloseDateChange),
        furthest_stage=furthest_stage_value(StageChange),
    )


def prospect_activity_refresh(*, prospect_ids: Iterable[int] | None = None) -> int:
    """Rewrite the activity cache of these prospects (all when None) from their calls and
    meetings. One UPDATE; every service that adds, holds, changes or deletes a call or a
    meeting calls it, and so do the demo and the bench loader after their bulk loads."""
    prospects = Prospect.objects.all()
    if prospect_ids is not None:
        ids = {pk for pk in prospect_ids if pk is not None}
        if not ids:
            return 0
        prospects = prospects.filter(pk__in=ids)
    return prospects.update(**activity_cache_values(Prospect, Meeting, Call))


def activity_days_select(
    manager_ids: set[int] | None, call_model=Call, meeting_model=Meeting
) -> tuple[str, list]:
    """SQL for every (user, local day, calls, held meetings) of these users (all when
    None), each day in the time zone of the user's team; users without a team have none.
    (Models passed in, so a migration can use its historical ones.)"""
    members = Q(manager__profile__team__isnull=False)
    if manager_ids is not None:
        members &= Q(manager_id__in=manager_ids)
    calls = (
        call_model.objects.filter(members)
        .values("manager_id", day=local_date("at", "manager"))
        .annotate(calls=Count("pk"), meetings=Value(0))
        .order_by()
    )
    held = (
        meeting_model.objects.filter(members, status=MeetingStatus.HELD)
        .values("manager_id", day=local_date("starts_at", "manager"))
        .annotate(calls=Value(0), meetings=Count("pk"))
        .order_by()
    )
    union = calls.union(held, all=True)
    sql, params = union.query.get_compiler(using=union.db).as_sql()
    return (
        "SELECT manager_id, day, SUM(calls), SUM(meetings) "
        f"FROM ({sql}) AS activity GROUP BY manager_id, day",
        list(params),
    )


@transaction.atomic
def activity_days_refresh(*, manager_ids: Iterable[int] | None = None) -> int:
    """Rewrite the ActivityDay rows of these users (all when None) from their calls and
    held meetings, in their team's time zone now, and mark them counted in that zone.
    Returns the number of day rows written.

    The services call it for the user after every write that adds or removes a call or a
    held meeting; the demo and the bench loader call it once after their bulk loads.
    """
    ids = None if manager_ids is None else {pk for pk in manager_ids if pk is not None}
    if ids is not None and not ids:
        return 0
    days = ActivityDay.objects.filter(**({} if ids is None else {"manager_id__in": ids}))
    profiles = Profile.objects.filter(**({} if ids is None else {"user_id__in": ids}))
    # Lock the profiles first: two writes for the same user rewrite their days in turn.
    list(profiles.select_for_update().values_list("pk", flat=True).order_by("pk"))
    days.delete()
    select, params = activity_days_select(ids)
    table = ActivityDay._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (manager_id, day, calls, held_meetings) {select}", params
        )
        written = cursor.rowcount
    team_zone = Team.objects.filter(pk=OuterRef("team_id")).values("timezone")[:1]
    profiles.update(activity_days_tz=Coalesce(Subquery(team_zone), Value("")))
    return written


def activity_changed(*, manager_id: int, prospect_id: int | None) -> None:
    """After a call or a held meeting was added or removed: both activity caches."""
    if prospect_id is not None:
        prospect_activity_refresh(prospect_ids=[prospect_id])
    activity_days_refresh(manager_ids=[manager_id])


@transaction.atomic
def call_delete(*, call: Call) -> None:
    """Delete a call; the activity caches follow."""
    manager_id, prospect_id = call.manager_id, call.prospect_id
    call.delete()
    activity_changed(manager_id=manager_id, prospect_id=prospect_id)


@transaction.atomic
def meeting_delete(*, meeting: Meeting) -> None:
    """Delete a meeting; the activity caches follow."""
    manager_id, prospect_id = meeting.manager_id, meeting.prospect_id
    meeting.delete()
    activity_changed(manager_id=manager_id, prospect_id=prospect_id)
