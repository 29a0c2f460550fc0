"""The pages' shared layout: sign-in and sign-out, the home, the navigation by
role, the period picker, the calendar page inside the layout, and the static files."""

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.storage.cookie import CookieStorage
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse

from crm import context_processors
from crm.context_processors import nav_entries, period_choices, period_picker
from tests import factories

User = get_user_model()

TEMPLATES = Path(settings.BASE_DIR) / "templates"
EN_DASH = "\N{EN DASH}"


def labels(entries) -> list[str]:
    return [entry.label for entry in entries]


@pytest.fixture
def every_page_exists(monkeypatch):
    """Every URL name reverses, as once all the pages are built: /<name>/, home at /."""

    def fake_reverse(name: str) -> str:
        return "/" if name == "home" else f"/{name.replace(':', '-')}/"

    monkeypatch.setattr(context_processors, "reverse", fake_reverse)


@pytest.fixture
def today_is_2026_11_23(monkeypatch):
    """23:30 UTC on 22 Nov is already Monday 23 Nov in Berlin, the test teams' zone."""
    monkeypatch.setattr(
        context_processors, "now", lambda: datetime(2026, 11, 22, 23, 30, tzinfo=UTC)
    )


def get_request(user, path: str = "/", **query):
    request = RequestFactory().get(path, query)
    request.user = user
    return request


# --- sign in, sign out ------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_login_page_has_labelled_fields_and_keeps_next(client):
    page = client.get("/login/", {"next": "/calendar/"})

    assert page.status_code == 200
    html = page.content.decode()
    assert '<label for="id_username">Username</label>' in html
    assert '<label for="id_password">Password</label>' in html
    assert '<input type="hidden" name="next" value="/calendar/">' in html
    assert '<html lang="en">' in html
    assert 'aria-label="Main"' not in html  # no navigation before signing in


def test_a_valid_login_goes_home_and_an_invalid_one_says_why(client, manager):
    wrong = client.post("/login/", {"username": manager.username, "password": "nope"})
    assert wrong.status_code == 200
    assert re.search(r'role="alert"[^>]*>\s*<p>Please enter a correct username', wrong.text)

    right = client.post("/login/", {"username": manager.username, "password": "pw"})
    assert right.status_code == 302
    assert right["Location"] == reverse("home") == "/"


def test_a_login_returns_to_next(client, manager):
    answer = client.post(
        "/login/", {"username": manager.username, "password": "pw", "next": "/calendar/"}
    )
    assert answer["Location"] == "/calendar/"


def test_logout_is_a_post_that_leads_back_to_the_login(client, manager):
    client.force_login(manager)
    home = client.get("/")
    assert 'action="/logout/"' in home.text
    assert 'name="csrfmiddlewaretoken"' in home.text
    assert client.get("/logout/").status_code == 405

    answer = client.post("/logout/")

    assert answer.status_code == 302
    assert answer["Location"] == "/login/"
    assert client.get("/").status_code == 302


# --- the home ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_home_needs_a_login(client):
    answer = client.get("/")
    assert answer.status_code == 302
    assert answer["Location"] == "/login/?next=/"


def test_home_welcomes_and_links_what_exists(client, manager):
    manager.first_name, manager.last_name = "Anna", "Berg"
    manager.save()
    client.force_login(manager)

    page = client.get("/")

    assert page.status_code == 200
    html = page.text
    assert "Welcome, Anna" in html
    assert f'href="{reverse("calendar-page")}"' in html
    assert f'href="{reverse("api-docs")}"' in html
    assert "Anna Berg" in html
    assert "account manager" in html
    assert '<a class="site-nav__link" href="/" aria-current="page">Home</a>' in html
    # the manager home: the agenda, quick logging, the own numbers of the period
    assert '<h2 id="agenda-title">Your agenda</h2>' in html
    assert f'action="{reverse("log-meeting")}"' in html
    assert 'class="period-picker"' in html
    assert "Your funnel" in html


# --- the navigation ---------------------------------------------------------------------------


def test_with_every_page_built_a_manager_sees_no_team_review(manager, every_page_exists):
    assert labels(nav_entries(manager, "/")) == [
        "Home",
        "Prospects",
        "Events",
        "Calendar",
        "API",
    ]


def test_with_every_page_built_a_lead_sees_the_team_review(lead, every_page_exists):
    assert labels(nav_entries(lead, "/")) == [
        "Home",
        "Prospects",
        "Events",
        "Team review",
        "Calendar",
        "API",
    ]


@pytest.mark.django_db
def test_with_every_page_built_an_admin_sees_everything(every_page_exists):
    admin = factories.UserFactory(profile=None, is_staff=True, is_superuser=True)
    assert labels(nav_entries(admin, "/")) == [
        "Home",
        "Prospects",
        "Events",
        "Team review",
        "Calendar",
        "API",
        "Admin",
    ]


def test_admin_is_for_staff_only(lead, every_page_exists):
    lead.is_staff = True
    assert labels(nav_entries(lead, "/"))[-1] == "Admin"


def test_pages_not_built_yet_are_left_out(manager, lead, monkeypatch):
    """A page whose URL name does not reverse is left out; "prospect-list" (the JSON API)
    never stands in for the prospects page."""
    real_reverse = context_processors.reverse
    missing = {"prospect-list-page", "event-list-page", "team-review-page"}

    def without(name: str) -> str:
        if name in missing:
            raise NoReverseMatch(name)
        return real_reverse(name)

    monkeypatch.setattr(context_processors, "reverse", without)
    assert labels(nav_entries(manager, "/")) == ["Home", "Calendar", "API"]
    assert labels(nav_entries(lead, "/")) == ["Home", "Calendar", "API"]

    missing.discard("prospect-list-page")
    assert labels(nav_entries(lead, "/")) == ["Home", "Prospects", "Calendar", "API"]


def test_the_active_entry_is_the_longest_matching_url(manager, every_page_exists):
    def active(path: str) -> list[str]:
        return [entry.label for entry in nav_entries(manager, path) if entry.active]

    assert active("/") == ["Home"]
    assert active("/calendar-page/") == ["Calendar"]
    assert active("/prospect-list-page/42/") == ["Prospects"]
    assert active("/nowhere/") == []


@pytest.mark.django_db
def test_an_anonymous_visitor_gets_no_navigation():
    assert nav_entries(AnonymousUser(), "/") == []


def test_the_navigation_costs_no_query_once_the_profile_is_loaded(
    manager, django_assert_num_queries
):
    manager.profile  # noqa: B018 — loaded by the view before the template renders
    with django_assert_num_queries(0):
        nav_entries(manager, "/")


def test_the_context_is_lazy(manager, django_assert_num_queries):
    """The admin and pages without navigation pay nothing for it."""
    user = User.objects.get(pk=manager.pk)  # as the session loads it: no profile yet
    with django_assert_num_queries(0):
        context = context_processors.navigation(get_request(user))
    with django_assert_num_queries(1):  # the profile
        assert labels(context["nav"]) == ["Home", "Prospects", "Events", "Calendar", "API"]
        assert str(context["user_role_label"]) == "account manager"


# --- the period picker ------------------------------------------------------------------------


def test_period_choices_for_monday_23_november_2026(manager, today_is_2026_11_23):
    picker = period_picker(get_request(manager))

    assert [(choice.value, choice.label) for choice in picker.choices] == [
        ("2026-11", "This month (November 2026)"),
        ("2026-10", "Last month (October 2026)"),
        ("2026-Q4", f"This quarter (Oct{EN_DASH}Dec 2026)"),
        ("2026-Q3", f"Last quarter (Jul{EN_DASH}Sep 2026)"),
        ("2026-W48", f"This week (23{EN_DASH}29 Nov 2026)"),
        ("", "Custom dates…"),
    ]
    assert picker.selected == "2026-11"  # nothing asked: this month, as the reports


def test_period_choices_over_a_new_year():
    """Saturday 2 January 2027 is in the last ISO week of 2026, which has 53."""
    values = [choice.value for choice in period_choices(date(2027, 1, 2))]
    assert values == ["2027-01", "2026-12", "2027-Q1", "2026-Q4", "2026-W53", ""]
    labels_ = [choice.label for choice in period_choices(date(2026, 12, 1))]
    assert labels_[4] == f"This week (30 Nov {EN_DASH} 6 Dec 2026)"


def test_the_day_is_the_users_not_the_servers(manager, monkeypatch):
    monkeypatch.setattr(
        context_processors, "now", lambda: datetime(2026, 11, 30, 23, 30, tzinfo=UTC)
    )
    assert period_picker(get_request(manager)).selected == "2026-12"  # Berlin: 1 December

    manager.profile.timezone = "America/New_York"
    assert period_picker(get_request(manager)).selected == "2026-11"


def test_the_picker_keeps_other_parameters_and_the_selection(manager, today_is_2026_11_23):
    request = get_request(manager, "/team/", team="3", manager="5", period="2026-q3", page="2")
    picker = period_picker(request)
    assert picker.selected == "2026-Q3"
    assert picker.keep == (("team", "3"), ("manager", "5"))

    html = render_to_string("includes/period_picker.html", request=request)
    assert f'<option value="2026-Q3" selected>Last quarter (Jul{EN_DASH}Sep 2026)</option>' in html
    assert '<input type="hidden" name="team" value="3">' in html
    assert '<input type="hidden" name="manager" value="5">' in html
    assert 'name="page"' not in html  # a new period starts again on page 1
    assert '<label for="period-select">Period</label>' in html
    assert '<label for="period-start">From</label>' in html
    assert '<label for="period-end">To</label>' in html
    assert 'method="get"' in html
    assert 'type="submit"' in html  # works without JavaScript


def test_a_period_not_among_the_choices_is_added(manager, today_is_2026_11_23):
    picker = period_picker(get_request(manager, period="2026-07"))
    assert picker.selected == "2026-07"
    assert [choice.value for choice in picker.choices][-2:] == ["2026-07", ""]


def test_dates_select_custom_and_are_kept(manager, today_is_2026_11_23):
    request = get_request(manager, start="2026-11-03", end="2026-11-20")
    picker = period_picker(request)
    assert picker.custom
    html = render_to_string("includes/period_picker.html", request=request)
    assert '<option value="" selected>Custom dates…</option>' in html
    assert 'name="start" value="2026-11-03"' in html
    assert 'name="end" value="2026-11-20"' in html


def test_a_broken_period_falls_back_to_this_month(manager, today_is_2026_11_23):
    assert period_picker(get_request(manager, period="soon")).selected == "2026-11"


# --- messages ---------------------------------------------------------------------------------


def test_messages_are_announced_by_level(manager):
    request = get_request(manager)
    request._messages = CookieStorage(request)
    messages.success(request, "Call logged.")
    messages.error(request, "The meeting could not be moved.")

    html = render_to_string("base.html", request=request)

    status = re.search(r'<div role="status">(.*?)</div>', html).group(1)
    alert = re.search(r'<div role="alert">(.*?)</div>', html).group(1)
    assert "Call logged." in status
    assert "could not be moved" not in status
    assert "could not be moved" in alert
    assert "Call logged." not in alert


# --- the calendar page inside the layout ------------------------------------------------------


def test_the_calendar_page_keeps_its_links_inside_the_layout(client, manager):
    client.force_login(manager)

    page = client.get(reverse("calendar-page"))

    assert page.status_code == 200
    html = page.text
    token = manager.profile.calendar_token
    assert f'id="personal-https" value="http://testserver/calendar/{token}.ics"' in html
    assert f'href="webcal://testserver/calendar/{token}.ics"' in html
    for text in ("Copy link", "Open in calendar app", "Make a new link", 'id="copy-status"'):
        assert text in html
    assert 'id="team-https"' not in html
    assert "<title>Calendar feed · Funnelbook</title>" in html
    assert 'href="#main">Skip to main content</a>' in html
    assert (
        f'<a class="site-nav__link" href="{reverse("calendar-page")}" aria-current="page">'
        "Calendar</a>"
    ) in html
    assert "<style" not in html
    assert "<script>" not in html  # its script moved to app.js


def test_a_lead_sees_the_team_feed_on_the_calendar_page(client, lead):
    client.force_login(lead)
    html = client.get(reverse("calendar-page")).text
    assert 'id="team-https"' in html
    assert "Make a new team link" in html
    assert "sales lead" in html


# --- static files -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["funnelbook/app.css", "funnelbook/app.js"])
def test_the_static_files_exist_and_need_no_network(name):
    found = finders.find(name)
    assert found, name
    text = Path(found).read_text()
    assert "http://" not in text
    assert "https://" not in text
    assert "@import" not in text


def test_the_layout_loads_them_with_the_static_tag():
    base = (TEMPLATES / "base.html").read_text()
    assert "{% static 'funnelbook/app.css' %}" in base
    assert "{% static 'funnelbook/app.js' %}" in base
    assert "http://" not in base
    assert "https://" not in base
    for block in ("title", "extra_head", "content", "scripts"):
        assert f"{{% block {block} %}}" in base


def test_a_page_links_the_static_files(client, manager):
    client.force_login(manager)
    html = client.get("/").text
    assert '<link rel="stylesheet" href="/static/funnelbook/app.css">' in html
    assert '<script src="/static/funnelbook/app.js" defer></script>' in html
