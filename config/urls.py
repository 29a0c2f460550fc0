"""Root URLs: admin, the REST API under /api/, its schema and docs, the calendar feeds."""

from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from crm.auth import TokenView
from crm.rest import api_not_found
from crm.views import (
    CallViewSet,
    ContactViewSet,
    MeetingViewSet,
    MeView,
    ProspectViewSet,
    ReferralViewSet,
    TeamViewSet,
)
from events.views import (
    CalendarTokenView,
    EventViewSet,
    MeetingIcsView,
    TeamCalendarTokenView,
    calendar_page,
    calendar_rotate,
    personal_feed_view,
    team_feed_view,
)
from funnel.views import (
    AlternationReportView,
    BenchmarkViewSet,
    EventsReportView,
    FunnelReportView,
    PlanReportView,
    PlanSuggestView,
    PlanViewSet,
    ReviewViewSet,
    ScorecardReportView,
    SectorViewSet,
    TeamReviewReportView,
)

router = DefaultRouter()
router.register("prospects", ProspectViewSet, basename="prospect")
router.register("contacts", ContactViewSet, basename="contact")
router.register("calls", CallViewSet, basename="call")
router.register("meetings", MeetingViewSet, basename="meeting")
router.register("referrals", ReferralViewSet, basename="referral")
router.register("events", EventViewSet, basename="event")
router.register("plans", PlanViewSet, basename="plan")
router.register("teams", TeamViewSet, basename="team")
router.register("sectors", SectorViewSet, basename="sector")
router.register("benchmarks", BenchmarkViewSet, basename="benchmark")
router.register("reviews", ReviewViewSet, basename="review")

api = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("me/", MeView.as_view(), name="api-me"),
    path("me/calendar-token/", CalendarTokenView.as_view(), name="api-calendar-token"),
    path(
        "teams/<int:pk>/calendar-token/",
        TeamCalendarTokenView.as_view(),
        name="api-team-calendar-token",
    ),
    path("meetings/<int:pk>/ics/", MeetingIcsView.as_view(), name="api-meeting-ics"),
    path("reports/funnel/", FunnelReportView.as_view(), name="report-funnel"),
    path("reports/plan/", PlanReportView.as_view(), name="report-plan"),
    path("reports/scorecard/", ScorecardReportView.as_view(), name="report-scorecard"),
    path("reports/events/", EventsReportView.as_view(), name="report-events"),
    path("reports/team-review/", TeamReviewReportView.as_view(), name="report-team-review"),
    path("reports/alternation/", AlternationReportView.as_view(), name="report-alternation"),
    path("plans/suggest/", PlanSuggestView.as_view(), name="plan-suggest"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include(router.urls)),
    re_path(r"^[\s\S]*$", api_not_found),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include(api)),
    path("api-auth/", include("rest_framework.urls")),
    path("charts/", include("funnel.chart_urls")),
    path("", include("crm.page_urls")),
    path("calendar/", calendar_page, name="calendar-page"),
    path("calendar/new-link/", calendar_rotate, name="calendar-rotate"),
    path("calendar/team/<str:token>.ics", team_feed_view, name="calendar-team-feed"),
    path("calendar/<str:token>.ics", personal_feed_view, name="calendar-feed"),
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
]
