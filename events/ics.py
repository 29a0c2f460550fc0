"""iCalendar (RFC 5545) in and out, with the ``icalendar`` library: feeds and invitations.

Pure: plain dataclasses in, bytes out (and bytes in, a dataclass out). Nothing here imports
the ORM; the caller maps meetings and events to ``CalendarItem`` first, and stores what
``parse_invitation`` returns itself.

- ``build_calendar`` writes one VCALENDAR: a VTIMEZONE per zone it uses, a VEVENT per item,
  DTSTART/DTEND in the item's own zone. Same input, same bytes (callers hash it for an ETag).
- ``parse_invitation`` reads one meeting invitation as Outlook or Google Calendar send it and
  gives the UTC instants; anything it cannot log as a single meeting is an
  ``InvitationError`` saying why.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from icalendar import (
    Calendar,
    Component,
    Timezone,
    is_utc,
)
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from crm.zones import named_zone

PRODID = "-//Funnelbook//Funnelbook//EN"
METHODS = frozenset({"PUBLISH", "REQUEST", "CANCEL"})
# A no-show did not happen, so calendars show it struck through like a cancellation.
STATUS_BY_ITEM_STATUS = {
    "planned": "TENTATIVE",
    "held": "CONFIRMED",
    "attended": "CONFIRMED",
    "cancelled": "CANCELLED",
    "no_show": "CANCELLED",
}
MAX_INVITATION_BYTES = 1024 * 1024  # 1 MB; a real invitation is a few kilobytes


class Person(NamedTuple):
    """Someone on an item; without an email they are left out as ORGANIZER/ATTENDEE."""

    name: str
    email: str


class CalendarItem(NamedTuple):
    """One meeting or event as it goes into a feed: an immutable value (a named tuple,
    which a feed of thousands makes and hashes three times faster than a frozen dataclass).

    ``starts_at``/``ends_at``/``last_modified`` are aware (any zone); they are written in
    ``timezone`` (an IANA name) with a TZID, or with ``Z`` when that zone is UTC. ``status`` is
    one of ``STATUS_BY_ITEM_STATUS``; ``kind`` becomes CATEGORIES. Empty ``location``,
    ``description`` and ``url`` are left out.
    """

    uid: str
    kind: str
    summary: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    status: str
    sequence: int
    last_modified: datetime
    location: str = ""
    description: str = ""
    url: str = ""
    organizer: Person | None = None
    attendees: tuple[Person, ...] = ()

    def __hash__(self) -> int:
        # From three of the fields: equal items share them, so this agrees with equality,
        # and it skips the three aware datetimes, which cost four fifths of a tuple's hash
        # (a feed hashes each item as it looks for its written VEVENT).
        return hash((self.uid, self.sequence, self.description))


@dataclass(frozen=True, slots=True)
class Invitation:
    """What ``parse_invitation`` read: UTC instants, lower-cased emails without ``mailto:``.

    ``organizer_email`` is "" when there is none; ``attendee_emails`` keeps file order without
    duplicates; ``cancelled`` is true for METHOD:CANCEL or STATUS:CANCELLED.
    """

    uid: str
    sequence: int
    summary: str
    starts_at: datetime
    ends_at: datetime
    location: str
    description: str
    organizer_email: str
    attendee_emails: tuple[str, ...]
    cancelled: bool


class InvitationError(ValueError):
    """The file is not an invitation to one meeting; the message says what is wrong."""


# --- building --------------------------------------------------------------------------------


def build_calendar(
    items: Iterable[CalendarItem],
    *,
    name: str,
    timezone: str,
    method: str = "PUBLISH",
    stamp: datetime | None,
) -> bytes:
    """One VCALENDAR as bytes (UTF-8, CRLF, lines folded at 75 octets), items in given order.

    ``name`` becomes X-WR-CALNAME and ``timezone`` (IANA) X-WR-TIMEZONE. ``method`` is
    PUBLISH (a feed), REQUEST (an invitation: attendees get RSVP=TRUE) or CANCEL (every VEVENT
    is STATUS:CANCELLED; the caller must have raised ``sequence``). ``stamp`` (aware) is
    every VEVENT's DTSTAMP (an invitation's moment of sending); None makes each VEVENT's
    DTSTAMP its own ``last_modified``, as a published feed wants: an event's lines then
    depend on the event alone, so an unchanged one is not written again (the last few
    thousand written are kept per process). A VTIMEZONE is written once for each zone used,
    covering the calendar years the items span (the year of ``stamp``, or this year, when
    there are none); UTC needs none, its times end in ``Z``. Raises ``ValueError`` for an
    unknown method, zone or status, a naive datetime, an empty UID, a negative sequence or
    an item that does not end after it starts.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(sorted(METHODS))}, not {method!r}")
    calendar_zone = _zone(timezone)
    dtstamp = None if stamp is None else _utc_stamp(_aware(stamp, "stamp"))

    items = list(items)
    events: list[bytes] = []
    for item in items:
        try:
            events.append(_vevent(item, method, dtstamp))
        except ValueError as exc:
            raise ValueError(f"calendar item {item.uid!r}: {exc}") from exc
    # Every item is valid now. The zones used, and the years from the first start to the
    # last end in any of them (the earliest instant has the earliest local year).
    used = [_zone_and_tzid(name) for name in {item.timezone for item in items}]
    tzids = {tzid for _, tzid in used if tzid is not None}
    if not is_utc(calendar_zone):
        tzids.add(timezone)
    if items:
        first = min(item.starts_at for item in items)
        last = max(item.ends_at for item in items)
        years = {moment.astimezone(zone).year for zone, _ in used for moment in (first, last)}
    else:
        years = {(stamp or datetime.now(UTC)).astimezone(calendar_zone).year}

    head = [
        "BEGIN:VCALENDAR",
        f"PRODID:{_escape(PRODID)}",
        "VERSION:2.0",
        "CALSCALE:GREGORIAN",
        f"METHOD:{method}",
        f"X-WR-CALNAME:{_escape(name)}",
        f"X-WR-TIMEZONE:{_escape(timezone)}",
    ]
    parts = [_fold_all(head)]
    # Sorted, so the bytes do not depend on set order; before the events, as clients expect.
    for tzid in sorted(tzids):
        try:
            parts.append(_vtimezone(tzid, min(years), max(years)))
        except OverflowError:  # icalendar walks a year past the last one
            raise ValueError(f"cannot write a timezone up to year {max(years)}") from None
    parts.extend(events)
    parts.append(b"END:VCALENDAR\r\n")
    return b"".join(parts)


@functools.lru_cache(maxsize=20_000)
def _vevent(item: CalendarItem, method: str, dtstamp: str | None) -> bytes:
    """The VEVENT of ``item`` as folded bytes (bytes alone, which the cycle collector
    never walks, rather than a tuple of them and the zone and years of each item).

    Written line by line rather than through icalendar's components: a feed of a busy
    manager holds thousands of events, and the library spends about 0.4 ms on each (most
    of it folding lines one character at a time), ten times the budget of a feed. The
    VTIMEZONEs still come from icalendar, and the tests read every property back with
    icalendar's parser. Cached: an item is a frozen value, so the same item (and method and
    stamp) always gives the same bytes; errors are not cached. The lines that repeat from
    one event to the next (a prospect's summary and address, the organizer, each attendee)
    are cached as finished, folded lines too, so a feed writes each of them once.
    """
    (
        uid,
        kind,
        summary,
        starts_at,
        ends_at,
        zone_name,
        status,
        sequence,
        modified,
        location,
        description,
        url,
        organizer,
        attendees,
    ) = item
    if not uid.strip():
        raise ValueError("uid is empty")
    ical_status = STATUS_BY_ITEM_STATUS.get(status)
    if ical_status is None:
        known = ", ".join(STATUS_BY_ITEM_STATUS)
        raise ValueError(f"status must be one of {known}, not {status!r}")
    if sequence < 0:
        raise ValueError(f"sequence must not be negative, got {sequence}")
    zone, tzid = _zone_and_tzid(zone_name)
    local_start = _aware(starts_at, "starts_at").astimezone(zone)
    local_end = _aware(ends_at, "ends_at").astimezone(zone)
    # The instants, not the wall-clock times: in the hour that repeats when clocks go back,
    # 02:10 the second time comes after 02:50 the first time.
    if ends_at <= starts_at:
        raise ValueError(
            f"ends_at {local_end.isoformat()} is not after starts_at {local_start.isoformat()}"
        )
    if local_start.year >= 9999 or local_end.year >= 9999:
        # icalendar's VTIMEZONE walks a year past the last one, and datetime stops at 9999.
        raise ValueError("cannot write a date in year 9999")
    last_modified = _utc_stamp(_aware(modified, "last_modified"))

    # Lines that are short ASCII by construction end in CRLF here; the others come folded.
    # The lines a prospect's meetings share (summary, location, people, link, category)
    # come from caches; what is the meeting's own is written each time.
    if description:
        description = _fold(f"DESCRIPTION:{_escape(description)}")
    text = (
        f"BEGIN:VEVENT\r\n{_fold(f'UID:{_escape(uid)}')}"
        f"DTSTAMP:{dtstamp or last_modified}\r\n"
        f"{_local_time('DTSTART', local_start, tzid)}{_local_time('DTEND', local_end, tzid)}"
        f"{_text_line('SUMMARY', summary)}{_text_line('LOCATION', location) if location else ''}"
        f"{description}{_people(organizer, attendees, method) if organizer or attendees else ''}"
        f"STATUS:{'CANCELLED' if method == 'CANCEL' else ical_status}\r\n"
        f"SEQUENCE:{sequence}\r\nLAST-MODIFIED:{last_modified}\r\n"
        f"{_last_lines(url, kind)}"
    )
    return text.encode()


@functools.lru_cache(maxsize=4096)
def _people(organizer: Person | None, attendees: tuple[Person, ...], method: str) -> str:
    """ORGANIZER (when it has an email) and an ATTENDEE for each distinct email, folded."""
    lines = []
    if organizer is not None and organizer.email.strip():
        lines.append(_address("ORGANIZER", organizer, ()))
    params = _REQUEST_ATTENDEE if method == "REQUEST" else _ATTENDEE
    seen: set[str] = set()
    for person in attendees:
        email = person.email.strip().lower()
        if email and email not in seen:
            seen.add(email)
            lines.append(_address("ATTENDEE", person, params))
    return "".join(lines)


@functools.lru_cache(maxsize=4096)
def _last_lines(url: str, kind: str) -> str:
    """URL and CATEGORIES when given, and END:VEVENT."""
    lines = _url_line(url) if url else ""
    if kind:
        lines += _text_line("CATEGORIES", kind)
    return lines + "END:VEVENT\r\n"


_ATTENDEE = (("ROLE", "REQ-PARTICIPANT"), ("PARTSTAT", "NEEDS-ACTION"))
_REQUEST_ATTENDEE = (*_ATTENDEE, ("RSVP", "TRUE"))


@functools.lru_cache(maxsize=64)
def _zone_and_tzid(name: str) -> tuple[ZoneInfo, str | None]:
    """The zone of an item and the TZID its times are written with (None for UTC)."""
    zone = _zone(name)
    return zone, None if is_utc(zone) else name


def _local_time(name: str, moment: datetime, tzid: str | None) -> str:
    """DTSTART/DTEND as the wall-clock time of its zone with TZID, or in UTC with Z, as a
    line with its CRLF.

    A time in the hour that happens twice when clocks go back (02:30 in Berlin on 25
    October 2026) is written in UTC: RFC 5545 reads such a wall-clock time as its first
    occurrence, ical.js (Thunderbird) as its second, so only UTC means one instant to all.
    """
    if tzid is None:
        return f"{name}:{_basic(moment)}Z\r\n"
    if _clocks_change_near(moment.tzinfo, moment.date()) and (
        moment.replace(fold=1 - moment.fold).utcoffset() != moment.utcoffset()
    ):
        return f"{name}:{_basic(moment.astimezone(UTC))}Z\r\n"
    head, short = _tzid_head(name, tzid)
    line = head + _basic(moment)
    return line + "\r\n" if short else _fold(line)


@functools.lru_cache(maxsize=4096)
def _clocks_change_near(zone: tzinfo, day: date) -> bool:
    """Whether the zone's UTC offset at local midnight differs anywhere from the day before
    to the day after next: only then can a wall-clock time of ``day`` be one that happens
    twice, and worth the exact look (a fifth of writing an event, were every time looked
    at). Only clocks that go back and forward again within those three days could slip
    through; of the IANA zones' transitions from 1900 to 2200 no two undo each other within
    four days."""
    try:
        offsets = {
            datetime.combine(day + timedelta(days=shift), datetime.min.time(), zone).utcoffset()
            for shift in (-1, 0, 1, 2)
        }
    except OverflowError:  # the first or last days a datetime holds: look closer
        return True
    return len(offsets) > 1


@functools.lru_cache(maxsize=256)
def _tzid_head(name: str, tzid: str) -> tuple[str, bool]:
    """``DTSTART;TZID=…:`` and whether a line of it and a time (15 ASCII characters) is
    short enough to need no folding."""
    head = f"{name};TZID={_param(tzid)}:"
    return head, len(head) + 15 <= 75 and head.isascii()


def _utc_stamp(moment: datetime) -> str:
    return f"{_basic(moment if moment.tzinfo is UTC else moment.astimezone(UTC))}Z"


_TWO_DIGITS = tuple(f"{n:02d}" for n in range(100))
_YEARS = {year: f"{year:04d}" for year in range(1900, 2200)}


def _basic(m: datetime) -> str:
    """YYYYMMDDTHHMMSS, from ready-made digits: a quarter of the time ``strftime`` takes,
    and half of %-formatting the six fields, three times an event in a feed of
    thousands."""
    two = _TWO_DIGITS
    year = _YEARS.get(m.year) or f"{m.year:04d}"
    return f"{year}{two[m.month]}{two[m.day]}T{two[m.hour]}{two[m.minute]}{two[m.second]}"


@functools.lru_cache(maxsize=4096)
def _text_line(name: str, text: str) -> str:
    """``NAME:text`` escaped and folded, with its CRLF."""
    return _fold(f"{name}:{_escape(text)}")


@functools.lru_cache(maxsize=4096)
def _url_line(url: str) -> str:
    return _fold(f"URL:{_no_breaks(url, 'url')}")


@functools.lru_cache(maxsize=4096)
def _address(name: str, person: Person, params: tuple[tuple[str, str], ...]) -> str:
    """ORGANIZER or ATTENDEE: ``mailto:`` the email, CN the name when there is one; folded,
    with its CRLF."""
    email = _no_breaks(person.email.strip(), "email")
    head = name
    if person.name.strip():
        head += f";CN={_param(person.name.strip())}"
    for key, value in params:
        head += f";{key}={value}"
    return _fold(f"{head}:mailto:{email}")


def _escape(text: str) -> str:
    """A TEXT value (RFC 5545 3.3.11): backslash, semicolon and comma escaped, every line
    break written as ``\\n``."""
    # Each character looked for before it is replaced: most texts hold few of them.
    if "\\" in text:
        text = text.replace("\\", "\\\\")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if ";" in text:
        text = text.replace(";", "\\;")
    if "," in text:
        text = text.replace(",", "\\,")
    if "\n" in text:
        text = text.replace("\n", "\\n")
    return text


def _param(value: str) -> str:
    """A parameter value (RFC 5545 3.2): quoted when it holds ``:``, ``;`` or ``,``; a
    double quote, which no parameter value may hold, becomes a single one."""
    value = _no_breaks(value, "parameter").replace('"', "'")
    return f'"{value}"' if _PARAM_SPECIAL.search(value) else value


_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f]")
_PARAM_SPECIAL = re.compile("[:;,]")


def _no_breaks(value: str, field: str) -> str:
    if _CONTROL.search(value):
        raise ValueError(f"{field} may not contain CR or LF or control characters: {value!r}")
    return value


def _fold_all(lines: list[str]) -> bytes:
    """Content lines as UTF-8, each folded and ended with CRLF."""
    return "".join(map(_fold, lines)).encode()


def _fold(line: str) -> str:
    """One content line with its CRLF, folded so that no line is over 75 octets of UTF-8
    and no character is split (RFC 5545 3.1)."""
    if line.isascii():  # one octet a character: cut the text itself
        if len(line) <= 75:
            return line + "\r\n"
        rest = range(75, len(line), 74)  # continuation lines start with a space
        return "\r\n ".join([line[:75], *[line[i : i + 74] for i in rest]]) + "\r\n"
    data = line.encode()
    if len(data) <= 75:
        return line + "\r\n"
    out = []
    start, width = 0, 75
    while len(data) - start > width:
        cut = start + width
        while data[cut] & 0xC0 == 0x80:  # a UTF-8 continuation byte: cut before its lead
            cut -= 1
        out.append(data[start:cut])
        start, width = cut, 74  # continuation lines start with a space
    out.append(data[start:])
    return b"\r\n ".join(out).decode() + "\r\n"


def _aware(value: datetime, field: str) -> datetime:
    if value.__class__ is datetime and value.tzinfo is UTC:  # what the database gives
        return value
    if not isinstance(value, datetime):
        raise ValueError(f"{field} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{field} is naive ({value.isoformat()}); give an aware datetime")
    return value


def _zone(name: str) -> ZoneInfo:
    try:
        return named_zone(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValueError(
            f"unknown timezone {name!r}; give an IANA name such as 'Europe/Berlin'"
        ) from None


@functools.lru_cache(maxsize=256)
def _vtimezone(tzid: str, first_year: int, last_year: int) -> bytes:
    """The VTIMEZONE of ``tzid`` for 1 January ``first_year`` to 31 December ``last_year``,
    from icalendar, as folded bytes. Cached because it walks the zone's transitions."""
    return Timezone.from_tzid(
        tzid, first_date=date(first_year, 1, 1), last_date=date(last_year, 12, 31)
    ).to_ical()


def forget_written() -> None:
    """Empty every cache of written text (events, lines, zones), as in a new process: the
    benchmarks time a feed built from nothing."""
    written = (
        _vevent,
        _zone_and_tzid,
        _clocks_change_near,
        _tzid_head,
        _text_line,
        _url_line,
        _address,
        _people,
        _last_lines,
        _vtimezone,
    )
    for cached in written:
        cached.cache_clear()


# --- reading ---------------------------------------------------------------------------------


def parse_invitation(data: bytes) -> Invitation:
    """Read a single-meeting invitation (METHOD:REQUEST or CANCEL, one VEVENT).

    Times with a TZID are resolved by this file's own VTIMEZONE (Outlook writes Windows names
    such as "W. Europe Standard Time" or "Customized Time Zone"), or by the IANA database
    when the TZID is an IANA name; ``Z`` times are UTC (Google). Without DTEND the end is
    DTSTART + DURATION. Raises ``InvitationError`` for: more than 1 MB; not iCalendar; no
    VEVENT; several VEVENTs (different meetings, or occurrences of a recurring one: recurring
    meetings and their overridden instances are out of scope, as are RRULE, RDATE and
    RECURRENCE-ID); no UID; no DTSTART; an all-day (DATE) event; a floating time; a TZID that
    nothing defines; neither DTEND nor DURATION; an end that is not after the start.
    """
    if len(data) > MAX_INVITATION_BYTES:
        raise InvitationError(
            f"the file is {len(data):,} bytes; invitations over 1 MB "
            f"({MAX_INVITATION_BYTES:,} bytes) are not accepted"
        )
    calendar = _read_calendar(data)
    events = [c for c in calendar.subcomponents if c.name == "VEVENT"]
    if not events:
        raise InvitationError("the file contains no event (VEVENT)")
    if len(events) > 1:
        uids = {str(event.get("UID", "")).strip() for event in events}
        if len(uids) > 1:
            raise InvitationError(
                f"the file contains {len(events)} events with different UIDs; only an "
                "invitation to a single meeting can be imported"
            )
        raise InvitationError(
            f"the file contains {len(events)} occurrences of one meeting (a recurring meeting "
            "with changed instances); recurring meetings are not supported"
        )
    event = events[0]

    uid = _text(event, "UID").strip()
    if not uid:
        raise InvitationError("the event has no UID")
    for name in ("RRULE", "RDATE"):
        if name in event:
            raise InvitationError(
                f"the event repeats ({name}); recurring meetings are not supported"
            )
    if "RECURRENCE-ID" in event:
        raise InvitationError(
            "the invitation is for one occurrence of a recurring meeting (RECURRENCE-ID); "
            "recurring meetings are not supported"
        )
    if "DTSTART" not in event:
        raise InvitationError("the event has no start (DTSTART)")

    zones = _FileZones(calendar)
    starts_at = _instant(event, "DTSTART", zones)
    if "DTEND" in event:
        ends_at = _instant(event, "DTEND", zones)
    elif "DURATION" in event:
        ends_at = _end_from_duration(event, starts_at, zones)
    else:
        raise InvitationError("the event has neither an end (DTEND) nor a DURATION")
    if ends_at <= starts_at:
        raise InvitationError(
            f"the event ends ({ends_at:%Y-%m-%d %H:%M} UTC) before or when it starts "
            f"({starts_at:%Y-%m-%d %H:%M} UTC)"
        )

    method = _text(calendar, "METHOD").strip().upper()
    status = _text(event, "STATUS").strip().upper()
    return Invitation(
        uid=uid,
        sequence=_sequence(event),
        summary=_text(event, "SUMMARY"),
        starts_at=starts_at,
        ends_at=ends_at,
        location=_text(event, "LOCATION"),
        description=_text(event, "DESCRIPTION"),
        organizer_email=_email(_first(event.get("ORGANIZER"))),
        attendee_emails=_emails(event.get("ATTENDEE")),
        cancelled=method == "CANCEL" or status == "CANCELLED",
    )


def _read_calendar(data: bytes) -> Calendar:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Older Outlook versions write the Windows code page, not UTF-8.
        text = data.decode("cp1252", errors="replace")
    try:
        calendar = Calendar.from_ical(text)
    # The parser raises more than ValueError on hostile input (it is someone else's file);
    # whatever it raises, the answer is the same.
    except Exception as exc:
        raise InvitationError(f"the file is not a readable iCalendar file ({exc})") from None
    if not isinstance(calendar, Calendar) or calendar.name != "VCALENDAR":
        raise InvitationError("the file is not an iCalendar file (no BEGIN:VCALENDAR)")
    return calendar


class _FileZones:
    """TZID -> tzinfo for one file, never shared with another file.

    icalendar (7.3) keeps the first VTIMEZONE it ever parsed for a non-IANA TZID in a
    process-wide cache and resolves later files with it: two Outlook invitations that both say
    "Customized Time Zone" but mean different zones would get the same offsets. So this
    builds a fresh zone from the file's own VTIMEZONE instead.
    """

    def __init__(self, calendar: Calendar) -> None:
        self._components = {
            str(c["TZID"]): c
            for c in calendar.subcomponents
            if c.name == "VTIMEZONE" and "TZID" in c
        }
        self._zones: dict[str, tzinfo] = {}

    def get(self, tzid: str) -> tzinfo:
        if tzid not in self._zones:
            self._zones[tzid] = self._resolve(tzid)
        return self._zones[tzid]

    def _resolve(self, tzid: str) -> tzinfo:
        # An IANA name wins over the file's definition, as in icalendar: the database is right
        # more often than a sender's copy of it.
        try:
            return ZoneInfo(tzid)
        except (ZoneInfoNotFoundError, ValueError):
            pass
        component = self._components.get(tzid)
        if component is not None:
            try:
                return component.to_tz(lookup_tzid=False)
            except Exception as exc:  # same reason as in _read_calendar
                raise InvitationError(
                    f"the file's VTIMEZONE {tzid!r} could not be read ({exc})"
                ) from None
        if tzid in WINDOWS_TO_OLSON:
            return ZoneInfo(WINDOWS_TO_OLSON[tzid])
        raise InvitationError(
            f"the timezone {tzid!r} is neither defined in the file (VTIMEZONE) nor a known "
            "IANA or Windows name"
        )


def _instant(event: Component, name: str, zones: _FileZones) -> datetime:
    """The UTC instant of DTSTART or DTEND."""
    prop = event[name]
    if isinstance(prop, list):
        raise InvitationError(f"the event has {len(prop)} {name} properties; expected one")
    value = getattr(prop, "dt", None)
    if value is None:
        raise InvitationError(f"the event's {name} could not be read ({prop.to_ical()!r})")
    if not isinstance(value, datetime):
        raise InvitationError(
            "this is an all-day event; all-day invitations cannot be logged as meetings"
        )
    tzid = prop.params.get("TZID")
    if tzid:
        # The wall-clock time is what the file says; only its zone is re-resolved.
        local = value.replace(tzinfo=zones.get(str(tzid)))
    elif value.tzinfo is not None:
        local = value  # a UTC time ("Z")
    else:
        raise InvitationError(
            f"the event's {name} is a floating time (no TZID and no 'Z'), so its moment "
            "cannot be known"
        )
    return local.astimezone(UTC)


def _end_from_duration(event: Component, starts_at: datetime, zones: _FileZones) -> datetime:
    """DTSTART + DURATION; days count on the local calendar, hours as elapsed time (RFC 5545
    3.3.6), so "P1D" across a DST change ends at the same wall-clock time."""
    duration = getattr(event["DURATION"], "dt", None)
    if not isinstance(duration, timedelta):
        raise InvitationError("the event's DURATION could not be read")
    start = event["DTSTART"]
    tzid = start.params.get("TZID")
    local = starts_at.astimezone(zones.get(str(tzid))) if tzid else starts_at
    after_days = (local + timedelta(days=duration.days)).astimezone(UTC)
    return after_days + timedelta(seconds=duration.seconds, microseconds=duration.microseconds)


def _sequence(event: Component) -> int:
    raw = event.get("SEQUENCE", 0)
    try:
        sequence = int(raw)
    except (TypeError, ValueError):
        raise InvitationError(f"the event's SEQUENCE is not a number ({raw!r})") from None
    if sequence < 0:
        raise InvitationError(f"the event's SEQUENCE is negative ({sequence})")
    return sequence


def _first(value):
    """A property that may appear more than once comes back as a list: take the first."""
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _text(component: Component, name: str) -> str:
    value = _first(component.get(name))
    return "" if value is None else str(value)


def _email(address) -> str:
    """``mailto:`` (any case) stripped and lower-cased; "" for anything that is not an email
    (Outlook writes ``invalid:nomail`` for people without one)."""
    if address is None:
        return ""
    value = str(address).strip()
    if value[:7].lower() == "mailto:":
        value = value[7:]
    value = value.strip().lower()
    return value if "@" in value and ":" not in value else ""


def _emails(addresses) -> tuple[str, ...]:
    if addresses is None:
        return ()
    if not isinstance(addresses, list):
        addresses = [addresses]
    # dict keeps the first position of each email, dropping later duplicates.
    return tuple(dict.fromkeys(e for e in map(_email, addresses) if e))
