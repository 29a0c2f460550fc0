"""Events API."""

from django.db.models import Count, Q
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError

from crm.models import Role
from crm.selectors import role_of, team_id_of
from crm.viewsets import ServiceModelViewSet
from events import services
from events.filters import EventFilter
from events.models import AttendanceStatus
from events.selectors import visible_events
from events.serializers import AttendSerializer, EventSerializer


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
