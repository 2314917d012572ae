"""OpenAPI pieces shared by every endpoint: the error body and the responses that use it."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from rest_framework import serializers

from .errors import CODES


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text="Machine-readable and stable, e.g. "
        + ", ".join(sorted(set(CODES.values())))
        + ", or a domain code"
    )
    message = serializers.CharField(help_text="For people, in the request's language")
    # The metaclass moves declared fields off the class, so this does not shadow
    # ``Serializer.errors`` at run time; only the stubs see a clash.
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.JSONField(),
        required=False,
        help_text="When the request failed validation: field name → list of messages",
    )

    class Meta:
        ref_name = "Error"


_DESCRIPTIONS = {
    400: ("invalid", "The request is invalid (see `errors`)."),
    401: ("not_authenticated", "No credentials, or an unknown, expired or revoked token."),
    403: ("permission_denied", "The token lacks the scope, or the role does not allow it."),
    404: ("not_found", "No such object in your organization."),
    405: ("method_not_allowed", "This method is not allowed here."),
    415: ("unsupported_media_type", "The body's content type is not accepted."),
}


def error_responses(*statuses: int) -> dict[int, Any]:
    """``responses=`` entries for the given error statuses, all with the one error body."""
    return {
        status: OpenApiResponse(
            response=ErrorSerializer,
            description=_DESCRIPTIONS[status][1],
            examples=[
                OpenApiExample(
                    _DESCRIPTIONS[status][0],
                    value={"code": _DESCRIPTIONS[status][0], "message": _DESCRIPTIONS[status][1]},
                    response_only=True,
                    status_codes=[str(status)],
                )
            ],
        )
        for status in statuses
    }


READ_ERRORS = (401, 403, 404)
