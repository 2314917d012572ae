"""``/api/v1/units``: the org chart with headcounts, read-only."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ambassadors.models import OrgUnit
from ambassadors.permissions import Action
from ambassadors.selectors import unit_tree
from ambassadors.tenancy import request_organization
from api.permissions import check_object_action
from api.schema import READ_ERRORS, error_responses


class UnitNodeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    parent_id = serializers.IntegerField(allow_null=True)
    depth = serializers.IntegerField(help_text="0 for a top-level unit (a direction)")
    headcount = serializers.IntegerField(help_text="Present agents attached to this unit")
    subtree_headcount = serializers.IntegerField(
        help_text="Present agents in this unit and every unit below it"
    )

    class Meta:
        ref_name = "Unit"


# Units nest to any depth: the field refers to its own serializer, which the schema renders
# as a recursive component.
UnitNodeSerializer._declared_fields["children"] = UnitNodeSerializer(
    many=True, help_text="The units directly below, each with its own children"
)


class UnitTreeApi(APIView):
    required_scope = None  # read-only: GET needs the ``read`` scope
    required_action = Action.VIEW_ORG_CHART

    OutputSerializer = UnitNodeSerializer

    @extend_schema(
        operation_id="units_tree",
        summary="The org chart",
        description="Top-level units, each with its children to any depth, and headcounts.",
        responses={200: UnitNodeSerializer(many=True), **error_responses(401, 403)},
        tags=["directory"],
    )
    def get(self, request: Request) -> Response:
        roots = unit_tree(organization=request_organization(request))
        return Response(self.OutputSerializer(roots, many=True).data)


class UnitDetailApi(APIView):
    required_scope = None
    required_action = Action.VIEW_ORG_CHART

    OutputSerializer = UnitNodeSerializer

    @extend_schema(
        operation_id="units_retrieve",
        summary="One unit and its subtree",
        description="Another organization's unit is not found (404).",
        parameters=[OpenApiParameter("unit_id", int, OpenApiParameter.PATH)],
        responses={200: UnitNodeSerializer, **error_responses(*READ_ERRORS)},
        tags=["directory"],
    )
    def get(self, request: Request, unit_id: int) -> Response:
        organization = request_organization(request)
        unit = get_object_or_404(OrgUnit.objects.for_org(organization), pk=unit_id)
        check_object_action(request, Action.VIEW_ORG_CHART, unit)
        (root,) = unit_tree(organization=organization, root=unit)
        return Response(self.OutputSerializer(root).data)
