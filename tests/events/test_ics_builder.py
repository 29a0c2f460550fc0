"""events.ics: the feed builder round-tripped through icalendar, and the invitation parser.

No database: plain dataclasses in, bytes out. Expected instants are worked out by hand from
the zone rules (Berlin: CEST +2 until 2026-10-25 03:00, then CET +1; New York: EDT -4
until 2026-11-01 02:00, then EST -5) and noted next to each assertion.
"""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from events.ics import (
    MAX_INVITATION_BYTES,
    CalendarItem,
    InvitationError,
    Person,
    build_calendar,
    parse_invitation,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
STAMP = datetime(2026, 10, 1, 12, tzinfo=UTC)
MARIA = Person("Maria Manager", "maria@funnelbook.example")
JANE = Person("Jane Doe", "jane@acme.example")


def _item(**overrides) -> CalendarItem:
    fields = {
        "uid": "meeting-17@funnelbook",
        "kind": "meeting",
        "summary": "Discovery call: Acme",
        "starts_at": datetime(2026, 10, 23, 9, tzinfo=BERLIN),
        "ends_at": datetime(2026, 10, 23, 10, tzinfo=BERLIN),
        "timezone": "Europe/Berlin",
        "status": "planned",
        "sequence": 0,
        "last_modified": datetime(2026, 9, 30, 8, tzinfo=UTC),
    } | overrides
    return CalendarItem(**fields)


def _build(items=(), **overrides) -> bytes:
    arguments = {"name": "Maria's meetings", "timezone": "Europe/Berlin", "stamp": STAMP}
    return build_calendar(items, **(arguments | overrides))


def _events(data: bytes) -> list:
    return Calendar.from_ical(data).walk("VEVENT")


def _lines(data: bytes) -> list[str]:
    """Unfolded content lines, to check exactly what was written."""
    return data.replace(b"\r\n ", b"").decode().split("\r\n")


def _utc(event, name: str) -> datetime:
    return event[name].dt.astimezone(UTC)


# --- build_calendar: the calendar --------------------------------------------------------------


def test_calendar_properties():
    # when
    calendar = Calendar.from_ical(_build([_item()], method="REQUEST"))

    # then
    assert str(calendar["PRODID"]) == "-//Funnelbook//Funnelbook//EN"
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["CALSCALE"]) == "GREGORIAN"
    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(calendar["X-WR-CALNAME"]) == "Maria's meetings"
    assert str(calendar["X-WR-TIMEZONE"]) == "Europe/Berlin"


def test_an_empty_calendar_is_valid_and_defines_its_own_zone():
    # when
    calendar = Calendar.from_ical(_build([]))

    # then
    assert calendar.walk("VEVENT") == []
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Berlin"]


# --- build_calendar: one event -----------------------------------------------------------------


def test_every_property_of_an_event_round_trips():
    # given
    item = _item(
        summary="Demo: Acme",
        status="held",
        sequence=3,
        # 06:00 in New York on 30 Sep (EDT, -4) is 10:00Z
        last_modified=datetime(2026, 9, 30, 6, tzinfo=NEW_YORK),
        location="Acme HQ, Hauptstraße 5; Berlin",
        description="Prospect: Acme\nContacts: Jane Doe, John Roe\nNotes: bring pricing",
        url="https://funnelbook.example/prospects/17/",
        organizer=MARIA,
        attendees=(JANE, Person("John Roe", "john@acme.example")),
    )
    # 14:00 in Berlin on 1 Oct (CEST, +2) is 12:00Z, the same instant as STAMP
    stamp = datetime(2026, 10, 1, 14, tzinfo=BERLIN)

    # when
    data = _build([item], stamp=stamp)

    # then
    [event] = _events(data)
    assert str(event["UID"]) == "meeting-17@funnelbook"
    assert event["DTSTAMP"].dt == STAMP
    assert "DTSTAMP:20261001T120000Z" in _lines(data)
    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert event["DTEND"].params["TZID"] == "Europe/Berlin"
    assert "DTSTART;TZID=Europe/Berlin:20261023T090000" in _lines(data)
    assert "DTEND;TZID=Europe/Berlin:20261023T100000" in _lines(data)
    assert str(event["SUMMARY"]) == "Demo: Acme"
    assert str(event["LOCATION"]) == "Acme HQ, Hauptstraße 5; Berlin"
    assert str(event["DESCRIPTION"]) == item.description
    assert str(event["ORGANIZER"]) == "mailto:maria@funnelbook.example"
    assert event["ORGANIZER"].params["CN"] == "Maria Manager"
    assert [str(a) for a in event["ATTENDEE"]] == [
        "mailto:jane@acme.example",
        "mailto:john@acme.example",
    ]
    assert [dict(a.params) for a in event["ATTENDEE"]] == [
        {"CN": "Jane Doe", "ROLE": "REQ-PARTICIPANT", "PARTSTAT": "NEEDS-ACTION"},
        {"CN": "John Roe", "ROLE": "REQ-PARTICIPANT", "PARTSTAT": "NEEDS-ACTION"},
    ]
    assert str(event["STATUS"]) == "CONFIRMED"
    assert int(event["SEQUENCE"]) == 3
    assert event["LAST-MODIFIED"].dt == datetime(2026, 9, 30, 10, tzinfo=UTC)
    assert "LAST-MODIFIED:20260930T100000Z" in _lines(data)
    assert str(event["URL"]) == "https://funnelbook.example/prospects/17/"
    assert event["CATEGORIES"].cats == ["meeting"]


def test_empty_optional_fields_are_left_out():
    # given an organizer without an email, and no location, description, url or attendees
    item = _item(organizer=Person("Nobody", ""))

    # when
    [event] = _events(_build([item]))

    # then
    for name in ("LOCATION", "DESCRIPTION", "URL", "ORGANIZER", "ATTENDEE"):
        assert name not in event


def test_an_event_kind_becomes_the_category():
    # when
    [event] = _events(_build([_item(uid="event-4@funnelbook", kind="conference")]))

    # then
    assert event["CATEGORIES"].cats == ["conference"]


# --- build_calendar: zones ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "local", "instant"),
    [
        # Berlin is CEST (+2) before 2026-10-25 03:00 and CET (+1) after
        ("Europe/Berlin", "20261023T090000", datetime(2026, 10, 23, 7, tzinfo=UTC)),
        ("Europe/Berlin", "20261027T090000", datetime(2026, 10, 27, 8, tzinfo=UTC)),
        # New York is EDT (-4) before 2026-11-01 02:00 and EST (-5) after
        ("America/New_York", "20261030T090000", datetime(2026, 10, 30, 13, tzinfo=UTC)),
        ("America/New_York", "20261102T090000", datetime(2026, 11, 2, 14, tzinfo=UTC)),
    ],
)
def test_start_is_written_in_the_item_zone_on_both_sides_of_dst(zone, local, instant):
    # given the instant in UTC: the builder converts it into the item's zone
    item = _item(starts_at=instant, ends_at=instant + timedelta(hours=1), timezone=zone)

    # when
    data = _build([item])

    # then
    [event] = _events(data)
    assert f"DTSTART;TZID={zone}:{local}" in _lines(data)
    assert event["DTSTART"].params["TZID"] == zone
    assert _utc(event, "DTSTART") == instant
    assert _utc(event, "DTEND") == instant + timedelta(hours=1)


@pytest.mark.parametrize(
    ("zone", "local", "offset_hours"),
    [
        ("Europe/Berlin", (2026, 3, 28, 9), 1),
        ("Europe/Berlin", (2026, 3, 30, 9), 2),
        ("Europe/Berlin", (2026, 10, 23, 9), 2),
        ("Europe/Berlin", (2026, 10, 27, 9), 1),
        ("Europe/Berlin", (2027, 7, 1, 9), 2),  # the second year the items span
        ("America/New_York", (2026, 10, 30, 9), -4),
        ("America/New_York", (2026, 11, 2, 9), -5),
    ],
)
def test_the_written_vtimezone_alone_gives_the_right_offsets(zone, local, offset_hours):
    # given items from 2026 into 2027, so the VTIMEZONEs must cover both years
    items = [
        _item(uid="a", timezone="Europe/Berlin"),
        _item(
            uid="b",
            timezone="America/New_York",
            starts_at=datetime(2027, 7, 1, 9, tzinfo=NEW_YORK),
            ends_at=datetime(2027, 7, 1, 10, tzinfo=NEW_YORK),
        ),
    ]
    calendar = Calendar.from_ical(_build(items))
    [component] = [tz for tz in calendar.walk("VTIMEZONE") if tz["TZID"] == zone]

    # when the zone is built from the file's definition, not looked up by name
    written = component.to_tz(lookup_tzid=False)

    # then
    assert datetime(*local, tzinfo=written).utcoffset() == timedelta(hours=offset_hours)


def test_one_vtimezone_per_zone_and_none_missing():
    # given two Berlin items, one New York item and a London calendar
    items = [
        _item(uid="a"),
        _item(uid="b", timezone="America/New_York"),
        _item(uid="c"),
    ]

    # when
    calendar = Calendar.from_ical(_build(items, timezone="Europe/London"))

    # then
    defined = [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")]
    assert sorted(defined) == ["America/New_York", "Europe/Berlin", "Europe/London"]
    used = {
        event[name].params["TZID"]
        for event in calendar.walk("VEVENT")
        for name in ("DTSTART", "DTEND")
    }
    assert used <= set(defined)
    for tz in calendar.walk("VTIMEZONE"):
        assert tz.walk("STANDARD"), tz["TZID"]
        for observance in tz.walk("STANDARD") + tz.walk("DAYLIGHT"):
            assert {"DTSTART", "TZOFFSETFROM", "TZOFFSETTO"} <= set(observance)


def test_utc_items_are_written_with_z_and_need_no_vtimezone():
    # given 09:00 in Berlin on 23 Oct (CEST, +2), to be written in UTC: 07:00Z
    item = _item(timezone="UTC")

    # when
    data = _build([item], timezone="UTC")

    # then
    calendar = Calendar.from_ical(data)
    assert "DTSTART:20261023T070000Z" in _lines(data)
    assert "DTEND:20261023T080000Z" in _lines(data)
    assert "TZID" not in calendar.walk("VEVENT")[0]["DTSTART"].params
    assert calendar.walk("VTIMEZONE") == []
    assert str(calendar["X-WR-TIMEZONE"]) == "UTC"


# --- build_calendar: status, method, attendees -------------------------------------------------


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("planned", "TENTATIVE"),
        ("held", "CONFIRMED"),
        ("attended", "CONFIRMED"),
        ("cancelled", "CANCELLED"),
        ("no_show", "CANCELLED"),
    ],
)
def test_status_mapping(status, expected):
    # when
    [event] = _events(_build([_item(status=status)]))

    # then
    assert str(event["STATUS"]) == expected


def test_method_cancel_cancels_every_event():
    # given
    items = [_item(uid=status, status=status) for status in ("planned", "held", "attended")]

    # when
    events = _events(_build(items, method="CANCEL"))

    # then
    assert [str(event["STATUS"]) for event in events] == ["CANCELLED"] * 3


@pytest.mark.parametrize(
    ("method", "rsvp"), [("PUBLISH", None), ("REQUEST", "TRUE"), ("CANCEL", None)]
)
def test_rsvp_only_with_request(method, rsvp):
    # when
    [event] = _events(_build([_item(attendees=(JANE,))], method=method))

    # then
    assert event["ATTENDEE"].params.get("RSVP") == rsvp


def test_attendees_without_email_are_skipped_and_each_email_is_written_once():
    # given
    attendees = (Person("Walk-in", ""), JANE, Person("Jane again", "JANE@acme.example"))

    # when
    [event] = _events(_build([_item(attendees=attendees)]))

    # then a single attendee comes back as one value, not a list
    assert str(event["ATTENDEE"]) == "mailto:jane@acme.example"


# --- build_calendar: bytes ---------------------------------------------------------------------


def test_output_is_deterministic_and_in_the_given_order():
    # given
    items = [_item(uid=f"meeting-{n}@funnelbook", organizer=MARIA) for n in (3, 1, 2)]

    # when
    first = _build(items)
    second = _build(iter(items))

    # then
    assert first == second
    assert [str(event["UID"]) for event in _events(first)] == [
        "meeting-3@funnelbook",
        "meeting-1@funnelbook",
        "meeting-2@funnelbook",
    ]


def test_long_lines_are_folded_at_75_octets_with_crlf():
    # given a description of several hundred octets, with two-octet characters
    description = "Grüße aus München, " * 40 + "\nzweite Zeile"

    # when
    data = _build([_item(description=description)])

    # then
    assert data.endswith(b"\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert max(len(line) for line in data.split(b"\r\n")) <= 75
    assert any(line.startswith(b" ") for line in data.split(b"\r\n"))
    assert str(_events(data)[0]["DESCRIPTION"]) == description


# --- build_calendar: errors --------------------------------------------------------------------

NAIVE = datetime(2026, 10, 23, 9)  # noqa: DTZ001 (naive on purpose)


@pytest.mark.parametrize(
    ("item", "overrides", "message"),
    [
        (_item(starts_at=NAIVE), {}, "starts_at is naive"),
        (_item(ends_at=NAIVE.replace(hour=10)), {}, "ends_at is naive"),
        (_item(last_modified=NAIVE), {}, "last_modified is naive"),
        (_item(), {"stamp": NAIVE}, "stamp is naive"),
        (_item(timezone="Europe/Atlantis"), {}, "unknown timezone 'Europe/Atlantis'"),
        (_item(), {"timezone": "CEST"}, "unknown timezone 'CEST'"),
        (_item(), {"timezone": ""}, "unknown timezone ''"),
        (_item(ends_at=datetime(2026, 10, 23, 9, tzinfo=BERLIN)), {}, "is not after starts_at"),
        (_item(ends_at=datetime(2026, 10, 23, 8, tzinfo=BERLIN)), {}, "is not after starts_at"),
        (_item(status="rescheduled"), {}, "status must be one of"),
        (_item(uid=" "), {}, "uid is empty"),
        (_item(sequence=-1), {}, "sequence must not be negative"),
        (_item(url="https://x.example/\r\nX-EVIL:1"), {}, "may not contain CR or LF"),
        (
            _item(
                starts_at=datetime(9999, 6, 1, 9, tzinfo=BERLIN),
                ends_at=datetime(9999, 6, 1, 10, tzinfo=BERLIN),
            ),
            {},
            "cannot write a date in year 9999",
        ),
        (_item(), {"method": "publish"}, "method must be one of CANCEL, PUBLISH, REQUEST"),
        (_item(), {"method": "REFRESH"}, "method must be one of"),
    ],
)
def test_bad_input_raises_value_error(item, overrides, message):
    with pytest.raises(ValueError, match=message):
        _build([item], **overrides)


def test_the_error_names_the_item():
    with pytest.raises(ValueError, match=r"calendar item 'meeting-17@funnelbook': starts_at"):
        _build([_item(starts_at=NAIVE)])


def test_the_end_is_compared_as_an_instant():
    # given 09:00 Berlin (07:00Z) to 04:00 New York (08:00Z): an hour, despite the wall clocks
    item = _item(ends_at=datetime(2026, 10, 23, 4, tzinfo=NEW_YORK))

    # when
    data = _build([item])

    # then it is written in Berlin time: 08:00Z is 10:00 CEST
    assert "DTEND;TZID=Europe/Berlin:20261023T100000" in _lines(data)


# --- parse_invitation: fixtures ----------------------------------------------------------------


def _ics(text: str, encoding: str = "utf-8") -> bytes:
    """The fixtures are written with LF for readability; real files use CRLF."""
    return text.replace("\n", "\r\n").encode(encoding)


# As Exchange/Outlook sends it: a Windows zone name with its own VTIMEZONE (rules from 1601),
# an organizer in upper-case MAILTO:, X-MICROSOFT-* properties and a reminder.
OUTLOOK_REQUEST = r"""BEGIN:VCALENDAR
METHOD:REQUEST
PRODID:Microsoft Exchange Server 2010
VERSION:2.0
BEGIN:VTIMEZONE
TZID:W. Europe Standard Time
BEGIN:STANDARD
DTSTART:16010101T030000
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010101T020000
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3
END:DAYLIGHT
END:VTIMEZONE
BEGIN:VEVENT
ORGANIZER;CN=Anna Schmidt:MAILTO:Anna.Schmidt@Kunde.example
ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;CN=Maria Mana
 ger:mailto:maria@funnelbook.example
ATTENDEE;ROLE=OPT-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;CN=Jörg Webe
 r:MAILTO:Joerg.Weber@Kunde.example
DESCRIPTION;LANGUAGE=de-DE:Hallo zusammen\,\n\nwie besprochen stellen wir d
 as Angebot vor.\n\nViele Grüße\nAnna\n
UID:040000008200E00074C5B7101A82E00800000000D0E1F2A3B4C5DC010000000000000000
 10000000A1B2C3D4E5F60718293A4B5C6D7E8F90
SUMMARY;LANGUAGE=de-DE:Angebotspräsentation Funnelbook
DTSTART;TZID=W. Europe Standard Time:20261023T090000
DTEND;TZID=W. Europe Standard Time:20261023T103000
CLASS:PUBLIC
PRIORITY:5
DTSTAMP:20261015T081512Z
TRANSP:OPAQUE
STATUS:CONFIRMED
SEQUENCE:0
LOCATION;LANGUAGE=de-DE:Besprechungsraum 2.14\, Kunde GmbH\, Berlin
X-MICROSOFT-CDO-APPT-SEQUENCE:0
X-MICROSOFT-CDO-OWNERAPPTID:2117352145
X-MICROSOFT-CDO-BUSYSTATUS:TENTATIVE
X-MICROSOFT-CDO-INTENDEDSTATUS:BUSY
X-MICROSOFT-CDO-ALLDAYEVENT:FALSE
X-MICROSOFT-CDO-IMPORTANCE:1
X-MICROSOFT-CDO-INSTTYPE:0
X-MICROSOFT-DONOTFORWARDMEETING:FALSE
X-MICROSOFT-DISALLOW-COUNTER:FALSE
X-MICROSOFT-LOCATIONS:[{"DisplayName":"Besprechungsraum 2.14"\,"LocationAnnot
 ation":""\,"LocationUri":""\,"LocationCity":"Berlin"}]
BEGIN:VALARM
DESCRIPTION:REMINDER
TRIGGER;RELATED=START:-PT15M
ACTION:DISPLAY
END:VALARM
END:VEVENT
END:VCALENDAR
"""
OUTLOOK_UID = (
    "040000008200E00074C5B7101A82E00800000000D0E1F2A3B4C5DC010000000000000000"
    "10000000A1B2C3D4E5F60718293A4B5C6D7E8F90"
)

# The same meeting moved past the DST change: 27 Oct 09:00 is CET (+1), so 08:00Z.
OUTLOOK_UPDATE = (
    OUTLOOK_REQUEST.replace("SEQUENCE:0", "SEQUENCE:1")
    .replace("X-MICROSOFT-CDO-APPT-SEQUENCE:0", "X-MICROSOFT-CDO-APPT-SEQUENCE:1")
    .replace(":20261023T090000", ":20261027T090000")
    .replace(":20261023T103000", ":20261027T103000")
)

OUTLOOK_CANCEL = (
    OUTLOOK_REQUEST.replace("METHOD:REQUEST", "METHOD:CANCEL")
    .replace("STATUS:CONFIRMED", "STATUS:CANCELLED")
    .replace("SEQUENCE:0", "SEQUENCE:2")
    .replace("SUMMARY;LANGUAGE=de-DE:", "SUMMARY;LANGUAGE=de-DE:Abgesagt: ")
)

# As Google Calendar sends it: UTC times, no VTIMEZONE, X-NUM-GUESTS on every attendee, the
# organizer listed again as an attendee, and the Meet block between "-::~:~::~:~" rulers.
GOOGLE_REQUEST = r"""BEGIN:VCALENDAR
PRODID:-//Google Inc//Google Calendar 70.9054//EN
VERSION:2.0
CALSCALE:GREGORIAN
METHOD:REQUEST
BEGIN:VEVENT
DTSTART:20261124T140000Z
DTEND:20261124T150000Z
DTSTAMP:20261110T093000Z
ORGANIZER;CN=Sam Buyer:mailto:sam.buyer@acme.example
UID:3q9vj0ab1c2d3e4f5g6h7i8j9k@google.com
ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;RSVP=TRUE
 ;CN=Sam Buyer;X-NUM-GUESTS=0:mailto:sam.buyer@acme.example
ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=
 TRUE;CN=maria@funnelbook.example;X-NUM-GUESTS=0:mailto:Maria@Funnelbook.ex
 ample
ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=OPT-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=
 TRUE;CN=Sam Buyer;X-NUM-GUESTS=0:mailto:SAM.BUYER@acme.example
X-MICROSOFT-CDO-OWNERAPPTID:-1853245190
CREATED:20261110T092955Z
DESCRIPTION:Quarterly review of the pilot.\n\n-::~:~::~:~:~:~:~:~:~:~:~:~:
 ~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~::~:~::-\nJoin wi
 th Google Meet: https://meet.google.com/abc-defg-hij\nOr dial: (DE) +49 30
  123456789 PIN: 123 456 789#\n\nPlease do not edit this section.\n-::~:~::
 ~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:
 ~:~::~:~::-
LAST-MODIFIED:20261110T093000Z
LOCATION:
SEQUENCE:0
STATUS:CONFIRMED
SUMMARY:Pilot review: Acme x Funnelbook
TRANSP:OPAQUE
X-GOOGLE-CONFERENCE:https://meet.google.com/abc-defg-hij
BEGIN:VALARM
ACTION:EMAIL
DESCRIPTION:This is an event reminder
SUMMARY:Alarm notification
ATTENDEE:mailto:reminders@acme.example
TRIGGER:-P0DT0H30M0S
END:VALARM
END:VEVENT
END:VCALENDAR
"""


def _minimal(*event_lines: str, method: str = "REQUEST", before_event: str = "") -> bytes:
    """A VCALENDAR with one VEVENT made of ``event_lines``, for the error cases."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Test//Test//EN",
        f"METHOD:{method}",
        *filter(None, [before_event]),
        "BEGIN:VEVENT",
        *event_lines,
        "END:VEVENT",
        "END:VCALENDAR",
        "",
    ]
    return _ics("\n".join(lines))


UID = "UID:abc@example.com"
START = "DTSTART:20261124T140000Z"
END = "DTEND:20261124T150000Z"


# --- parse_invitation: invitations -------------------------------------------------------------


def test_outlook_invitation():
    # when
    invitation = parse_invitation(_ics(OUTLOOK_REQUEST))

    # then 09:00-10:30 W. Europe on 23 Oct is CEST (+2): 07:00Z-08:30Z
    assert invitation.starts_at == datetime(2026, 10, 23, 7, tzinfo=UTC)
    assert invitation.ends_at == datetime(2026, 10, 23, 8, 30, tzinfo=UTC)
    assert invitation.uid == OUTLOOK_UID
    assert invitation.sequence == 0
    assert invitation.summary == "Angebotspräsentation Funnelbook"
    assert invitation.location == "Besprechungsraum 2.14, Kunde GmbH, Berlin"
    assert invitation.description == (
        "Hallo zusammen,\n\nwie besprochen stellen wir das Angebot vor.\n\nViele Grüße\nAnna\n"
    )
    assert invitation.organizer_email == "anna.schmidt@kunde.example"
    assert invitation.attendee_emails == ("maria@funnelbook.example", "joerg.weber@kunde.example")
    assert invitation.cancelled is False


def test_outlook_update_moves_the_meeting_past_the_dst_change():
    # when
    invitation = parse_invitation(_ics(OUTLOOK_UPDATE))

    # then 09:00-10:30 W. Europe on 27 Oct is CET (+1): 08:00Z-09:30Z
    assert invitation.uid == OUTLOOK_UID
    assert invitation.sequence == 1
    assert invitation.starts_at == datetime(2026, 10, 27, 8, tzinfo=UTC)
    assert invitation.ends_at == datetime(2026, 10, 27, 9, 30, tzinfo=UTC)
    assert invitation.cancelled is False


def test_outlook_cancellation():
    # when
    invitation = parse_invitation(_ics(OUTLOOK_CANCEL))

    # then
    assert (invitation.uid, invitation.sequence, invitation.cancelled) == (OUTLOOK_UID, 2, True)
    assert invitation.summary == "Abgesagt: Angebotspräsentation Funnelbook"


@pytest.mark.parametrize(
    ("method", "status", "cancelled"),
    [
        ("CANCEL", "CONFIRMED", True),
        ("REQUEST", "CANCELLED", True),
        ("REQUEST", "CONFIRMED", False),
    ],
)
def test_cancelled_by_method_or_status(method, status, cancelled):
    # given
    data = GOOGLE_REQUEST.replace("METHOD:REQUEST", f"METHOD:{method}").replace(
        "STATUS:CONFIRMED", f"STATUS:{status}"
    )

    # when
    invitation = parse_invitation(_ics(data))

    # then
    assert invitation.cancelled is cancelled


def test_google_invitation():
    # when
    invitation = parse_invitation(_ics(GOOGLE_REQUEST))

    # then the Z times are the instants themselves
    assert invitation.starts_at == datetime(2026, 11, 24, 14, tzinfo=UTC)
    assert invitation.ends_at == datetime(2026, 11, 24, 15, tzinfo=UTC)
    assert invitation.uid == "3q9vj0ab1c2d3e4f5g6h7i8j9k@google.com"
    assert invitation.summary == "Pilot review: Acme x Funnelbook"
    assert invitation.location == ""
    assert invitation.description.startswith(
        "Quarterly review of the pilot.\n\n-::~:~::~:~:~:~:~:~:~:~:~:~:~:~:"
    )
    assert "\nJoin with Google Meet: https://meet.google.com/abc-defg-hij\n" in (
        invitation.description
    )
    assert invitation.description.endswith(":~::~:~::-")
    assert invitation.organizer_email == "sam.buyer@acme.example"
    # the organizer's second (upper-case) entry is a duplicate; the VALARM's is not an attendee
    assert invitation.attendee_emails == ("sam.buyer@acme.example", "maria@funnelbook.example")
    assert invitation.cancelled is False


def test_same_custom_tzid_in_two_files_is_resolved_per_file():
    # given two Outlook files that both call their zone "Customized Time Zone": one +0100 all
    # year, the other -0500 all year (icalendar 7.3 alone would reuse the first definition)
    def custom(offset: str) -> bytes:
        zone = (
            "BEGIN:VTIMEZONE\nTZID:Customized Time Zone\nBEGIN:STANDARD\n"
            f"DTSTART:16010101T000000\nTZOFFSETFROM:{offset}\nTZOFFSETTO:{offset}\n"
            "END:STANDARD\nEND:VTIMEZONE"
        )
        return _minimal(
            UID,
            "DTSTART;TZID=Customized Time Zone:20261124T090000",
            "DTEND;TZID=Customized Time Zone:20261124T100000",
            before_event=zone,
        )

    # when
    first = parse_invitation(custom("+0100"))
    second = parse_invitation(custom("-0500"))

    # then 09:00 at +01 is 08:00Z; 09:00 at -05 is 14:00Z
    assert first.starts_at == datetime(2026, 11, 24, 8, tzinfo=UTC)
    assert second.starts_at == datetime(2026, 11, 24, 14, tzinfo=UTC)


def test_an_iana_tzid_needs_no_vtimezone():
    # when
    invitation = parse_invitation(
        _minimal(
            UID,
            "DTSTART;TZID=America/New_York:20261102T090000",
            "DTEND;TZID=America/New_York:20261102T093000",
        )
    )

    # then 09:00 EST (-5) on 2 Nov is 14:00Z
    assert invitation.starts_at == datetime(2026, 11, 2, 14, tzinfo=UTC)
    assert invitation.ends_at == datetime(2026, 11, 2, 14, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "duration", "end"),
    [
        # 45 minutes of elapsed time
        (START, "PT45M", datetime(2026, 11, 24, 14, 45, tzinfo=UTC)),
        # a day is a calendar day: 24 Oct 09:00 CEST (07:00Z) to 25 Oct 09:00 CET (08:00Z)
        (
            "DTSTART;TZID=Europe/Berlin:20261024T090000",
            "P1D",
            datetime(2026, 10, 25, 8, tzinfo=UTC),
        ),
    ],
)
def test_duration_instead_of_dtend(start, duration, end):
    # when
    invitation = parse_invitation(_minimal(UID, start, f"DURATION:{duration}"))

    # then
    assert invitation.ends_at == end


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp1252"])
def test_a_byte_order_mark_or_a_windows_code_page_is_read(encoding):
    # when
    invitation = parse_invitation(_ics(OUTLOOK_REQUEST, encoding))

    # then
    assert invitation.summary == "Angebotspräsentation Funnelbook"


def test_an_invitation_built_here_reads_back():
    # given
    item = _item(organizer=MARIA, attendees=(JANE,), sequence=4)

    # when
    invitation = parse_invitation(_build([item], method="REQUEST"))

    # then 09:00-10:00 Berlin on 23 Oct (CEST, +2) is 07:00Z-08:00Z
    assert invitation.uid == "meeting-17@funnelbook"
    assert invitation.sequence == 4
    assert invitation.starts_at == datetime(2026, 10, 23, 7, tzinfo=UTC)
    assert invitation.ends_at == datetime(2026, 10, 23, 8, tzinfo=UTC)
    assert invitation.organizer_email == "maria@funnelbook.example"
    assert invitation.attendee_emails == ("jane@acme.example",)


# --- parse_invitation: errors ------------------------------------------------------------------

SECOND_EVENT = "END:VEVENT\nBEGIN:VEVENT\n"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"BEGIN:VCALENDAR\r\n" + b"X" * MAX_INVITATION_BYTES, "over 1 MB"),
        (b"", "not a readable iCalendar file"),
        (b"Hello Maria, see you on Tuesday!", "not a readable iCalendar file"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "not a readable iCalendar file"),
        (_ics(f"BEGIN:VEVENT\n{UID}\n{START}\nEND:VEVENT\n"), "not an iCalendar file"),
        (
            _ics("BEGIN:VCALENDAR\nVERSION:2.0\nBEGIN:VTODO\nUID:x\nEND:VTODO\nEND:VCALENDAR\n"),
            "contains no event",
        ),
        (
            _minimal(UID, START, END, SECOND_EVENT + "UID:other@example.com", START, END),
            "2 events with different UIDs",
        ),
        (
            _minimal(
                UID,
                START,
                END,
                "RRULE:FREQ=WEEKLY",
                SECOND_EVENT + UID,
                "RECURRENCE-ID:20261201T140000Z",
                "DTSTART:20261202T140000Z",
                END,
            ),
            "recurring meetings are not supported",
        ),
        (_minimal(START, END), "no UID"),
        (_minimal(UID, END), "no start"),
        (
            _minimal(UID, "DTSTART;VALUE=DATE:20261124", "DTEND;VALUE=DATE:20261125"),
            "all-day invitations cannot be logged as meetings",
        ),
        (_minimal(UID, "DTSTART:20261124T140000", END), "floating time"),
        (_minimal(UID, START, "DTEND:20261124T150000"), "DTEND is a floating time"),
        (
            _minimal(UID, "DTSTART;TZID=Customized Time Zone:20261124T090000", END),
            "neither defined in the file",
        ),
        (_minimal(UID, START, END, "RRULE:FREQ=WEEKLY;COUNT=10"), "repeats \\(RRULE\\)"),
        (_minimal(UID, START, END, "RDATE:20261201T140000Z"), "repeats \\(RDATE\\)"),
        (
            _minimal(UID, START, END, "RECURRENCE-ID:20261124T140000Z"),
            "one occurrence of a recurring meeting",
        ),
        (_minimal(UID, START), "neither an end"),
        (_minimal(UID, START, "DTEND:20261124T140000Z"), "ends .* before or when it starts"),
        (_minimal(UID, START, "DTEND:20261124T130000Z"), "ends .* before or when it starts"),
        (_minimal(UID, START, "DURATION:-PT1H"), "before or when it starts"),
        (_minimal(UID, START, END, "SEQUENCE:two"), "SEQUENCE is not a number"),
    ],
)
def test_invitation_errors(data, message):
    with pytest.raises(InvitationError, match=message):
        parse_invitation(data)


def test_the_size_is_checked_before_parsing():
    # given a valid invitation padded past the limit with a long X- property
    padding = "X-PADDING:" + "x" * MAX_INVITATION_BYTES
    data = _minimal(UID, START, END, padding)

    # then
    with pytest.raises(InvitationError, match=r"invitations over 1 MB \(1,048,576 bytes\)"):
        parse_invitation(data)


def test_invitation_error_is_a_value_error():
    assert issubclass(InvitationError, ValueError)


@pytest.mark.parametrize(
    "instant",
    # 02:30 in Berlin on 25 October 2026 happens twice: 00:30Z (CEST), then 01:30Z (CET)
    [datetime(2026, 10, 25, 0, 30, tzinfo=UTC), datetime(2026, 10, 25, 1, 30, tzinfo=UTC)],
)
def test_a_time_in_the_repeated_hour_is_written_in_utc(instant):
    item = _item(
        starts_at=instant, ends_at=instant + timedelta(minutes=20), timezone="Europe/Berlin"
    )
    [event] = Calendar.from_ical(_build([item])).walk("VEVENT")
    assert event["DTSTART"].to_ical() == instant.strftime("%Y%m%dT%H%M%SZ").encode()
    assert event.decoded("DTSTART") == instant
    # the end, 02:50 the first time or 02:50 the second, is in the repeated hour too
    assert event.decoded("DTEND") == instant + timedelta(minutes=20)


def test_a_meeting_across_the_repeated_hour_ends_after_it_starts():
    # given 20 minutes from 02:50 CEST (00:50Z) to 02:10 CET (01:10Z) on 25 October 2026:
    # the wall clock goes back, the instants do not
    starts_at = datetime(2026, 10, 25, 0, 50, tzinfo=UTC)
    item = _item(starts_at=starts_at, ends_at=starts_at + timedelta(minutes=20))

    [event] = _events(_build([item]))

    # then it is written (both ends in the repeated hour, so in UTC), not refused
    assert event.decoded("DTSTART") == starts_at
    assert event.decoded("DTEND") == starts_at + timedelta(minutes=20)
    assert event["DTEND"].to_ical() == b"20261025T011000Z"


@pytest.mark.parametrize(
    ("instant", "local"),
    [
        # the day before, the day of and the day after the clocks go back: only the
        # repeated hour itself is written in UTC
        (datetime(2026, 10, 24, 0, 30, tzinfo=UTC), "20261024T023000"),
        (datetime(2026, 10, 24, 23, 30, tzinfo=UTC), "20261025T013000"),
        (datetime(2026, 10, 25, 2, 0, tzinfo=UTC), "20261025T030000"),
        (datetime(2026, 10, 26, 1, 30, tzinfo=UTC), "20261026T023000"),
        # and the skipped hour in spring does not exist, so nothing there is ambiguous
        (datetime(2026, 3, 29, 1, 30, tzinfo=UTC), "20260329T033000"),
    ],
)
def test_times_next_to_the_repeated_hour_keep_their_zone(instant, local):
    item = _item(starts_at=instant, ends_at=instant + timedelta(minutes=20))

    lines = _lines(_build([item]))

    assert f"DTSTART;TZID=Europe/Berlin:{local}" in lines
    assert _utc(_events(_build([item]))[0], "DTSTART") == instant


def test_items_that_differ_only_in_time_are_written_apart():
    # given an item and the same one moved by an hour: equal UID, sequence and description
    # (what an item's hash is made of), so they share a hash but are not equal
    first = _item()
    moved = first._replace(
        starts_at=first.starts_at + timedelta(hours=1), ends_at=first.ends_at + timedelta(hours=1)
    )
    assert hash(first) == hash(moved)
    assert first != moved
    same = first._replace()
    assert hash(first) == hash(same)
    assert first == same

    # when both are written, one after the other (each VEVENT is cached under its item)
    before, after = _events(_build([first], stamp=None)), _events(_build([moved], stamp=None))

    # then each has its own times
    assert _utc(after[0], "DTSTART") - _utc(before[0], "DTSTART") == timedelta(hours=1)


def test_without_a_stamp_each_dtstamp_is_the_items_own_last_change():
    # given two items changed at different moments
    first = _item(uid="a@funnelbook", last_modified=datetime(2026, 10, 1, 8, tzinfo=UTC))
    second = _item(uid="b@funnelbook", last_modified=datetime(2026, 10, 2, 9, tzinfo=UTC))

    events = _events(_build([first, second], stamp=None))

    # then each DTSTAMP is that item's LAST-MODIFIED, so an item's lines depend on it alone
    assert [e.decoded("DTSTAMP") for e in events] == [first.last_modified, second.last_modified]
    alone = _build([second], stamp=None)
    together = _build([first, second], stamp=None)
    vevent = alone[alone.index(b"BEGIN:VEVENT") : alone.index(b"END:VEVENT")]
    assert vevent in together
