"""The admin writes through the services: history is recorded, refusals are messages."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.contrib import admin
from django.urls import reverse

from crm import services
from crm.models import CloseDateChange, Contact, Meeting, MeetingStatus, Stage, StageChange
from funnel.models import Plan
from tests import factories


@pytest.fixture
def staff_client(client, db):
    admin_user = factories.UserFactory(username="root", profile__role="admin")
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    return client


@pytest.mark.parametrize("model", list(admin.site._registry), ids=lambda m: m._meta.label)
def test_every_admin_list_and_add_page_renders(staff_client, manager, model):
    # given one prospect with history, so lists are not empty
    factories.prospect(manager)
    meta = model._meta
    # when / then
    changelist = staff_client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
    assert changelist.status_code == 200
    add = staff_client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_add"))
    assert add.status_code in (200, 403)  # history tables cannot be added by hand


def test_adding_a_prospect_in_admin_records_its_first_stage(staff_client, manager):
    # when
    response = staff_client.post(
        reverse("admin:crm_prospect_add"),
        {
            "owner": manager.pk,
            "name": "Globex",
            "source": "inbound",
            "expected_value": "1200.00",
            "expected_close_date": "2026-12-15",
            "created_at_0": "2026-11-02",
            "created_at_1": "09:00:00",
            **_empty_inlines(),
        },
    )
    # then
    assert response.status_code == 302, response.content[:2000]
    change = StageChange.objects.get(prospect__name="Globex")
    assert (change.from_stage, change.to_stage) == ("", Stage.LEAD)
    first_date = CloseDateChange.objects.get(prospect__name="Globex")
    assert (first_date.from_date, first_date.to_date) == (None, date(2026, 12, 15))


def test_changing_the_close_date_in_admin_records_a_push(staff_client, manager):
    # given
    prospect = factories.prospect(manager, expected_close_date=date(2026, 11, 20))
    # when
    response = staff_client.post(
        reverse("admin:crm_prospect_change", args=[prospect.pk]),
        {
            "name": prospect.name,
            "source": prospect.source,
            "expected_value": "",
            "expected_close_date": "2026-12-04",
            "revisit_on": "",
            **_empty_inlines(),
        },
    )
    # then
    assert response.status_code == 302, response.content[:2000]
    push = CloseDateChange.objects.filter(prospect=prospect).latest("id")
    assert (push.from_date, push.to_date) == (date(2026, 11, 20), date(2026, 12, 4))


def test_move_action_records_the_stage_change(staff_client, manager):
    prospect = factories.prospect(manager)
    response = staff_client.post(
        reverse("admin:crm_prospect_changelist"),
        {"action": "move_to_proposal", "_selected_action": [prospect.pk]},
    )
    assert response.status_code == 302
    prospect.refresh_from_db()
    assert prospect.stage == Stage.PROPOSAL
    assert StageChange.objects.filter(prospect=prospect, to_stage=Stage.PROPOSAL).exists()


def test_hold_action_advances_the_prospect(staff_client, manager):
    prospect = factories.prospect(manager)
    start = datetime(2026, 11, 3, 10, tzinfo=UTC)
    meeting = services.meeting_plan(
        manager=manager,
        prospect=prospect,
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        by=manager,
    )
    staff_client.post(
        reverse("admin:crm_meeting_changelist"),
        {"action": "hold", "_selected_action": [meeting.pk]},
    )
    meeting.refresh_from_db()
    prospect.refresh_from_db()
    assert meeting.status == MeetingStatus.HELD
    assert prospect.stage == Stage.MEETING


def test_a_service_refusal_is_a_message_and_writes_nothing(staff_client, manager):
    # given a contact of another prospect
    mine = factories.prospect(manager, name="Mine")
    other = factories.prospect(manager, name="Other")
    stranger = Contact.objects.create(prospect=other, name="Stranger")
    # when the admin plans a meeting with them as attendee
    response = staff_client.post(
        reverse("admin:crm_meeting_add"),
        {
            "manager": manager.pk,
            "prospect": mine.pk,
            "starts_at_0": "2026-11-03",
            "starts_at_1": "10:00:00",
            "ends_at_0": "2026-11-03",
            "ends_at_1": "11:00:00",
            "attendees": [stranger.pk],
        },
        follow=True,
    )
    # then
    assert response.status_code == 200
    assert "attendees" in response.content.decode()
    assert not Meeting.objects.exists()


def test_overlapping_plan_is_a_form_error_not_a_crash(staff_client, manager):
    Plan.objects.create(manager=manager, start=date(2026, 11, 1), end=date(2026, 11, 30), calls=100)
    response = staff_client.post(
        reverse("admin:funnel_plan_add"),
        {"manager": manager.pk, "start": "2026-11-15", "end": "2026-12-15", "calls": "50"},
    )
    assert response.status_code == 200
    assert "already sets a calls target" in response.content.decode()
    assert Plan.objects.count() == 1


def _empty_inlines() -> dict[str, str]:
    data = {}
    for prefix in ("contacts", "stage_changes", "close_date_changes"):
        data |= {
            f"{prefix}-TOTAL_FORMS": "0",
            f"{prefix}-INITIAL_FORMS": "0",
            f"{prefix}-MIN_NUM_FORMS": "0",
            f"{prefix}-MAX_NUM_FORMS": "1000",
        }
    return data
