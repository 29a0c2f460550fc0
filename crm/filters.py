"""django-filter FilterSets of the CRM API. Filters narrow what the caller may already see:
naming another team's manager gives an empty list, never their data."""

from datetime import UTC

import django_filters as filters
from django import forms
from django.db import models

from crm.models import Call, Contact, Meeting, Prospect, Referral, Team

# The range of a 64-bit id column: a larger number would overflow the database driver.
MAX_ID = 2**63 - 1


class IdFilter(filters.NumberFilter):
    """A whole number from 1 to MAX_ID; anything else (1.5, abc, 10**20) is a 400.

    A plain number, not a choice among all rows: an unknown id must not answer
    differently from an id outside the caller's scope (both give an empty list).
    """

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)

    def get_max_validator(self):
        return None  # max_value above is the bound


def _id(field: str, label: str) -> IdFilter:
    return IdFilter(field_name=field, label=label)


class YesNoField(forms.Field):
    widget = forms.TextInput

    def to_python(self, value):
        if value in (None, ""):
            return None
        text = str(value).strip().lower()
        if text in ("true", "1"):
            return True
        if text in ("false", "0"):
            return False
        raise forms.ValidationError("Use true or false.", code="invalid")


class YesNoFilter(filters.BooleanFilter):
    """true or false (1 or 0); anything else is a 400 rather than a filter silently ignored."""

    field_class = YesNoField


class MomentField(forms.DateTimeField):
    def to_python(self, value):
        moment = super().to_python(value)
        if moment is None:
            return None
        try:
            # In UTC: the database may not accept every offset Python does (PostgreSQL
            # stops at ±15:59, ISO 8601 allows +20:55).
            return moment.astimezone(UTC)
        except OverflowError:
            raise forms.ValidationError("Give a time between the years 1 and 9999.") from None


class MomentFilter(filters.DateTimeFilter):
    """A time the database can compare: 9999-12-31T23:00-05:00 is past the end of UTC."""

    field_class = MomentField


class FilterSet(filters.FilterSet):
    """The FilterSet of the API: a bad value of any filter is a 400, never a 500."""

    FILTER_DEFAULTS = {
        **filters.FilterSet.FILTER_DEFAULTS,
        models.DateTimeField: {"filter_class": MomentFilter},
    }


class ProspectFilter(FilterSet):
    owner = _id("owner", "owner (user id)")
    source_event = _id("source_event", "source event id")
    team = _id("owner__profile__team", "team id")
    name = filters.CharFilter(lookup_expr="icontains", label="name contains")
    open = YesNoFilter(method="filter_open", label="open (not signed or lost)")

    class Meta:
        model = Prospect
        fields = {
            "stage": ["exact", "in"],
            "source": ["exact"],
            "created_at": ["gte", "lte"],
            "signed_on": ["gte", "lte"],
            "lost_on": ["gte", "lte"],
            "expected_close_date": ["gte", "lte"],
        }

    def filter_open(self, queryset, name, value):
        open_stages = ["lead", "contacted", "meeting", "proposal"]
        if value is None:
            return queryset
        return (
            queryset.filter(stage__in=open_stages)
            if value
            else queryset.exclude(stage__in=open_stages)
        )


class ContactFilter(FilterSet):
    prospect = _id("prospect", "prospect id")
    name = filters.CharFilter(lookup_expr="icontains", label="name contains")
    email = filters.CharFilter(lookup_expr="iexact")
    is_decision_maker = YesNoFilter()

    class Meta:
        model = Contact
        fields = ["is_decision_maker"]


class CallFilter(FilterSet):
    manager = _id("manager", "manager (user id)")
    prospect = _id("prospect", "prospect id")
    team = _id("manager__profile__team", "team id")

    class Meta:
        model = Call
        fields = {
            "outcome": ["exact", "in"],
            "kind": ["exact"],
            "direction": ["exact"],
            "at": ["gte", "lte"],
        }


class MeetingFilter(FilterSet):
    manager = _id("manager", "manager (user id)")
    prospect = _id("prospect", "prospect id")
    team = _id("manager__profile__team", "team id")
    decision_maker_present = YesNoFilter()

    class Meta:
        model = Meeting
        fields = {
            "status": ["exact", "in"],
            "starts_at": ["gte", "lte"],
        }


class ReferralFilter(FilterSet):
    manager = _id("manager", "manager (user id)")
    from_prospect = _id("from_prospect", "prospect asked")
    team = _id("manager__profile__team", "team id")

    class Meta:
        model = Referral
        fields = {
            "status": ["exact"],
            "asked_on": ["gte", "lte"],
            "answered_on": ["gte", "lte"],
        }


class TeamFilter(FilterSet):
    name = filters.CharFilter(lookup_expr="icontains", label="name contains")

    class Meta:
        model = Team
        fields = ["sector"]
