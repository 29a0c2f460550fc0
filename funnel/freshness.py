"""A data generation number: what cached views of the funnel data (the charts) key on.

Every change to a row the charts read bumps the number, so a cached chart of the old
data can no longer be found (it expires on its own). The number lives in Django's cache
under ``KEY``: with ``REDIS_URL`` every worker process shares it; with the default
local-memory cache each process has its own and never hears of another's writes, which
is one reason cached charts also expire after a few minutes (see funnel.chart_views).

Bumped by ``post_save`` and ``post_delete`` of the models in ``WATCHED`` (connected by
``connect()`` in FunnelConfig.ready), once when the row is written and once more when its
transaction commits: a chart computed in between could not see the uncommitted row yet,
and the second bump makes it unreachable.

Only what the charts read is watched. Not Contact nor Meeting.attendees: no chart reads
them (a meeting's ``decision_maker_present`` is a Meeting field), an edit of them would
throw every cached chart away, and an ``m2m_changed`` receiver costs each
``attendees.add()``/``set()`` a query (Django must then look up the existing links).

Not seen (no signal is sent): ``QuerySet.update()``, ``bulk_create()`` and raw SQL. In
crm.services those are ``activity_days_refresh`` (DELETE + INSERT … SELECT of ActivityDay,
UPDATE of Profile.activity_days_tz), ``prospect_activity_refresh`` and
``prospect_history_refresh`` (UPDATE of Prospect caches), ``referral_receive``'s
UPDATE of the referred prospect's source, ``user_create``'s UPDATE of Team.lead and the
calendar token rotations. Each of the first four runs inside a service that also saves
a Call, Meeting, Team, Referral or Profile (which is seen); the demo and bench loaders'
``bulk_create`` loads are not, and the charts' expiry covers them.

ActivityDay is watched on save only: its rows are rewritten by a fast DELETE after every
logged call and held meeting, and a ``post_delete`` receiver would make Django fetch the
rows and send one signal each instead (a Call or Meeting signal always comes with it).

Nothing here raises: a cache that is down means charts are not cached, never that a
write fails.
"""

import logging
import time

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

logger = logging.getLogger(__name__)

KEY = "funnel:generation"

# "app_label.Model" whose saves and deletes change what a chart shows.
WATCHED = (
    "crm.Prospect",
    "crm.StageChange",
    "crm.CloseDateChange",
    "crm.Call",
    "crm.Meeting",
    "crm.Referral",
    "crm.Profile",
    "crm.Team",
    "events.Event",
    "events.EventAttendance",
    "funnel.Plan",
    "funnel.Benchmark",
    "funnel.Sector",
)
SAVED_ONLY = ("crm.ActivityDay",)  # see the module docstring


def _fresh() -> int:
    # A clock value, not 1: when the key was evicted or the cache cleared, a restart at 1
    # could meet entries cached under an old 1, 2, 3…; a later clock value is larger than
    # any number reached before (one bump takes far longer than a nanosecond).
    return time.time_ns()


def generation() -> int | None:
    """The current number (set when missing); None when the cache cannot be read."""
    try:
        value = cache.get(KEY)
        if value is None:
            value = _fresh()
            if not cache.add(KEY, value, timeout=None):
                value = cache.get(KEY)
        return value
    except Exception:
        logger.exception("reading the data generation failed")
        return None


def bump() -> None:
    """Raise the number by one (start it afresh when missing). Never raises."""
    try:
        cache.incr(KEY)
    except ValueError:  # missing: never set, evicted, or the cache was cleared
        try:
            if not cache.add(KEY, _fresh(), timeout=None):
                cache.incr(KEY)
        except Exception:
            logger.exception("bumping the data generation failed")
    except Exception:
        logger.exception("bumping the data generation failed")


def _bump_on_commit() -> None:
    bump()


def _changed(sender, using: str | None = None, **kwargs) -> None:
    bump()
    try:
        connection = transaction.get_connection(using)
        # Once per transaction is enough; outside one there is nothing to wait for.
        if connection.in_atomic_block and not any(
            entry[1] is _bump_on_commit for entry in connection.run_on_commit
        ):
            transaction.on_commit(_bump_on_commit, using=using, robust=True)
    except Exception:
        logger.exception("scheduling the data generation bump failed")


def _user_saved(sender, update_fields=None, **kwargs) -> None:
    # A login saves last_login and nothing a chart shows (usernames are labels).
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return
    _changed(sender, **kwargs)


def connect() -> None:
    """Connect the receivers (idempotent: each has a dispatch uid)."""
    for label in (*WATCHED, *SAVED_ONLY):
        model = apps.get_model(label)
        post_save.connect(_changed, sender=model, dispatch_uid=f"freshness-save-{label}")
    for label in WATCHED:
        model = apps.get_model(label)
        post_delete.connect(_changed, sender=model, dispatch_uid=f"freshness-delete-{label}")
    user = get_user_model()
    post_save.connect(_user_saved, sender=user, dispatch_uid="freshness-save-user")
    post_delete.connect(_changed, sender=user, dispatch_uid="freshness-delete-user")
