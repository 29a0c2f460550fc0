"""Helpers of the slippage scenario (October 2026, a team in Europe/Berlin), shared by the
team-review report and command tests."""

from datetime import UTC, date, datetime
from decimal import Decimal

from crm import services
from tests import factories


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 10, tzinfo=UTC)  # 12:00 in Berlin, the same day


def prospect(manager, name: str, close: date, value: str):
    return factories.prospect(
        manager,
        name=name,
        created_at=at(9, 1),
        expected_close_date=close,
        expected_value=Decimal(value),
    )


def move(p, to: date, month: int, day: int) -> None:
    services.prospect_change_close_date(
        prospect=p, expected_close_date=to, by=p.owner, at=at(month, day)
    )
