"""events.ics read back by an independent parser: ical.js, the one Thunderbird uses.

``build_calendar`` writes the bytes; ``tests/icaljs/check.mjs`` parses them with ical.js
(``ICAL.parse``, ``ICAL.Component``, every VTIMEZONE registered with
``ICAL.TimezoneService``) and prints what it read as JSON; the tests compare that with what
went in. No database.

Needs ``node`` and ``npm ci --prefix tests/icaljs``. Without them the module is skipped,
unless ``FUNNELBOOK_REQUIRE_ICALJS=1`` (as in .ci/run): then every test fails instead.

Expected instants are worked out by hand from the zone rules (Berlin: CEST +2 until
2026-10-25 03:00 local, then CET +1; New York: EDT -4 until 2026-11-01 02:00 local, then
EST -5) and noted next to each one.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from events.ics import CalendarItem, Person, build_calendar

ICALJS_DIR = Path(__file__).resolve().parents[1] / "icaljs"
CHECK_SCRIPT = ICALJS_DIR / "check.mjs"
REQUIRED = os.environ.get("FUNNELBOOK_REQUIRE_ICALJS") == "1"
NODE = shutil.which("node")


def _missing() -> str | None:
    """Why ical.js cannot be run here, or None when it can."""
    if NODE is None:
        return "node is not on PATH"
    if not (ICALJS_DIR / "node_modules" / "ical.js" / "package.json").is_file():
        return "ical.js is not installed (run: npm ci --prefix tests/icaljs)"
    return None


MISSING = _missing()
if MISSING is not None and not REQUIRED:
    pytest.skip(
        f"ical.js cross-check skipped: {MISSING}; set FUNNELBOOK_REQUIRE_ICALJS=1 to make "
        "this a failure",
        allow_module_level=True,
    )

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
STAMP = datetime(2026, 10, 1, 12, tzinfo=UTC)
CALENDAR_NAME = "Marias Termine (Grüße)"
MARIA = Person("Maria Manager", "maria@funnelbook.example")
# Names with commas, a semicolon, a colon and a double quote: the CN must be quoted.
JANE = Person("Doe, Jane", "jane@acme.example")
JOHN = Person("Roe; John: CTO", "John.Roe@Acme.example")
QUOTED = Person('Ann "AJ" Jones, Acme', "ann@acme.example")

DESCRIPTION = (
    "Prospect: Müller & Söhne GmbH, Hauptstraße 5; 10115 Berlin\n"
    "Contacts: Jane Doe, John Roe; Jürgen Weiß 🎉🚀\r\n"
    "Path: C:\\Sales\\Q4\\pricing.xlsx, and a trailing backslash \\\r"
    "Notes: bring the pricing sheet; ask about the rollout, the budget and the timeline. "
    "Ünïcödé everywhere: äöüß ÄÖÜ é ñ 中文 — “quotes” and emoji 👩‍💼 at the fold boundary "
    + "x" * 40
    + " 😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀 end."
)
# The builder writes every line break (CRLF, CR, LF) as \n.
DESCRIPTION_READ = DESCRIPTION.replace("\r\n", "\n").replace("\r", "\n")


def _item(uid: str, starts_at: datetime, ends_at: datetime, timezone: str, **fields):
    base = {
        "kind": "meeting",
        "summary": f"Call {uid}",
        "status": "planned",
        "sequence": 0,
        "last_modified": datetime(2026, 9, 30, 8, tzinfo=UTC),
    }
    return CalendarItem(
        uid=uid,
        starts_at=starts_at,
        ends_at=ends_at,
        timezone=timezone,
        **(base | fields),
    )


# (item, status ical.js must read, UTC start, UTC end, TZID of DTSTART, its UTC offset in s)
FEED = [
    (
        _item(
            "berlin-before@funnelbook",
            datetime(2026, 10, 23, 9, tzinfo=BERLIN),
            datetime(2026, 10, 23, 10, tzinfo=BERLIN),
            "Europe/Berlin",
            summary="Discovery call: Acme, Inc. 🎯",
            location="Acme HQ, Hauptstraße 5; Berlin",
            url="https://funnelbook.example/prospects/17/?tab=meetings,notes;x=1",
            organizer=MARIA,
            attendees=(
                JANE,
                JOHN,
                QUOTED,
                Person("No Mail", ""),
                Person("JANE", "JANE@acme.example"),
            ),
        ),
        "TENTATIVE",
        "2026-10-23T07:00:00.000Z",  # 09:00 CEST (+2) -> 07:00Z
        "2026-10-23T08:00:00.000Z",  # 10:00 CEST (+2) -> 08:00Z
        "Europe/Berlin",
        7200,
    ),
    (
        _item(
            "berlin-after@funnelbook",
            datetime(2026, 10, 27, 9, tzinfo=BERLIN),
            datetime(2026, 10, 27, 10, 30, tzinfo=BERLIN),
            "Europe/Berlin",
            status="held",
            sequence=2,
            description=DESCRIPTION,
            organizer=Person("Müller, Jürgen", "juergen@funnelbook.example"),
            attendees=(JANE,),
        ),
        "CONFIRMED",
        "2026-10-27T08:00:00.000Z",  # 09:00 CET (+1) -> 08:00Z
        "2026-10-27T09:30:00.000Z",  # 10:30 CET (+1) -> 09:30Z
        "Europe/Berlin",
        3600,
    ),
    (
        # Across the change: 22:00 CEST on the 24th to 04:00 CET on the 25th, 7 hours.
        _item(
            "berlin-across@funnelbook",
            datetime(2026, 10, 24, 22, tzinfo=BERLIN),
            datetime(2026, 10, 25, 4, tzinfo=BERLIN),
            "Europe/Berlin",
            kind="event",
            status="attended",
        ),
        "CONFIRMED",
        "2026-10-24T20:00:00.000Z",  # 22:00 CEST (+2) -> 20:00Z
        "2026-10-25T03:00:00.000Z",  # 04:00 CET (+1) -> 03:00Z
        "Europe/Berlin",
        7200,
    ),
    (
        _item(
            "ny-before@funnelbook",
            datetime(2026, 10, 30, 9, tzinfo=NEW_YORK),
            datetime(2026, 10, 30, 9, 45, tzinfo=NEW_YORK),
            "America/New_York",
            summary="Pipeline review; Q4, East",
            attendees=(QUOTED,),
        ),
        "TENTATIVE",
        "2026-10-30T13:00:00.000Z",  # 09:00 EDT (-4) -> 13:00Z
        "2026-10-30T13:45:00.000Z",  # 09:45 EDT (-4) -> 13:45Z
        "America/New_York",
        -14400,
    ),
    (
        # Given in UTC, written in the item's zone: 14:00Z is 09:00 EST.
        _item(
            "ny-after@funnelbook",
            datetime(2026, 11, 2, 14, tzinfo=UTC),
            datetime(2026, 11, 2, 15, tzinfo=UTC),
            "America/New_York",
            status="held",
            sequence=1,
            location="Zoom",
        ),
        "CONFIRMED",
        "2026-11-02T14:00:00.000Z",  # 09:00 EST (-5) -> 14:00Z
        "2026-11-02T15:00:00.000Z",  # 10:00 EST (-5) -> 15:00Z
        "America/New_York",
        -18000,
    ),
    (
        _item(
            "utc@funnelbook",
            datetime(2026, 10, 28, 15, tzinfo=UTC),
            datetime(2026, 10, 28, 16, 15, tzinfo=UTC),
            "UTC",
            kind="event",
            summary="Webinar (UTC)",
            description="Short one, no folding",
        ),
        "TENTATIVE",
        "2026-10-28T15:00:00.000Z",  # written with Z
        "2026-10-28T16:15:00.000Z",
        None,
        0,
    ),
    (
        _item(
            "cancelled@funnelbook",
            datetime(2026, 11, 5, 14, tzinfo=BERLIN),
            datetime(2026, 11, 5, 15, tzinfo=BERLIN),
            "Europe/Berlin",
            kind="",
            status="cancelled",
            sequence=4,
            organizer=MARIA,
            attendees=(JOHN,),
        ),
        "CANCELLED",
        "2026-11-05T13:00:00.000Z",  # 14:00 CET (+1) -> 13:00Z
        "2026-11-05T14:00:00.000Z",
        "Europe/Berlin",
        3600,
    ),
    (
        _item(
            "no-show@funnelbook",
            datetime(2026, 11, 3, 16, tzinfo=NEW_YORK),
            datetime(2026, 11, 3, 16, 30, tzinfo=NEW_YORK),
            "America/New_York",
            status="no_show",
            sequence=1,
        ),
        "CANCELLED",
        "2026-11-03T21:00:00.000Z",  # 16:00 EST (-5) -> 21:00Z
        "2026-11-03T21:30:00.000Z",
        "America/New_York",
        -18000,
    ),
]
FEED_ITEMS = [row[0] for row in FEED]


def _build(items, *, method: str = "PUBLISH", name: str = CALENDAR_NAME) -> bytes:
    return build_calendar(items, name=name, timezone="Europe/Berlin", method=method, stamp=STAMP)


def _run(data: bytes, tz: str | None = None) -> subprocess.CompletedProcess[bytes]:
    if MISSING is not None:
        pytest.fail(
            f"FUNNELBOOK_REQUIRE_ICALJS=1 but {MISSING}; install Node.js and run "
            "`npm ci --prefix tests/icaljs`",
            pytrace=False,
        )
    env = dict(os.environ)
    if tz is not None:
        env["TZ"] = tz
    return subprocess.run(
        [NODE, str(CHECK_SCRIPT)],
        input=data,
        capture_output=True,
        env=env,
        timeout=300,
        check=False,
    )


@functools.lru_cache(maxsize=32)
def _read(data: bytes, tz: str | None = None) -> dict:
    """What ical.js read from ``data`` (cached: the same bytes are parsed once)."""
    result = _run(data, tz)
    if result.returncode != 0:
        pytest.fail(
            f"ical.js could not parse the calendar (exit {result.returncode}):\n"
            f"{result.stderr.decode(errors='replace')}",
            pytrace=False,
        )
    return json.loads(result.stdout)


def _address(person: Person, params: dict[str, str]) -> dict:
    return {"value": f"mailto:{person.email}", "params": params}


def _attendee(person: Person, rsvp: bool = False) -> dict:
    # A double quote, which no parameter value may hold, is written as a single one.
    params = {
        "CN": person.name.replace('"', "'"),
        "ROLE": "REQ-PARTICIPANT",
        "PARTSTAT": "NEEDS-ACTION",
    }
    if rsvp:
        params["RSVP"] = "TRUE"
    return _address(person, params)


# --- the calendar ------------------------------------------------------------------------------


def test_calendar_properties_and_timezones():
    # when
    calendar = _read(_build(FEED_ITEMS))

    # then
    assert calendar["calendar"] == {
        "prodid": "-//Funnelbook//Funnelbook//EN",
        "version": "2.0",
        "calscale": "GREGORIAN",
        "method": "PUBLISH",
        "x-wr-calname": CALENDAR_NAME,
        "x-wr-timezone": "Europe/Berlin",
    }
    # One VTIMEZONE per zone used, sorted; UTC needs none.
    assert calendar["timezones"] == ["America/New_York", "Europe/Berlin"]
    assert [e["uid"] for e in calendar["events"]] == [item.uid for item in FEED_ITEMS]


def test_x_wr_calname_is_read_verbatim_by_icaljs():
    # X- properties are TEXT by default (RFC 5545 3.8.8.2), so the builder escapes them;
    # ical.js gives them the value type "unknown" and does not unescape. Not a builder bug:
    # pinned here so a change on either side shows up.
    calendar = _read(_build([], name="Maria, Jane; Sales \\ Q4"))

    assert calendar["calendar"]["x-wr-calname"] == "Maria\\, Jane\\; Sales \\\\ Q4"
    assert calendar["events"] == []
    assert calendar["timezones"] == ["Europe/Berlin"]


# --- each event of the feed --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("item", "status", "start_utc", "end_utc", "tzid", "offset"),
    FEED,
    ids=[row[0].uid.split("@")[0] for row in FEED],
)
def test_every_property_of_a_feed_event(item, status, start_utc, end_utc, tzid, offset):
    # when
    events = {e["uid"]: e for e in _read(_build(FEED_ITEMS))["events"]}

    # then
    event = events[item.uid]
    assert event["uid"] == item.uid
    assert event["summary"] == item.summary
    assert event["status"] == status
    assert event["sequence"] == item.sequence
    assert event["categories"] == ([item.kind] if item.kind else [])
    assert event["url"] == (item.url or None)
    assert event["location"] == (item.location or None)
    assert event["description"] == (
        item.description.replace("\r\n", "\n").replace("\r", "\n") or None
    )
    organizer = item.organizer
    assert event["organizer"] == (
        _address(organizer, {"CN": organizer.name}) if organizer else None
    )
    # Without an email a person is left out, and each email is written once.
    expected_attendees = []
    seen = set()
    for person in item.attendees:
        if person.email and person.email.lower() not in seen:
            seen.add(person.email.lower())
            expected_attendees.append(_attendee(person))
    assert event["attendees"] == expected_attendees
    assert event["dtstamp"] == "2026-10-01T12:00:00.000Z"
    assert event["last_modified"] == "2026-09-30T08:00:00.000Z"
    assert event["dtstart_tzid"] == tzid
    assert event["dtend"]["tzid"] == tzid
    # Resolved by the file's own VTIMEZONE (or as UTC), never by the host's zone.
    assert event["dtstart"]["zone"] == (tzid or "UTC")
    assert event["dtend"]["zone"] == (tzid or "UTC")
    assert event["dtstart"]["utc_offset"] == offset
    assert event["dtstart"]["utc"] == start_utc
    assert event["dtend"]["utc"] == end_utc
    assert event["start_utc"] == start_utc
    assert event["end_utc"] == end_utc


def test_attendee_names_with_commas_are_quoted_and_read_whole():
    # given
    item = FEED_ITEMS[0]

    # when
    event = _read(_build(FEED_ITEMS))["events"][0]

    # then the double quote, which no parameter may hold, became a single one
    assert [a["params"]["CN"] for a in event["attendees"]] == [
        "Doe, Jane",
        "Roe; John: CTO",
        "Ann 'AJ' Jones, Acme",
    ]
    assert [a["value"] for a in event["attendees"]] == [
        "mailto:jane@acme.example",
        "mailto:John.Roe@Acme.example",
        "mailto:ann@acme.example",
    ]
    assert event["organizer"]["params"] == {"CN": item.organizer.name}


def test_long_description_survives_folding():
    # given a description whose content line is folded many times, with multi-byte
    # characters (umlauts, CJK, emoji, a ZWJ sequence) near the fold points
    data = _build(FEED_ITEMS)
    physical = data.split(b"\r\n")
    assert max(len(line) for line in physical) <= 75
    assert sum(1 for line in physical if line.startswith(b" ")) > 5

    # when
    events = {e["uid"]: e for e in _read(data)["events"]}

    # then
    assert events["berlin-after@funnelbook"]["description"] == DESCRIPTION_READ


def test_the_instants_do_not_depend_on_the_host_timezone():
    # A TZID that ical.js could not resolve from the file would fall back to the host's zone
    # ("floating"): running it under other zones would then move the instants.
    data = _build(FEED_ITEMS)

    # when
    here = _read(data)
    auckland = _read(data, "Pacific/Auckland")
    honolulu = _read(data, "Pacific/Honolulu")

    # then
    assert auckland == here
    assert honolulu == here
    assert [e["start_utc"] for e in auckland["events"]] == [row[2] for row in FEED]


def test_icaljs_takes_the_offsets_from_the_files_vtimezone():
    # given the feed with Berlin's CET offset changed to +0500 in its VTIMEZONE
    data = _build(FEED_ITEMS)
    text = data.decode()
    start = text.index("BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin")
    end = text.index("END:VTIMEZONE", start)
    zone = text[start:end].replace("TZOFFSETTO:+0100", "TZOFFSETTO:+0500")
    tampered = (text[:start] + zone + text[end:]).encode()

    # when
    events = {e["uid"]: e for e in _read(tampered, "Pacific/Auckland")["events"]}

    # then 09:00 at +05:00 on 27 Oct is 04:00Z, not 08:00Z: the file's definition was used
    assert events["berlin-after@funnelbook"]["dtstart"]["utc"] == "2026-10-27T04:00:00.000Z"
    assert events["berlin-after@funnelbook"]["dtstart"]["utc_offset"] == 5 * 3600
    # and New York's zone is untouched: 09:00 EST is still 14:00Z
    assert events["ny-after@funnelbook"]["start_utc"] == "2026-11-02T14:00:00.000Z"


def test_a_tzid_without_vtimezone_is_reported_unresolved():
    # given the feed without its VTIMEZONEs
    data = re.sub(rb"BEGIN:VTIMEZONE\r\n.*?END:VTIMEZONE\r\n", b"", _build(FEED_ITEMS), flags=re.S)

    # when
    calendar = _read(data)

    # then the check script reports no instant rather than one in the host's zone
    assert calendar["timezones"] == []
    events = {e["uid"]: e for e in calendar["events"]}
    assert events["berlin-before@funnelbook"]["dtstart"]["zone"] is None
    assert events["berlin-before@funnelbook"]["start_utc"] is None
    assert events["utc@funnelbook"]["start_utc"] == "2026-10-28T15:00:00.000Z"


# --- invitations -------------------------------------------------------------------------------


def test_method_request():
    # given one meeting with its attendees
    item = FEED_ITEMS[0]._replace(sequence=1)

    # when
    calendar = _read(_build([item], method="REQUEST"))

    # then attendees are asked to answer (RSVP=TRUE), the organizer is not
    assert calendar["calendar"]["method"] == "REQUEST"
    [event] = calendar["events"]
    assert event["uid"] == item.uid
    assert event["sequence"] == 1
    assert event["status"] == "TENTATIVE"
    assert event["organizer"] == _address(MARIA, {"CN": "Maria Manager"})
    assert event["attendees"] == [_attendee(p, rsvp=True) for p in (JANE, JOHN, QUOTED)]
    assert event["attendees"][2]["params"]["CN"] == "Ann 'AJ' Jones, Acme"
    assert event["start_utc"] == "2026-10-23T07:00:00.000Z"  # 09:00 CEST (+2)
    assert event["end_utc"] == "2026-10-23T08:00:00.000Z"
    assert calendar["timezones"] == ["Europe/Berlin"]


def test_method_cancel_cancels_every_event():
    # given items that are planned, held and in UTC, with raised sequences
    items = [item._replace(sequence=item.sequence + 1) for item in FEED_ITEMS[:6]]

    # when
    calendar = _read(_build(items, method="CANCEL"))

    # then
    assert calendar["calendar"]["method"] == "CANCEL"
    assert [e["uid"] for e in calendar["events"]] == [item.uid for item in items]
    assert {e["status"] for e in calendar["events"]} == {"CANCELLED"}
    assert [e["sequence"] for e in calendar["events"]] == [item.sequence for item in items]
    assert [e["start_utc"] for e in calendar["events"]] == [row[2] for row in FEED[:6]]
    for event in calendar["events"]:
        for attendee in event["attendees"]:
            assert "RSVP" not in attendee["params"]


# --- the repeated hour -------------------------------------------------------------------------

# 02:30 in Berlin on 2026-10-25 happens twice: 00:30Z (CEST, the first) and 01:30Z (CET);
# 01:30 in New York on 2026-11-01 too: 05:30Z (EDT, the first) and 06:30Z (EST).
# A wall-clock time with a TZID is ambiguous there: RFC 5545 3.3.5 reads it as the first
# occurrence (icalendar does), ical.js 2.2.1 as the second. So the builder writes such
# times in UTC, and both occurrences must come back exact.
REPEATED_HOUR = [
    pytest.param(datetime(2026, 10, 25, 0, 30, tzinfo=UTC), "Europe/Berlin", id="berlin-first"),
    pytest.param(datetime(2026, 10, 25, 1, 30, tzinfo=UTC), "Europe/Berlin", id="berlin-second"),
    pytest.param(datetime(2026, 11, 1, 5, 30, tzinfo=UTC), "America/New_York", id="new-york-first"),
    pytest.param(
        datetime(2026, 11, 1, 6, 30, tzinfo=UTC), "America/New_York", id="new-york-second"
    ),
]


@pytest.mark.parametrize(("starts_at", "timezone"), REPEATED_HOUR)
def test_a_meeting_in_the_repeated_hour(starts_at, timezone):
    # given
    item = _item("repeated@funnelbook", starts_at, starts_at + timedelta(minutes=20), timezone)

    # when
    [event] = _read(_build([item]))["events"]

    # then
    assert event["start_utc"] == starts_at.strftime("%Y-%m-%dT%H:%M:%S.000Z")


# --- a big feed --------------------------------------------------------------------------------


def test_a_feed_of_5000_events_parses():
    # given 5,000 meetings over a year in three zones, every tenth with a long description
    zones = ["Europe/Berlin", "America/New_York", "UTC"]
    first = datetime(2026, 1, 5, 8, tzinfo=UTC)
    items = [
        _item(
            f"meeting-{n}@funnelbook",
            first + timedelta(hours=n * 7 // 4),
            first + timedelta(hours=n * 7 // 4, minutes=45),
            zones[n % 3],
            summary=f"Meeting {n}: Kunde Nr. {n}, Außendienst",
            description=DESCRIPTION if n % 10 == 0 else "",
            organizer=MARIA,
            attendees=(JANE, JOHN),
        )
        for n in range(5000)
    ]
    data = _build(items)

    # when
    calendar = _read(data)

    # then
    events = calendar["events"]
    assert len(events) == 5000
    assert events[0]["uid"] == "meeting-0@funnelbook"
    assert events[-1]["uid"] == "meeting-4999@funnelbook"
    assert all(e["start_utc"] is not None for e in events)
    assert calendar["timezones"] == ["America/New_York", "Europe/Berlin"]


# --- the check script itself -------------------------------------------------------------------


def test_a_parse_error_exits_1_with_the_error_on_stderr():
    # when
    result = _run(b"BEGIN:VCALENDAR\r\nthis is not a content line\r\nEND:VCALENDAR\r\n")

    # then
    assert result.returncode == 1
    assert result.stdout == b""
    assert b"invalid line" in result.stderr
