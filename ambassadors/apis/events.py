"""``/api/v1/events``: the events planned, and recording who attended one."""

from __future__ import annotations

from django.db.models import Count
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ambassadors.models import Event
from ambassadors.permissions import Action
from ambassadors.services.events import MAX_LINES, attendance_record
from ambassadors.tenancy import request_organization
from api.models import Scope
from api.pagination import paginated_response, paginated_serializer
from api.schema import READ_ERRORS, error_responses

from .agents import SiteRefSerializer, UnitRefSerializer


class EventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    kind = serializers.ChoiceField(choices=Event.Kind.choices)
    mode = serializers.ChoiceField(choices=Event.Mode.choices)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    unit = UnitRefSerializer(allow_null=True, help_text="The service it is planned for")
    site = SiteRefSerializer(allow_null=True, help_text="The site it is planned for")
    capacity = serializers.IntegerField(allow_null=True, help_text="null: no limit")
    organiser_id = serializers.IntegerField(allow_null=True, help_text="An agent id")
    attendees = serializers.IntegerField(help_text="Attendance recorded so far")

    class Meta:
        ref_name = "Event"


class EventListApi(APIView):
    required_scope = None  # GET needs the ``read`` scope
    required_action = Action.LOG_COACHING

    @extend_schema(
        operation_id="events_list",
        summary="List events",
        description="Demos, trainings, workshops and tours of the services, latest first.",
        parameters=[
            OpenApiParameter("page", int, description="Page number, from 1"),
            OpenApiParameter("page_size", int, description="Items per page, 500 at most"),
        ],
        responses={200: paginated_serializer(EventSerializer), **error_responses(401, 403)},
        tags=["events"],
    )
    def get(self, request: Request) -> Response:
        organization = request_organization(request)
        events = (
            Event.objects.for_org(organization)
            .select_related("unit", "site")
            .annotate(attendees=Count("attendances"))
            .order_by("-starts_at", "-pk")
        )
        return paginated_response(
            serializer_class=EventSerializer, queryset=events, request=request, view=self
        )


class EventAttendanceApi(APIView):
    required_scope = Scope.COACHING_WRITE.value
    required_action = Action.LOG_COACHING

    class InputSerializer(serializers.Serializer):
        agents = serializers.ListField(
            child=serializers.CharField(max_length=200, allow_blank=True),
            max_length=MAX_LINES,
            help_text="HR ids (or names, “First Last”), one per attendee",
        )

        class Meta:
            ref_name = "EventAttendanceInput"

    class LineErrorSerializer(serializers.Serializer):
        line = serializers.IntegerField(help_text="1-based position in `agents`")
        text = serializers.CharField()
        message = serializers.CharField()

        class Meta:
            ref_name = "EventAttendanceLineError"

    class OutputSerializer(serializers.Serializer):
        added = serializers.ListField(child=serializers.CharField(), help_text="HR ids")
        already = serializers.ListField(child=serializers.CharField(), help_text="HR ids")
        # Declared fields leave the class (see api.schema.ErrorSerializer): no real clash.
        errors = serializers.ListField(child=serializers.DictField())  # type: ignore[assignment]
        attendees = serializers.IntegerField()
        capacity = serializers.IntegerField(allow_null=True)
        over_capacity = serializers.IntegerField(
            help_text="Attendees beyond the capacity: recorded anyway, with a `warning`"
        )
        warning = serializers.CharField(allow_blank=True)

        class Meta:
            ref_name = "EventAttendanceReport"

    @extend_schema(
        operation_id="events_attendance_record",
        summary="Record attendance",
        description=(
            "Writes `event_attended` to the ledger once per agent (idempotent: sending an "
            "agent again reports it under `already`). An entry naming nobody is reported in "
            "`errors` with its 1-based `line`; the other entries are recorded. Attendance "
            "beyond the capacity is recorded, with a `warning`. An event that has not started "
            "is a 400 `event_not_started`."
        ),
        parameters=[OpenApiParameter("event_id", int, OpenApiParameter.PATH)],
        request=InputSerializer,
        responses={200: OutputSerializer, **error_responses(400, *READ_ERRORS)},
        examples=[
            OpenApiExample(
                "Two attendees",
                value={"agents": ["VAL100234", "Camille Martin"]},
                request_only=True,
            )
        ],
        tags=["events"],
    )
    def post(self, request: Request, event_id: int) -> Response:
        organization = request_organization(request)
        event = get_object_or_404(
            Event.objects.for_org(organization).select_related("organization"), pk=event_id
        )
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        recorded_by = getattr(request._request, "agent", None)
        report = attendance_record(
            event=event, lines=data.validated_data["agents"], recorded_by=recorded_by
        )
        return Response(
            self.OutputSerializer(
                {
                    "added": [agent.hr_id for agent in report.added],
                    "already": [agent.hr_id for agent in report.already],
                    "errors": [
                        {"line": e.line, "text": e.text, "message": e.message}
                        for e in report.errors
                    ],
                    "attendees": report.attendees,
                    "capacity": report.capacity,
                    "over_capacity": report.over_capacity,
                    "warning": report.warning or "",
                }
            ).data
        )
