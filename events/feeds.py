"""What goes into a calendar: meetings and events read from the database as plain
``events.ics.CalendarItem`` values, for the subscription feeds and one-off downloads.

A feed is a constant number of queries whatever its size (the meetings in the window, their
invited contacts, their prospects' decision makers, the events attended, who attends them)
and holds only the window's rows, so memory follows the window, not the whole history.

- Meetings: every status is in the feed. Planned → TENTATIVE, held → CONFIRMED, cancelled
  and no-show → CANCELLED, so a calendar strikes them through instead of keeping a stale
  copy. The UID is ``meeting-<id>@funnelbook`` (or the UID of the imported invitation), and
  SEQUENCE is the meeting's own, raised by every reschedule and cancellation.
- Events: those the feed's owner goes to (attendance planned → TENTATIVE, attended →
  CONFIRMED, cancelled → CANCELLED with SEQUENCE one higher, since the event itself did
  not change). A team feed has each event once, by the most committed member's status.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import connections
from django.db.models import BigIntegerField, Count, F, Func, Max, Q, QuerySet, Sum
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from crm.models import Contact, Meeting, MeetingStatus, Profile, Team
from events.ics import CalendarItem, Person
from events.models import AttendanceStatus, Event, EventAttendance

UID_DOMAIN = "funnelbook"
DEFAULT_PAST_DAYS = 90
DEFAULT_AHEAD_DAYS = 365
MAX_WINDOW_DAYS = 3660  # ten years either way

# A team feed shows an event by the most committed member: someone went, else someone goes.
_COMMITMENT = {AttendanceStatus.ATTENDED: 2, AttendanceStatus.PLANNED: 1}


class EpochMicroseconds(Func):
    """A PostgreSQL timestamptz as whole microseconds since 1970 (exact: EXTRACT returns a
    numeric). The driver reads a bigint several times faster than a timestamp's text, which
    was a third of a big feed's time."""

    output_field = BigIntegerField()
    template = "(EXTRACT(EPOCH FROM %(expressions)s) * 1000000)::bigint"

    @property
    def convert_value(self):
        # The driver already gives an int; Django's int() of every value (a function call
        # a column and row) was a fifth of reading a big feed's meetings (5 of 22 ms).
        return self._convert_value_noop


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MEETING_MOMENTS = ("starts_at", "ends_at", "updated_at")


@dataclass(frozen=True, slots=True)
class Window:
    """The part of the calendar a feed covers: meetings and events that overlap it."""

    start: datetime
    end: datetime

    @classmethod
    def around(cls, now: datetime, *, past_days: int, ahead_days: int) -> Window:
        return cls(now - timedelta(days=past_days), now + timedelta(days=ahead_days))


@dataclass(frozen=True, slots=True)
class Feed:
    """A calendar ready to write: its name, zone and items, and when it last changed."""

    name: str
    timezone: str
    items: list[CalendarItem]

    @property
    def last_modified(self) -> datetime | None:
        return max((item.last_modified for item in self.items), default=None)


def now() -> datetime:
    """The moment a feed's window is centred on (a function, so tests can fix it)."""
    return timezone.now()


def uid(kind: str, pk: int) -> str:
    return f"{kind}-{pk}@{UID_DOMAIN}"


def person_name(first: str, last: str, username: str) -> str:
    return f"{first} {last}".strip() or username


# --- who a token belongs to ------------------------------------------------------------------


def profile_for_token(token: str) -> Profile | None:
    """The active user whose personal feed this token opens; None for any other string
    (unknown, rotated, or a deactivated user's), so callers answer the same 404."""
    if not token:
        return None
    return (
        Profile.objects.select_related("user", "team")
        .filter(calendar_token=token, user__is_active=True)
        .first()
    )


def team_for_token(token: str) -> Team | None:
    if not token:
        return None
    return Team.objects.filter(team_calendar_token=token).first()


# --- feeds -----------------------------------------------------------------------------------


def personal_feed(profile: Profile, window: Window, *, link: Callable[[str, int], str]) -> Feed:
    """The user's meetings and the events they go to, in the window."""
    user = profile.user
    meetings, attendances = _personal_rows(profile)
    name = person_name(user.first_name, user.last_name, user.get_username())
    items = _meeting_items(meetings, window, link=link, with_manager=False)
    items += _event_items(attendances, window, link=link, fallback_zone=profile.effective_timezone)
    return Feed(f"Funnelbook: {name}", profile.effective_timezone, _ordered(items))


def team_feed(team: Team, window: Window, *, link: Callable[[str, int], str]) -> Feed:
    """Every member's meetings and the events any member goes to, in the window."""
    meetings, attendances = _team_rows(team)
    items = _meeting_items(meetings, window, link=link, with_manager=True)
    items += _event_items(attendances, window, link=link, fallback_zone=team.timezone)
    return Feed(f"Funnelbook: team {team.name}", team.timezone, _ordered(items))


def _personal_rows(profile: Profile) -> tuple[QuerySet[Meeting], QuerySet[EventAttendance]]:
    user_id = profile.user_id
    return (
        Meeting.objects.filter(manager_id=user_id),
        EventAttendance.objects.filter(manager_id=user_id),
    )


def _team_rows(team: Team) -> tuple[QuerySet[Meeting], QuerySet[EventAttendance]]:
    members = Q(manager__profile__team_id=team.pk)
    return Meeting.objects.filter(members), EventAttendance.objects.filter(members)


# --- versions: has anything in a feed changed? --------------------------------------------------


def personal_version(profile: Profile, window: Window) -> tuple:
    """What the personal feed's bytes depend on (see ``_version``), plus the user's own
    names and zones."""
    user = profile.user
    people = (user.get_username(), user.first_name, user.last_name, user.email)
    zones = (profile.timezone, profile.team.timezone if profile.team_id else "")
    return (*people, *zones, *_version(*_personal_rows(profile), window))


def team_version(team: Team, window: Window) -> tuple:
    return (team.name, team.timezone, *_version(*_team_rows(team), window))


def _version(
    meetings: QuerySet[Meeting],
    attendances: QuerySet[EventAttendance],
    window: Window,
) -> tuple:
    """Counts, sums of ids and newest changes of every row a feed is written from: the
    meetings in the window (and so any that enter or leave it as time passes), their
    prospects, their prospects' contacts (attendees and decision makers are among them),
    the attendances in the window, their events and those events' other attendances.

    Every service write moves an ``updated_at`` (a meeting's attendees are set with the
    meeting saved), and a deletion moves a count, so an unchanged version means unchanged
    bytes. (Names of other people, the members of a team feed or an event's attendees,
    are not in it: a cached feed also expires after a few minutes, see events.views.)
    Three aggregate queries: the feed's own attendances are among everyone's attendances
    of the same events, so those cover both."""
    meetings = meetings.filter(ends_at__gt=window.start, starts_at__lt=window.end)
    attendances = attendances.filter(
        event__ends_at__gt=window.start, event__starts_at__lt=window.end
    )
    contacts = Contact.objects.filter(prospect_id__in=meetings.values("prospect_id"))
    going = EventAttendance.objects.filter(event_id__in=attendances.values("event_id"))
    # One pass over each table (a scalar subquery per number would scan it once each).
    parts = [
        meetings.aggregate(
            n=Count("pk"), ids=Sum("pk"), at=Max("updated_at"), of=Max("prospect__updated_at")
        ),
        contacts.aggregate(n=Count("pk"), ids=Sum("pk"), at=Max("updated_at")),
        going.aggregate(
            n=Count("pk"), ids=Sum("pk"), at=Max("updated_at"), of=Max("event__updated_at")
        ),
    ]
    return tuple(tuple(sorted(part.items())) for part in parts)


def meeting_feed(meeting: Meeting, *, link: Callable[[str, int], str]) -> Feed:
    """One meeting, for an invitation or a cancellation sent to its attendees."""
    items = _meeting_items(
        Meeting.objects.filter(pk=meeting.pk), None, link=link, with_manager=False
    )
    return Feed(f"Funnelbook: meeting {meeting.pk}", items[0].timezone, items)


def event_feed(
    event: Event, user: AbstractBaseUser, *, link: Callable[[str, int], str], zone: str
) -> Feed:
    """One event as the user sees it: with every member who goes, and cancelled when the
    user's own attendance is."""
    attendances = EventAttendance.objects.filter(event_id=event.pk)
    own = attendances.filter(manager_id=user.pk).values_list("status", flat=True).first()
    items = _event_items(attendances, None, link=link, fallback_zone=zone, own_status=own)
    if not items:  # nobody goes yet: the event alone, as planned
        items = _event_items_from(
            [_event_row(event)], {}, link=link, fallback_zone=zone, own_status=own
        )
    return Feed(f"Funnelbook: {event.name}", zone, items)


def _ordered(items: list[CalendarItem]) -> list[CalendarItem]:
    return sorted(items, key=lambda item: (item.starts_at, item.uid))


# --- meetings --------------------------------------------------------------------------------

_MEETING_STATUS = {
    MeetingStatus.PLANNED: "planned",
    MeetingStatus.HELD: "held",
    MeetingStatus.CANCELLED: "cancelled",
    MeetingStatus.NO_SHOW: "no_show",
}


def _meeting_items(
    meetings: QuerySet[Meeting],
    window: Window | None,
    *,
    link: Callable[[str, int], str],
    with_manager: bool,
) -> list[CalendarItem]:
    """Four queries: the meetings, their managers, who each meeting invites, and the
    contacts of their prospects (the invited and the decision makers are among them: a
    meeting's attendees are contacts of its prospect, see ``crm.services``; when one is
    not, the contacts are read again with it).

    Read as tuples, and what repeats from one meeting to the next (the manager, a
    prospect's lines, a contact) is made once: a busy manager's year is about 5,000
    meetings with a few hundred prospects and one organizer."""
    if window is not None:
        meetings = meetings.filter(ends_at__gt=window.start, starts_at__lt=window.end)
    rows = _meeting_rows(meetings)
    if not rows:
        return []
    managers: dict[int, tuple[str, Person, str]] = {}  # id -> (name, organizer, zone)
    for pk, username, first, last, email, own_zone, team_zone in (
        get_user_model()
        .objects.filter(pk__in=meetings.values("manager_id"))
        .values_list(
            "pk",
            "username",
            "first_name",
            "last_name",
            "email",
            "profile__timezone",
            "profile__team__timezone",
        )
    ):
        name = person_name(first, last, username)
        managers[pk] = (name, Person(name, email), own_zone or team_zone or "UTC")
    invited_ids: dict[int, list[int]] = defaultdict(list)  # contact id -> meeting ids
    for contact_id, meeting_id in Meeting.attendees.through.objects.filter(
        meeting_id__in=meetings.values("pk")
    ).values_list("contact_id", "meeting_id"):
        invited_ids[contact_id].append(meeting_id)
    of_prospects = Q(prospect_id__in=meetings.values("prospect_id"))
    contact_rows = _contact_rows(Contact.objects.filter(of_prospects))
    missing = invited_ids.keys() - {row[0] for row in contact_rows}
    if missing:  # not a contact of the meeting's prospect: written by hand, not the services
        contact_rows = _contact_rows(Contact.objects.filter(of_prospects | Q(pk__in=missing)))
    invited: dict[int, list[tuple[Person, str]]] = defaultdict(list)
    deciders: dict[int, list[str]] = defaultdict(list)
    for contact_id, prospect_id, name, title, email, is_decision_maker in contact_rows:
        named = _named(name, title)
        if is_decision_maker:
            deciders[prospect_id].append(named)
        meeting_ids = invited_ids.get(contact_id)
        if meeting_ids:
            person = (Person(name, email), named)
            for meeting_id in meeting_ids:
                invited[meeting_id].append(person)

    shown: dict[tuple[int, int], tuple[str, str, str, str, str]] = {}
    items = []
    for (
        pk,
        prospect_id,
        location,
        status,
        notes,
        sequence,
        ics_uid,
        prospect_name,
        stage,
        manager_id,
        starts_at,
        ends_at,
        updated_at,
    ) in rows:
        manager_name, organizer, zone = managers[manager_id]
        # What a prospect's meetings share: the summary, the description around the list
        # of contacts, the link.
        lines = shown.get((prospect_id, manager_id))
        if lines is None:
            url = link("prospect", prospect_id)
            summary = f"Meeting: {prospect_name}"
            if with_manager:
                summary += f" ({manager_name})"
            decider = ", ".join(deciders.get(prospect_id, ())) or "not known yet"
            head = f"Prospect: {prospect_name} ({stage})\nAccount manager: {manager_name}"
            lines = shown[prospect_id, manager_id] = (
                summary,
                f"{head}\nContacts: ",
                f"\nDecision maker: {decider}",
                f"\n\n{url}",
                url,
            )
        summary, head, decider_line, url_tail, url = lines
        contacts = invited.get(pk)
        if contacts:
            invitees = ", ".join([named for _, named in contacts])
            attendees = tuple([person for person, _ in contacts])
        else:
            invitees, attendees = "none invited", ()
        notes = notes.strip()
        notes_part = f"\n\n{notes}" if notes else ""
        items.append(
            CalendarItem(  # by position, in the order of its fields (keywords cost twice)
                ics_uid or uid("meeting", pk),
                "meeting",
                summary,
                starts_at,
                ends_at,
                zone,
                _MEETING_STATUS[status],
                sequence,
                # The meeting's own change; an edited contact or prospect changes the
                # bytes, and so the feed's ETag, without moving LAST-MODIFIED.
                updated_at,
                location,
                f"{head}{invitees}{decider_line}{notes_part}{url_tail}",
                url,
                organizer,
                attendees,
            )
        )
    return items


def _contact_rows(contacts: QuerySet[Contact]) -> list[tuple]:
    """In name order, so that each meeting's invited list is too."""
    return list(
        contacts.order_by("name", "pk").values_list(
            "pk", "prospect_id", "name", "title", "email", "is_decision_maker"
        )
    )


def _meeting_rows(meetings: QuerySet[Meeting]) -> list[tuple]:
    """The meetings as tuples, in the order ``_meeting_items`` unpacks them; the three
    times last, as aware datetimes."""
    columns = [
        "pk",
        "prospect_id",
        "location",
        "status",
        "notes",
        "sequence",
        "ics_uid",
        "prospect__name",
        "prospect__stage",
        "manager_id",
    ]
    if connections[meetings.db].vendor != "postgresql":
        return list(meetings.order_by().values_list(*columns, *MEETING_MOMENTS))
    # PostgreSQL: the times as epoch microseconds (see EpochMicroseconds), back to datetimes.
    moments = [EpochMicroseconds(name) for name in MEETING_MOMENTS]
    epoch, micros = _EPOCH, timedelta(microseconds=1)
    return [
        (*row[:-3], epoch + row[-3] * micros, epoch + row[-2] * micros, epoch + row[-1] * micros)
        for row in meetings.order_by().values_list(*columns, *moments)
    ]


def _named(name: str, title: str) -> str:
    return f"{name} ({title})" if title else name


# --- events ----------------------------------------------------------------------------------


def _event_row(event: Event) -> dict:
    return {
        "event_id": event.pk,
        "name": event.name,
        "kind": event.kind,
        "starts_at": event.starts_at,
        "ends_at": event.ends_at,
        "location": event.location,
        "url": event.url,
        "sequence": event.sequence,
        "event_changed": event.updated_at,
        "team_zone": event.team.timezone if event.team_id else None,
        "status": AttendanceStatus.PLANNED,
        "changed": event.updated_at,
        "creator": None,
        "creator_email": "",
    }


def _event_items(
    attendances: QuerySet[EventAttendance],
    window: Window | None,
    *,
    link: Callable[[str, int], str],
    fallback_zone: str,
    own_status: str | None = None,
) -> list[CalendarItem]:
    """Two queries: the attendances (one row per event and attendee in the set), and every
    member going to those events, for ATTENDEE."""
    if window is not None:
        attendances = attendances.filter(
            event__ends_at__gt=window.start, event__starts_at__lt=window.end
        )
    rows = list(
        attendances.order_by().values(
            "event_id",
            "status",
            name=F("event__name"),
            kind=F("event__kind"),
            starts_at=F("event__starts_at"),
            ends_at=F("event__ends_at"),
            location=F("event__location"),
            url=F("event__url"),
            sequence=F("event__sequence"),
            event_changed=F("event__updated_at"),
            team_zone=F("event__team__timezone"),
            changed=F("updated_at"),
            creator=F("event__created_by__username"),
            creator_first=F("event__created_by__first_name"),
            creator_last=F("event__created_by__last_name"),
            creator_email=F("event__created_by__email"),
        )
    )
    if not rows:
        return []
    going: dict[int, list[Person]] = defaultdict(list)
    for row in (
        EventAttendance.objects.filter(
            event_id__in=attendances.values("event_id"),
            status__in=[AttendanceStatus.PLANNED, AttendanceStatus.ATTENDED],
        )
        .order_by("manager__username")
        .values(
            "event_id",
            username=F("manager__username"),
            first=F("manager__first_name"),
            last=F("manager__last_name"),
            email=F("manager__email"),
        )
    ):
        going[row["event_id"]].append(
            Person(person_name(row["first"], row["last"], row["username"]), row["email"])
        )
    return _event_items_from(
        rows, going, link=link, fallback_zone=fallback_zone, own_status=own_status
    )


def _event_items_from(
    rows: Iterable[dict],
    going: dict[int, list[Person]],
    *,
    link: Callable[[str, int], str],
    fallback_zone: str,
    own_status: str | None,
) -> list[CalendarItem]:
    """One item per event: several attendance rows of one event (a team feed, a download)
    become one, with the most committed status, or the user's own when given."""
    by_event: dict[int, dict] = {}
    for row in rows:
        seen = by_event.get(row["event_id"])
        if seen is None or _COMMITMENT.get(row["status"], 0) > _COMMITMENT.get(seen["status"], 0):
            by_event[row["event_id"]] = row | {
                "changed": max(row["changed"], seen["changed"]) if seen else row["changed"]
            }
        else:
            seen["changed"] = max(seen["changed"], row["changed"])
    items = []
    for event_id, row in by_event.items():
        status = own_status or row["status"]
        cancelled = status == AttendanceStatus.CANCELLED
        creator = row.get("creator")
        organizer = None
        if creator:
            organizer = Person(
                person_name(row.get("creator_first", ""), row.get("creator_last", ""), creator),
                row["creator_email"],
            )
        kind_label = row["kind"].replace("_", " ")
        description = [f"{kind_label.capitalize()}: {row['name']}"]
        if row["location"]:
            description.append(f"Where: {row['location']}")
        description.append(row["url"] or link("event", event_id))
        items.append(
            CalendarItem(
                uid=uid("event", event_id),
                kind=row["kind"],
                summary=row["name"],
                starts_at=row["starts_at"],
                ends_at=row["ends_at"],
                timezone=row["team_zone"] or fallback_zone,
                status="cancelled" if cancelled else status,
                # The event did not change when someone stops going; their calendar only
                # drops it for a higher SEQUENCE.
                sequence=row["sequence"] + (1 if cancelled else 0),
                last_modified=max(row["event_changed"], row["changed"]),
                location=row["location"],
                description="\n".join(description),
                url=row["url"] or link("event", event_id),
                organizer=organizer,
                attendees=tuple(going.get(event_id, ())),
            )
        )
    return items


# --- links -----------------------------------------------------------------------------------


def link_builder(base_url: str) -> Callable[[str, int], str]:
    """Absolute links back into Funnelbook: the page of a prospect or an event when the web
    pages are installed, else its API resource (which a signed-in browser shows too)."""
    base_url = base_url.rstrip("/")
    paths: dict[str, str] = {}

    def path_of(kind: str) -> str:
        if kind not in paths:
            for name in (f"{kind}-page", f"{kind}-detail"):
                try:
                    paths[kind] = reverse(name, args=[0]).replace("/0/", "/{pk}/")
                    break
                except NoReverseMatch:
                    continue
            else:
                paths[kind] = f"/api/{kind}s/{{pk}}/"
        return paths[kind]

    def link(kind: str, pk: int) -> str:
        return base_url + path_of(kind).format(pk=pk)

    return link
