"""The event pages: the list (upcoming/past, filters, who goes, "I'm going", the events
report with its chart), one event (attendance, return, prospects, .ics), adding and
changing an event, and the attend action; for every role, and with flat query counts."""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from crm import services as crm_services
from crm.models import Source
from events import services as event_services
from events.models import AttendanceStatus, Event, EventAttendance, EventKind
from tests import factories

pytestmark = pytest.mark.django_db


def soon(days: int = 7, hour: int = 9) -> datetime:
    """A moment some days ahead (upcoming events must end after the real now)."""
    return (timezone.now() + timedelta(days=days)).replace(
        hour=hour, minute=0, second=0, microsecond=0
    )


def cells(html: str, event: Event, table: str = "event") -> str:
    """The event's row of the list (``table="roi-event"``: of the report's table)."""
    found = re.search(rf'<tr data-{table}="{event.pk}">(.*?)</tr>', html, re.S)
    assert found, f"no row for {event}"
    return found.group(1)


def listing(html: str) -> str:
    """The list part of the list page (the report of the period follows it)."""
    return html.split('id="roi-title"')[0]


def roi_cell(html: str, name: str) -> str:
    """A figure of the detail page's "Return on this event" (data-<name>)."""
    return re.search(rf"<dd data-{name}>([^<]*)</dd>", html).group(1)


@pytest.fixture
def admin():
    return factories.UserFactory(profile=None, is_staff=True, is_superuser=True)


@pytest.fixture
def other_team_event(stranger):
    return factories.event(name="Their fair", team=stranger.profile.team, starts_at=soon(5))


@pytest.fixture
def roi_event(manager):
    """Expo, 10 Nov 2026 (UTC), cost 1000.00; the manager sourced Acme (signed 3000.00)
    and Bolt (open) there, and went."""
    event = factories.event(name="Expo", team=manager.profile.team)
    event_services.event_update(event=event, data={"cost": Decimal("1000.00")})
    acme = factories.prospect(manager, name="Acme", source=Source.EVENT, source_event=event)
    factories.prospect(manager, name="Bolt", source=Source.EVENT, source_event=event)
    crm_services.prospect_sign(
        prospect=acme,
        contract_value=Decimal("3000.00"),
        signed_on=datetime(2026, 11, 20, tzinfo=UTC).date(),
        by=manager,
    )
    event_services.event_attend(event=event, manager=manager, status=AttendanceStatus.ATTENDED)
    return event


# --- anonymous ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("event-list-page", []),
        ("event-create-page", []),
        ("event-detail-page", [1]),
        ("event-edit-page", [1]),
    ],
)
def test_anonymous_is_sent_to_the_login(client, name, args):
    url = reverse(name, args=args)
    answer = client.get(url)
    assert answer.status_code == 302
    assert answer["Location"] == f"{reverse('login')}?next={url}"


def test_anonymous_cannot_attend(client):
    event = factories.event()
    answer = client.post(reverse("event-attend-page", args=[event.pk]), {"status": "planned"})
    assert answer.status_code == 302
    assert answer["Location"].startswith(reverse("login"))
    assert not EventAttendance.objects.exists()


def test_the_urls_are_the_contract():
    assert reverse("event-list-page") == "/events/"
    assert reverse("event-create-page") == "/events/new/"
    assert reverse("event-detail-page", args=[7]) == "/events/7/"
    assert reverse("event-edit-page", args=[7]) == "/events/7/edit/"
    assert reverse("event-attend-page", args=[7]) == "/events/7/attend/"


# --- the list -----------------------------------------------------------------------------


def test_a_manager_sees_company_and_team_events_but_not_another_teams(
    client, manager, other_team_event
):
    # given: a company-wide event and one of the manager's team, both upcoming
    company = factories.event(name="World expo", starts_at=soon(3))
    ours = factories.event(name="Our meetup", team=manager.profile.team, starts_at=soon(2))
    client.force_login(manager)

    # when
    page = client.get("/events/")

    # then: soonest first, the other team's event absent
    assert page.status_code == 200
    html = listing(page.text)
    assert html.index("Our meetup") < html.index("World expo")
    assert "Their fair" not in html
    assert "company-wide" in cells(html, company)
    assert f'href="/events/{ours.pk}/"' in html
    assert "<caption>Upcoming events, soonest first</caption>" in html
    assert 'aria-current="page">Upcoming</a>' in html


def test_times_are_in_the_users_zone(client, manager):
    # 08:00 UTC on a winter day is 09:00 in Berlin (the test team's zone)
    factories.event(name="Zoned", starts_at=datetime(2027, 1, 12, 8, tzinfo=UTC))
    client.force_login(manager)

    html = client.get("/events/").text

    assert "Tue 12 Jan 2027, 09:00" in html
    assert "Times in Europe/Berlin" in html


def test_past_events_are_latest_first(client, manager):
    factories.event(name="Older", starts_at=factories.moment(3, 9))
    factories.event(name="Newer", starts_at=factories.moment(20, 9))
    factories.event(name="Coming", starts_at=soon(4))
    client.force_login(manager)

    html = listing(client.get("/events/", {"when": "past"}).text)

    assert html.index("Newer") < html.index("Older")
    assert "Coming" not in html
    assert "<caption>Past events, latest first</caption>" in html


def test_who_of_my_team_goes_and_my_own_status(client, manager, stranger):
    # given: the manager and a teammate go; a manager of another team goes too (not shown)
    teammate = factories.UserFactory(
        first_name="Tara", last_name="Mate", profile__team=manager.profile.team
    )
    event = factories.event(name="World expo", starts_at=soon(3))
    for user in (manager, teammate, stranger):
        event_services.event_attend(event=event, manager=user)
    quiet = factories.event(name="Quiet", starts_at=soon(4))
    client.force_login(manager)

    html = client.get("/events/").text

    row = cells(html, event)
    assert "Tara Mate" in row
    assert manager.username in row
    assert stranger.username not in row
    assert 'data-my-status="planned"' in row
    assert "Not going" in row
    quiet_row = cells(html, quiet)
    assert "nobody yet" in quiet_row
    assert "I\N{RIGHT SINGLE QUOTATION MARK}m going" in quiet_row
    assert f'action="/events/{quiet.pk}/attend/"' in quiet_row


def test_filters_kind_and_month(client, manager):
    # 23:30 UTC on 30 Nov is already 1 Dec in Berlin: a December event for the manager
    factories.event(name="Late show", starts_at=datetime(2027, 11, 30, 23, 30, tzinfo=UTC))
    factories.event(name="November show", starts_at=datetime(2027, 11, 12, 9, tzinfo=UTC))
    event_services.event_create(
        name="Dec webinar",
        kind=EventKind.WEBINAR,
        starts_at=datetime(2027, 12, 8, 9, tzinfo=UTC),
        ends_at=datetime(2027, 12, 8, 10, tzinfo=UTC),
        by=None,
    )
    client.force_login(manager)

    december = listing(client.get("/events/", {"month": "2027-12"}).text)
    webinars = listing(client.get("/events/", {"kind": "webinar"}).text)

    assert "Late show" in december
    assert "Dec webinar" in december
    assert "November show" not in december
    assert "Dec webinar" in webinars
    assert "Late show" not in webinars


def test_a_bad_month_is_a_400_naming_the_field(client, manager):
    client.force_login(manager)

    answer = client.get("/events/", {"month": "2026-13"})

    assert answer.status_code == 400
    assert "Give a month as YYYY-MM" in answer.text
    assert re.search(r'<input type="month" name="month"[^>]*aria-invalid="true"', answer.text)


def test_the_list_is_paginated(client, manager):
    for n in range(25):
        factories.event(name=f"Show {n:02}", starts_at=soon(2 + n))
    client.force_login(manager)

    first = listing(client.get("/events/").text)
    second = listing(client.get("/events/", {"page": 2}).text)

    assert "Show 19" in first
    assert "Show 20" not in first
    assert "Page 1 of 2" in first
    assert "Show 20" in second
    assert "Show 24" in second


def test_the_events_report_of_the_period_with_chart_and_table(client, manager, roi_event):
    # given: Expo (cost 1000.00) brought Acme (signed 3000.00) and Bolt
    free = factories.event(name="Free meetup", team=manager.profile.team)
    client.force_login(manager)

    # when
    html = client.get("/events/", {"period": "2026-11"}).text

    # then: 1000.00 ÷ 2 prospects = 500.00; ÷ 1 contract = 1000.00;
    # ROI (3000.00 - 1000.00) ÷ 1000.00 = 200%
    row = cells(html, roi_event, "roi-event")
    assert '<td class="num" data-cost>1000.00</td>' in row
    assert '<td class="num" data-attended>1</td>' in row
    assert '<td class="num" data-prospects>2</td>' in row
    assert '<td class="num" data-contracts>1</td>' in row
    assert '<td class="num" data-revenue>3000.00</td>' in row
    assert '<td class="num" data-cost-per-prospect>500.00</td>' in row
    assert '<td class="num" data-cost-per-contract>1000.00</td>' in row
    assert '<td class="num" data-roi>200%</td>' in row
    # a free event with nothing sourced: no ROI, no cost per anything
    free_row = cells(html, free, "roi-event")
    assert "data-roi>—</td>" in free_row
    assert "data-cost-per-prospect>—</td>" in free_row
    # the chart of the same period, with alt text and its text alternative
    assert re.search(r'<img src="/charts/events\.svg\?period=2026-11&amp;v=\d+"', html)
    alt = re.search(r'<img src="/charts/events\.svg[^>]*alt="([^"]*)"', html).group(1)
    assert alt.startswith(f"{manager.username}, 2026-11")
    assert "Expo" in alt
    assert 'href="/charts/events.txt?period=2026-11"' in html
    assert "<caption>Return on each event</caption>" in html


def test_a_bad_period_is_a_400_and_the_list_still_shows(client, manager):
    factories.event(name="World expo", starts_at=soon(3))
    client.force_login(manager)

    answer = client.get("/events/", {"period": "2026-Q7"})

    assert answer.status_code == 400
    assert 'role="alert"' in answer.text
    assert "World expo" in answer.text


def test_a_lead_and_an_admin_see_the_list(client, lead, admin, other_team_event):
    client.force_login(lead)
    assert "Their fair" not in client.get("/events/").text
    client.force_login(admin)
    page = client.get("/events/")
    assert page.status_code == 200
    assert "Their fair" in page.text


@pytest.mark.parametrize("events", [2, 40])
def test_the_list_query_count_is_flat(client, manager, events, django_assert_max_num_queries):
    teammate = factories.UserFactory(profile__team=manager.profile.team)
    for n in range(events):
        event = factories.event(name=f"Show {n}", starts_at=soon(2 + n % 20))
        event_services.event_attend(event=event, manager=teammate)
        event_services.event_attend(event=event, manager=manager)
    client.force_login(manager)

    # the same at both sizes: session, user, profile, count, page, two prefetches, the
    # report (its scope and its queries); the chart's alt text comes from that report
    with django_assert_max_num_queries(10):
        page = client.get("/events/", {"period": "2026-11"})

    assert page.status_code == 200


# --- one event ----------------------------------------------------------------------------


def test_the_detail_shows_attendance_return_prospects_and_ics(client, manager, roi_event):
    client.force_login(manager)

    page = client.get(f"/events/{roi_event.pk}/")

    assert page.status_code == 200
    html = page.text
    assert "<h1>Expo</h1>" in html
    # the manager went
    assert re.search(rf"<th scope=\"row\">{manager.username}</th>\s*<td>.*went", html)
    # 1000.00 ÷ 2 = 500.00 per prospect; ÷ 1 = 1000.00 per contract; ROI 200%
    assert roi_cell(html, "cost") == "1000.00"
    assert roi_cell(html, "prospects") == "2"
    assert roi_cell(html, "meetings") == "0"
    assert roi_cell(html, "contracts") == "1"
    assert roi_cell(html, "revenue") == "3000.00"
    assert roi_cell(html, "cost-per-prospect") == "500.00"
    assert roi_cell(html, "cost-per-contract") == "1000.00"
    assert roi_cell(html, "roi") == "200%"
    assert "Acme" in html
    assert "Bolt" in html
    assert f'href="{reverse("event-ics", args=[roi_event.pk])}"' in html
    assert "I didn\N{RIGHT SINGLE QUOTATION MARK}t go" in html  # past event, attended


def test_a_free_event_shows_a_dash_for_roi(client, manager):
    event = factories.event(name="Free meetup", team=manager.profile.team)
    factories.prospect(manager, name="Cora", source=Source.EVENT, source_event=event)
    client.force_login(manager)

    html = client.get(f"/events/{event.pk}/").text

    # cost 0: ROI undefined; 0.00 ÷ 1 prospect = 0.00; no contract → "—"
    assert roi_cell(html, "roi") == "—"
    assert roi_cell(html, "cost-per-prospect") == "0.00"
    assert roi_cell(html, "cost-per-contract") == "—"


def test_prospects_link_their_page(client, manager, roi_event):
    client.force_login(manager)
    html = client.get(f"/events/{roi_event.pk}/").text
    acme = roi_event.sourced_prospects.get(name="Acme")
    url = reverse("prospect-detail-page", args=[acme.pk])
    assert f'href="{url}">Acme</a>' in html


def test_the_ics_link_answers_a_calendar(client, manager, roi_event):
    client.force_login(manager)
    answer = client.get(reverse("event-ics", args=[roi_event.pk]))
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("text/calendar")


def test_another_teams_event_is_a_404(client, manager, other_team_event):
    client.force_login(manager)
    assert client.get(f"/events/{other_team_event.pk}/").status_code == 404
    assert client.get(f"/events/{other_team_event.pk}/edit/").status_code == 404
    answer = client.post(f"/events/{other_team_event.pk}/attend/", {"status": "planned"})
    assert answer.status_code == 404
    assert not EventAttendance.objects.exists()


def test_a_lead_sees_the_teams_attendance_and_an_admin_everything(
    client, manager, lead, admin, stranger
):
    event = factories.event(name="World expo", starts_at=soon(3))
    event_services.event_attend(event=event, manager=manager)
    event_services.event_attend(event=event, manager=stranger)

    client.force_login(lead)
    lead_html = client.get(f"/events/{event.pk}/").text
    client.force_login(admin)
    admin_html = client.get(f"/events/{event.pk}/").text

    assert manager.username in lead_html
    assert stranger.username not in lead_html
    assert manager.username in admin_html
    assert stranger.username in admin_html


@pytest.mark.parametrize("prospects", [2, 30])
def test_the_detail_query_count_is_flat(client, manager, prospects, django_assert_max_num_queries):
    event = factories.event(name="Expo", team=manager.profile.team)
    for n in range(prospects):
        factories.prospect(manager, name=f"P{n}", source=Source.EVENT, source_event=event)
        event_services.event_attend(
            event=event, manager=factories.UserFactory(profile__team=manager.profile.team)
        )
    client.force_login(manager)

    # 10 at both sizes: session, user, profile, event, attendance, mine, prospects, the
    # report's scope and its one query
    with django_assert_max_num_queries(10):
        page = client.get(f"/events/{event.pk}/")

    assert page.status_code == 200


# --- adding and changing ------------------------------------------------------------------


def test_the_form_has_labelled_fields_in_the_users_zone(client, manager):
    client.force_login(manager)

    page = client.get("/events/new/")

    assert page.status_code == 200
    for field in ("name", "kind", "starts_at", "ends_at", "location", "url", "cost"):
        assert f'<label for="id_{field}">' in page.text
    assert 'type="datetime-local"' in page.text
    assert "Europe/Berlin" in page.text
    assert 'name="team"' not in page.text  # a manager's event is their team's


def test_a_manager_adds_a_team_event_typed_in_berlin_time(client, manager):
    client.force_login(manager)

    answer = client.post(
        "/events/new/",
        {
            "name": "Fintech summit",
            "kind": "conference",
            "starts_at": "2027-01-20T10:00",
            "ends_at": "2027-01-20T17:30",
            "location": "Hamburg",
            "url": "https://summit.example.com",
            "cost": "450.50",
        },
    )

    event = Event.objects.get(name="Fintech summit")
    assert answer.status_code == 302
    assert answer["Location"] == f"/events/{event.pk}/"
    # 10:00 in Berlin in January (UTC+1) is 09:00 UTC
    assert event.starts_at == datetime(2027, 1, 20, 9, tzinfo=UTC)
    assert event.ends_at == datetime(2027, 1, 20, 16, 30, tzinfo=UTC)
    assert event.team == manager.profile.team
    assert event.created_by == manager
    assert event.cost == Decimal("450.50")
    assert "Added “Fintech summit”" in client.get(answer["Location"]).text


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"ends_at": "2027-01-20T09:00"}, "ends_at", "An event must end after it starts."),
        ({"cost": "-5"}, "cost", "greater than or equal to 0"),
        ({"starts_at": "tomorrow"}, "starts_at", "Give a date and time"),
        ({"name": ""}, "name", "This field is required."),
    ],
)
def test_bad_input_is_a_400_next_to_the_field_nothing_written(
    client, manager, nothing_written, change, field, message
):
    client.force_login(manager)
    data = {
        "name": "Fintech summit",
        "kind": "conference",
        "starts_at": "2027-01-20T10:00",
        "ends_at": "2027-01-20T17:30",
        "cost": "10",
        "location": "Hamburg",
    } | change

    with nothing_written():
        answer = client.post("/events/new/", data)

    assert answer.status_code == 400
    html = answer.text
    error = re.search(rf'<div class="field__error" id="id_{field}_error">(.*?)</div>', html, re.S)
    assert error
    assert message in error.group(1)
    assert re.search(rf'<input[^>]*aria-invalid="true"[^>]*id="id_{field}"', html)
    assert 'value="Hamburg"' in html  # the input is kept


def test_an_admin_adds_a_company_wide_event(client, admin):
    client.force_login(admin)
    assert 'name="team"' in client.get("/events/new/").text

    answer = client.post(
        "/events/new/",
        {
            "name": "All hands expo",
            "kind": "exhibition",
            "starts_at": "2027-02-02T09:00",
            "ends_at": "2027-02-02T18:00",
            "cost": "0",
            "team": "",
        },
    )

    assert answer.status_code == 302
    assert Event.objects.get(name="All hands expo").team is None


def test_the_creator_edits_and_the_schedule_change_raises_the_sequence(client, manager):
    event = factories.event(name="Expo", team=manager.profile.team, starts_at=soon(5), by=manager)
    client.force_login(manager)
    form = client.get(f"/events/{event.pk}/edit/")
    assert form.status_code == 200
    assert 'value="Expo"' in form.text

    answer = client.post(
        f"/events/{event.pk}/edit/",
        {
            "name": "Expo 2",
            "kind": "trade_show",
            "starts_at": "2027-03-03T09:00",
            "ends_at": "2027-03-03T12:00",
            "cost": "99.90",
            "location": "",
        },
    )

    event.refresh_from_db()
    assert answer.status_code == 302
    assert event.name == "Expo 2"
    assert event.starts_at == datetime(2027, 3, 3, 8, tzinfo=UTC)  # Berlin, UTC+1
    assert event.sequence == 1


def test_only_creator_lead_or_admin_may_edit(client, manager, lead, admin):
    event = factories.event(name="Expo", team=manager.profile.team, starts_at=soon(5), by=lead)
    client.force_login(manager)
    assert client.get(f"/events/{event.pk}/edit/").status_code == 403
    assert "Edit" not in client.get(f"/events/{event.pk}/").text.split("<main")[1].split("Kind")[0]
    client.force_login(lead)
    assert client.get(f"/events/{event.pk}/edit/").status_code == 200
    client.force_login(admin)
    assert client.get(f"/events/{event.pk}/edit/").status_code == 200


def test_a_user_without_a_team_cannot_add(client):
    loner = factories.UserFactory(profile=None)
    client.force_login(loner)
    assert client.get("/events/new/").status_code == 404


# --- I'm going ----------------------------------------------------------------------------


def test_im_going_then_not_going(client, manager):
    event = factories.event(name="World expo", starts_at=soon(3))
    client.force_login(manager)

    going = client.post(
        f"/events/{event.pk}/attend/", {"status": "planned", "next": "/events/?kind=meetup"}
    )
    row = EventAttendance.objects.get(event=event, manager=manager)
    not_going = client.post(f"/events/{event.pk}/attend/", {"status": "cancelled"})

    assert going.status_code == 303
    assert going["Location"] == "/events/?kind=meetup"
    assert row.status == AttendanceStatus.PLANNED
    assert not_going.status_code == 303
    assert not_going["Location"] == f"/events/{event.pk}/"
    row.refresh_from_db()
    assert row.status == AttendanceStatus.CANCELLED
    assert "You are not going to “World expo”" in client.get(not_going["Location"]).text


def test_attend_refuses_a_foreign_next_and_a_bad_status(client, manager, nothing_written):
    event = factories.event(name="World expo", starts_at=soon(3))
    client.force_login(manager)

    away = client.post(
        f"/events/{event.pk}/attend/", {"status": "planned", "next": "https://evil.example/"}
    )
    assert away["Location"] == f"/events/{event.pk}/"
    with nothing_written():
        bad = client.post(f"/events/{event.pk}/attend/", {"status": "maybe"})
    assert bad.status_code == 400
    assert "Not saved" in bad.text
    assert client.get(f"/events/{event.pk}/attend/").status_code == 405


def test_a_user_without_a_team_sees_no_add_button(client):
    loner = factories.UserFactory(profile=None)
    client.force_login(loner)
    page = client.get("/events/")
    assert page.status_code == 200
    assert "Add an event" not in page.text


def test_an_admin_sees_who_goes_from_every_team(client, admin, manager, stranger):
    event = factories.event(name="World expo", starts_at=soon(3))
    event_services.event_attend(event=event, manager=manager)
    event_services.event_attend(event=event, manager=stranger)
    client.force_login(admin)

    html = client.get("/events/").text

    assert '<th scope="col">Who goes</th>' in html
    row = cells(html, event)
    assert manager.username in row
    assert stranger.username in row


def test_the_pages_get_writes_nothing(client, manager, roi_event, nothing_written):
    client.force_login(manager)
    with nothing_written():
        for url in ("/events/", "/events/?when=past", f"/events/{roi_event.pk}/", "/events/new/"):
            assert client.get(url).status_code == 200
