"""Reads of the CRM domain, and who may see what (SPEC section 1).

A manager sees their own records, a lead their team's, an admin everything. Anything
else is hidden, so the API answers 404 for it and never leaks that an id exists.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Q, QuerySet

from crm.models import (
    Call,
    Contact,
    Meeting,
    Profile,
    Prospect,
    Referral,
    ReferralStatus,
    Role,
    Team,
)

User = get_user_model()


def profile_of(user: AbstractBaseUser) -> Profile | None:
    """The user's profile (cached on the user object for the rest of the request)."""
    if not user.is_authenticated:
        return None
    try:
        return user.profile
    except Profile.DoesNotExist:
        return None


def role_of(user: AbstractBaseUser) -> str | None:
    """admin for superusers; else the profile's role; None without a profile."""
    if user.is_authenticated and user.is_superuser:
        return Role.ADMIN
    profile = profile_of(user)
    return profile.role if profile else None


def team_id_of(user: AbstractBaseUser) -> int | None:
    profile = profile_of(user)
    return profile.team_id if profile else None


def owner_filter(user: AbstractBaseUser, field: str) -> Q:
    """The condition on ``field`` (a user FK path) for rows the user may see."""
    role = role_of(user)
    if role == Role.ADMIN:
        return Q()
    if role == Role.LEAD:
        team_id = team_id_of(user)
        return Q(**{f"{field}__profile__team_id": team_id}) if team_id else Q(pk__in=[])
    if role == Role.MANAGER:
        return Q(**{f"{field}_id": user.pk})
    return Q(pk__in=[])


def visible_users(user: AbstractBaseUser) -> QuerySet:
    role = role_of(user)
    users = User.objects.select_related("profile__team")
    if role == Role.ADMIN:
        return users
    if role == Role.LEAD:
        return users.filter(profile__team_id=team_id_of(user))
    if role == Role.MANAGER:
        return users.filter(pk=user.pk)
    return users.none()


def visible_teams(user: AbstractBaseUser) -> QuerySet[Team]:
    if role_of(user) == Role.ADMIN:
        return Team.objects.select_related("sector", "lead")
    return Team.objects.select_related("sector", "lead").filter(pk=team_id_of(user) or 0)


def visible_prospects(user: AbstractBaseUser) -> QuerySet[Prospect]:
    return Prospect.objects.filter(owner_filter(user, "owner"))


def visible_contacts(user: AbstractBaseUser) -> QuerySet[Contact]:
    return Contact.objects.filter(owner_filter(user, "prospect__owner"))


def visible_calls(user: AbstractBaseUser) -> QuerySet[Call]:
    return Call.objects.filter(owner_filter(user, "manager"))


def visible_meetings(user: AbstractBaseUser) -> QuerySet[Meeting]:
    return Meeting.objects.filter(owner_filter(user, "manager"))


def visible_referrals(user: AbstractBaseUser) -> QuerySet[Referral]:
    return Referral.objects.filter(owner_filter(user, "manager"))


# --- one prospect's history -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One line of a prospect's history, for the detail page (newest first)."""

    at: datetime  # when it happened (a date-only record: the start of that day in ``zone``)
    kind: str  # stage, close_date, call, meeting, referral, referred
    title: str
    detail: str = ""
    status: str = ""  # a CSS-friendly tag: the meeting's status, push / pull_in, …
    all_day: bool = False  # only the date is known
    meeting_id: int | None = None


def prospect_timeline(prospect: Prospect, zone: tzinfo) -> list[TimelineEntry]:
    """Every recorded change and activity of ``prospect``, newest first: stage changes,
    close-date changes (pushes and pull-ins), calls, meetings with their status and
    whether a decision maker was there, referrals asked of it, and the referral it came
    from. Five queries, whatever the history's length; merged here, since it is one
    prospect's history."""
    entries: list[TimelineEntry] = []
    for change in prospect.stage_changes.order_by():
        if change.from_stage:
            title = f"Stage {change.from_stage} → {change.to_stage}"
        else:
            title = f"Created in stage {change.to_stage}"
        entries.append(TimelineEntry(change.changed_at, "stage", title, change.note, "stage"))
    for change in prospect.close_date_changes.order_by():
        if change.from_date is None:
            title, status = f"Close date set to {_day(change.to_date)}", "set"
        elif change.to_date is None:
            title, status = f"Close date {_day(change.from_date)} cleared", "cleared"
        elif change.to_date > change.from_date:
            title, status = (
                f"Close date pushed {_day(change.from_date)} → {_day(change.to_date)}",
                "push",
            )
        else:
            title = f"Close date pulled in {_day(change.from_date)} → {_day(change.to_date)}"
            status = "pull_in"
        entries.append(TimelineEntry(change.changed_at, "close_date", title, "", status))
    for call in prospect.calls.order_by():
        minutes = int(call.duration.total_seconds() // 60)
        detail = " · ".join(
            part
            for part in (
                call.get_direction_display(),
                f"{minutes} min" if minutes else "",
                call.notes,
            )
            if part
        )
        entries.append(
            TimelineEntry(
                call.at, "call", f"Call: {call.get_outcome_display()}", detail, call.outcome
            )
        )
    for meeting in prospect.meetings.order_by():
        parts = [
            meeting.location,
            "decision maker present" if meeting.decision_maker_present else "",
            meeting.notes,
        ]
        entries.append(
            TimelineEntry(
                meeting.starts_at,
                "meeting",
                f"Meeting ({meeting.get_status_display()})",
                " · ".join(part for part in parts if part),
                meeting.status,
                meeting_id=meeting.pk,
            )
        )
    for referral in prospect.referrals_given.select_related("referred_prospect").order_by():
        entries.append(
            TimelineEntry(
                _start_of(referral.asked_on, zone),
                "referral",
                "Referral asked",
                referral.notes,
                "asked",
                all_day=True,
            )
        )
        if referral.answered_on is not None:
            if referral.status == ReferralStatus.RECEIVED and referral.referred_prospect:
                title = f"Referral received: {referral.referred_prospect.name}"
            else:
                title = f"Referral {referral.get_status_display()}"
            entries.append(
                TimelineEntry(
                    _start_of(referral.answered_on, zone),
                    "referral",
                    title,
                    "",
                    referral.status,
                    all_day=True,
                )
            )
    came_from = (
        Referral.objects.filter(referred_prospect=prospect).select_related("from_prospect").first()
    )
    if came_from is not None:
        day = came_from.answered_on or came_from.asked_on
        entries.append(
            TimelineEntry(
                _start_of(day, zone),
                "referred",
                f"Referred by {came_from.from_prospect.name}",
                "",
                "received",
                all_day=True,
            )
        )
    entries.sort(key=lambda entry: entry.at, reverse=True)
    return entries


def _day(day: date | None) -> str:
    return "none" if day is None else day.isoformat()


def _start_of(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)
