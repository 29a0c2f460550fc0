"""FilterSets of the plans, benchmarks and reviews API."""

import django_filters as filters

from crm.filters import FilterSet, IdFilter
from funnel.models import Benchmark, PerformanceReview, Plan


class PlanFilter(FilterSet):
    manager = IdFilter(field_name="manager", label="manager (user id)")
    team = IdFilter(field_name="manager__profile__team", label="team id")
    active_on = filters.DateFilter(method="filter_active_on", label="plans covering this date")

    class Meta:
        model = Plan
        fields = {"start": ["gte", "lte"], "end": ["gte", "lte"]}

    def filter_active_on(self, queryset, name, value):
        return queryset.filter(start__lte=value, end__gte=value)


class BenchmarkFilter(FilterSet):
    sector = filters.CharFilter(field_name="sector__code", label="sector code")

    class Meta:
        model = Benchmark
        fields = ["metric"]


class ReviewFilter(FilterSet):
    manager = IdFilter(field_name="manager", label="manager (user id)")
    team = IdFilter(field_name="manager__profile__team", label="team id")

    class Meta:
        model = PerformanceReview
        fields = {"period_start": ["gte", "lte"]}
