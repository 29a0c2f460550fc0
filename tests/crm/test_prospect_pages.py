"""The prospect pages (crm.prospect_pages): the list and its filters, the detail page with
the whole history, the actions, a new prospect; by role, with flat query counts.

The stale flag's clock is Monday 23 November 2026, 12:00 UTC (13:00 in Berlin, the test
team's zone). A prospect goes stale after 14 idle days (the default rotting period): the
cutoff is the start of 9 November in Berlin (23 - 14), 8 November 23:00 UTC. A prospect
created on 2 November and never touched is stale; one touched on 20 November, or created
on 20 November, is not.
"""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from crm import prospect_pages, services
from crm.models import CallOutcome, CloseDateChange, MeetingStatus, Prospect, Stage, StageChange
from tests import factories
from tests.factories import moment

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _monday_23_november(monkeypatch):
    monkeypatch.setattr(prospect_pages, "now", lambda: NOW)


@pytest.fixture
def signed_in(client, manager):
    client.force_login(manager)
    return client


def list_names(answer) -> list[str]:
    return [row.name for row in answer.context["page"]]


def detail(pk: int) -> str:
    return reverse("prospect-detail-page", args=[pk])


def act(pk: int, action: str) -> str:
    return reverse("prospect-action-page", args=[pk, action])


def held(prospect, *, day: int, with_dm: bool = False):
    meeting = factories.meeting(prospect, starts_at=moment(day))
    return services.meeting_hold(meeting=meeting, by=prospect.owner, decision_maker_present=with_dm)


# --- who sees what ------------------------------------------------------------------------------


def test_the_pages_need_a_login(client, manager):
    prospect = factories.prospect(manager)
    for url in (
        reverse("prospect-list-page"),
        detail(prospect.pk),
        reverse("prospect-create-page"),
    ):
        answer = client.get(url)
        assert answer.status_code == 302
        assert answer["Location"].startswith(reverse("login"))


def test_a_manager_lists_only_their_own_prospects(signed_in, manager, team):
    factories.prospect(manager, name="Mine")
    colleague = factories.UserFactory(profile__team=team)
    factories.prospect(colleague, name="Colleague's")
    answer = signed_in.get(reverse("prospect-list-page"))
    assert answer.status_code == 200
    assert list_names(answer) == ["Mine"]
    assert "Owner" not in answer.content.decode()  # no owner column, no owner filter


def test_a_lead_lists_the_team_with_owners_and_can_filter_by_owner(client, lead, manager, stranger):
    other = factories.UserFactory(profile__team=manager.profile.team)
    factories.prospect(manager, name="Alpha")
    factories.prospect(other, name="Beta")
    factories.prospect(stranger, name="Elsewhere")
    client.force_login(lead)
    answer = client.get(reverse("prospect-list-page"))
    assert sorted(list_names(answer)) == ["Alpha", "Beta"]
    assert '<th scope="col">Owner</th>' in answer.content.decode()
    assert list_names(client.get(reverse("prospect-list-page"), {"owner": other.pk})) == ["Beta"]
    # another team's manager is not a choice: a 400 naming the filter, not their data
    answer = client.get(reverse("prospect-list-page"), {"owner": stranger.pk})
    assert answer.status_code == 400
    assert "Owner" in answer.content.decode()


def test_another_managers_prospect_is_a_404_for_a_manager_and_open_to_the_lead(
    client, manager, lead, stranger
):
    colleague = factories.UserFactory(profile__team=manager.profile.team)
    theirs = factories.prospect(colleague)
    elsewhere = factories.prospect(stranger)
    client.force_login(manager)
    assert client.get(detail(theirs.pk)).status_code == 404
    assert client.get(detail(elsewhere.pk)).status_code == 404
    assert client.get(detail(999_999)).status_code == 404
    assert client.post(act(elsewhere.pk, "move"), {"stage": "contacted"}).status_code == 404
    client.force_login(lead)
    assert client.get(detail(theirs.pk)).status_code == 200
    assert client.get(detail(elsewhere.pk)).status_code == 404


def test_the_404_page_is_in_the_layout(client, manager, stranger, settings):
    settings.DEBUG = False
    client.force_login(manager)
    answer = client.get(detail(factories.prospect(stranger).pk))
    assert answer.status_code == 404
    assert "not yours to see" in answer.content.decode()


# --- the list's filters -------------------------------------------------------------------------


@pytest.fixture
def four(manager):
    """Four prospects, each made to match one filter:

    Stale Co     lead, created 2 Nov, never touched → stale (cutoff 8 Nov 23:00 UTC)
    Fresh Co     lead, created 20 Nov → not stale
    Touched Co   meeting stage by a call on 20 Nov, created 2 Nov → not stale;
                 source referral... no: source inbound, close date 15 Dec 2026
    Stalled Co   three held meetings (5, 6, 9 Nov), none with a decision maker → stalled;
                 its last touch is 9 Nov 10:00 UTC, after the cutoff → not stale
    """
    stale = factories.prospect(manager, name="Stale Co")
    fresh = factories.prospect(manager, name="Fresh Co", created_at=moment(20, 9))
    touched = factories.prospect(
        manager,
        name="Touched Co",
        source="inbound",
        expected_close_date=date(2026, 12, 15),
    )
    services.call_log(
        manager=manager, prospect=touched, at=moment(20), outcome=CallOutcome.TALKED, by=manager
    )
    stalled = factories.prospect(manager, name="Stalled Co", stage=Stage.MEETING)
    for day in (5, 6, 9):
        held(stalled, day=day)
    return {"stale": stale, "fresh": fresh, "touched": touched, "stalled": stalled}


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ({}, ["Touched Co", "Fresh Co", "Stale Co", "Stalled Co"]),  # close date first, then name
        ({"stale": "yes"}, ["Stale Co"]),
        ({"stale": "no"}, ["Touched Co", "Fresh Co", "Stalled Co"]),
        ({"stalled": "yes"}, ["Stalled Co"]),
        ({"stage": "contacted"}, ["Touched Co"]),
        ({"stage": "lead"}, ["Fresh Co", "Stale Co"]),
        ({"source": "inbound"}, ["Touched Co"]),
        ({"close_month": "2026-12"}, ["Touched Co"]),
        ({"close_month": "2026-11"}, []),
        ({"q": "co"}, ["Touched Co", "Fresh Co", "Stale Co", "Stalled Co"]),
        ({"q": "stal"}, ["Stale Co", "Stalled Co"]),
    ],
)
def test_the_filters(signed_in, four, query, names):
    answer = signed_in.get(reverse("prospect-list-page"), query)
    assert answer.status_code == 200
    assert list_names(answer) == names


def test_the_flags_are_the_team_reviews(signed_in, four):
    """The list shows the same flags as the review's attention lists (same definitions)."""
    body = signed_in.get(reverse("prospect-list-page")).content.decode()
    assert body.count('class="badge flag flag--stale"') == 1
    assert body.count('class="badge flag flag--stalled"') == 1


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"close_month": "2026-13"}, "Close month"),
        ({"close_month": "November"}, "Close month"),
        ({"stage": "won"}, "Stage"),
        ({"stale": "maybe"}, "Stale"),
    ],
)
def test_a_bad_filter_is_a_400_naming_it(signed_in, four, query, field):
    answer = signed_in.get(reverse("prospect-list-page"), query)
    assert answer.status_code == 400
    body = answer.content.decode()
    assert f"<li>{field}: " in body
    assert list_names(answer) == []


def test_pages_of_50_keep_the_filters(signed_in, manager):
    Prospect.objects.bulk_create(
        Prospect(owner=manager, name=f"P{n:03}", stage=Stage.LEAD, created_at=NOW)
        for n in range(60)
    )
    first = signed_in.get(reverse("prospect-list-page"), {"stage": "lead"})
    assert len(list_names(first)) == 50
    assert "?stage=lead&amp;page=2" in first.content.decode()
    second = signed_in.get(reverse("prospect-list-page"), {"stage": "lead", "page": 2})
    assert list_names(second) == [f"P{n:03}" for n in range(50, 60)]


@pytest.mark.parametrize("size", [2, 40])
def test_the_list_costs_the_same_queries_at_any_size(
    client, lead, size, django_assert_max_num_queries
):
    team = lead.profile.team
    managers = [factories.UserFactory(profile__team=team) for _ in range(2)]
    for n in range(size):
        factories.prospect(managers[n % 2], name=f"P{n}", expected_close_date=date(2026, 12, 1))
    client.force_login(lead)
    # session, user, profile, the teams (scope), the owner choices, the count, the page
    with django_assert_max_num_queries(9):
        answer = client.get(reverse("prospect-list-page"))
    assert answer.status_code == 200
    assert len(list_names(answer)) == size


# --- the detail page ----------------------------------------------------------------------------


@pytest.fixture
def storied(manager):
    """Acme's history, in time order (UTC; Berlin is one hour ahead):

    2 Nov 09:00  created in stage lead, close date set to 20 Nov
    3 Nov        referral asked of it
    4 Nov 10:00  call, talked → stage lead → contacted
    5 Nov 10:00  meeting held, with the decision maker → stage contacted → meeting
    12 Nov       close date pushed 20 Nov → 4 Dec
    """
    acme = factories.prospect(manager, expected_close_date=date(2026, 11, 20))
    dana = factories.contact(acme, name="Dana", is_decision_maker=True)
    factories.referral(acme)
    services.call_log(
        manager=manager, prospect=acme, at=moment(4), outcome=CallOutcome.TALKED, by=manager
    )
    meeting = factories.meeting(acme, attendees=[dana])
    services.meeting_hold(meeting=meeting, by=manager)
    services.prospect_change_close_date(
        prospect=acme, expected_close_date=date(2026, 12, 4), by=manager, at=moment(12)
    )
    return acme


def test_the_history_is_complete_and_newest_first(signed_in, storied):
    answer = signed_in.get(detail(storied.pk))
    assert answer.status_code == 200
    titles = [entry.title for entry in answer.context["timeline"]]
    assert titles == [
        "Close date pushed 2026-11-20 → 2026-12-04",
        "Stage contacted → meeting",
        "Meeting (held)",
        "Stage lead → contacted",
        "Call: talked",
        "Referral asked",
        "Created in stage lead",
        "Close date set to 2026-11-20",
    ]
    body = answer.content.decode()
    assert "decision maker present" in body
    assert "times in Europe/Berlin" in body
    assert "pushed later \N{MULTIPLICATION SIGN}1" in body
    # times in the user's zone: the call at 10:00 UTC shows 11:00
    assert "4 Nov 2026 11:00" in body


@pytest.mark.parametrize("extra", [0, 15])
def test_the_detail_costs_the_same_queries_however_long_the_history(
    signed_in, storied, manager, extra, django_assert_max_num_queries
):
    for n in range(extra):
        services.call_log(
            manager=manager,
            prospect=storied,
            at=moment(13) + timedelta(hours=n),
            outcome=CallOutcome.NO_ANSWER,
            by=manager,
        )
        factories.meeting(storied, starts_at=moment(24) + timedelta(hours=n))
    with django_assert_max_num_queries(28):
        answer = signed_in.get(detail(storied.pk))
    assert answer.status_code == 200
    assert len(answer.context["timeline"]) == 8 + 2 * extra
    assert len(answer.context["planned"]) == extra


def test_the_actions_follow_the_stage(signed_in, manager):
    open_deal = factories.prospect(manager, name="Open")
    signed = factories.prospect(manager, name="Signed")
    services.prospect_sign(
        prospect=signed, contract_value=Decimal("100"), signed_on=date(2026, 11, 20), by=manager
    )
    lost = factories.prospect(manager, name="Lost")
    services.prospect_lose(prospect=lost, reason="budget", by=manager)

    assert set(signed_in.get(detail(open_deal.pk)).context["actions"]) == {
        "move",
        "sign",
        "lose",
        "close_date",
        "contact",
    }
    assert set(signed_in.get(detail(signed.pk)).context["actions"]) == {"contact"}
    assert set(signed_in.get(detail(lost.pk)).context["actions"]) == {"reopen", "contact"}
    # the move form never offers the current stage, nor contract or lost
    move = signed_in.get(detail(open_deal.pk)).context["actions"]["move"]
    assert [value for value, _ in move.fields["stage"].choices] == [
        "contacted",
        "meeting",
        "proposal",
    ]


def test_the_quick_log_is_on_the_page_for_this_prospect(signed_in, storied):
    body = signed_in.get(detail(storied.pk)).content.decode()
    assert f"Log an activity with {storied.name}" in body
    assert body.count(f'name="next" value="{detail(storied.pk)}"') == 3  # call, meeting, referral


def test_after_a_refused_action_the_quick_log_still_comes_back_here(signed_in, storied):
    body = signed_in.post(act(storied.pk, "sign"), {}).content.decode()
    assert body.count(f'name="next" value="{detail(storied.pk)}"') == 3


# --- actions ------------------------------------------------------------------------------------


def test_move_sign_lose_reopen(signed_in, manager):
    deal = factories.prospect(manager, expected_value=Decimal("5000.00"))

    answer = signed_in.post(act(deal.pk, "move"), {"stage": "proposal"}, follow=True)
    assert answer.redirect_chain == [(detail(deal.pk), 302)]
    assert "Moved to stage proposal." in answer.content.decode()
    deal.refresh_from_db()
    assert deal.stage == Stage.PROPOSAL

    answer = signed_in.post(act(deal.pk, "lose"), {"reason": "went quiet"})
    assert answer.status_code == 302
    deal.refresh_from_db()
    assert (deal.stage, deal.lost_from_stage, deal.lost_reason) == (
        "lost",
        "proposal",
        "went quiet",
    )

    assert signed_in.post(act(deal.pk, "reopen")).status_code == 302
    deal.refresh_from_db()
    assert deal.stage == Stage.PROPOSAL

    answer = signed_in.post(
        act(deal.pk, "sign"), {"contract_value": "4800.00", "signed_on": "2026-11-20"}
    )
    assert answer.status_code == 302
    deal.refresh_from_db()
    assert (deal.stage, deal.contract_value, deal.signed_on) == (
        "contract",
        Decimal("4800.00"),
        date(2026, 11, 20),
    )
    assert list(
        StageChange.objects.filter(prospect=deal)
        .values_list("to_stage", flat=True)
        .order_by("changed_at", "pk")
    ) == ["lead", "proposal", "lost", "proposal", "contract"]


@pytest.mark.parametrize(
    ("action", "data", "field", "message"),
    [
        ("sign", {"signed_on": "2026-11-20"}, "contract_value", "This field is required."),
        (
            "sign",
            {"contract_value": "-1", "signed_on": "2026-11-20"},
            "contract_value",
            "greater than or equal to 0",
        ),
        (
            "sign",
            {"contract_value": "10", "signed_on": "2026-10-01"},
            "signed_on",
            "before the prospect was created",
        ),
        ("lose", {"reason": ""}, "reason", "This field is required."),
        ("lose", {"reason": "x", "revisit_on": "2026-01-01"}, "revisit_on", ""),
        ("move", {"stage": "lead"}, "stage", "Select a valid choice"),
        ("move", {"stage": "contract"}, "stage", "Select a valid choice"),
        (
            "close-date",
            {"expected_close_date": "soon"},
            "expected_close_date",
            "Enter a valid date.",
        ),
        ("contact", {"name": "", "email": "not-an-email"}, "name", "This field is required."),
    ],
)
def test_a_refused_action_is_a_400_next_to_its_field_and_writes_nothing(
    signed_in, manager, nothing_written, action, data, field, message
):
    deal = factories.prospect(manager)
    with nothing_written():
        answer = signed_in.post(act(deal.pk, action), data)
    assert answer.status_code == 400
    refused = answer.context["refused"]
    assert field in refused.errors
    assert message in " ".join(refused.errors[field])
    assert f'id="{refused[field].auto_id}-error"' in answer.content.decode()
    deal.refresh_from_db()
    assert deal.stage == Stage.LEAD


def test_an_action_the_stage_forbids_is_a_400_saying_why(signed_in, manager, nothing_written):
    deal = factories.prospect(manager)
    with nothing_written():
        answer = signed_in.post(act(deal.pk, "reopen"))
    assert answer.status_code == 400
    assert 'role="alert"' in answer.content.decode()
    assert answer.context["refused"].non_field_errors()


def test_pushing_the_close_date_is_recorded_and_counted(signed_in, manager):
    deal = factories.prospect(manager, expected_close_date=date(2026, 11, 30))
    answer = signed_in.post(
        act(deal.pk, "close-date"), {"expected_close_date": "2026-12-18"}, follow=True
    )
    assert "Close date pushed from 30 November 2026 to 18 December 2026." in answer.content.decode()
    deal.refresh_from_db()
    assert (deal.expected_close_date, deal.push_count) == (date(2026, 12, 18), 1)
    change = CloseDateChange.objects.filter(prospect=deal).latest("changed_at")
    assert (change.from_date, change.to_date, change.by_id) == (
        date(2026, 11, 30),
        date(2026, 12, 18),
        manager.pk,
    )
    signed_in.post(act(deal.pk, "close-date"), {"expected_close_date": "2026-12-10"})
    deal.refresh_from_db()
    assert deal.push_count == 1  # a pull-in is not a push


def test_adding_a_contact(signed_in, manager):
    deal = factories.prospect(manager)
    signed_in.post(
        act(deal.pk, "contact"),
        {"name": "Kim", "email": "kim@example.com", "is_decision_maker": "on"},
    )
    assert list(deal.contacts.values_list("name", "email", "is_decision_maker")) == [
        ("Kim", "kim@example.com", True)
    ]


def test_an_unknown_action_is_a_404_and_a_get_is_a_405(signed_in, manager):
    deal = factories.prospect(manager)
    assert signed_in.post(act(deal.pk, "delete")).status_code == 404
    assert signed_in.get(act(deal.pk, "move")).status_code == 405


def meeting_url(prospect, meeting, action: str) -> str:
    return reverse("prospect-meeting-action-page", args=[prospect.pk, meeting.pk, action])


def test_a_planned_meeting_is_held_cancelled_or_a_no_show(signed_in, manager):
    deal = factories.prospect(manager)
    first, second, third = (factories.meeting(deal, starts_at=moment(day)) for day in (5, 6, 9))

    signed_in.post(meeting_url(deal, first, "hold"), {"decision_maker_present": "on"})
    signed_in.post(meeting_url(deal, second, "cancel"))
    signed_in.post(meeting_url(deal, third, "no-show"))
    for meeting in (first, second, third):
        meeting.refresh_from_db()
    assert (first.status, first.decision_maker_present) == (MeetingStatus.HELD, True)
    assert second.status == MeetingStatus.CANCELLED
    assert third.status == MeetingStatus.NO_SHOW
    deal.refresh_from_db()
    assert deal.stage == Stage.MEETING  # a held meeting moves a lead to meeting


def test_rescheduling_a_meeting_reads_the_users_zone(signed_in, manager):
    deal = factories.prospect(manager)
    meeting = factories.meeting(deal, starts_at=moment(25, 9))
    answer = signed_in.post(
        meeting_url(deal, meeting, "reschedule"),
        {"starts_at": "2026-11-26T15:30", "duration_minutes": "45"},
    )
    assert answer.status_code == 302
    meeting.refresh_from_db()
    # 15:30 in Berlin (UTC+1 in November) is 14:30 UTC
    assert meeting.starts_at == datetime(2026, 11, 26, 14, 30, tzinfo=UTC)
    assert meeting.ends_at - meeting.starts_at == timedelta(minutes=45)
    assert meeting.sequence == 1


def test_a_bad_reschedule_is_a_400_next_to_the_field(signed_in, manager, nothing_written):
    deal = factories.prospect(manager)
    meeting = factories.meeting(deal, starts_at=moment(25, 9))
    with nothing_written():
        answer = signed_in.post(
            meeting_url(deal, meeting, "reschedule"),
            {"starts_at": "tomorrow", "duration_minutes": "0"},
        )
    assert answer.status_code == 400
    row = answer.context["planned"][0]
    assert set(row["reschedule"].errors) == {"starts_at", "duration_minutes"}
    assert "<details open>" in answer.content.decode()


def test_holding_a_meeting_twice_says_why(signed_in, manager):
    deal = factories.prospect(manager)
    meeting = factories.meeting(deal)
    signed_in.post(meeting_url(deal, meeting, "hold"))
    answer = signed_in.post(meeting_url(deal, meeting, "hold"))
    assert answer.status_code == 400
    assert "Only a planned meeting can be held" in answer.content.decode()


def test_another_prospects_meeting_is_a_404(signed_in, manager):
    deal, other = factories.prospect(manager), factories.prospect(manager, name="Other")
    meeting = factories.meeting(other)
    assert signed_in.post(meeting_url(deal, meeting, "cancel")).status_code == 404


def test_a_lead_acts_on_a_team_members_prospect(client, lead, manager):
    deal = factories.prospect(manager)
    client.force_login(lead)
    assert client.post(act(deal.pk, "move"), {"stage": "contacted"}).status_code == 302
    change = StageChange.objects.filter(prospect=deal).latest("changed_at")
    assert (change.to_stage, change.by_id) == ("contacted", lead.pk)


# --- a new prospect -----------------------------------------------------------------------------


def test_a_manager_creates_a_prospect_of_their_own(signed_in, manager):
    answer = signed_in.post(
        reverse("prospect-create-page"),
        {
            "name": "Globex",
            "stage": "contacted",
            "source": "inbound",
            "expected_value": "12000",
            "expected_close_date": "2027-01-15",
        },
    )
    globex = Prospect.objects.get(name="Globex")
    assert answer["Location"] == detail(globex.pk)
    assert (globex.owner_id, globex.stage, globex.expected_value) == (
        manager.pk,
        "contacted",
        Decimal("12000"),
    )
    assert globex.close_date_changes.count() == 1


def test_a_lead_names_the_owner(client, lead, manager, stranger, nothing_written):
    client.force_login(lead)
    with nothing_written():
        answer = client.post(
            reverse("prospect-create-page"), {"name": "Initech", "stage": "lead", "source": "other"}
        )
    assert answer.status_code == 400
    assert "owner" in answer.context["form"].errors
    with nothing_written():
        answer = client.post(
            reverse("prospect-create-page"),
            {"name": "Initech", "stage": "lead", "source": "other", "owner": stranger.pk},
        )
    assert answer.status_code == 400  # not a choice: another team's manager
    client.post(
        reverse("prospect-create-page"),
        {"name": "Initech", "stage": "lead", "source": "other", "owner": manager.pk},
    )
    assert Prospect.objects.get(name="Initech").owner_id == manager.pk


def test_a_new_prospect_form_is_labelled(signed_in):
    answer = signed_in.get(reverse("prospect-create-page"))
    assert answer.status_code == 200
    body = answer.content.decode()
    for name in ("name", "stage", "source", "expected_value", "expected_close_date"):
        assert f'<label for="id_{name}">' in body


def test_open_deals_come_first_then_by_close_date(signed_in, manager):
    # Won closes 1 Nov (earliest) but is signed; Late and Soon are open, Soon closes first.
    won = factories.prospect(manager, name="Won", expected_close_date=date(2026, 11, 1))
    services.prospect_sign(
        prospect=won, contract_value=Decimal("1"), signed_on=date(2026, 11, 20), by=manager
    )
    factories.prospect(manager, name="Late", expected_close_date=date(2027, 3, 1))
    factories.prospect(manager, name="Soon", expected_close_date=date(2026, 12, 1))
    factories.prospect(manager, name="Undated")
    answer = signed_in.get(reverse("prospect-list-page"))
    assert list_names(answer) == ["Soon", "Late", "Undated", "Won"]
