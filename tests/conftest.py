"""Shared fixtures: fast password hashing, factories, an API client."""

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import pytest
from django.apps import apps
from django.core import signals
from django.core.cache import cache
from django.db import close_old_connections

from tests import factories

# Every table a service may write to, auto-created M2M tables included.
WRITTEN_APPS = ("auth", "crm", "events", "funnel")


def _row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for app in WRITTEN_APPS
        for model in apps.get_app_config(app).get_models(include_auto_created=True)
    }


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (database ids repeat between tests)."""
    cache.clear()


@pytest.fixture
def nothing_written(db) -> Callable[[], AbstractContextManager[None]]:
    """``with nothing_written():`` fails when the block adds or deletes a row of any table."""

    @contextmanager
    def check() -> Iterator[None]:
        before = _row_counts()
        yield
        after = _row_counts()
        assert after == before, {k: (before[k], after[k]) for k in before if before[k] != after[k]}

    return check


@pytest.fixture
def team(db):
    return factories.TeamFactory()


@pytest.fixture
def manager(team):
    return factories.UserFactory(profile__team=team)


@pytest.fixture
def lead(team):
    return factories.UserFactory(profile__team=team, profile__role="lead")


@pytest.fixture
def stranger(db):
    """A manager of another team."""
    return factories.UserFactory(profile__team=factories.TeamFactory())


@pytest.fixture
def wsgi_test_connection() -> Iterator[None]:
    """Let requests through the real WSGI application keep the test's connection: the app
    closes the connection after each request, which would end the test's transaction
    (Django's own test client switches this off in the same way)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)
