"""Viewsets that write through the services, with ETags and documented errors."""

import hashlib

from django.db.models import Model
from rest_framework import exceptions, permissions, status, viewsets
from rest_framework.response import Response

from crm.selectors import role_of

# --- optimistic concurrency -----------------------------------------------------------


def etag_of(obj: Model) -> str:
    stamp = getattr(obj, "updated_at", None)
    raw = f"{obj._meta.label}:{obj.pk}:{stamp.isoformat() if stamp else ''}"
    return '"' + hashlib.sha256(raw.encode()).hexdigest()[:32] + '"'


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The record changed since you read it; fetch it again and retry."
    default_code = "precondition_failed"


class ETagMixin:
    """Detail responses carry an ETag; a write with a stale If-Match is a 412."""

    def check_if_match(self, obj: Model) -> None:
        wanted = self.request.headers.get("If-Match")
        if not wanted:
            return
        current = etag_of(obj)
        tags = {tag.strip() for tag in wanted.split(",")}
        weak = {tag[2:] if tag.startswith("W/") else tag for tag in tags}
        if "*" not in tags and current not in weak:
            raise PreconditionFailed()

    def get_object(self):
        obj = super().get_object()
        if self.request.method not in ("GET", "HEAD", "OPTIONS"):
            self.check_if_match(obj)
        return obj

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        instance = getattr(self, "etag_instance", None)
        if instance is not None and isinstance(response, Response) and response.status_code < 300:
            response["ETag"] = etag_of(instance)
        return response


# --- viewsets that write through services ----------------------------------------------


class ServiceModelViewSet(ETagMixin, viewsets.ModelViewSet):
    """A ModelViewSet whose writes call a service.

    Subclasses give ``scope(user)`` (what the caller may see: anything else is a 404),
    ``create_object(data)`` and ``update_object(instance, data)``. ``write_roles`` limits
    who may write at all (others get 403 on a record they can see).
    """

    write_roles: frozenset[str] | None = None
    lookup_value_regex = "[0-9]+"

    def scope(self, user):
        raise NotImplementedError

    def get_queryset(self):
        return self.scope(self.request.user)

    def create_object(self, data: dict):
        raise NotImplementedError

    def update_object(self, instance, data: dict):
        raise NotImplementedError

    def check_permissions(self, request):
        super().check_permissions(request)
        if (
            request.method not in permissions.SAFE_METHODS
            and self.write_roles is not None
            and role_of(request.user) not in self.write_roles
        ):
            self.permission_denied(request, message="Your role cannot change these records.")

    def retrieve(self, request, *args, **kwargs):
        self.etag_instance = self.get_object()
        return Response(self.get_serializer(self.etag_instance).data)

    def perform_create(self, serializer):
        serializer.instance = self.create_object(serializer.validated_data)
        self.etag_instance = serializer.instance

    def perform_update(self, serializer):
        if serializer.validated_data:  # an empty PATCH changes nothing, not even the ETag
            serializer.instance = self.update_object(serializer.instance, serializer.validated_data)
        self.etag_instance = serializer.instance

    def respond_with(self, instance, status_code: int = status.HTTP_200_OK) -> Response:
        """The answer of an item action: the item as it is now, with its new ETag."""
        self.etag_instance = instance
        return Response(self.get_serializer(instance).data, status=status_code)

    def action_data(self, serializer_class) -> dict:
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data
