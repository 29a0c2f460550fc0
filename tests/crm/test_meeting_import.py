"""Importing an invitation (.ics) as a planned meeting: ``POST /api/meetings/import-ics/``.

The sample invitations are the Outlook and Google ones the reader is tested with. ``maria``
(maria@funnelbook.example, on every invitation she receives) manages two prospects: Kunde
GmbH (Anna, the Outlook organizer, and Jörg, a decision maker) and Acme (Sam, the Google
organizer). ``mate`` is another manager of her team, ``lead`` its lead, and ``stranger`` a
manager of another team.
"""

from datetime import UTC, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from crm import services
from crm.models import Meeting, MeetingStatus
from events.ics import MAX_INVITATION_BYTES
from tests import factories
from tests.events.test_ics_builder import (
    GOOGLE_REQUEST,
    OUTLOOK_CANCEL,
    OUTLOOK_REQUEST,
    OUTLOOK_UID,
    OUTLOOK_UPDATE,
)

URL = "/api/meetings/import-ics/"
GOOGLE_UID = "3q9vj0ab1c2d3e4f5g6h7i8j9k@google.com"


def _ics(text: str) -> bytes:
    """The samples are written with LF; real files use CRLF."""
    return text.replace("\n", "\r\n").encode()


def _upload(text: str | bytes, name: str = "invite.ics") -> SimpleUploadedFile:
    data = text if isinstance(text, bytes) else _ics(text)
    return SimpleUploadedFile(name, data, content_type="text/calendar")


def _minimal(*event_lines: str) -> str:
    return "\n".join(
        [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//Test//Test//EN",
            "METHOD:REQUEST",
            "BEGIN:VEVENT",
            "UID:broken@example.com",
            "ORGANIZER:mailto:anna.schmidt@kunde.example",
            *event_lines,
            "END:VEVENT",
            "END:VCALENDAR",
            "",
        ]
    )


@pytest.fixture
def people(team):
    return {
        "maria": factories.UserFactory(
            username="maria", email="maria@funnelbook.example", profile__team=team
        ),
        "mate": factories.UserFactory(username="mate", profile__team=team),
        "lead": factories.UserFactory(username="lead", profile__team=team, profile__role="lead"),
        "stranger": factories.UserFactory(
            username="stranger", profile__team=factories.TeamFactory(name="Away")
        ),
        "away_lead": factories.UserFactory(
            username="away_lead",
            profile__team=factories.TeamFactory(name="Away"),
            profile__role="lead",
        ),
    }


@pytest.fixture
def book(people):
    """Maria's prospects and their contacts (e-mails stored in mixed case on purpose)."""
    kunde = factories.prospect(people["maria"], name="Kunde GmbH")
    acme = factories.prospect(people["maria"], name="Acme")
    return {
        "kunde": kunde,
        "anna": services.contact_create(
            prospect=kunde, name="Anna Schmidt", email="Anna.Schmidt@Kunde.example"
        ),
        "joerg": services.contact_create(
            prospect=kunde,
            name="Jörg Weber",
            email="joerg.weber@kunde.example",
            is_decision_maker=True,
        ),
        "acme": acme,
        "sam": services.contact_create(
            prospect=acme, name="Sam Buyer", email="sam.buyer@acme.example"
        ),
    }


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def post(api, people):
    """``post(text, caller="maria", **fields)``: upload an invitation as multipart."""

    def send(text: str | bytes, caller: str = "maria", **fields):
        api.force_authenticate(people[caller])
        return api.post(URL, {"file": _upload(text), **fields}, format="multipart")

    return send


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- new meetings ------------------------------------------------------------------------------


def test_an_outlook_invitation_becomes_a_planned_meeting(book, people, post):
    # when
    response = post(OUTLOOK_REQUEST)

    # then 09:00-10:30 "W. Europe Standard Time" on 23 Oct is CEST (+2)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["manager"] == people["maria"].pk
    assert body["prospect"] == book["kunde"].pk
    assert body["status"] == MeetingStatus.PLANNED
    assert (body["starts_at"], body["ends_at"]) == ("2026-10-23T07:00:00Z", "2026-10-23T08:30:00Z")
    assert body["location"] == "Besprechungsraum 2.14, Kunde GmbH, Berlin"
    assert body["notes"].startswith("Angebotspräsentation Funnelbook\n\nHallo zusammen,\n\n")
    # the organizer (matched in another case) and the attendee; Maria herself is no contact
    assert sorted(body["attendees"]) == sorted([book["anna"].pk, book["joerg"].pk])
    assert body["decision_maker_present"] is True
    assert body["sequence"] == 0
    meeting = Meeting.objects.get()
    assert (meeting.ics_uid, meeting.ics_sequence) == (OUTLOOK_UID, 0)


def test_a_google_invitation_becomes_a_planned_meeting(book, post):
    # when
    response = post(GOOGLE_REQUEST)

    # then
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["prospect"] == book["acme"].pk
    assert (body["starts_at"], body["ends_at"]) == ("2026-11-24T14:00:00Z", "2026-11-24T15:00:00Z")
    assert body["attendees"] == [book["sam"].pk]
    assert body["decision_maker_present"] is False
    assert body["location"] == ""
    assert body["notes"].startswith("Pilot review: Acme x Funnelbook\n\nQuarterly review")
    assert Meeting.objects.get().ics_uid == GOOGLE_UID


def test_a_raw_text_calendar_body_is_accepted_with_fields_in_the_query(book, people, api):
    # given Anna is also a contact of Acme, so only prospect= decides
    services.contact_create(prospect=book["acme"], name="Anna", email="anna.schmidt@kunde.example")
    api.force_authenticate(people["maria"])

    # when
    response = api.post(
        f"{URL}?prospect={book['acme'].pk}",
        _ics(OUTLOOK_REQUEST),
        content_type="text/calendar; charset=utf-8",
    )

    # then
    assert response.status_code == 201, response.json()
    assert response.json()["prospect"] == book["acme"].pk


def test_a_long_location_and_description_are_cut(book, post):
    # given
    text = GOOGLE_REQUEST.replace("LOCATION:", "LOCATION:" + "x" * 300).replace(
        "DESCRIPTION:Quarterly review of the pilot.",
        "DESCRIPTION:" + "y" * 20_000,
    )

    # when
    response = post(text)

    # then
    assert response.status_code == 201, response.json()
    assert response.json()["location"] == "x" * 200
    assert len(response.json()["notes"]) == 10_000


# --- the same UID again ------------------------------------------------------------------------


def test_an_update_moves_the_same_meeting(book, post):
    # given
    first = post(OUTLOOK_REQUEST).json()

    # when SEQUENCE 1 moves it to 27 Oct, past the DST change (CET, +1)
    response = post(OUTLOOK_UPDATE)

    # then
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["id"] == first["id"]
    assert (body["starts_at"], body["ends_at"]) == ("2026-10-27T08:00:00Z", "2026-10-27T09:30:00Z")
    assert body["sequence"] == first["sequence"] + 1
    assert body["status"] == MeetingStatus.PLANNED
    assert Meeting.objects.count() == 1
    assert Meeting.objects.get().ics_sequence == 1


def test_importing_the_same_file_again_changes_nothing(book, post):
    # given
    first = post(OUTLOOK_REQUEST).json()

    # when
    response = post(OUTLOOK_REQUEST)

    # then
    assert response.status_code == 200, response.json()
    assert response.json() == first
    assert Meeting.objects.count() == 1


def test_an_older_invitation_is_refused(book, post):
    # given
    post(OUTLOOK_REQUEST)
    moved = post(OUTLOOK_UPDATE).json()

    # when
    response = post(OUTLOOK_REQUEST)

    # then
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "file": [
            "This invitation (SEQUENCE 0) is older than the one already imported "
            "(SEQUENCE 1); nothing changed."
        ]
    }
    meeting = Meeting.objects.get()
    assert (meeting.starts_at, meeting.sequence, meeting.ics_sequence) == (
        _utc(2026, 10, 27, 8),
        moved["sequence"],
        1,
    )


def test_a_cancellation_cancels_the_meeting_and_keeps_it(book, post):
    # given
    first = post(OUTLOOK_REQUEST).json()

    # when
    response = post(OUTLOOK_CANCEL)
    again = post(OUTLOOK_CANCEL)

    # then
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["id"], body["status"], body["sequence"]) == (
        first["id"],
        MeetingStatus.CANCELLED,
        1,
    )
    assert body["notes"] == first["notes"]  # not "Abgesagt: …"
    assert again.status_code == 200
    assert again.json() == body
    assert Meeting.objects.get().ics_sequence == 2


def test_a_newer_invitation_restores_a_cancelled_meeting(book, post):
    # given
    post(OUTLOOK_REQUEST)
    post(OUTLOOK_CANCEL)
    restored = OUTLOOK_REQUEST.replace("SEQUENCE:0", "SEQUENCE:3")

    # when
    response = post(restored)

    # then
    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["sequence"]) == (MeetingStatus.PLANNED, 2)


def test_a_cancellation_of_an_unknown_meeting_is_refused(book, post, nothing_written):
    # when
    with nothing_written():
        response = post(OUTLOOK_CANCEL)

    # then
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "file": ["This is a cancellation of a meeting that was never imported; nothing to cancel."]
    }


def test_a_held_meeting_cannot_be_moved_by_an_update(book, people, post):
    # given
    post(OUTLOOK_REQUEST)
    services.meeting_hold(meeting=Meeting.objects.get(), by=people["maria"])

    # when
    response = post(OUTLOOK_UPDATE)

    # then
    assert response.status_code == 400
    assert response.json()["errors"] == {"status": ["A held meeting cannot be rescheduled."]}
    meeting = Meeting.objects.get()
    assert (meeting.starts_at, meeting.ics_sequence) == (_utc(2026, 10, 23, 7), 0)


def test_an_update_changes_place_notes_and_attendees_but_not_the_prospect(book, people, post):
    # given Maria added a contact without an e-mail by hand; Jörg's address now belongs to Acme
    post(OUTLOOK_REQUEST)
    meeting = Meeting.objects.get()
    note_taker = services.contact_create(prospect=book["kunde"], name="Note taker")
    services.meeting_update(meeting=meeting, data={"attendees": [book["anna"], note_taker]})
    services.contact_update(contact=book["joerg"], data={"email": "old@kunde.example"})
    services.contact_create(prospect=book["acme"], name="Jörg", email="joerg.weber@kunde.example")
    update = OUTLOOK_UPDATE.replace("Besprechungsraum 2.14", "Raum 3.01").replace(
        "ORGANIZER;CN=Anna Schmidt:MAILTO:Anna.Schmidt@Kunde.example",
        "ORGANIZER;CN=Maria:mailto:maria@funnelbook.example",
    )

    # when
    response = post(update)

    # then the meeting stays with Kunde GmbH, with nobody from the file left but the note taker
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["prospect"] == book["kunde"].pk
    assert body["location"] == "Raum 3.01, Kunde GmbH, Berlin"
    assert body["attendees"] == [note_taker.pk]
    assert body["decision_maker_present"] is False


def test_naming_another_prospect_for_a_known_invitation_is_refused(book, post):
    # given
    post(OUTLOOK_REQUEST)

    # when
    response = post(OUTLOOK_UPDATE, prospect=book["acme"].pk)

    # then
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["prospect"]
    assert "does not move to another prospect" in response.json()["errors"]["prospect"][0]
    assert Meeting.objects.get().prospect == book["kunde"]


# --- matching a prospect -----------------------------------------------------------------------


def test_unknown_emails_are_refused_naming_them(people, post, nothing_written):
    # given Maria has no prospect with these contacts
    factories.prospect(people["maria"], name="Other")

    # when
    with nothing_written():
        response = post(OUTLOOK_REQUEST)

    # then her own address is not listed
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "file": [
            "No prospect of maria has a contact with any of these e-mails: "
            "joerg.weber@kunde.example, anna.schmidt@kunde.example. Add the contact to the "
            "prospect first, or say which prospect with prospect=<id>."
        ]
    }


def test_another_managers_contacts_do_not_match(book, people, post, nothing_written):
    # given only Mate has a prospect with Sam
    mates = factories.prospect(people["mate"], name="Mate's Acme")
    services.contact_create(prospect=mates, name="Sam", email="sam.buyer@acme.example")
    book["sam"].delete()

    # when
    with nothing_written():
        response = post(GOOGLE_REQUEST)

    # then
    assert response.status_code == 400
    assert "No prospect of maria" in response.json()["errors"]["file"][0]


def test_several_matching_prospects_need_a_choice(book, post, nothing_written):
    # given Jörg moved to Acme
    services.contact_update(contact=book["joerg"], data={"email": ""})
    joerg_at_acme = services.contact_create(
        prospect=book["acme"], name="Jörg Weber", email="Joerg.Weber@kunde.example"
    )

    # when
    with nothing_written():
        refused = post(OUTLOOK_REQUEST)
    chosen = post(OUTLOOK_REQUEST, prospect=book["acme"].pk)

    # then
    assert refused.status_code == 400
    kunde, acme = book["kunde"], book["acme"]
    assert refused.json()["errors"] == {
        "prospect": [
            f"The attendees match several prospects: Kunde GmbH (id {kunde.pk}), "
            f"Acme (id {acme.pk}); say which with prospect=<id>."
        ]
    }
    assert chosen.status_code == 201, chosen.json()
    assert chosen.json()["prospect"] == acme.pk
    assert chosen.json()["attendees"] == [joerg_at_acme.pk]


def test_a_named_prospect_needs_no_matching_contact(book, post):
    # when
    response = post(GOOGLE_REQUEST, prospect=book["kunde"].pk)

    # then
    assert response.status_code == 201, response.json()
    assert (response.json()["prospect"], response.json()["attendees"]) == (book["kunde"].pk, [])


@pytest.mark.parametrize("owner", ["mate", "stranger"])
def test_another_managers_prospect_is_refused(book, people, post, nothing_written, owner):
    # given
    theirs = factories.prospect(people[owner], name="Theirs")

    # when
    with nothing_written():
        response = post(OUTLOOK_REQUEST, prospect=theirs.pk)

    # then it is not among the prospects Maria may name
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["prospect"]


def test_a_lead_naming_a_prospect_of_another_manager_of_the_team_is_refused(
    book, people, post, nothing_written
):
    # given the lead sees Mate's prospect, but imports for Maria
    theirs = factories.prospect(people["mate"], name="Theirs")

    # when
    with nothing_written():
        response = post(
            OUTLOOK_REQUEST, caller="lead", manager=people["maria"].pk, prospect=theirs.pk
        )

    # then
    assert response.status_code == 400
    assert response.json()["errors"] == {"prospect": ["That prospect belongs to another manager."]}


# --- who imports -------------------------------------------------------------------------------


def test_a_lead_imports_for_a_manager_of_the_team(book, people, post):
    # when
    response = post(OUTLOOK_REQUEST, caller="lead", manager=people["maria"].pk)

    # then
    assert response.status_code == 201, response.json()
    assert response.json()["manager"] == people["maria"].pk
    assert response.json()["prospect"] == book["kunde"].pk


@pytest.mark.parametrize(("caller", "manager"), [("away_lead", "maria"), ("lead", "stranger")])
def test_importing_for_someone_outside_the_team_is_refused(
    book, people, post, nothing_written, caller, manager
):
    # when
    with nothing_written():
        response = post(OUTLOOK_REQUEST, caller=caller, manager=people[manager].pk)

    # then the same answer as creating a meeting for them
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["manager"]


def test_a_manager_cannot_import_for_another(book, people, post, nothing_written):
    # when
    with nothing_written():
        response = post(OUTLOOK_REQUEST, manager=people["mate"].pk)

    # then
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["manager"]


def test_the_same_uid_for_two_managers_is_two_meetings(book, people, post):
    # given Mate has the same client
    mates = factories.prospect(people["mate"], name="Kunde GmbH")
    services.contact_create(prospect=mates, name="Anna", email="anna.schmidt@kunde.example")

    # when
    hers = post(OUTLOOK_REQUEST)
    his = post(OUTLOOK_REQUEST, caller="mate")

    # then
    assert (hers.status_code, his.status_code) == (201, 201)
    assert hers.json()["id"] != his.json()["id"]
    assert his.json()["prospect"] == mates.pk
    assert set(Meeting.objects.values_list("manager_id", "ics_uid")) == {
        (people["maria"].pk, OUTLOOK_UID),
        (people["mate"].pk, OUTLOOK_UID),
    }


def test_an_anonymous_caller_is_refused(book, api):
    # when
    response = api.post(URL, {"file": _upload(OUTLOOK_REQUEST)}, format="multipart")

    # then
    assert response.status_code in (401, 403)
    assert not Meeting.objects.exists()


# --- files that cannot be logged ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Hello Maria, see you on Tuesday!", "The file is not a readable iCalendar file"),
        (
            "BEGIN:VCALENDAR\nVERSION:2.0\nBEGIN:VTODO\nUID:x\nEND:VTODO\nEND:VCALENDAR\n",
            "The file contains no event (VEVENT).",
        ),
        (
            _minimal("DTSTART;VALUE=DATE:20261124", "DTEND;VALUE=DATE:20261125"),
            "This is an all-day event; all-day invitations cannot be logged as meetings.",
        ),
        (
            _minimal("DTSTART:20261124T140000Z", "DTEND:20261124T150000Z", "RRULE:FREQ=WEEKLY"),
            "The event repeats (RRULE); recurring meetings are not supported.",
        ),
    ],
)
def test_a_file_that_is_not_one_meeting_is_refused(book, post, nothing_written, text, message):
    # when
    with nothing_written():
        response = post(text)

    # then
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["file"]
    assert response.json()["errors"]["file"][0].startswith(message)


def test_a_file_over_1_mb_is_refused(book, post, nothing_written):
    # when
    with nothing_written():
        response = post(b"BEGIN:VCALENDAR\r\n" + b"X" * MAX_INVITATION_BYTES)

    # then
    assert response.status_code == 400
    assert response.json()["errors"]["file"][0].startswith("The file is over 1 MB")


@pytest.mark.parametrize("fmt", ["multipart", "json"])
def test_a_missing_file_is_refused(book, people, api, nothing_written, fmt):
    # given
    api.force_authenticate(people["maria"])

    # when
    with nothing_written():
        response = api.post(URL, {"prospect": book["kunde"].pk}, format=fmt)

    # then
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["file"]


# --- cost --------------------------------------------------------------------------------------

# The caller's profile; the lock on the manager, the matching contacts, the UID's meeting;
# meeting_plan's validation (two foreign keys, three constraints) and writes (the row, the
# attendees read and written); the answer (the meeting and its attendees); 10 savepoints.
IMPORT_QUERIES = 24


@pytest.mark.parametrize("others", [0, 30])
def test_an_import_costs_the_same_whatever_the_book(
    book, people, api, django_assert_max_num_queries, others
):
    # given more prospects, some with contacts at the same client
    for n in range(others):
        prospect = factories.prospect(people["maria"], name=f"Other {n}")
        services.contact_create(prospect=prospect, name="X", email=f"x{n}@kunde.example")
    api.force_authenticate(type(people["maria"]).objects.get(pk=people["maria"].pk))

    # when
    with django_assert_max_num_queries(IMPORT_QUERIES):
        response = api.post(URL, {"file": _upload(OUTLOOK_REQUEST)}, format="multipart")

    # then
    assert response.status_code == 201, response.json()
