"""``/api/v1/activities``: the intranet sends what agents did; integrations read it back.

POST bodies are read raw (not through DRF's parsers): the optional HMAC signature covers the
exact bytes sent, and a batch of 5,000 items goes to the ledger's plain-Python validation
rather than to a serializer (see ``ambassadors.services.ledger``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers
from rest_framework.parsers import JSONParser
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ambassadors.errors import DomainError
from ambassadors.models import Activity, ActivitySource, Organization
from ambassadors.permissions import Action, actor_for_request
from ambassadors.services.ledger import (
    DEFAULT_SOURCE,
    MAX_ITEMS,
    activities_ingest,
    activities_retract,
    activity_source_resolve,
)
from ambassadors.tenancy import request_organization
from api.models import Scope
from api.pagination import paginated_response, paginated_serializer
from api.permissions import is_token_request
from api.schema import READ_ERRORS, error_responses

SOURCE_HEADER = "X-Relais-Source"
TIMESTAMP_HEADER = "X-Relais-Timestamp"
SIGNATURE_HEADER = "X-Relais-Signature"
SIGNATURE_MAX_AGE = 300  # seconds, either way (a clock ahead is as suspicious as one behind)


class SignatureError(DomainError):
    code = "bad_signature"
    status = 401


def check_signature(source: ActivitySource, request: Request, body: bytes) -> None:
    """Refuse the request unless it carries a fresh, valid signature — when the source has a
    signing secret. ``X-Relais-Signature: sha256=<hex HMAC-SHA256("<timestamp>.<body>")>``."""
    if not source.signing_secret:
        return
    timestamp = request.headers.get(TIMESTAMP_HEADER, "").strip()
    signature = request.headers.get(SIGNATURE_HEADER, "").strip()
    if not timestamp or not signature:
        raise SignatureError(
            _(
                "The source “%(source)s” requires signed requests: send the %(timestamp)s and "
                "%(signature)s headers."
            )
            % {"source": source.code, "timestamp": TIMESTAMP_HEADER, "signature": SIGNATURE_HEADER}
        )
    if not timestamp.isdigit():
        raise SignatureError(
            _("%(header)s must be a Unix time in seconds.") % {"header": TIMESTAMP_HEADER}
        )
    expected = hmac.new(
        source.signing_secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    if not hmac.compare_digest(signature.encode(), f"sha256={expected}".encode()):
        raise SignatureError(_("The request signature is wrong."))
    if abs(time.time() - int(timestamp)) > SIGNATURE_MAX_AGE:
        raise SignatureError(
            _("The signature is more than 5 minutes old: sign each request as it is sent."),
            code="stale_signature",
        )


def parse_body(body: bytes) -> Any:
    if not body.strip():
        raise DomainError(
            _("The body is empty: send a JSON object or a list of objects."), code="parse_error"
        )
    try:
        return json.loads(body)
    except json.JSONDecodeError as exc:
        raise DomainError(
            _("The body is not valid JSON: %(error)s (line %(line)d, column %(column)d).")
            % {"error": exc.msg, "line": exc.lineno, "column": exc.colno},
            code="parse_error",
        ) from exc
    except UnicodeDecodeError as exc:
        raise DomainError(_("The body is not UTF-8 encoded JSON."), code="parse_error") from exc


def signed_request(
    organization: Organization, request: Request
) -> tuple[str, ActivitySource | None, Any]:
    """The source a write names (``X-Relais-Source``), checked against its signing secret
    before anything else, and the parsed body. The source is None when it does not exist
    yet (it may be created on first use; see ``activity_source_resolve``)."""
    code = request.headers.get(SOURCE_HEADER, DEFAULT_SOURCE).strip() or DEFAULT_SOURCE
    source = ActivitySource.objects.for_org(organization).filter(code=code).first()
    body = request.body
    if source is not None:
        check_signature(source, request, body)
    return code, source, parse_body(body)


def _json_type(value: Any) -> str:
    return {str: "string", int: "number", float: "number", bool: "boolean"}.get(
        type(value), "null" if value is None else type(value).__name__
    )


# -- Schema -------------------------------------------------------------------------------


class ActivityObjectSerializer(serializers.Serializer):
    type = serializers.CharField(max_length=40, required=False, help_text="e.g. news, page")
    title = serializers.CharField(max_length=200, required=False)
    url = serializers.URLField(max_length=500, required=False)

    class Meta:
        ref_name = "ActivityObject"


class ActivityInputSerializer(serializers.Serializer):
    """Documentation only: the body is validated by the ledger, item by item."""

    external_id = serializers.CharField(
        max_length=200, help_text="The source's id of this activity: re-sending it is harmless"
    )
    verb = serializers.CharField(help_text="A verb code of the organization, e.g. news_published")
    agent = serializers.CharField(
        required=False, help_text="The agent's HR id (matricule); or give agent_email"
    )
    agent_email = serializers.EmailField(
        required=False, help_text="Used when agent (HR id) is absent"
    )
    occurred_at = serializers.DateTimeField(
        help_text="ISO 8601 with a UTC offset, e.g. 2026-03-02T09:30:00+01:00"
    )
    object = ActivityObjectSerializer(required=False)

    class Meta:
        ref_name = "ActivityInput"


def _status_field(*values: str) -> serializers.CharField:
    # A plain string, not an enum: drf-spectacular names enums by field, and a third
    # "status" enum in the API makes it rename DirectoryImport's (settings' ENUM_NAME_OVERRIDES
    # could register these ones under their own names).
    return serializers.CharField(help_text="One of: " + ", ".join(values))


class ItemResultSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="Position of the item in the list sent, from 0")
    status = _status_field("accepted", "duplicate", "rejected")
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Field name → messages; empty unless rejected",
    )

    class Meta:
        ref_name = "ActivityItemResult"


class IngestReportSerializer(serializers.Serializer):
    accepted = serializers.IntegerField()
    duplicates = serializers.IntegerField(help_text="Already stored: nothing changed")
    rejected = serializers.IntegerField()
    results = ItemResultSerializer(many=True)

    class Meta:
        ref_name = "ActivityIngestReport"


class RetractInputSerializer(serializers.Serializer):
    external_ids = serializers.ListField(
        child=serializers.CharField(max_length=200),
        allow_empty=False,
        max_length=MAX_ITEMS,
        help_text="External ids of activities of the source, 5,000 at most",
    )
    reason = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text="e.g. news unpublished"
    )

    class Meta:
        ref_name = "ActivityRetractionInput"


class RetractResultSerializer(serializers.Serializer):
    external_id = serializers.CharField()
    status = _status_field("retracted", "already_retracted", "not_found", "rejected")
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField())
    )

    class Meta:
        ref_name = "ActivityRetractionResult"


class RetractReportSerializer(serializers.Serializer):
    retracted = serializers.IntegerField()
    already_retracted = serializers.IntegerField()
    not_found = serializers.IntegerField()
    rejected = serializers.IntegerField()
    results = RetractResultSerializer(many=True)

    class Meta:
        ref_name = "ActivityRetractionReport"


class ActivitySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    external_id = serializers.CharField()
    source = serializers.CharField(source="source.code")  # type: ignore[assignment]
    verb = serializers.CharField(source="verb.code")
    agent = serializers.CharField(source="agent.hr_id", help_text="The agent's HR id")
    agent_id = serializers.IntegerField()
    occurred_at = serializers.DateTimeField()
    object = serializers.SerializerMethodField()
    unit_id = serializers.IntegerField(allow_null=True, help_text="The agent's service then")
    site_id = serializers.IntegerField(allow_null=True, help_text="The agent's site then")
    created_at = serializers.DateTimeField(help_text="When Relais recorded it")
    retracted_at = serializers.DateTimeField(allow_null=True, source="retraction.retracted_at")
    retraction_reason = serializers.CharField(
        allow_null=True, source="retraction.reason", help_text="null unless retracted"
    )

    class Meta:
        ref_name = "Activity"

    @extend_schema_field(ActivityObjectSerializer)
    def get_object(self, activity: Activity) -> dict[str, str]:
        return {
            "type": activity.object_type,
            "title": activity.object_title,
            "url": activity.object_url,
        }


_SIGNING_HEADERS = [
    OpenApiParameter(
        SOURCE_HEADER,
        str,
        OpenApiParameter.HEADER,
        description="Source code (default intranet). Unknown: created on first use, unless "
        "the organization has a signed source",
    ),
    OpenApiParameter(
        TIMESTAMP_HEADER,
        int,
        OpenApiParameter.HEADER,
        description="Unix time in seconds; required when the source has a signing secret",
    ),
    OpenApiParameter(
        SIGNATURE_HEADER,
        str,
        OpenApiParameter.HEADER,
        description='"sha256=" + hex HMAC-SHA256 of "<timestamp>.<raw body>" with the '
        "source's signing secret; required when the source has one",
    ),
]
_WRITE_ERRORS = {
    401: OpenApiResponse(description="Not authenticated, or codes bad_signature / stale_signature"),
    **error_responses(400, 403),
}


# -- Views --------------------------------------------------------------------------------


def activity_list(
    *,
    organization: Organization,
    agent_hr_id: str = "",
    verb: str = "",
    source: str = "",
    since: Any = None,
    reach: Q | None = None,
) -> QuerySet[Activity]:
    activities = Activity.objects.for_org(organization).select_related(
        "agent", "source", "verb", "retraction"
    )
    if agent_hr_id:
        activities = activities.filter(agent__hr_id=agent_hr_id, agent__organization=organization)
    if verb:
        activities = activities.filter(verb__code=verb)
    if source:
        activities = activities.filter(source__code=source)
    if since is not None:
        activities = activities.filter(occurred_at__gte=since)
    if reach is not None:
        activities = activities.filter(reach)
    return activities.only(
        *(f.name for f in Activity._meta.concrete_fields if f.name != "organization"),
        "agent__hr_id",
        "source__code",
        "verb__code",
        "retraction__retracted_at",
        "retraction__reason",
    ).order_by("-occurred_at", "-id")


class ActivityListIngestApi(APIView):
    parser_classes = [JSONParser]  # documents the media type; the body is read raw
    required_scope = Scope.ACTIVITIES_WRITE.value  # for POST; GET needs ``read``

    @property
    def required_action(self) -> Action:
        if self.request.method in SAFE_METHODS:
            return Action.VIEW_AGENT
        return Action.MANAGE_PROGRAMME

    class FilterSerializer(serializers.Serializer):
        agent = serializers.CharField(required=False, max_length=40, help_text="An HR id")
        verb = serializers.CharField(required=False, max_length=40, help_text="A verb code")
        source = serializers.CharField(  # type: ignore[assignment]
            required=False, max_length=40, help_text="A source code"
        )
        since = serializers.DateTimeField(
            required=False, help_text="Activities that occurred at or after this instant"
        )

        class Meta:
            ref_name = "ActivityFilter"

    @extend_schema(
        operation_id="activities_list",
        summary="List activities",
        description="The ledger, most recent first. People see the activities of the services "
        "their role reaches (and their own); tokens with `read` see the whole organization.",
        parameters=[
            FilterSerializer,
            OpenApiParameter("page", int, description="Page number, from 1"),
            OpenApiParameter("page_size", int, description="Items per page, 500 at most"),
        ],
        responses={
            200: paginated_serializer(ActivitySerializer),
            **error_responses(400, *READ_ERRORS),
        },
        tags=["activities"],
    )
    def get(self, request: Request) -> Response:
        organization = request_organization(request)
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        reach = None
        if not is_token_request(request):
            actor = actor_for_request(request._request)
            units_q = actor.units_q(Action.VIEW_AGENT, prefix="unit__") if actor else Q(pk__in=[])
            if units_q is not None:
                own = actor.agent.pk if actor and actor.agent else None
                reach = units_q | Q(agent_id=own) if own else units_q
        activities = activity_list(
            organization=organization,
            agent_hr_id=filters.validated_data.get("agent", ""),
            verb=filters.validated_data.get("verb", ""),
            source=filters.validated_data.get("source", ""),
            since=filters.validated_data.get("since"),
            reach=reach,
        )
        return paginated_response(
            serializer_class=ActivitySerializer, queryset=activities, request=request, view=self
        )

    @extend_schema(
        operation_id="activities_ingest",
        summary="Send activities",
        description=(
            "One activity (an object) or a list of up to 5,000. Each item is accepted, "
            "a duplicate (its `external_id` is already stored for this source: nothing "
            "changes), or rejected with `errors` by field; good items are stored even when "
            "others are rejected. A body that is not JSON, not an object or a list, or a list "
            "over 5,000 is a 400. Needs the `activities:write` scope."
        ),
        parameters=_SIGNING_HEADERS,
        request=PolymorphicProxySerializer(
            component_name="ActivityInputOrList",
            serializers=[
                ActivityInputSerializer,
                ActivityInputSerializer(many=True, max_length=MAX_ITEMS),  # type: ignore[call-arg]
            ],
            resource_type_field_name=None,
            many=False,
        ),
        responses={200: IngestReportSerializer, **_WRITE_ERRORS},
        examples=[
            OpenApiExample(
                "One news item",
                request_only=True,
                value={
                    "external_id": "ametys-news-4521",
                    "verb": "news_published",
                    "agent": "M004213",
                    "occurred_at": "2026-03-02T09:30:00+01:00",
                    "object": {
                        "type": "news",
                        "title": "Le marché de Noël ouvre samedi",
                        "url": "https://intranet.ville.fr/actualites/marche-de-noel",
                    },
                },
            )
        ],
        tags=["activities"],
    )
    def post(self, request: Request) -> Response:
        organization = request_organization(request)
        code, source, payload = signed_request(organization, request)
        if isinstance(payload, dict):
            items: list[Any] = [payload]
        elif isinstance(payload, list):
            items = payload
        else:
            raise DomainError(
                _(
                    "The body must be a JSON object (one activity) or a list of objects, "
                    "not a %(type)s."
                )
                % {"type": _json_type(payload)},
                code="invalid",
            )
        if len(items) > MAX_ITEMS:
            raise DomainError(
                _("At most %(max)d activities per request, not %(count)d: split the list.")
                % {"max": MAX_ITEMS, "count": len(items)},
                code="too_many_items",
            )
        if source is None:
            source = activity_source_resolve(organization=organization, code=code, create=True)
        report = activities_ingest(organization=organization, items=items, source=source)
        return Response(report.as_dict())


class ActivityRetractionApi(APIView):
    parser_classes = [JSONParser]
    required_scope = Scope.ACTIVITIES_WRITE.value
    required_action = Action.MANAGE_PROGRAMME

    @extend_schema(
        operation_id="activities_retract",
        summary="Retract activities",
        description=(
            "Content was unpublished or deleted: its activities are marked retracted (once; "
            "again is `already_retracted`) and the engine takes their points back. Ids are "
            "those of the source named by `X-Relais-Source` (default intranet)."
        ),
        parameters=_SIGNING_HEADERS,
        request=RetractInputSerializer,
        responses={200: RetractReportSerializer, **_WRITE_ERRORS},
        tags=["activities"],
    )
    def post(self, request: Request) -> Response:
        organization = request_organization(request)
        code, _source, payload = signed_request(organization, request)
        if not isinstance(payload, dict):
            raise DomainError(
                _('The body must be a JSON object: {"external_ids": [...], "reason": "..."}.'),
                code="invalid",
            )
        data = RetractInputSerializer(data=payload)
        data.is_valid(raise_exception=True)
        report = activities_retract(
            organization=organization,
            source_code=code,
            external_ids=data.validated_data["external_ids"],
            reason=data.validated_data.get("reason", ""),
        )
        return Response(report.as_dict())
