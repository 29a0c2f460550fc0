"""FilterSets of the events API."""

import django_filters as filters

from crm.filters import FilterSet, IdFilter
from events.models import Event


class EventFilter(FilterSet):
    name = filters.CharFilter(lookup_expr="icontains", label="name contains")
    team = IdFilter(field_name="team", label="team id")
    attended_by = IdFilter(
        field_name="attendances__manager", label="attended by (user id)", distinct=True
    )

    class Meta:
        model = Event
        fields = {"kind": ["exact", "in"], "starts_at": ["gte", "lte"]}
