"""OpenAPI schema generation: every operation documents the shared error shape, and
every write on an item documents If-Match and its 412."""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiParameter

from crm.rest import ErrorSerializer

IF_MATCH = OpenApiParameter(
    "If-Match",
    location=OpenApiParameter.HEADER,
    required=False,
    description="The ETag of the version you edited; a stale one is refused with 412.",
)


class AutoSchema(SpectacularAutoSchema):
    def _is_item_write(self) -> bool:
        return self.method in ("PUT", "PATCH", "DELETE", "POST") and "{" in self.path

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self._is_item_write():
            parameters.append(IF_MATCH)
        return parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        codes = ["400", "401", "403", "404"]
        if self._is_item_write():
            codes.append("412")
        if self.method == "DELETE":
            codes.append("409")
        for code in codes:
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    ErrorSerializer, code, direction=direction
                )
        return responses
