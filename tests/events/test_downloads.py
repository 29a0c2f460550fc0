"""One-off .ics downloads: a meeting or an event as an invitation (METHOD:REQUEST) for the
people invited, or as a cancellation (METHOD:CANCEL); and the page with the feed links."""

from datetime import UTC

import pytest
from django.urls import reverse
from icalendar import Calendar
from rest_framework.test import APIClient

from crm import services
from events import services as event_services
from tests import factories


@pytest.fixture
def api(manager):
    client = APIClient()
    client.force_authenticate(manager)
    return client


@pytest.fixture
def meeting(manager):
    acme = factories.prospect(manager, name="Acme")
    dana = services.contact_create(
        prospect=acme, name="Dana", email="dana@acme.example", is_decision_maker=True
    )
    return factories.meeting(acme, starts_at=factories.moment(24, 9), attendees=[dana])


def read(response, method: str) -> Calendar:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == f"text/calendar; charset=utf-8; method={method}"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    calendar = Calendar.from_ical(response.content)
    assert str(calendar["METHOD"]) == method
    return calendar


def test_a_meeting_downloads_as_an_invitation_to_its_contacts(api, manager, meeting):
    calendar = read(api.get(reverse("api-meeting-ics", args=[meeting.pk])), "REQUEST")

    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == f"meeting-{meeting.pk}@funnelbook"
    assert event.decoded("DTSTART").astimezone(UTC) == factories.moment(24, 9)
    assert str(event["ORGANIZER"]) == f"mailto:{manager.email}"
    attendee = event["ATTENDEE"]
    assert str(attendee) == "mailto:dana@acme.example"
    assert attendee.params["RSVP"] == "TRUE"
    assert attendee.params["CN"] == "Dana"


def test_a_cancelled_meeting_downloads_as_a_cancellation(api, manager, meeting):
    services.meeting_cancel(meeting=meeting, by=manager)

    calendar = read(api.get(reverse("api-meeting-ics", args=[meeting.pk])), "CANCEL")

    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == f"meeting-{meeting.pk}@funnelbook"
    assert (str(event["STATUS"]), int(event["SEQUENCE"])) == ("CANCELLED", 1)


def test_another_teams_meeting_is_a_404(meeting, stranger):
    client = APIClient()
    client.force_authenticate(stranger)
    assert client.get(reverse("api-meeting-ics", args=[meeting.pk])).status_code == 404
    assert APIClient().get(reverse("api-meeting-ics", args=[meeting.pk])).status_code in (
        401,
        403,
    )


def test_a_lead_downloads_a_meeting_of_the_team(lead, meeting):
    client = APIClient()
    client.force_authenticate(lead)
    read(client.get(reverse("api-meeting-ics", args=[meeting.pk])), "REQUEST")


def test_an_event_downloads_with_everyone_who_goes(api, manager, team):
    mate = factories.UserFactory(profile__team=team)
    expo = factories.event(name="Expo", starts_at=factories.moment(26, 8))
    for who in (manager, mate):
        event_services.event_attend(event=expo, manager=who)

    calendar = read(api.get(reverse("event-ics", args=[expo.pk])), "REQUEST")

    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == f"event-{expo.pk}@funnelbook"
    assert str(event["SUMMARY"]) == "Expo"
    assert sorted(str(a) for a in event["ATTENDEE"]) == sorted(
        f"mailto:{u.email}" for u in (manager, mate)
    )


def test_an_event_nobody_goes_to_yet_downloads_alone(api):
    expo = factories.event(name="Expo", starts_at=factories.moment(26, 8))
    calendar = read(api.get(reverse("event-ics", args=[expo.pk])), "REQUEST")
    [event] = calendar.walk("VEVENT")
    assert (str(event["STATUS"]), event.get("ATTENDEE")) == ("TENTATIVE", None)


def test_no_longer_going_downloads_a_cancellation(api, manager):
    expo = factories.event(name="Expo", starts_at=factories.moment(26, 8))
    event_services.event_attend(event=expo, manager=manager)
    event_services.event_attend(event=expo, manager=manager, status="cancelled")

    calendar = read(api.get(reverse("event-ics", args=[expo.pk])), "CANCEL")

    [event] = calendar.walk("VEVENT")
    assert (str(event["STATUS"]), int(event["SEQUENCE"])) == ("CANCELLED", 1)


def test_another_teams_event_is_a_404(api, stranger):
    theirs = factories.event(team=stranger.profile.team)
    assert api.get(reverse("event-ics", args=[theirs.pk])).status_code == 404


# --- the page --------------------------------------------------------------------------------


def test_the_calendar_page_shows_both_links_and_makes_a_new_one(client, manager):
    client.force_login(manager)
    token = manager.profile.calendar_token
    page = client.get(reverse("calendar-page"))
    assert page.status_code == 200
    html = page.content.decode()
    assert f"http://testserver/calendar/{token}.ics" in html
    assert f"webcal://testserver/calendar/{token}.ics" in html
    assert "Team feed" not in html

    answer = client.post(reverse("calendar-rotate"), {"feed": "personal"})

    assert answer.status_code == 302
    manager.profile.refresh_from_db()
    assert manager.profile.calendar_token != token
    assert client.get(f"/calendar/{token}.ics").status_code == 404


def test_a_lead_sees_and_rotates_the_team_feed_a_manager_cannot(client, lead, manager):
    team = lead.profile.team
    token = team.team_calendar_token
    client.force_login(lead)
    assert f"/calendar/team/{token}.ics" in client.get(reverse("calendar-page")).content.decode()
    assert client.post(reverse("calendar-rotate"), {"feed": "team"}).status_code == 302
    team.refresh_from_db()
    assert team.team_calendar_token != token

    client.force_login(manager)
    assert client.post(reverse("calendar-rotate"), {"feed": "team"}).status_code == 404


def test_the_page_needs_a_login(client):
    answer = client.get(reverse("calendar-page"))
    assert answer.status_code == 302
    assert answer["Location"] == reverse("login") + "?next=" + reverse("calendar-page")
