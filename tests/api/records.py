"""One record of each API resource, owned by a given manager and made through the services.

``n`` makes the n-th record of a kind distinct where the domain requires it (plans of one
manager may not overlap, one review per manager and period).
"""

from datetime import date, timedelta

from django.contrib.auth.base_user import AbstractBaseUser

from crm import services
from crm.models import Call, CallOutcome, Contact, Meeting, Prospect, Referral
from funnel import services as funnel_services
from funnel.models import PerformanceReview, Plan
from tests import factories


def prospect(owner: AbstractBaseUser, n: int = 0) -> Prospect:
    return factories.prospect(owner, name=f"Prospect {n}")


def contact(owner: AbstractBaseUser, n: int = 0) -> Contact:
    return factories.contact(prospect(owner, n), name=f"Contact {n}")


def call(owner: AbstractBaseUser, n: int = 0) -> Call:
    return services.call_log(
        manager=owner,
        prospect=prospect(owner, n),
        at=factories.moment(4, 9, n % 60),
        outcome=CallOutcome.NO_ANSWER,
        by=owner,
    )


def meeting(owner: AbstractBaseUser, n: int = 0) -> Meeting:
    first = prospect(owner, n)
    return factories.meeting(first, attendees=[factories.contact(first)])


def referral(owner: AbstractBaseUser, n: int = 0) -> Referral:
    return factories.referral(prospect(owner, n))


def _month(n: int) -> tuple[date, date]:
    year, month = divmod(10 + n, 12)
    start = date(2026 + year, month + 1, 1)
    following = date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return start, following - timedelta(days=1)


def plan(owner: AbstractBaseUser, n: int = 0, *, by: AbstractBaseUser | None = None) -> Plan:
    """A calls target for the n-th month from November 2026."""
    start, end = _month(n)
    return funnel_services.plan_create(
        manager=owner, start=start, end=end, by=by, targets={"calls": 40, "contracts": 2}
    )


def review(
    owner: AbstractBaseUser, n: int = 0, *, by: AbstractBaseUser | None = None
) -> PerformanceReview:
    start, end = _month(n)
    return funnel_services.review_save(
        manager=owner, author=by, period_start=start, period_end=end, notes="Solid month."
    )
