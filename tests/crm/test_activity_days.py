"""ActivityDay: calls and held meetings per user and local day (the team's time zone), kept
by the services; the reports read it, and count a user whose team or zone changed since
from the calls and meetings themselves until the next refresh."""

from datetime import UTC, date, datetime

import pytest

from crm import services
from crm.models import ActivityDay, Profile, Team
from funnel.periods import Period
from funnel.selectors import daily_activity, plan_actuals, resolve_scope
from tests import factories


def utc(day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def days(user) -> dict[date, tuple[int, int]]:
    return {
        row.day: (row.calls, row.held_meetings)
        for row in ActivityDay.objects.filter(manager=user).order_by("day")
    }


def marker(user) -> str:
    return Profile.objects.get(user=user).activity_days_tz


@pytest.fixture
def prospect(manager):
    return factories.prospect(manager, created_at=utc(2))


def call(manager, at, prospect=None):
    return services.call_log(
        manager=manager, prospect=prospect, at=at, outcome="no_answer", by=manager
    )


def held(prospect, starts_at):
    meeting = factories.meeting(prospect, starts_at=starts_at)
    return services.meeting_hold(meeting=meeting, by=prospect.owner, at=utc(28))


def test_calls_and_held_meetings_are_counted_per_local_day(manager, prospect):
    # given (team in Europe/Berlin, UTC+1 in November): calls at 10:00 and 23:30 UTC on
    # the 3rd (23:30 UTC is 00:30 on the 4th in Berlin), a cold call on the 4th, a held
    # meeting on the 4th, a cancelled and a planned one on the 5th
    call(manager, utc(3), prospect)
    call(manager, utc(3, 23, 30), prospect)
    call(manager, utc(4, 9))
    held(prospect, utc(4, 14))
    services.meeting_cancel(meeting=factories.meeting(prospect, starts_at=utc(5)), by=manager)
    factories.meeting(prospect, starts_at=utc(5, 15))

    # then: the 3rd has 1 call; the 4th 2 calls and 1 held meeting; nothing else
    assert days(manager) == {date(2026, 11, 3): (1, 0), date(2026, 11, 4): (2, 1)}
    assert marker(manager) == "Europe/Berlin"


def test_deleting_a_call_or_a_held_meeting_takes_it_off_its_day(manager, prospect):
    first = call(manager, utc(3), prospect)
    call(manager, utc(3, 11), prospect)
    meeting = held(prospect, utc(4))

    services.call_delete(call=first)
    services.meeting_delete(meeting=meeting)

    assert days(manager) == {date(2026, 11, 3): (1, 0)}


def test_one_users_write_leaves_the_others_days_alone(manager, prospect, team):
    colleague = factories.UserFactory(profile__team=team)
    call(colleague, utc(3))
    call(manager, utc(5), prospect)

    assert days(colleague) == {date(2026, 11, 3): (1, 0)}
    assert days(manager) == {date(2026, 11, 5): (1, 0)}


def test_a_new_time_zone_recounts_the_teams_days(manager, prospect, team):
    # 23:30 UTC on the 3rd is the 4th in Berlin but still the 3rd in New York
    call(manager, utc(3, 23, 30), prospect)
    assert days(manager) == {date(2026, 11, 4): (1, 0)}

    services.team_update(team=team, data={"timezone": "America/New_York"})

    assert days(manager) == {date(2026, 11, 3): (1, 0)}
    assert marker(manager) == "America/New_York"


def _report_days(user) -> tuple[dict, int]:
    """What the reports see for November: daily activity and the plan's call count."""
    user = type(user).objects.get(pk=user.pk)  # the profile as it is now
    scope = resolve_scope(user)
    period = Period.of_range(date(2026, 11, 1), date(2026, 11, 30))
    activity = daily_activity(scope, period).get(user.pk, {})
    (actuals,) = [m for m in plan_actuals(scope, period) if m.manager_id == user.pk]
    return {day: tuple(counts) for day, counts in activity.items()}, actuals.actuals["calls"]


def test_a_zone_changed_behind_the_services_back_is_counted_from_the_calls(manager, prospect):
    # given a call counted on the 4th in Berlin, then the team's zone changed by a bulk
    # update that skips the services (so the days are not recounted)
    call(manager, utc(3, 23, 30), prospect)
    Team.objects.filter(pk=manager.profile.team_id).update(timezone="America/New_York")

    # then the reports count the call on the 3rd (New York) from the call itself
    assert _report_days(manager) == ({date(2026, 11, 3): (1, 0)}, 1)
    # and after a refresh from the cache, with the same result
    services.activity_days_refresh(manager_ids=[manager.pk])
    assert marker(manager) == "America/New_York"
    assert _report_days(manager) == ({date(2026, 11, 3): (1, 0)}, 1)


def test_a_user_moved_to_a_team_in_another_zone_is_counted_in_the_new_zone(manager, prospect):
    call(manager, utc(3, 23, 30), prospect)
    held(prospect, utc(4, 23, 30))
    tokyo = factories.TeamFactory(timezone="Asia/Tokyo")
    colleague = factories.UserFactory(profile__team=tokyo)
    call(colleague, utc(10, 1))
    Profile.objects.filter(user=manager).update(team=tokyo)

    # Tokyo is UTC+9: the call is on the 4th, the meeting on the 5th (from the rows); the
    # colleague's call stays counted from the cache
    assert _report_days(manager) == (
        {date(2026, 11, 4): (1, 0), date(2026, 11, 5): (0, 1)},
        1,
    )
    assert _report_days(colleague) == ({date(2026, 11, 10): (1, 0)}, 1)


def test_refreshing_everyone_writes_the_same_rows_as_each_write(manager, prospect, team):
    colleague = factories.UserFactory(profile__team=team)
    call(manager, utc(3), prospect)
    call(colleague, utc(3, 12))
    held(prospect, utc(6))
    before = {user.pk: days(user) for user in (manager, colleague)}

    written = services.activity_days_refresh()

    assert written == 3
    assert {user.pk: days(user) for user in (manager, colleague)} == before


def test_a_user_without_a_team_has_no_days(db):
    admin = factories.UserFactory(profile__team=None, profile__role="admin")
    assert services.activity_days_refresh(manager_ids=[admin.pk]) == 0
    assert marker(admin) == ""
