"""API of sectors, benchmarks, plans, performance reviews and the reports."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.models import Role
from crm.selectors import owner_filter, role_of
from crm.viewsets import ServiceModelViewSet
from funnel import report_schemas, reports, services, suggest
from funnel.filters import BenchmarkFilter, PlanFilter, ReviewFilter
from funnel.models import Benchmark, PerformanceReview, Plan, Sector
from funnel.serializers import (
    BenchmarkSerializer,
    PlanSerializer,
    ReviewSerializer,
    SectorSerializer,
)

LEADS = frozenset({Role.LEAD, Role.ADMIN})


def _not_self(user, manager) -> None:
    # A lead sets their managers' plans, not their own; admins may set anyone's.
    if role_of(user) != Role.ADMIN and manager.pk == user.pk:
        raise ValidationError({"manager": ["Your own plan is set by an admin."]})


class PlanViewSet(ServiceModelViewSet):
    """Personal targets. Managers read their own; leads set their team's."""

    serializer_class = PlanSerializer
    filterset_class = PlanFilter
    ordering_fields = ["start", "end"]
    ordering = ["-start", "manager_id"]
    write_roles = LEADS

    def scope(self, user):
        return Plan.objects.filter(owner_filter(user, "manager"))

    def create_object(self, data):
        manager = data.pop("manager")
        _not_self(self.request.user, manager)
        return services.plan_create(
            manager=manager,
            start=data.pop("start"),
            end=data.pop("end"),
            by=self.request.user,
            targets=data,
        )

    def update_object(self, instance, data):
        _not_self(self.request.user, instance.manager)
        return services.plan_update(plan=instance, by=self.request.user, data=data)

    def perform_destroy(self, instance):
        _not_self(self.request.user, instance.manager)
        instance.delete()


class ReviewViewSet(ServiceModelViewSet):
    """A lead's notes on a manager's period; the manager can read their own."""

    serializer_class = ReviewSerializer
    filterset_class = ReviewFilter
    ordering_fields = ["period_start"]
    ordering = ["-period_start", "manager_id"]
    write_roles = LEADS

    def scope(self, user):
        return PerformanceReview.objects.filter(owner_filter(user, "manager"))

    def create_object(self, data):
        _not_self(self.request.user, data["manager"])
        return services.review_save(author=self.request.user, **data)

    def update_object(self, instance, data):
        merged = {
            "manager": instance.manager,
            "period_start": instance.period_start,
            "period_end": instance.period_end,
            "notes": instance.notes,
            **data,
        }
        _not_self(self.request.user, merged["manager"])
        return services.review_update(review=instance, author=self.request.user, **merged)


class SectorViewSet(ServiceModelViewSet):
    """Sectors: everyone reads, admins write."""

    serializer_class = SectorSerializer
    ordering = ["code"]
    write_roles = frozenset({Role.ADMIN})

    def scope(self, user):
        return Sector.objects.all() if role_of(user) else Sector.objects.none()

    def create_object(self, data):
        return services.sector_save(sector=None, data=data)

    def update_object(self, instance, data):
        return services.sector_save(sector=instance, data=data)

    def perform_destroy(self, instance):
        services.sector_delete(sector=instance)


class BenchmarkViewSet(ServiceModelViewSet):
    """Benchmarks per sector and metric: everyone reads, admins write."""

    serializer_class = BenchmarkSerializer
    filterset_class = BenchmarkFilter
    ordering = ["sector__code", "metric"]
    write_roles = frozenset({Role.ADMIN})

    def scope(self, user):
        if not role_of(user):
            return Benchmark.objects.none()
        return Benchmark.objects.all()

    def create_object(self, data):
        return services.benchmark_save(benchmark=None, data=data)

    def update_object(self, instance, data):
        return services.benchmark_save(benchmark=instance, data=data)


REPORT_PARAMETERS = [
    OpenApiParameter("manager", int, description="one manager's id"),
    OpenApiParameter("team", int, description="one team's id"),
    OpenApiParameter("period", str, description="2026-11, 2026-Q4 or 2026-W47"),
    OpenApiParameter("start", OpenApiTypes.DATE, description="with end, inclusive"),
    OpenApiParameter("end", OpenApiTypes.DATE, description="with start, inclusive"),
]


class PlanReportView(APIView):
    """SPEC 3.4 plan attainment, overage, pace and status per manager and metric; team
    attainment as Σactual/Σtarget; who exceeded their plan and by how much."""

    @extend_schema(parameters=REPORT_PARAMETERS, responses={200: report_schemas.PLAN_REPORT})
    def get(self, request):
        return Response(reports.plan_report(request.user, request.query_params))


class AlternationReportView(APIView):
    """SPEC 3.9 meeting/call alternation per manager, with the call/meeting day strip."""

    @extend_schema(parameters=REPORT_PARAMETERS, responses={200: report_schemas.ALTERNATION_REPORT})
    def get(self, request):
        return Response(reports.alternation_report(request.user, request.query_params))


class EventsReportView(APIView):
    """SPEC 3.8 events ROI: attendance, prospects sourced, held meetings, contracts,
    revenue, cost per prospect and per contract (null when the count is 0)."""

    @extend_schema(parameters=REPORT_PARAMETERS, responses={200: report_schemas.EVENTS_REPORT})
    def get(self, request):
        return Response(reports.events_report(request.user, request.query_params))


class ScorecardReportView(APIView):
    """Every metric of SPEC section 3 for each manager in scope (funnel, win rate, cycle,
    velocity, activity per working day, plan attainment, slippage, decision-maker reach,
    stalled and stale deals, referrals, alternation, coverage), with benchmark ratings, and
    the team or company totals."""

    @extend_schema(parameters=REPORT_PARAMETERS, responses={200: report_schemas.SCORECARD_REPORT})
    def get(self, request):
        return Response(reports.scorecard_report(request.user, request.query_params))


class TeamReviewReportView(APIView):
    """The lead's monthly review: plan attainment and overage per manager, who exceeded,
    slippage with late slips and the postponing flag, unreliable close dates."""

    @extend_schema(parameters=REPORT_PARAMETERS, responses={200: report_schemas.TEAM_REVIEW_REPORT})
    def get(self, request):
        return Response(reports.team_review_report(request.user, request.query_params))


class FunnelReportView(APIView):
    """SPEC 3.1 funnel for a scope (``manager`` or ``team``) and a period.

    ``view=cohort`` (default): prospects created in the period by the furthest stage they
    ever reached. ``view=flow``: prospects that entered each stage for the first time
    during the period, whenever created.
    """

    @extend_schema(
        parameters=[
            *REPORT_PARAMETERS,
            OpenApiParameter("view", str, enum=list(reports.VIEWS)),
        ],
        responses={200: report_schemas.FUNNEL_REPORT},
    )
    def get(self, request):
        return Response(reports.funnel_report(request.user, request.query_params))


class PlanSuggestView(APIView):
    """SPEC 3.11 suggested personal targets for one manager's plan: the mean of their last 3
    full periods * (1 + growth), or for a new hire the team median * the ramp (50% / 75% /
    100%). ``manager`` is required; the period defaults to the one after the current month.
    """

    @extend_schema(
        parameters=[
            OpenApiParameter("manager", int, required=True, description="the manager's id"),
            OpenApiParameter(
                "period", str, description="2026-12, 2027-Q1 or 2026-W48; default next month"
            ),
            OpenApiParameter("start", OpenApiTypes.DATE, description="with end, inclusive"),
            OpenApiParameter("end", OpenApiTypes.DATE, description="with start, inclusive"),
            OpenApiParameter(
                "growth", str, description="a ratio above -1 and at most 1; default 0.10"
            ),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        return Response(suggest.plan_suggestion(request.user, request.query_params))
