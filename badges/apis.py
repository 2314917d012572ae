"""``/api/v1/badges`` and an agent's ``awards`` and ``progress``: read-only.

Tokens need the ``read`` scope and read their whole organization; people signed in need
``VIEW_AGENT`` on the agent (an agent always sees their own). Another organization's agent
is not found (404).
"""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ambassadors.models import Activity, Agent, Verb
from ambassadors.permissions import Action
from ambassadors.tenancy import request_organization
from api.pagination import PageNumberPagination, paginated_serializer
from api.permissions import check_object_action
from api.schema import READ_ERRORS, error_responses
from badges.models import Award, Badge, BadgeStatus, Tier
from badges.selectors import (
    AwardWithActivities,
    CatalogueEntry,
    Progress,
    active_agent_count,
    agent_awards,
    agent_progress,
    award_activities,
    badge_list,
    catalogue_entry,
)

PAGE_PARAMETERS = [
    OpenApiParameter("page", int, description="Page number, from 1"),
    OpenApiParameter("page_size", int, description="Items per page, 500 at most"),
]
AGENT_PARAMETER = OpenApiParameter("agent_id", int, OpenApiParameter.PATH)


def _agent_or_404(request: Request, agent_id: int) -> Agent:
    """The agent in the caller's organization (else 404), if the caller's roles reach them
    (else 403: within the organization, the agent's existence is no secret)."""
    organization = request_organization(request)
    agent = get_object_or_404(
        Agent.objects.for_org(organization).select_related("unit"), pk=agent_id
    )
    check_object_action(request, Action.VIEW_AGENT, agent)
    return agent


def badge_image_url(request: Any, badge: Badge, tier: str) -> str:
    """The uploaded image, or the SVG drawn for the tier."""
    if badge.image:
        return str(request.build_absolute_uri(badge.image.url))
    return str(
        request.build_absolute_uri(
            reverse("badge-image", kwargs={"code": badge.code, "tier": tier})
        )
    )


class BadgeTierSerializer(serializers.Serializer):
    tier = serializers.CharField(help_text="One of " + ", ".join(Tier.values))
    threshold = serializers.IntegerField()
    points = serializers.IntegerField(help_text="Points the tier brings")
    holders = serializers.IntegerField(help_text="Present agents holding this tier")
    share = serializers.FloatField(help_text="holders, in percent of the present agents")

    class Meta:
        ref_name = "BadgeTier"


class BadgeTierWithImageSerializer(BadgeTierSerializer):
    image = serializers.URLField(help_text="The tier's image (uploaded, or an SVG)")

    class Meta:
        ref_name = "BadgeTierWithImage"


class BadgeSerializer(serializers.Serializer):
    code = serializers.CharField(source="badge.code", help_text="Stable identifier")
    name = serializers.CharField(source="badge.name", help_text="In the request's language")
    name_fr = serializers.CharField(source="badge.name_fr")
    name_en = serializers.CharField(source="badge.name_en")
    description = serializers.CharField(source="badge.description")
    criteria = serializers.CharField(help_text="How to earn it, in plain words")
    category = serializers.CharField(
        source="badge.category", help_text="One of " + ", ".join(Verb.Category.values)
    )
    status = serializers.CharField(
        source="badge.status", help_text="One of " + ", ".join(BadgeStatus.values)
    )
    revocable = serializers.BooleanField(
        source="badge.revocable",
        help_text="A status, withdrawn when no longer met; otherwise kept once earned",
    )
    kind = serializers.CharField(source="badge.kind", help_text="The rule kind")
    version = serializers.IntegerField(source="badge.version", help_text="The rule's version")
    holders = serializers.IntegerField(help_text="Present agents holding any tier")
    share = serializers.FloatField(help_text="holders, in percent of the present agents")
    tiers = serializers.SerializerMethodField()

    class Meta:
        ref_name = "Badge"

    @extend_schema_field(BadgeTierWithImageSerializer(many=True))
    def get_tiers(self, entry: CatalogueEntry) -> list[dict[str, Any]]:
        request = self.context["request"]
        return [
            {
                **BadgeTierSerializer(tier).data,
                "image": badge_image_url(request, entry.badge, tier.tier),
            }
            for tier in entry.tiers
        ]


class BadgeListApi(APIView):
    required_scope = None  # read-only: GET needs the ``read`` scope
    required_action = None  # the catalogue is for every member of the organization

    class FilterSerializer(serializers.Serializer):
        category = serializers.ChoiceField(
            choices=Verb.Category.values,
            required=False,
            help_text="One of " + ", ".join(Verb.Category.values),
        )
        status = serializers.ChoiceField(
            choices=BadgeStatus.values,
            required=False,
            default=BadgeStatus.ACTIVE.value,
            help_text="One of " + ", ".join(BadgeStatus.values) + " (default: active)",
        )

        class Meta:
            ref_name = "BadgeFilter"

    OutputSerializer = BadgeSerializer

    @extend_schema(
        operation_id="badges_list",
        summary="List badges",
        description=(
            "The badge catalogue in its display order, with each tier's threshold and points "
            "and its rarity: how many present agents hold it (live awards), and their share "
            "of the organization's present agents. An unknown `category` or `status` is a "
            "400 `invalid` error naming the parameter."
        ),
        parameters=[FilterSerializer, *PAGE_PARAMETERS],
        responses={
            200: paginated_serializer(BadgeSerializer),
            **error_responses(400, *READ_ERRORS),
        },
        tags=["badges"],
    )
    def get(self, request: Request) -> Response:
        organization = request_organization(request)
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        badges = badge_list(
            organization=organization,
            category=filters.validated_data.get("category"),
            status=filters.validated_data["status"],
        )
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(badges, request, view=self) or []
        agents = active_agent_count(organization=organization)
        entries = [catalogue_entry(badge, agents) for badge in page]
        data = self.OutputSerializer(entries, many=True, context={"request": request}).data
        return paginator.get_paginated_response(data)


class ActivityObjectRefSerializer(serializers.Serializer):
    type = serializers.CharField(source="object_type")
    title = serializers.CharField(source="object_title")
    url = serializers.CharField(source="object_url")

    class Meta:
        ref_name = "AwardActivityObject"


class AwardActivitySerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The activity's id in the ledger")
    verb = serializers.CharField(source="verb.code")
    occurred_at = serializers.DateTimeField()
    object = serializers.SerializerMethodField()

    class Meta:
        ref_name = "AwardActivity"

    @extend_schema_field(ActivityObjectRefSerializer)
    def get_object(self, activity: Activity) -> dict[str, Any]:
        return dict(ActivityObjectRefSerializer(activity).data)


class AwardSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="award.id")
    code = serializers.CharField(source="award.badge.code", help_text="The badge's code")
    name = serializers.CharField(source="award.badge.name", help_text="The badge's name")
    category = serializers.CharField(source="award.badge.category")
    tier = serializers.CharField(source="award.tier", help_text="One of " + ", ".join(Tier.values))
    awarded_at = serializers.DateTimeField(
        source="award.awarded_at",
        help_text="When the data says it was earned: the time of the deciding activity",
    )
    rule_version = serializers.IntegerField(
        source="award.rule_version", help_text="The version of the badge's rule it was earned under"
    )
    origin = serializers.CharField(
        source="award.origin", help_text="One of " + ", ".join(Award.Origin.values)
    )
    points = serializers.IntegerField(source="award.points")
    reason = serializers.CharField(source="award.reason", help_text="For a grant by hand")
    activities = AwardActivitySerializer(
        many=True, help_text="The activities behind it, the deciding one last"
    )

    class Meta:
        ref_name = "Award"


class AgentAwardListApi(APIView):
    required_scope = None
    required_action = Action.VIEW_AGENT

    OutputSerializer = AwardSerializer

    @extend_schema(
        operation_id="agents_awards_list",
        summary="An agent's badges",
        description=(
            "The badges the agent holds (withdrawn ones left out), by badge then tier, each "
            "with the activities behind it. Another organization's agent is not found (404); "
            "a person whose role does not reach the agent gets 403."
        ),
        parameters=[AGENT_PARAMETER, *PAGE_PARAMETERS],
        responses={200: paginated_serializer(AwardSerializer), **error_responses(*READ_ERRORS)},
        tags=["badges"],
    )
    def get(self, request: Request, agent_id: int) -> Response:
        organization = request_organization(request)
        agent = _agent_or_404(request, agent_id)
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(
            agent_awards(organization=organization, agent=agent), request, view=self
        )
        items: list[AwardWithActivities] = award_activities(
            organization=organization, awards=page or []
        )
        return paginator.get_paginated_response(self.OutputSerializer(items, many=True).data)


class ProgressSerializer(serializers.Serializer):
    code = serializers.CharField(source="badge.code", help_text="The badge's code")
    name = serializers.CharField(source="badge.name")
    value = serializers.IntegerField(help_text="The agent's figure for the badge's rule")
    held = serializers.ListField(
        child=serializers.CharField(), help_text="Tiers held (live awards), lowest first"
    )
    next_tier = serializers.SerializerMethodField(
        help_text="The next tier to reach, or null when every tier is held"
    )
    threshold = serializers.IntegerField(
        allow_null=True, help_text="The next tier's threshold, or null"
    )
    percent = serializers.IntegerField(help_text="value in percent of threshold (0 to 100)")
    explanation = serializers.CharField(help_text="In plain words, in the request's language")

    class Meta:
        ref_name = "BadgeProgress"

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_next_tier(self, progress: Progress) -> str | None:
        return progress.next_tier.tier if progress.next_tier else None


class AgentProgressApi(APIView):
    required_scope = None
    required_action = Action.VIEW_AGENT

    OutputSerializer = ProgressSerializer

    @extend_schema(
        operation_id="agents_progress_list",
        summary="An agent's progress toward the next tiers",
        description=(
            "For each active badge: the agent's figure, the tiers held, the next tier and its "
            "threshold, and the result in plain words (“7 of 10 activities”). Another "
            "organization's agent is not found (404); a person whose role does not reach the "
            "agent gets 403."
        ),
        parameters=[AGENT_PARAMETER, *PAGE_PARAMETERS],
        responses={
            200: paginated_serializer(ProgressSerializer),
            **error_responses(*READ_ERRORS),
        },
        tags=["badges"],
    )
    def get(self, request: Request, agent_id: int) -> Response:
        organization = request_organization(request)
        agent = _agent_or_404(request, agent_id)
        badges = (
            Badge.objects.for_org(organization)
            .filter(status=BadgeStatus.ACTIVE)
            .order_by("position", "code")
        )
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(badges, request, view=self) or []
        progress = agent_progress(organization=organization, agent=agent, badges=list(page))
        return paginator.get_paginated_response(self.OutputSerializer(progress, many=True).data)
