"""The calendar feeds (/calendar/<token>.ics and the team's), read back with icalendar as a
calendar client would: every property, tokens, the window, conditional GET."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from icalendar import Calendar
from rest_framework.test import APIClient

from crm import services
from events import feeds
from events import services as event_services
from tests import factories

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _now(monkeypatch):
    monkeypatch.setattr(feeds, "now", lambda: NOW)


def feed_url(user) -> str:
    user.profile.refresh_from_db()
    return reverse("calendar-feed", args=[user.profile.calendar_token])


def read(response) -> Calendar:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(response.content)


def vevents(calendar: Calendar) -> dict[str, object]:
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def acme(manager):
    manager.first_name, manager.last_name = "Mia", "Meyer"
    manager.save()
    prospect = factories.prospect(manager, name="Acme GmbH")
    return prospect


def test_personal_feed_round_trips_every_property(client, manager, acme):
    # given a planned meeting in Berlin with two invited contacts, one the decision maker,
    # a notes field with a line break, and a decision maker of the prospect who is not invited
    dana = services.contact_create(prospect=acme, name="Dana", is_decision_maker=True)
    services.contact_update(contact=dana, data={"email": "dana@acme.example", "title": "CEO"})
    eli = services.contact_create(prospect=acme, name="Eli")
    services.contact_update(contact=eli, data={"email": "eli@acme.example"})
    services.contact_create(prospect=acme, name="Finn", is_decision_maker=True)
    meeting = factories.meeting(
        acme, starts_at=datetime(2026, 11, 24, 9, tzinfo=BERLIN), attendees=[dana, eli]
    )
    services.meeting_update(
        meeting=meeting, data={"location": "Berlin, Alexanderplatz 1", "notes": "Pilot\nOffer"}
    )

    # when the manager's calendar fetches the feed
    calendar = read(client.get(feed_url(manager)))

    # then the calendar says who and what it is
    assert str(calendar["PRODID"]) == "-//Funnelbook//Funnelbook//EN"
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["CALSCALE"]) == "GREGORIAN"
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(calendar["X-WR-CALNAME"]) == "Funnelbook: Mia Meyer"
    assert str(calendar["X-WR-TIMEZONE"]) == "Europe/Berlin"
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Berlin"]
    # and the meeting is there with all its properties
    event = vevents(calendar)[f"meeting-{meeting.pk}@funnelbook"]
    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
    # 09:00 in Berlin on 24 November (CET, UTC+1) is 08:00 UTC
    assert event.decoded("DTSTART").astimezone(UTC) == datetime(2026, 11, 24, 8, tzinfo=UTC)
    assert event.decoded("DTEND").astimezone(UTC) == datetime(2026, 11, 24, 9, tzinfo=UTC)
    assert str(event["SUMMARY"]) == "Meeting: Acme GmbH"
    assert str(event["LOCATION"]) == "Berlin, Alexanderplatz 1"
    description = str(event["DESCRIPTION"])
    assert "Prospect: Acme GmbH (lead)" in description
    assert "Contacts: Dana (CEO), Eli" in description
    assert "Decision maker: Dana (CEO), Finn" in description
    assert "Pilot\nOffer" in description
    assert f"/prospects/{acme.pk}/" in description
    assert str(event["URL"]).startswith("http://testserver/")
    assert str(event["URL"]).endswith(f"/prospects/{acme.pk}/")
    assert str(event["ORGANIZER"]) == f"mailto:{manager.email}"
    assert event["ORGANIZER"].params["CN"] == "Mia Meyer"
    assert sorted(str(a) for a in event["ATTENDEE"]) == [
        "mailto:dana@acme.example",
        "mailto:eli@acme.example",
    ]
    assert str(event["STATUS"]) == "TENTATIVE"
    assert int(event["SEQUENCE"]) == 0
    assert event.decoded("LAST-MODIFIED") == meeting_updated(meeting)
    assert event["CATEGORIES"].cats == ["meeting"]
    assert event.decoded("DTSTAMP").tzinfo is not None


def test_contacts_are_listed_by_name_and_a_stray_attendee_is_not_lost(client, manager, acme):
    # given a meeting inviting Zoe and Adam of Acme, and (written around the services,
    # which only allow the prospect's own contacts) Bea, a contact of another prospect
    zoe = services.contact_create(prospect=acme, name="Zoe", email="zoe@acme.example")
    adam = services.contact_create(prospect=acme, name="Adam", email="adam@acme.example")
    other = factories.prospect(manager, name="Other AG")
    bea = services.contact_create(
        prospect=other, name="Bea", email="bea@other.example", is_decision_maker=True
    )
    meeting = factories.meeting(acme, starts_at=NOW + timedelta(days=1), attendees=[zoe, adam])
    meeting.attendees.add(bea)

    event = vevents(read(client.get(feed_url(manager))))[f"meeting-{meeting.pk}@funnelbook"]

    # then every invited contact is there, in name order, and Bea, who decides for her
    # own prospect, is not taken for Acme's decision maker
    assert [str(a) for a in event["ATTENDEE"]] == [
        "mailto:adam@acme.example",
        "mailto:bea@other.example",
        "mailto:zoe@acme.example",
    ]
    assert "Contacts: Adam, Bea, Zoe\n" in str(event["DESCRIPTION"])
    assert "Decision maker: not known yet" in str(event["DESCRIPTION"])


def meeting_updated(meeting) -> datetime:
    meeting.refresh_from_db()
    return meeting.updated_at.replace(microsecond=0)


def test_a_meeting_rescheduled_twice_keeps_its_uid_with_sequence_2(client, manager, acme):
    meeting = factories.meeting(acme, starts_at=factories.moment(24, 9))
    for day in (25, 26):
        services.meeting_reschedule(
            meeting=meeting,
            starts_at=factories.moment(day, 9),
            ends_at=factories.moment(day, 10),
            by=manager,
        )

    events = vevents(read(client.get(feed_url(manager))))

    assert list(events) == [f"meeting-{meeting.pk}@funnelbook"]
    event = events[f"meeting-{meeting.pk}@funnelbook"]
    assert int(event["SEQUENCE"]) == 2
    assert event.decoded("DTSTART").astimezone(UTC) == factories.moment(26, 9)


def test_statuses_held_cancelled_no_show(client, manager, acme):
    # given one meeting of each status
    held = factories.meeting(acme, starts_at=factories.moment(3))
    services.meeting_hold(meeting=held, by=manager, at=factories.moment(3, 12))
    cancelled = factories.meeting(acme, starts_at=factories.moment(24))
    services.meeting_cancel(meeting=cancelled, by=manager)
    missed = factories.meeting(acme, starts_at=factories.moment(4))
    services.meeting_no_show(meeting=missed, by=manager, at=factories.moment(4, 12))
    planned = factories.meeting(acme, starts_at=factories.moment(25))

    events = vevents(read(client.get(feed_url(manager))))

    # then the cancelled one stays, cancelled, with its SEQUENCE raised
    status = {uid: (str(e["STATUS"]), int(e["SEQUENCE"])) for uid, e in events.items()}
    assert status == {
        f"meeting-{held.pk}@funnelbook": ("CONFIRMED", 0),
        f"meeting-{cancelled.pk}@funnelbook": ("CANCELLED", 1),
        f"meeting-{missed.pk}@funnelbook": ("CANCELLED", 0),
        f"meeting-{planned.pk}@funnelbook": ("TENTATIVE", 0),
    }


def test_meetings_across_the_dst_change_have_the_right_instants(client, manager, acme):
    # 09:00 Berlin on Fri 23 Oct 2026 is CEST (UTC+2): 07:00Z; on Tue 27 Oct, after the
    # change of Sun 25 Oct, it is CET (UTC+1): 08:00Z
    before = factories.meeting(acme, starts_at=datetime(2026, 10, 23, 9, tzinfo=BERLIN))
    after = factories.meeting(acme, starts_at=datetime(2026, 10, 27, 9, tzinfo=BERLIN))

    events = vevents(read(client.get(feed_url(manager))))

    start = {uid: e.decoded("DTSTART").astimezone(UTC) for uid, e in events.items()}
    assert start[f"meeting-{before.pk}@funnelbook"] == datetime(2026, 10, 23, 7, tzinfo=UTC)
    assert start[f"meeting-{after.pk}@funnelbook"] == datetime(2026, 10, 27, 8, tzinfo=UTC)
    # written as the wall-clock time of its zone
    assert events[f"meeting-{after.pk}@funnelbook"]["DTSTART"].to_ical() == b"20261027T090000"


def test_events_the_user_goes_to_are_in_the_feed(client, manager, stranger):
    going = factories.event(name="Expo", starts_at=factories.moment(26, 8))
    event_services.event_attend(event=going, manager=manager)
    dropped = factories.event(name="Summit", starts_at=factories.moment(27, 8))
    event_services.event_attend(event=dropped, manager=manager)
    event_services.event_attend(event=dropped, manager=manager, status="cancelled")
    elsewhere = factories.event(name="Fair", starts_at=factories.moment(28, 8))
    event_services.event_attend(event=elsewhere, manager=stranger)

    events = vevents(read(client.get(feed_url(manager))))

    assert set(events) == {f"event-{going.pk}@funnelbook", f"event-{dropped.pk}@funnelbook"}
    expo = events[f"event-{going.pk}@funnelbook"]
    assert (str(expo["SUMMARY"]), str(expo["STATUS"])) == ("Expo", "TENTATIVE")
    assert expo["CATEGORIES"].cats == ["trade_show"]
    assert [str(a) for a in [expo["ATTENDEE"]]] == [f"mailto:{manager.email}"]
    summit = events[f"event-{dropped.pk}@funnelbook"]
    # no longer going: cancelled, one SEQUENCE above the event's own
    assert (str(summit["STATUS"]), int(summit["SEQUENCE"])) == ("CANCELLED", 1)


def test_another_managers_meetings_never_appear(client, manager, acme, stranger, team):
    mate = factories.UserFactory(profile__team=team)
    theirs = factories.meeting(factories.prospect(mate, name="Mate's"), starts_at=NOW)
    far = factories.meeting(factories.prospect(stranger, name="Far"), starts_at=NOW)
    mine = factories.meeting(acme, starts_at=NOW)

    events = vevents(read(client.get(feed_url(manager))))

    assert set(events) == {f"meeting-{mine.pk}@funnelbook"}
    assert f"meeting-{theirs.pk}@funnelbook" not in events
    assert f"meeting-{far.pk}@funnelbook" not in events


# --- tokens ----------------------------------------------------------------------------------


def test_wrong_rotated_or_deactivated_tokens_are_the_same_404(client, manager, acme):
    old = feed_url(manager)
    assert client.get(old).status_code == 200
    services.calendar_token_rotate(user=manager)
    new = feed_url(manager)
    inactive = factories.UserFactory()
    inactive_url = feed_url(inactive)
    get_user_model().objects.filter(pk=inactive.pk).update(is_active=False)

    answers = [client.get(url) for url in (old, "/calendar/nope.ics", inactive_url)]

    assert {(r.status_code, r.content) for r in answers} == {(404, b"No calendar feed here.\n")}
    assert client.get(new).status_code == 200


def test_rotating_through_the_api_kills_the_old_link_at_once(api, manager):
    old = feed_url(manager)
    api.force_authenticate(manager)

    answer = api.post(reverse("api-calendar-token"))

    assert answer.status_code == 200
    new = feed_url(manager)
    assert answer.json() == {
        "https": f"http://testserver{new}",
        "webcal": f"webcal://testserver{new}",
    }
    assert api.get(old).status_code == 404
    assert api.get(new).status_code == 200


def test_me_gives_the_https_and_webcal_links_and_the_team_feed_for_a_lead(api, lead, manager):
    api.force_authenticate(manager)
    me = api.get(reverse("api-me")).json()
    assert me["calendar_url"] == "http://testserver" + feed_url(manager)
    assert me["calendar_webcal_url"] == "webcal://testserver" + feed_url(manager)
    assert me["team_calendar_url"] is None

    api.force_authenticate(lead)
    token = lead.profile.team.team_calendar_token
    team_url = reverse("calendar-team-feed", args=[token])
    assert api.get(reverse("api-me")).json()["team_calendar_url"] == f"http://testserver{team_url}"


def test_links_are_https_on_a_real_host(api, manager, settings):
    settings.ALLOWED_HOSTS = ["crm.example.com"]
    api.force_authenticate(manager)
    me = api.get(reverse("api-me"), HTTP_HOST="crm.example.com").json()
    assert me["calendar_url"] == "https://crm.example.com" + feed_url(manager)
    assert me["calendar_webcal_url"] == "webcal://crm.example.com" + feed_url(manager)


# --- the window and conditional GET ----------------------------------------------------------


def test_the_window_defaults_to_90_days_back_and_365_ahead(client, manager, acme):
    # given meetings 100 and 80 days before now, and 300 and 400 days after
    meetings = {
        offset: factories.meeting(acme, starts_at=NOW + timedelta(days=offset))
        for offset in (-100, -80, 300, 400)
    }
    url = feed_url(manager)

    def offsets(query: str = "") -> set[int]:
        uids = set(vevents(read(client.get(url + query))))
        return {o for o, m in meetings.items() if f"meeting-{m.pk}@funnelbook" in uids}

    assert offsets() == {-80, 300}
    assert offsets("?past=120&ahead=500") == {-100, -80, 300, 400}
    assert offsets("?past=0&ahead=0") == set()


@pytest.mark.parametrize("query", ["?past=-1", "?ahead=abc", "?past=1.5", "?ahead=99999"])
def test_a_bad_window_is_a_400_naming_the_parameter(client, manager, query):
    answer = client.get(feed_url(manager) + query)
    assert answer.status_code == 400
    assert answer.content.decode().startswith(query[1:].split("=")[0] + ": give whole days")


def test_an_unchanged_feed_is_a_304_and_a_change_a_new_etag(client, manager, acme):
    meeting = factories.meeting(acme, starts_at=factories.moment(24))
    url = feed_url(manager)
    first = client.get(url)
    etag, last_modified = first["ETag"], first["Last-Modified"]
    assert etag.startswith('"')
    assert first["Cache-Control"] == "private, no-cache"

    assert client.get(url)["ETag"] == etag  # same data, same bytes
    again = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert (again.status_code, again.content, again["ETag"]) == (304, b"", etag)
    since = client.get(url, HTTP_IF_MODIFIED_SINCE=last_modified)
    assert since.status_code == 304

    services.meeting_reschedule(
        meeting=meeting,
        starts_at=factories.moment(25),
        ends_at=factories.moment(25, 11),
        by=manager,
    )
    changed = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag


def test_a_deleted_meeting_changes_the_etag(client, manager, acme):
    meeting = factories.meeting(acme, starts_at=factories.moment(24))
    factories.meeting(acme, starts_at=factories.moment(25))
    url = feed_url(manager)
    etag = client.get(url)["ETag"]
    services.meeting_delete(meeting=meeting)
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_every_change_to_an_event_in_the_feed_changes_the_etag(client, manager, stranger):
    # given an event the manager goes to
    expo = factories.event(name="Expo", starts_at=factories.moment(26, 8))
    event_services.event_attend(event=expo, manager=manager)
    url = feed_url(manager)
    etags = [client.get(url)["ETag"]]

    def answer() -> bytes:
        response = client.get(url, HTTP_IF_NONE_MATCH=etags[-1])
        assert response.status_code == 200  # a new feed, not the 304 of the old one
        etags.append(response["ETag"])
        return response.content.replace(b"\r\n ", b"")  # unfolded

    # when someone else joins, the event is edited, the manager attends, then cancels
    event_services.event_attend(event=expo, manager=stranger)
    assert stranger.email.encode() in answer()
    event_services.event_update(event=expo, data={"location": "Hall 7"})
    assert b"LOCATION:Hall 7" in answer()
    event_services.event_attend(event=expo, manager=manager, status="attended")
    assert b"STATUS:CONFIRMED" in answer()
    event_services.event_attend(event=expo, manager=manager, status="cancelled")
    assert b"STATUS:CANCELLED" in answer()

    # then each change gave a new version of the feed
    assert len(set(etags)) == 5


def test_an_empty_feed_is_a_valid_calendar(client, manager):
    calendar = read(client.get(feed_url(manager)))
    assert calendar.walk("VEVENT") == []
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Berlin"]


def test_the_feed_takes_a_constant_number_of_queries(
    client, manager, acme, django_assert_num_queries
):
    def grow(n: int) -> None:
        for i in range(n):
            contact = services.contact_create(prospect=acme, name=f"C{i}", is_decision_maker=True)
            factories.meeting(acme, starts_at=NOW + timedelta(hours=i), attendees=[contact])
            event = factories.event(name=f"E{i}", starts_at=NOW + timedelta(days=i + 1))
            event_services.event_attend(event=event, manager=manager)

    url = feed_url(manager)
    grow(2)
    # built: the token, the version (meetings, contacts, everyone's attendances of the
    # events), then meetings, their managers, who is invited, the prospects' contacts,
    # attendances and who goes
    with django_assert_num_queries(10):
        small = client.get(url)
    # polled again, unchanged: the token and the version, the body from the cache
    with django_assert_num_queries(4):
        assert client.get(url, HTTP_IF_NONE_MATCH=small["ETag"]).status_code == 304
    with django_assert_num_queries(4):
        assert client.get(url).content == small.content
    grow(20)
    with django_assert_num_queries(10):
        large = client.get(url)
    with django_assert_num_queries(4):
        assert client.get(url).content == large.content
    assert len(read(small).walk("VEVENT")) == 4
    assert len(read(large).walk("VEVENT")) == 44


# --- the team feed ---------------------------------------------------------------------------


def test_team_feed_has_every_members_meetings_and_no_one_elses(client, lead, manager, stranger):
    mate = factories.UserFactory(profile__team=manager.profile.team)
    mine = factories.meeting(factories.prospect(manager, name="A"), starts_at=NOW)
    theirs = factories.meeting(factories.prospect(mate, name="B"), starts_at=NOW)
    far = factories.meeting(factories.prospect(stranger, name="C"), starts_at=NOW)
    expo = factories.event(starts_at=NOW + timedelta(days=2))
    for who in (manager, mate):
        event_services.event_attend(event=expo, manager=who)
    event_services.event_attend(event=expo, manager=mate, status="attended")
    team = manager.profile.team

    calendar = read(client.get(reverse("calendar-team-feed", args=[team.team_calendar_token])))

    events = vevents(calendar)
    assert set(events) == {
        f"meeting-{mine.pk}@funnelbook",
        f"meeting-{theirs.pk}@funnelbook",
        f"event-{expo.pk}@funnelbook",
    }
    assert f"meeting-{far.pk}@funnelbook" not in events
    assert str(calendar["X-WR-CALNAME"]) == f"Funnelbook: team {team.name}"
    # the event once, by the most committed member (one went)
    assert str(events[f"event-{expo.pk}@funnelbook"]["STATUS"]) == "CONFIRMED"
    assert len(events[f"event-{expo.pk}@funnelbook"]["ATTENDEE"]) == 2


def test_only_the_lead_rotates_the_team_feed(client, api, lead, manager, stranger):
    team = manager.profile.team
    old = reverse("calendar-team-feed", args=[team.team_calendar_token])
    url = reverse("api-team-calendar-token", args=[team.pk])
    for someone in (manager, stranger):
        api.force_authenticate(someone)
        assert api.post(url).status_code == 404
    assert client.get(old).status_code == 200

    api.force_authenticate(lead)
    answer = api.post(url)

    assert answer.status_code == 200
    team.refresh_from_db()
    assert answer.json()["https"].endswith(f"/calendar/team/{team.team_calendar_token}.ics")
    assert client.get(old).status_code == 404
    assert client.get(answer.json()["https"].removeprefix("http://testserver")).status_code == 200
