"""REST plumbing shared by every app's API: one error shape, pagination, ETags.

Every 4xx answers the same JSON shape::

    {"status": 400, "code": "invalid", "detail": "Invalid input.",
     "errors": {"field": ["What is wrong with it."]}}

``errors`` names each offending field (``non_field_errors`` for the rest) and is empty
when the error is not about input.
"""

from datetime import datetime

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.views import exception_handler as drf_exception_handler

MAX_PAGE_SIZE = 200


def _as_field_errors(detail) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        return {
            str(field): [str(m) for m in (msgs if isinstance(msgs, list) else [msgs])]
            for field, msgs in detail.items()
        }
    if isinstance(detail, list):
        return {"non_field_errors": [str(m) for m in detail]}
    return {}


def api_exception_handler(exc, context):
    """DRF's handler, plus Django ValidationError → 400, all in one JSON shape."""
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            exc = exceptions.ValidationError(
                {
                    ("non_field_errors" if field == "__all__" else field): msgs
                    for field, msgs in exc.message_dict.items()
                }
            )
        else:
            exc = exceptions.ValidationError({"non_field_errors": exc.messages})
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    if isinstance(exc, ProtectedError | RestrictedError):
        exc = Conflict()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = _as_field_errors(exc.detail)
        detail = "Invalid input: " + "; ".join(
            f"{field}: {' '.join(msgs)}" for field, msgs in errors.items()
        )
        code = "invalid"
    else:
        errors = {}
        detail = str(exc.detail) if hasattr(exc, "detail") else str(exc)
        code = exc.get_codes() if hasattr(exc, "get_codes") else "error"
        if not isinstance(code, str):
            code = "error"
    response.data = {
        "status": response.status_code,
        "code": code,
        "detail": detail,
        "errors": errors,
    }
    return response


class Conflict(exceptions.APIException):
    status_code = 409
    default_detail = "Other records still depend on this one; it cannot be deleted."
    default_code = "conflict"


class ErrorSerializer(serializers.Serializer):
    """The shape of every 4xx answer (documented in the OpenAPI schema)."""

    status = serializers.IntegerField()
    code = serializers.CharField()
    detail = serializers.CharField()
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class Pagination(PageNumberPagination):
    """Page numbers, ``page_size`` up to 200; a bad page or page size is a 4xx."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
            raise exceptions.ValidationError(
                {"page_size": [f"Use a whole number from 1 to {self.max_page_size}."]}
            )
        return int(raw)


@extend_schema_field({"type": "string", "format": "date-time"})
class AwareDateTimeField(serializers.DateTimeField):
    """ISO 8601 with an offset; a time without one is refused rather than guessed."""

    def to_internal_value(self, value):
        parsed = super().to_internal_value(value)
        if isinstance(value, str) and _is_naive_text(value):
            raise serializers.ValidationError(
                "Give the time with an offset, e.g. 2026-11-23T10:00:00+01:00."
            )
        return parsed


def _is_naive_text(value: str) -> bool:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return timezone.is_naive(parsed)


@csrf_exempt
def api_not_found(request, *args, **kwargs):
    """Unknown URLs under /api/ answer the JSON error shape, not an HTML page."""
    return JsonResponse(
        {"status": 404, "code": "not_found", "detail": "No such API endpoint.", "errors": {}},
        status=404,
    )
