"""Prospect.push_count: how many times its expected close date was moved later, kept by
the services on every close-date change, whichever way it comes (create, update, move)."""

from datetime import UTC, date, datetime
from itertools import pairwise

from crm import services
from crm.models import CloseDateChange, Prospect
from tests import factories


def utc(day: int) -> datetime:
    return datetime(2026, 11, day, 10, tzinfo=UTC)


def pushes(prospect) -> int:
    return Prospect.objects.get(pk=prospect.pk).push_count


def counted(prospect) -> int:
    """Recounted from the rows, as the definition says."""
    return sum(change.is_push for change in CloseDateChange.objects.filter(prospect=prospect))


def test_pushes_count_later_dates_only(manager):
    # given a prospect created with a close date of Dec 10 (a first setting, not a push)
    prospect = services.prospect_create(
        owner=manager,
        name="Acme",
        by=manager,
        created_at=utc(2),
        expected_close_date=date(2026, 12, 10),
    )
    assert pushes(prospect) == 0

    # when the date moves to Dec 20 (push 1), Jan 5 (push 2), back to Dec 30 (a pull-in),
    # to Jan 15 through a plain update (push 3), cleared, then set again (neither a push)
    for day, close in ((3, date(2026, 12, 20)), (4, date(2027, 1, 5)), (5, date(2026, 12, 30))):
        services.prospect_change_close_date(
            prospect=prospect, expected_close_date=close, by=manager, at=utc(day)
        )
    services.prospect_update(
        prospect=prospect, by=manager, data={"expected_close_date": date(2027, 1, 15)}, at=utc(6)
    )
    for day, close in ((7, None), (8, date(2027, 3, 1))):
        services.prospect_change_close_date(
            prospect=prospect, expected_close_date=close, by=manager, at=utc(day)
        )

    # then 3 pushes, as the rows say
    assert pushes(prospect) == 3 == counted(prospect)


def test_the_same_date_again_is_no_change(manager):
    prospect = factories.prospect(manager, created_at=utc(2))
    services.prospect_change_close_date(
        prospect=prospect, expected_close_date=date(2026, 12, 1), by=manager, at=utc(3)
    )
    services.prospect_change_close_date(
        prospect=prospect, expected_close_date=date(2026, 12, 1), by=manager, at=utc(4)
    )
    assert pushes(prospect) == 0 == counted(prospect)


def test_refresh_recounts_rows_written_behind_the_services_back(manager):
    # given pushes recorded by a bulk load that left the counts at 0
    prospect = factories.prospect(manager, created_at=utc(2))
    other = factories.prospect(manager, created_at=utc(2))
    dates = [None, date(2026, 12, 1), date(2026, 12, 9), date(2026, 12, 2), date(2027, 1, 2)]
    CloseDateChange.objects.bulk_create(
        CloseDateChange(prospect=prospect, owner=manager, from_date=before, to_date=after)
        for before, after in pairwise(dates)
    )
    assert pushes(prospect) == 0

    # when the loader recounts
    services.prospect_history_refresh()

    # then 2 pushes (Dec 1 → Dec 9, Dec 2 → Jan 2), and none for the other prospect
    assert (pushes(prospect), pushes(other)) == (2, 0)
    assert pushes(prospect) == counted(prospect)
