"""Events API, and the calendar: subscription feeds, one-off .ics downloads, the page
with the feed links."""

import gc
import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from crm import services as crm_services
from crm.models import Role, Team
from crm.selectors import profile_of, role_of, team_id_of, visible_meetings
from crm.viewsets import ServiceModelViewSet
from events import feeds, services
from events.filters import EventFilter
from events.ics import build_calendar
from events.models import AttendanceStatus
from events.selectors import visible_events
from events.serializers import AttendSerializer, EventSerializer

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "testserver", "[::1]"})
FEED_CACHE_SECONDS = 600
ICS_DOWNLOAD_HELP = "An iCalendar file (text/calendar) to open in a calendar or send on."


class EventViewSet(ServiceModelViewSet):
    """Company-wide events and the caller's team's. Anyone may add a team event and say
    they go; changing or deleting one is for its creator, the team's lead and admins."""

    serializer_class = EventSerializer
    filterset_class = EventFilter
    ordering_fields = ["starts_at", "cost", "name"]
    ordering = ["starts_at", "id"]

    def scope(self, user):
        going = Q(attendances__status__in=[AttendanceStatus.PLANNED, AttendanceStatus.ATTENDED])
        return visible_events(user).annotate(attending=Count("attendances", filter=going))

    def get_object(self):
        event = super().get_object()
        if self.request.method not in ("GET", "HEAD", "OPTIONS") and self.action != "attend":
            user = self.request.user
            role = role_of(user)
            may_edit = (
                role == Role.ADMIN
                or event.created_by_id == user.pk
                or (role == Role.LEAD and event.team_id == team_id_of(user))
            )
            if not may_edit:
                self.permission_denied(
                    self.request, message="Only its creator, the team lead or an admin can."
                )
        return event

    def create_object(self, data):
        user = self.request.user
        if role_of(user) == Role.ADMIN:
            team = data.pop("team", None)
        else:
            team = data.pop("team", None) or user.profile.team
            if team is None or team.pk != team_id_of(user):
                raise ValidationError({"team": ["Add events for your own team."]})
        event = services.event_create(by=user, team=team, **data)
        return self.get_queryset().get(pk=event.pk)

    def update_object(self, instance, data):
        services.event_update(event=instance, data=data)
        return self.get_queryset().get(pk=instance.pk)

    def perform_destroy(self, instance):
        services.event_delete(event=instance)

    @extend_schema(request=AttendSerializer, responses=EventSerializer)
    @action(detail=True, methods=["post"])
    def attend(self, request, pk=None):
        """Say that you plan to go, went, or no longer go."""
        event = self.get_object()
        data = self.action_data(AttendSerializer)
        services.event_attend(event=event, manager=request.user, status=data["status"])
        return self.respond_with(self.get_queryset().get(pk=event.pk))

    @extend_schema(
        request=None,
        responses={200: OpenApiResponse(OpenApiTypes.BINARY, description=ICS_DOWNLOAD_HELP)},
    )
    @action(detail=True, methods=["get"])
    def ics(self, request, pk=None):
        """The event as an invitation (METHOD:REQUEST, with everyone who goes), or as a
        cancellation (METHOD:CANCEL) when you no longer go."""
        event = self.get_object()
        profile = profile_of(request.user)
        zone = profile.effective_timezone if profile else "UTC"
        feed = feeds.event_feed(event, request.user, link=_links(request), zone=zone)
        cancelled = feed.items[0].status == "cancelled"
        return _download(feed, f"event-{event.pk}.ics", "CANCEL" if cancelled else "REQUEST")


# --- the calendar ------------------------------------------------------------------------------


class MeetingIcsView(APIView):
    """A meeting as an invitation to its contacts (METHOD:REQUEST), or as a cancellation
    (METHOD:CANCEL) once it is cancelled: same UID, higher SEQUENCE, so the copy in their
    calendars moves or disappears."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="meetings_ics",
        responses={200: OpenApiResponse(OpenApiTypes.BINARY, description=ICS_DOWNLOAD_HELP)},
    )
    def get(self, request, pk: int):
        meeting = get_object_or_404(visible_meetings(request.user), pk=pk)
        feed = feeds.meeting_feed(meeting, link=_links(request))
        method = "CANCEL" if meeting.status == "cancelled" else "REQUEST"
        return _download(feed, f"meeting-{meeting.pk}.ics", method)


class CalendarTokenView(APIView):
    """Rotate your personal feed's secret: the old link stops working at once."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=None, responses={200: OpenApiTypes.OBJECT})
    def post(self, request):
        profile = profile_of(request.user)
        if profile is None:
            raise Http404
        token = crm_services.calendar_token_rotate(user=request.user)
        return Response(feed_links(request, "calendar-feed", token))


class TeamCalendarTokenView(APIView):
    """Rotate your team's feed secret (the team's lead, or an admin)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=None, responses={200: OpenApiTypes.OBJECT})
    def post(self, request, pk: int):
        team = _led_team(request.user, pk)
        token = crm_services.team_calendar_token_rotate(team=team)
        return Response(feed_links(request, "calendar-team-feed", token))


def _led_team(user, pk: int) -> Team:
    """The team when the user leads it or is an admin; otherwise a 404, as for a team the
    user cannot see."""
    team = Team.objects.filter(pk=pk).first()
    role = role_of(user)
    if team is None or not (
        role == Role.ADMIN or (role == Role.LEAD and team.pk == team_id_of(user))
    ):
        raise Http404
    return team


def feed_links(request: HttpRequest, name: str, token: str) -> dict[str, str]:
    """The https link to copy and the webcal:// link that opens a calendar app."""
    https = absolute_https(request, reverse(name, args=[token]))
    return {"https": https, "webcal": "webcal://" + https.split("://", 1)[1]}


def absolute_https(request: HttpRequest, path: str) -> str:
    """An absolute URL on this site, https unless the site is a local address (the demo)."""
    url = request.build_absolute_uri(path)
    host = request.get_host().split(":")[0]
    if url.startswith("http://") and host not in LOCAL_HOSTS:
        url = "https://" + url.removeprefix("http://")
    return url


@require_http_methods(["GET", "HEAD"])
def personal_feed_view(request: HttpRequest, token: str) -> HttpResponse:
    """``/calendar/<token>.ics``: no login, the token is the secret. Any token that is not
    a current one (wrong, rotated, a deactivated user's) is the same plain 404."""
    profile = feeds.profile_for_token(token)
    if profile is None:
        return _no_feed()
    window = _window(request)
    if isinstance(window, HttpResponse):
        return window
    return _subscription(
        request,
        ("personal", profile.pk, feeds.personal_version(profile, window)),
        lambda: feeds.personal_feed(profile, window, link=_links(request)),
        f"funnelbook-{profile.user.get_username()}.ics",
    )


@require_http_methods(["GET", "HEAD"])
def team_feed_view(request: HttpRequest, token: str) -> HttpResponse:
    """``/calendar/team/<token>.ics``: every member's meetings and events, for the lead."""
    team = feeds.team_for_token(token)
    if team is None:
        return _no_feed()
    window = _window(request)
    if isinstance(window, HttpResponse):
        return window
    return _subscription(
        request,
        ("team", team.pk, feeds.team_version(team, window)),
        lambda: feeds.team_feed(team, window, link=_links(request)),
        f"funnelbook-team-{team.pk}.ics",
    )


@login_required
@require_GET
def calendar_page(request: HttpRequest) -> HttpResponse:
    """The user's calendar links: copy the https one, or open the webcal:// one."""
    profile = profile_of(request.user)
    context = {"personal": None, "team": None}
    if profile is not None:
        context["personal"] = feed_links(request, "calendar-feed", profile.calendar_token)
        if role_of(request.user) == Role.LEAD and profile.team_id:
            context["team"] = feed_links(
                request, "calendar-team-feed", profile.team.team_calendar_token
            )
            context["team_name"] = profile.team.name
            context["team_id"] = profile.team_id
    context["past_days"] = feeds.DEFAULT_PAST_DAYS
    context["ahead_days"] = feeds.DEFAULT_AHEAD_DAYS
    return render(request, "events/calendar.html", context)


@login_required
@require_POST
def calendar_rotate(request: HttpRequest) -> HttpResponse:
    """The page's "new link" buttons: the personal feed, or (for its lead) the team's."""
    if request.POST.get("feed") == "team":
        crm_services.team_calendar_token_rotate(
            team=_led_team(request.user, team_id_of(request.user) or 0)
        )
    else:
        if profile_of(request.user) is None:
            raise Http404
        crm_services.calendar_token_rotate(user=request.user)
    return redirect("calendar-page")


def _links(request: HttpRequest):
    return feeds.link_builder(absolute_https(request, "/"))


def _window(request: HttpRequest) -> feeds.Window | HttpResponse:
    """``past`` and ``ahead``: whole days before and after now (default 90 and 365)."""
    days = {}
    for name, default in (("past", feeds.DEFAULT_PAST_DAYS), ("ahead", feeds.DEFAULT_AHEAD_DAYS)):
        raw = request.GET.get(name, "")
        if raw == "":
            days[name] = default
            continue
        if not raw.isdigit() or int(raw) > feeds.MAX_WINDOW_DAYS:
            return HttpResponse(
                f"{name}: give whole days from 0 to {feeds.MAX_WINDOW_DAYS} "
                f"(default {default}), not {raw!r}.\n",
                status=400,
                content_type="text/plain; charset=utf-8",
            )
        days[name] = int(raw)
    return feeds.Window.around(feeds.now(), past_days=days["past"], ahead_days=days["ahead"])


def _no_feed() -> HttpResponse:
    return HttpResponse(
        "No calendar feed here.\n", status=404, content_type="text/plain; charset=utf-8"
    )


def _subscription(
    request: HttpRequest, version: tuple, build: Callable[[], feeds.Feed], filename: str
) -> HttpResponse:
    """The feed with ETag and Last-Modified; 304 when the client's copy is current.

    Clients poll every few minutes, so a built feed is cached under its version (what its
    bytes depend on, read in one query of aggregates; see ``feeds.personal_version``), the
    window asked for and this site's address: while nothing changes, a poll costs the
    token, the version and a cache read, and a client that sends the ETag back gets a 304
    without the body being read at all. An entry lives ``FEED_CACHE_SECONDS`` at most.

    The ETag is a hash of the bytes, so any change shows, a deleted meeting included.
    Last-Modified is the newest change of a row in the feed; a deletion does not move it,
    which is why the ETag wins when a client sends both (as Google, Apple and Thunderbird
    do)."""
    address = (
        request.scheme,
        request.get_host(),
        request.GET.get("past"),
        request.GET.get("ahead"),
    )
    key = "calendar-feed:" + hashlib.sha256(repr((version, address)).encode()).hexdigest()
    meta = cache.get(key + ":meta")
    if meta is not None:
        answer = get_conditional_response(request, etag=meta[0], last_modified=meta[1])
        if answer is not None:
            return _feed_headers(answer, *meta, filename)
        body = cache.get(key + ":body")
        if body is not None:
            return _feed_answer(request, body, *meta, filename)
    with _collector_paused():
        feed = build()
        # Each DTSTAMP is its event's last change, not the time of the request, so
        # unchanged data gives unchanged bytes (and the same ETag), and unchanged events
        # are not written again.
        body = build_calendar(feed.items, name=feed.name, timezone=feed.timezone, stamp=None)
    last_modified = feed.last_modified
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    stamp = int(last_modified.timestamp()) if last_modified else None
    cache.set_many({key + ":meta": (etag, stamp), key + ":body": body}, FEED_CACHE_SECONDS)
    return _feed_answer(request, body, etag, stamp, filename)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off while a feed is built.

    A big feed makes a few objects per event (rows, items, lines: some 100,000 for a year
    of a busy manager), none of them in a reference cycle, so reference counting frees
    them all; but every 700 new objects start a collection, and the occasional full one
    walks every object of the process. That was a fifth of a big feed's time. It is
    switched back on afterwards (and left on when another request had it off)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _feed_answer(
    request: HttpRequest, body: bytes, etag: str, stamp: int | None, filename: str
) -> HttpResponse:
    response = _feed_headers(
        HttpResponse(body, content_type="text/calendar; charset=utf-8"), etag, stamp, filename
    )
    return get_conditional_response(request, etag=etag, last_modified=stamp, response=response)


def _feed_headers(
    response: HttpResponse, etag: str, stamp: int | None, filename: str
) -> HttpResponse:
    response["ETag"] = etag
    if stamp is not None:
        response["Last-Modified"] = http_date(stamp)
    if response.status_code == 200:
        response["Content-Disposition"] = f'inline; filename="{filename}"'
    # Polled every few minutes; always revalidate (cheap with the ETag), never shared.
    response["Cache-Control"] = "private, no-cache"
    response["X-Robots-Tag"] = "noindex"
    return response


def _download(feed: feeds.Feed, filename: str, method: str) -> HttpResponse:
    body = build_calendar(
        feed.items,
        name=feed.name,
        timezone=feed.timezone,
        method=method,
        stamp=timezone.now(),
    )
    response = HttpResponse(body, content_type=f"text/calendar; charset=utf-8; method={method}")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
