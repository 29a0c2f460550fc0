"""Every list endpoint costs a constant number of queries, whatever the amount of data.

Each test lists at a small and a larger size and asserts that the two counts are equal
(the SQL of both is shown when they are not), under a ceiling. A manager's list grows
with their records (2 → 20); a lead's and an admin's with the managers they see
(2 → 10, each with two records). The caller is loaded afresh for every request, as in a
real request (no profile cached on the user object by the request before).
"""

from collections.abc import Callable

import pytest
from django.contrib.auth import get_user_model
from django.db.models import Model

from events import services as event_services
from events.models import AttendanceStatus
from funnel.models import Benchmark, BenchmarkMetric, Sector
from tests import factories
from tests.api import records

User = get_user_model()

# The most a list may cost: the caller's profile (none for an admin), the count and the
# page; meetings prefetch their attendees.
CEILING = {"meetings": 4}
DEFAULT_CEILING = 3


def _event(owner, n: int = 0) -> Model:
    """An event of the owner's team, made by them, that they go to."""
    event = factories.event(name=f"Event {n}", team=owner.profile.team, by=owner)
    event_services.event_attend(event=event, manager=owner, status=AttendanceStatus.PLANNED)
    return event


OWNED: dict[str, Callable[..., Model]] = {
    "prospects": records.prospect,
    "contacts": records.contact,
    "calls": records.call,
    "meetings": records.meeting,
    "referrals": records.referral,
    "plans": records.plan,
    "reviews": records.review,
    "events": _event,
}


@pytest.fixture
def listing(api, django_assert_max_num_queries):
    """``listing(user, resource)`` → (rows listed, SQL run), under the ceiling."""

    def run(user, resource: str) -> tuple[int, list[str]]:
        api.force_authenticate(User.objects.get(pk=user.pk))
        with django_assert_max_num_queries(CEILING.get(resource, DEFAULT_CEILING)) as captured:
            response = api.get(f"/api/{resource}/", {"page_size": 200})
        assert response.status_code == 200, response.json()
        return response.json()["count"], [query["sql"] for query in captured.captured_queries]

    return run


def assert_flat(small: list[str], large: list[str]) -> None:
    assert len(small) == len(large), "\n".join(["small:", *small, "", "large:", *large])


@pytest.mark.parametrize("resource", OWNED)
def test_a_managers_list_costs_the_same_at_2_and_20_records(world, listing, resource):
    # given
    me, make = world["me"], OWNED[resource]
    for n in range(2):
        make(me, n)
    small_count, small = listing(me, resource)
    for n in range(2, 20):
        make(me, n)
    # when
    large_count, large = listing(me, resource)
    # then
    assert (small_count, large_count) == (2, 20)
    assert_flat(small, large)


def _managers(world: dict, start: int, stop: int, make: Callable[..., Model]) -> None:
    """Managers number start…stop-1, alternately of home and away, with two records each."""
    for n in range(start, stop):
        team = world["home"] if n % 2 == 0 else world["away"]
        manager = factories.UserFactory(username=f"manager-{n}", profile__team=team)
        make(manager, 0)
        make(manager, 1)


@pytest.mark.parametrize("viewer", ["lead", "admin"])
@pytest.mark.parametrize("resource", OWNED)
def test_a_leads_or_admins_list_costs_the_same_at_2_and_10_managers(
    world, listing, resource, viewer
):
    # given
    make = OWNED[resource]
    _managers(world, 0, 2 if viewer == "admin" else 4, make)  # 2 of them in the lead's team
    small_count, small = listing(world[viewer], resource)
    _managers(world, 4 if viewer == "lead" else 2, 20 if viewer == "lead" else 10, make)
    # when
    large_count, large = listing(world[viewer], resource)
    # then
    assert (small_count, large_count) == (4, 20)
    assert_flat(small, large)


def _teams(numbers: range) -> None:
    for k in numbers:
        factories.TeamFactory(name=f"Extra team {k:02}")


def _sectors(numbers: range) -> None:
    for k in numbers:
        Sector.objects.create(code=f"extra-{k:02}", name=f"Extra {k}")


def _benchmarks(numbers: range) -> None:
    for k in numbers:
        sector = Sector.objects.create(code=f"bench-{k:02}", name=f"Bench {k}")
        Benchmark.objects.create(sector=sector, metric=BenchmarkMetric.WIN_RATE, low=0)


# resource → (who lists, how to add rows)
SHARED = {
    "teams": ("admin", _teams),
    "sectors": ("me", _sectors),
    "benchmarks": ("me", _benchmarks),
}


@pytest.mark.parametrize("resource", SHARED)
def test_shared_lists_cost_the_same_at_2_and_20_more_rows(world, listing, resource):
    # given
    viewer, add = SHARED[resource]
    add(range(2))
    small_count, small = listing(world[viewer], resource)
    add(range(2, 20))
    # when
    large_count, large = listing(world[viewer], resource)
    # then
    assert large_count - small_count == 18
    assert_flat(small, large)
