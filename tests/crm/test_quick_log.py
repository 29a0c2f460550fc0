"""Quick logging (crm.quick_log): a call, a meeting, a referral asked, posted from any page.

The test team works in Europe/Berlin, UTC+1 in November: "2026-11-23T10:00" typed in a
datetime-local input is 09:00 UTC.
"""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import reverse

from crm import services
from crm.models import Call, Meeting, MeetingStatus, Prospect, Referral, Stage
from crm.quick_log import log_forms
from tests import factories


@pytest.fixture
def acme(manager):
    return factories.prospect(manager, name="Acme")


def stage_of(prospect: Prospect) -> str:
    return Prospect.objects.values_list("stage", flat=True).get(pk=prospect.pk)


def messages_of(client: Client, url: str = "/calendar/") -> str:
    return client.get(url).text


# --- the URLs --------------------------------------------------------------------------------


def test_the_contract_urls():
    assert reverse("log-call") == "/log/call/"
    assert reverse("log-meeting") == "/log/meeting/"
    assert reverse("log-referral") == "/log/referral/"


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["log-call", "log-meeting", "log-referral"])
def test_an_anonymous_post_goes_to_the_login(client, name, nothing_written):
    with nothing_written():
        answer = client.post(reverse(name), {})
    assert answer.status_code == 302
    assert answer["Location"].startswith("/login/?next=")


@pytest.mark.parametrize("name", ["log-call", "log-meeting", "log-referral"])
def test_a_get_never_writes_and_is_refused(client, manager, name):
    client.force_login(manager)
    assert client.get(reverse(name)).status_code == 405


def test_posts_need_the_csrf_token(manager, acme, nothing_written):
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    with nothing_written():
        answer = client.post(
            reverse("log-call"),
            {"prospect": acme.pk, "at": "2026-11-23T10:00", "outcome": "talked"},
        )
    assert answer.status_code == 403


# --- a call ----------------------------------------------------------------------------------


def test_a_call_is_logged_in_the_users_zone_and_moves_a_lead_on(client, manager, acme):
    client.force_login(manager)

    answer = client.post(
        reverse("log-call"),
        {
            "prospect": acme.pk,
            "at": "2026-11-23T10:00",
            "outcome": "talked",
            "duration_minutes": "7",
            "notes": "Wants a quote",
            "next": "/calendar/",
        },
    )

    # then: back where it came from, with the message
    assert answer.status_code == 302
    assert answer["Location"] == "/calendar/"
    call = Call.objects.get()
    assert call.manager == manager
    assert call.prospect == acme
    assert call.at == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 10:00 in Berlin
    assert call.duration == timedelta(minutes=7)
    assert call.notes == "Wants a quote"
    assert stage_of(acme) == Stage.CONTACTED  # SPEC 2: a talked call moves a lead on
    assert "Call logged with Acme (talked)." in messages_of(client)


def test_a_cold_call_needs_no_prospect_and_next_defaults_home(client, manager):
    client.force_login(manager)

    answer = client.post(reverse("log-call"), {"at": "2026-11-23T08:15", "outcome": "no_answer"})

    assert answer.status_code == 302
    assert answer["Location"] == "/"
    call = Call.objects.get()
    assert (call.manager, call.prospect, call.duration) == (manager, None, timedelta(0))


def test_next_off_the_site_is_ignored(client, manager):
    client.force_login(manager)
    answer = client.post(
        reverse("log-call"),
        {"at": "2026-11-23T08:15", "outcome": "no_answer", "next": "https://evil.example/"},
    )
    assert answer["Location"] == "/"


def test_a_bad_call_is_a_400_with_errors_by_field_and_the_input_kept(
    client, manager, acme, nothing_written
):
    client.force_login(manager)

    with nothing_written():
        answer = client.post(
            reverse("log-call"),
            {
                "prospect": acme.pk,
                "at": "yesterday-ish",
                "outcome": "shouted",
                "duration_minutes": "-3",
                "notes": "keep me",
                "next": "/calendar/",
            },
        )

    assert answer.status_code == 400
    html = answer.text
    assert "<h1>Log a call</h1>" in html
    assert 'id="log-call-at-error">Give a date and time such as 2026-11-23T10:00.</p>' in html
    assert 'id="log-call-outcome-error">Select a valid choice.' in html
    assert 'id="log-call-duration_minutes-error">Ensure this value is greater than' in html
    assert 'aria-describedby="log-call-at-error"' in html
    assert 'aria-invalid="true"' in html
    assert 'value="yesterday-ish"' in html  # input kept
    assert "\nkeep me</textarea>" in html
    assert f'<option value="{acme.pk}" selected>Acme</option>' in html
    assert '<a href="/calendar/">Back without saving</a>' in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_another_teams_prospect_is_a_404_and_nothing_is_written(
    client, manager, stranger, nothing_written
):
    theirs = factories.prospect(stranger, name="Hidden")
    client.force_login(manager)

    with nothing_written():
        call = client.post(
            reverse("log-call"),
            {"prospect": theirs.pk, "at": "2026-11-23T10:00", "outcome": "talked"},
        )
        meeting = client.post(
            reverse("log-meeting"),
            {
                "prospect": theirs.pk,
                "starts_at": "2026-11-20T10:00",
                "duration_minutes": "60",
                "status": "held",
            },
        )
        referral = client.post(
            reverse("log-referral"), {"from_prospect": theirs.pk, "asked_on": "2026-11-20"}
        )
        unknown = client.post(
            reverse("log-call"),
            {"prospect": "987654", "at": "2026-11-23T10:00", "outcome": "talked"},
        )

    assert [call.status_code, meeting.status_code, referral.status_code] == [404, 404, 404]
    assert unknown.status_code == 404  # the same answer as for another team's: ids do not leak


def test_a_lost_prospect_takes_no_call(client, manager, acme, nothing_written):
    services.prospect_lose(prospect=acme, reason="budget", by=manager)
    client.force_login(manager)

    with nothing_written():
        answer = client.post(
            reverse("log-call"),
            {"prospect": acme.pk, "at": "2026-11-23T10:00", "outcome": "talked"},
        )

    assert answer.status_code == 400
    assert 'id="log-call-prospect-error">Select a valid choice.' in answer.text


def test_a_lead_logs_for_the_prospects_manager(client, lead, manager, acme):
    client.force_login(lead)

    answer = client.post(
        reverse("log-call"), {"prospect": acme.pk, "at": "2026-11-23T10:00", "outcome": "talked"}
    )

    assert answer.status_code == 302
    assert Call.objects.get().manager == manager  # the owner's call, logged by the lead


# --- a meeting -------------------------------------------------------------------------------


def test_a_held_meeting_is_planned_then_held_and_moves_the_prospect_to_meeting(
    client, manager, acme
):
    client.force_login(manager)

    answer = client.post(
        reverse("log-meeting"),
        {
            "prospect": acme.pk,
            "status": "held",
            "starts_at": "2026-11-20T14:30",
            "duration_minutes": "45",
            "decision_maker_present": "on",
            "location": "Their office",
            "notes": "Good talk",
            "next": "/",
        },
    )

    assert answer.status_code == 302
    meeting = Meeting.objects.get()
    assert meeting.status == MeetingStatus.HELD
    assert meeting.decision_maker_present is True
    assert meeting.starts_at == datetime(2026, 11, 20, 13, 30, tzinfo=UTC)  # 14:30 Berlin
    assert meeting.ends_at == datetime(2026, 11, 20, 14, 15, tzinfo=UTC)  # + 45 minutes
    assert (meeting.location, meeting.notes) == ("Their office", "Good talk")
    assert stage_of(acme) == Stage.MEETING  # SPEC 2: a held meeting moves a lead to meeting
    assert "Held meeting with Acme logged." in messages_of(client)


def test_a_planned_meeting_defaults_to_an_hour(client, manager, acme):
    client.force_login(manager)

    answer = client.post(
        reverse("log-meeting"),
        {
            "prospect": acme.pk,
            "status": "planned",
            "starts_at": "2099-01-05T09:00",
            "duration_minutes": "60",
        },
    )

    assert answer.status_code == 302
    meeting = Meeting.objects.get()
    assert meeting.status == MeetingStatus.PLANNED
    assert meeting.ends_at - meeting.starts_at == timedelta(hours=1)
    assert meeting.decision_maker_present is False
    assert stage_of(acme) == Stage.LEAD  # planning moves nothing


def test_a_meeting_held_in_the_future_writes_nothing_and_says_why(
    client, manager, acme, nothing_written
):
    client.force_login(manager)

    with nothing_written():  # the plan step is rolled back with the refused hold
        answer = client.post(
            reverse("log-meeting"),
            {
                "prospect": acme.pk,
                "status": "held",
                "starts_at": "2099-01-05T09:00",
                "duration_minutes": "60",
                "next": "/",
            },
        )

    assert answer.status_code == 400
    assert 'id="log-meeting-starts_at-error">The meeting has not started yet.</p>' in answer.text
    assert 'value="2099-01-05T09:00"' in answer.text
    assert 'value="held" id="log-meeting-status_1" required checked' in answer.text


def test_a_meeting_needs_a_prospect(client, manager, nothing_written):
    client.force_login(manager)
    with nothing_written():
        answer = client.post(
            reverse("log-meeting"),
            {"status": "planned", "starts_at": "2099-01-05T09:00", "duration_minutes": "60"},
        )
    assert answer.status_code == 400
    assert 'id="log-meeting-prospect-error">This field is required.</p>' in answer.text


# --- a referral ------------------------------------------------------------------------------


def test_a_referral_may_be_asked_of_a_signed_client(client, manager, acme):
    services.prospect_sign(
        prospect=acme, contract_value=Decimal("1000.00"), signed_on=date(2026, 11, 10), by=manager
    )
    client.force_login(manager)

    answer = client.post(
        reverse("log-referral"),
        {"from_prospect": acme.pk, "asked_on": "2026-11-24", "notes": "Asked at lunch"},
    )

    assert answer.status_code == 302
    referral = Referral.objects.get()
    assert (referral.manager, referral.from_prospect, referral.asked_on) == (
        manager,
        acme,
        date(2026, 11, 24),
    )
    assert "Referral asked of Acme logged." in messages_of(client)


def test_a_referral_without_a_date_is_a_400(client, manager, acme, nothing_written):
    client.force_login(manager)
    with nothing_written():
        answer = client.post(reverse("log-referral"), {"from_prospect": acme.pk, "asked_on": ""})
    assert answer.status_code == 400
    assert 'id="log-referral-asked_on-error">This field is required.</p>' in answer.text


# --- the forms and the partial ---------------------------------------------------------------


def test_choosers_list_the_visible_prospects_that_can_take_the_log(manager, stranger):
    open_one = factories.prospect(manager, name="Open")
    signed = factories.prospect(manager, name="Signed")
    services.prospect_sign(
        prospect=signed, contract_value=Decimal("5.00"), signed_on=date(2026, 11, 10), by=manager
    )
    lost = factories.prospect(manager, name="Lost")
    services.prospect_lose(prospect=lost, reason="no", by=manager)
    factories.prospect(stranger, name="Theirs")

    forms = log_forms(manager)

    def names(form, field):
        return [p.name for p in form.fields[field].queryset]

    assert names(forms["call"], "prospect") == [open_one.name]
    assert names(forms["meeting"], "prospect") == ["Open"]
    assert names(forms["referral"], "from_prospect") == ["Open", "Signed"]


def test_a_leads_chooser_names_the_owner(lead, manager):
    factories.prospect(manager, name="Acme")
    html = render_partial(lead)
    assert f">Acme ({manager.username})</option>" in html


def render_partial(user, prospect=None, path="/prospects/7/"):
    request = RequestFactory().get(path)
    request.user = user
    return render_to_string(
        "crm/includes/quick_log.html",
        {"log_forms": log_forms(user, prospect), "prospect": prospect},
        request=request,
    )


def test_the_partial_has_three_labelled_forms_coming_back_to_the_page(manager, acme):
    html = render_partial(manager)

    for name in ("log-call", "log-meeting", "log-referral"):
        assert f'action="{reverse(name)}"' in html
    assert html.count('name="csrfmiddlewaretoken"') == 3
    assert html.count('<input type="hidden" name="next" value="/prospects/7/">') == 3
    for field_id in (
        "log-call-prospect",
        "log-call-at",
        "log-call-outcome",
        "log-call-duration_minutes",
        "log-call-notes",
        "log-meeting-prospect",
        "log-meeting-starts_at",
        "log-meeting-duration_minutes",
        "log-meeting-decision_maker_present",
        "log-meeting-location",
        "log-referral-from_prospect",
        "log-referral-asked_on",
    ):
        assert f'for="{field_id}"' in html, field_id
    assert "<legend>The meeting is</legend>" in html
    assert 'type="datetime-local"' in html
    assert 'name="duration_minutes" value="60"' in html


def test_with_a_prospect_the_choosers_are_hidden_and_preset(manager, acme):
    html = render_partial(manager, acme)

    assert "Log an activity with Acme" in html
    assert f'<input type="hidden" name="prospect" value="{acme.pk}"' in html
    assert f'<input type="hidden" name="from_prospect" value="{acme.pk}"' in html
    assert "<select" not in html.split("log-call-outcome")[0]  # no prospect chooser


def test_a_lost_prospect_gets_no_form_and_a_note(manager, acme):
    lost = services.prospect_lose(prospect=acme, reason="no", by=manager)

    forms = log_forms(manager, lost)
    html = render_partial(manager, lost)

    assert (forms["call"], forms["meeting"], forms["referral"]) == (None, None, None)
    assert "This prospect is closed" in html


def test_the_default_time_is_now_in_the_users_zone(manager, monkeypatch):
    from crm import quick_log

    monkeypatch.setattr(
        quick_log.timezone, "now", lambda: datetime(2026, 11, 22, 23, 30, tzinfo=UTC)
    )
    forms = log_forms(manager)

    # 23:30 UTC on 22 Nov is 00:30 on 23 Nov in Berlin
    assert forms["call"].fields["at"].initial == "2026-11-23T00:30"
    assert forms["referral"].fields["asked_on"].initial == date(2026, 11, 23)
