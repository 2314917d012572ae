"""``/api/v1/agents``: the staff directory, read-only."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ambassadors.models import Agent, OrgUnit
from ambassadors.permissions import Action
from ambassadors.selectors import agent_list
from ambassadors.tenancy import request_organization
from api.pagination import paginated_response, paginated_serializer
from api.permissions import check_object_action, units_filter
from api.schema import READ_ERRORS, error_responses


class UnitRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()

    class Meta:
        ref_name = "UnitRef"


class SiteRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()

    class Meta:
        ref_name = "SiteRef"


class AgentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    hr_id = serializers.CharField(help_text="HR id (matricule), unique in the organization")
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    unit = UnitRefSerializer(allow_null=True, help_text="The agent's service, or null")
    site = SiteRefSerializer(allow_null=True, help_text="The agent's site, or null")
    has_workstation = serializers.BooleanField()
    has_account = serializers.BooleanField()
    job_title = serializers.CharField()
    arrival_date = serializers.DateField(allow_null=True)
    departure_date = serializers.DateField(allow_null=True)

    class Meta:
        ref_name = "Agent"


class AgentListApi(APIView):
    required_scope = None  # read-only: GET needs the ``read`` scope
    required_action = Action.SEARCH_AGENTS

    class FilterSerializer(serializers.Serializer):
        search = serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=100,
            help_text="Words matched against first and last names, or an exact HR id",
        )
        unit = serializers.IntegerField(
            required=False,
            min_value=1,
            help_text="A service id: agents of that service and of every service below it",
        )

        class Meta:
            ref_name = "AgentFilter"

        def validate_unit(self, value: int) -> OrgUnit:
            # Another organization's unit reads exactly like a unit that does not exist.
            unit = OrgUnit.objects.for_org(self.context["organization"]).filter(pk=value).first()
            if unit is None:
                raise serializers.ValidationError(
                    _("No service with id %(id)d in your organization.") % {"id": value}
                )
            return unit

    OutputSerializer = AgentSerializer

    @extend_schema(
        operation_id="agents_list",
        summary="List agents",
        description=(
            "Agents present in the organization, by last then first name. "
            "An unknown `unit`, or one of another organization, is a 400 `invalid` error "
            "with `errors.unit`."
        ),
        parameters=[
            FilterSerializer,
            OpenApiParameter("page", int, description="Page number, from 1"),
            OpenApiParameter("page_size", int, description="Items per page, 500 at most"),
        ],
        responses={
            200: paginated_serializer(AgentSerializer),
            **error_responses(400, *READ_ERRORS),
        },
        tags=["directory"],
    )
    def get(self, request: Request) -> Response:
        organization = request_organization(request)
        filters = self.FilterSerializer(
            data=request.query_params, context={"organization": organization}
        )
        filters.is_valid(raise_exception=True)
        agents = agent_list(
            organization=organization,
            search=filters.validated_data.get("search", ""),
            unit=filters.validated_data.get("unit"),
            units_filter=units_filter(request, Action.SEARCH_AGENTS),
        )
        return paginated_response(
            serializer_class=self.OutputSerializer, queryset=agents, request=request, view=self
        )


class AgentDetailApi(APIView):
    required_scope = None
    required_action = Action.VIEW_AGENT

    OutputSerializer = AgentSerializer

    @extend_schema(
        operation_id="agents_retrieve",
        summary="One agent",
        description="Another organization's agent is not found (404).",
        parameters=[OpenApiParameter("agent_id", int, OpenApiParameter.PATH)],
        responses={200: AgentSerializer, **error_responses(*READ_ERRORS)},
        tags=["directory"],
    )
    def get(self, request: Request, agent_id: int) -> Response:
        organization = request_organization(request)
        agent = get_object_or_404(
            Agent.objects.for_org(organization).select_related("unit", "site"), pk=agent_id
        )
        check_object_action(request, Action.VIEW_AGENT, agent)
        return Response(self.OutputSerializer(agent).data)
