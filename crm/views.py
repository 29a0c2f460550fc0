"""CRM API: thin viewsets that parse input, call a service or a selector, and answer."""

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, status
from rest_framework.decorators import action
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from crm import selectors, services
from crm.filters import (
    CallFilter,
    ContactFilter,
    MeetingFilter,
    ProspectFilter,
    ReferralFilter,
    TeamFilter,
)
from crm.models import Role
from crm.rest import ErrorSerializer
from crm.serializers import (
    CalendarParser,
    CallSerializer,
    ContactSerializer,
    DeclineSerializer,
    HoldSerializer,
    ImportIcsSerializer,
    LoseSerializer,
    MeetingSerializer,
    MeSerializer,
    MoveSerializer,
    ProspectSerializer,
    ReceiveSerializer,
    ReferralSerializer,
    RescheduleSerializer,
    SignSerializer,
    TeamSerializer,
)
from crm.viewsets import ServiceModelViewSet
from events.views import feed_links


def _owner(data: dict, user) -> object:
    """A record's manager: the one named (already limited to the caller's scope) or the caller."""
    return data.pop("owner", None) or data.pop("manager", None) or user


class ProspectViewSet(ServiceModelViewSet):
    serializer_class = ProspectSerializer
    filterset_class = ProspectFilter
    ordering_fields = ["created_at", "name", "expected_close_date", "expected_value", "stage"]
    ordering = ["-created_at", "-id"]

    def scope(self, user):
        return selectors.visible_prospects(user).select_related("referral")

    def create_object(self, data):
        return services.prospect_create(
            owner=_owner(data, self.request.user), by=self.request.user, **data
        )

    def update_object(self, instance, data):
        return services.prospect_update(prospect=instance, by=self.request.user, data=data)

    @extend_schema(request=MoveSerializer, responses=ProspectSerializer)
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        prospect = self.get_object()
        data = self.action_data(MoveSerializer)
        prospect = services.prospect_move(
            prospect=prospect, to_stage=data["stage"], by=request.user
        )
        return self.respond_with(prospect)

    @extend_schema(request=SignSerializer, responses=ProspectSerializer)
    @action(detail=True, methods=["post"])
    def sign(self, request, pk=None):
        prospect = self.get_object()
        data = self.action_data(SignSerializer)
        prospect = services.prospect_sign(prospect=prospect, by=request.user, **data)
        return self.respond_with(prospect)

    @extend_schema(request=LoseSerializer, responses=ProspectSerializer)
    @action(detail=True, methods=["post"])
    def lose(self, request, pk=None):
        prospect = self.get_object()
        data = self.action_data(LoseSerializer)
        prospect = services.prospect_lose(prospect=prospect, by=request.user, **data)
        return self.respond_with(prospect)

    @extend_schema(request=None, responses=ProspectSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        prospect = services.prospect_reopen(prospect=self.get_object(), by=request.user)
        return self.respond_with(prospect)


class ContactViewSet(ServiceModelViewSet):
    serializer_class = ContactSerializer
    filterset_class = ContactFilter
    ordering_fields = ["name", "created_at"]
    ordering = ["name", "id"]

    def scope(self, user):
        return selectors.visible_contacts(user)

    def create_object(self, data):
        return services.contact_create(**data)

    def update_object(self, instance, data):
        return services.contact_update(contact=instance, data=data)


class CallViewSet(ServiceModelViewSet):
    serializer_class = CallSerializer
    filterset_class = CallFilter
    ordering_fields = ["at", "duration"]
    ordering = ["-at", "-id"]

    def scope(self, user):
        return selectors.visible_calls(user)

    def create_object(self, data):
        return services.call_log(
            manager=_owner(data, self.request.user), by=self.request.user, **data
        )

    def update_object(self, instance, data):
        return services.call_update(call=instance, data=data)

    def perform_destroy(self, instance):
        services.call_delete(call=instance)


class MeetingViewSet(ServiceModelViewSet):
    serializer_class = MeetingSerializer
    filterset_class = MeetingFilter
    ordering_fields = ["starts_at", "status"]
    ordering = ["starts_at", "id"]

    def scope(self, user):
        return selectors.visible_meetings(user).prefetch_related("attendees")

    def create_object(self, data):
        data.pop("decision_maker_present", None)  # known only once the meeting is held
        return services.meeting_plan(
            manager=_owner(data, self.request.user), by=self.request.user, **data
        )

    def update_object(self, instance, data):
        return services.meeting_update(meeting=instance, data=data)

    def perform_destroy(self, instance):
        services.meeting_delete(meeting=instance)

    def _answer(self, meeting):
        return self.respond_with(self.get_queryset().get(pk=meeting.pk))

    @extend_schema(request=HoldSerializer, responses=MeetingSerializer)
    @action(detail=True, methods=["post"])
    def hold(self, request, pk=None):
        meeting = self.get_object()
        data = self.action_data(HoldSerializer)
        return self._answer(services.meeting_hold(meeting=meeting, by=request.user, **data))

    @extend_schema(request=None, responses=MeetingSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._answer(services.meeting_cancel(meeting=self.get_object(), by=request.user))

    @extend_schema(request=None, responses=MeetingSerializer)
    @action(detail=True, methods=["post"], url_path="no-show")
    def no_show(self, request, pk=None):
        return self._answer(services.meeting_no_show(meeting=self.get_object(), by=request.user))

    @extend_schema(request=RescheduleSerializer, responses=MeetingSerializer)
    @action(detail=True, methods=["post"])
    def reschedule(self, request, pk=None):
        meeting = self.get_object()
        data = self.action_data(RescheduleSerializer)
        meeting = services.meeting_reschedule(meeting=meeting, by=request.user, **data)
        return self._answer(meeting)

    @extend_schema(
        request={
            "multipart/form-data": ImportIcsSerializer,
            "text/calendar": OpenApiTypes.BINARY,
        },
        parameters=[
            OpenApiParameter(
                name, int, description=f"With a raw text/calendar body: the {name} field."
            )
            for name in ("manager", "prospect")
        ],
        responses={201: MeetingSerializer, 200: MeetingSerializer},
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import-ics",
        parser_classes=[MultiPartParser, FormParser, JSONParser, CalendarParser],
    )
    def import_ics(self, request):
        """Log an invitation (.ics from Outlook or Google Calendar) as a planned meeting.

        Upload it as the multipart field ``file``, or send it raw as ``text/calendar``. The
        prospect is the one whose contacts' e-mails are on the invitation, or ``prospect``.
        201 with the new meeting; 200 with the updated one when its UID was imported before
        (moved, cancelled or edited by the sender). A file that cannot be logged is a 400
        saying why, on ``file`` or ``prospect``, and nothing is written.
        """
        data = self.action_data(ImportIcsSerializer)
        meeting, created = services.meeting_import(
            manager=_owner(data, request.user), by=request.user, **data
        )
        return self.respond_with(
            self.get_queryset().get(pk=meeting.pk),
            status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class ReferralViewSet(ServiceModelViewSet):
    serializer_class = ReferralSerializer
    filterset_class = ReferralFilter
    ordering_fields = ["asked_on", "answered_on"]
    ordering = ["-asked_on", "-id"]

    def scope(self, user):
        return selectors.visible_referrals(user)

    def create_object(self, data):
        return services.referral_ask(
            manager=_owner(data, self.request.user), by=self.request.user, **data
        )

    def update_object(self, instance, data):
        return services.referral_update(referral=instance, data=data)

    @extend_schema(request=ReceiveSerializer, responses=ReferralSerializer)
    @action(detail=True, methods=["post"])
    def receive(self, request, pk=None):
        referral = self.get_object()
        data = self.action_data(ReceiveSerializer)
        referral = services.referral_receive(referral=referral, by=request.user, **data)
        return self.respond_with(referral)

    @extend_schema(request=DeclineSerializer, responses=ReferralSerializer)
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        referral = self.get_object()
        data = self.action_data(DeclineSerializer)
        referral = services.referral_decline(referral=referral, by=request.user, **data)
        return self.respond_with(referral)


class TeamViewSet(ServiceModelViewSet):
    """Teams: members see their own; only admins create or change teams."""

    serializer_class = TeamSerializer
    filterset_class = TeamFilter
    ordering_fields = ["name"]
    ordering = ["name"]
    write_roles = frozenset({Role.ADMIN})

    def scope(self, user):
        return selectors.visible_teams(user)

    def create_object(self, data):
        return services.team_create(timezone_name=data.pop("timezone", "UTC"), **data)

    def update_object(self, instance, data):
        return services.team_update(team=instance, data=data)

    def perform_destroy(self, instance):
        services.team_delete(team=instance)


class MeView(GenericAPIView):
    """The caller: user, role, team and the personal calendar feed's URL."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = MeSerializer

    @extend_schema(responses={200: MeSerializer, 401: ErrorSerializer, 403: ErrorSerializer})
    def get(self, request):
        user = request.user
        profile = selectors.profile_of(user)
        team = profile.team if profile else None
        data = {
            "id": user.pk,
            "username": user.get_username(),
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": user.email,
            "role": selectors.role_of(user),
            "team": team,
            "timezone": profile.effective_timezone if profile else settings.TIME_ZONE,
            "calendar_url": calendar_url(request, profile.calendar_token) if profile else None,
            "calendar_webcal_url": (
                feed_links(request, "calendar-feed", profile.calendar_token)["webcal"]
                if profile
                else None
            ),
            "team_calendar_url": (
                feed_links(request, "calendar-team-feed", team.team_calendar_token)["https"]
                if team is not None and selectors.role_of(user) == Role.LEAD
                else None
            ),
        }
        return Response(MeSerializer(data).data, status=status.HTTP_200_OK)


def calendar_url(request, token: str) -> str:
    """The absolute https URL of a personal feed (http only for a local address)."""
    return feed_links(request, "calendar-feed", token)["https"]
