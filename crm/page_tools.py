"""What the web pages of every app share: the user's time zone, page links, the
``datetime-local`` field typed in that zone, and a service's refusal put back on a form.

The pages of crm (home, quick log, prospects), events and funnel (the review) all use
these; none of them calculates anything.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Mapping
from datetime import datetime, tzinfo
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from crm.selectors import profile_of
from crm.zones import named_zone

LOCAL_MINUTE = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends and shows
PERIOD_PARAMS = ("period", "start", "end")  # the reports' period parameters


def user_zone(user: AbstractBaseUser) -> tzinfo:
    """The user's own time zone, else their team's, else the server's."""
    profile = profile_of(user)
    name = profile.effective_timezone if profile else settings.TIME_ZONE
    try:
        return named_zone(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return named_zone(settings.TIME_ZONE)


def page_url(name: str, *args: Any, query: Mapping[str, Any] | None = None) -> str:
    """The URL of a page with the query's non-empty values."""
    url = reverse(name, args=args)
    kept = {key: value for key, value in (query or {}).items() if value not in (None, "")}
    return f"{url}?{urlencode(kept)}" if kept else url


def local_next(request: HttpRequest, raw: str | None, fallback: str) -> str:
    """Where to go after a POST: ``raw`` (a form's ``next``) when it is a URL of this site,
    else ``fallback``."""
    if raw and url_has_allowed_host_and_scheme(
        raw, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return raw
    return fallback


class LocalDateTimeField(forms.DateTimeField):
    """A ``datetime-local`` input read and shown in the given zone, whatever the active
    time zone of the request (a page may show the forms of another)."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_MINUTE)

    def __init__(self, *, zone: tzinfo, **kwargs: Any) -> None:
        self.zone = zone
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, datetime) and timezone.is_aware(value):
            return timezone.localtime(value, self.zone).replace(tzinfo=None)
        return value

    def to_python(self, value: Any) -> datetime | None:
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            moment = value
        else:
            try:
                moment = datetime.fromisoformat(str(value).strip())
            except ValueError:
                raise ValidationError(
                    "Give a date and time such as 2026-11-23T10:00.", code="invalid"
                ) from None
        if timezone.is_naive(moment):
            moment = moment.replace(tzinfo=self.zone)
        return moment


def put_service_errors(
    form: forms.Form,
    error: ValidationError,
    *,
    aliases: Mapping[str, str] | None = None,
    name_others: bool = False,
) -> None:
    """A service's ValidationError back on the form: each message next to the field it
    names (``aliases`` maps a service's field to the form's), the rest above the form,
    prefixed with the field they are about when ``name_others`` (a period's dates)."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    aliases = aliases or {}
    for field, messages in error.message_dict.items():
        name = aliases.get(field, field)
        if name in form.fields:
            form.add_error(name, messages)
        elif name_others and field not in (NON_FIELD_ERRORS, None):
            form.add_error(None, [f"{field.replace('_', ' ')}: {text}" for text in messages])
        else:
            form.add_error(None, messages)
