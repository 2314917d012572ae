"""``/api/v1/coaching-sessions``: log coaching sessions, and read them back.

Notes are never returned to a token, nor to a person other than the coach or the
communication team: the field is then ``null``.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ambassadors.errors import NotFound
from ambassadors.models import Agent, CoachingSession, CoachingTopic, Organization
from ambassadors.permissions import Action, Actor, actor_for_request
from ambassadors.selectors_coaching import (
    coaching_notes_visible,
    coaching_session_get,
    coaching_session_list,
    coaching_session_visible,
)
from ambassadors.services.coaching import SessionData, coaching_session_create
from ambassadors.tenancy import request_organization
from api.models import Scope
from api.pagination import paginated_response, paginated_serializer
from api.permissions import is_token_request
from api.schema import READ_ERRORS, error_responses


def _actor(request: Request) -> Actor | None:
    """The person calling, or None for a token (which reads its whole organization)."""
    if is_token_request(request):
        return None
    actor = actor_for_request(request._request)
    if actor is None:
        raise NotFound(_("No such coaching session."))
    return actor


class CoachRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    hr_id = serializers.CharField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()

    class Meta:
        ref_name = "CoachRef"


class CoachedAgentSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="agent.id")
    hr_id = serializers.CharField(source="agent.hr_id")
    first_name = serializers.CharField(source="agent.first_name")
    last_name = serializers.CharField(source="agent.last_name")
    confirmed_at = serializers.DateTimeField(
        allow_null=True, help_text="When the agent, or their manager, confirmed; null if not yet"
    )

    class Meta:
        ref_name = "CoachedAgent"


class CoachingSessionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    coach = CoachRefSerializer()
    agents = CoachedAgentSerializer(source="participants.all", many=True)
    headcount = serializers.IntegerField(
        allow_null=True, help_text="Anonymous head count of a group demo"
    )
    occurred_at = serializers.DateTimeField()
    duration_minutes = serializers.IntegerField()
    format = serializers.ChoiceField(choices=CoachingSession.Format.choices)
    place = serializers.ChoiceField(choices=CoachingSession.Place.choices)
    equipment = serializers.CharField(
        help_text="One of " + ", ".join(CoachingSession.Equipment.values) + ", or empty"
    )
    topics = serializers.SerializerMethodField(help_text="Topic codes")
    autonomy_after = serializers.CharField(
        help_text="One of " + ", ".join(CoachingSession.Autonomy.values) + ", or empty"
    )
    follow_up_on = serializers.DateField(allow_null=True)
    notes = serializers.SerializerMethodField(
        help_text="Only for the coach and the communication team; always null for tokens"
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    class Meta:
        ref_name = "CoachingSession"

    def get_topics(self, session: CoachingSession) -> list[str]:
        return [topic.code for topic in session.topics.all()]

    def get_notes(self, session: CoachingSession) -> str | None:
        actor = self.context.get("actor")
        return session.notes if coaching_notes_visible(actor=actor, session=session) else None


class _ContextPaginatedList:
    """Lets ``paginated_response`` build the serializer with the actor in its context."""

    def __init__(self, actor: Actor | None) -> None:
        self.actor = actor

    def __call__(self, *args: Any, **kwargs: Any) -> CoachingSessionSerializer:
        return CoachingSessionSerializer(*args, context={"actor": self.actor}, **kwargs)


class CoachingSessionListCreateApi(APIView):
    required_scope = Scope.COACHING_WRITE.value
    required_action = Action.LOG_COACHING

    class InputSerializer(serializers.Serializer):
        coach = serializers.CharField(
            required=False,
            max_length=40,
            help_text=(
                "The coach's HR id. Required with a token; for a person, defaults to "
                "themselves (only the communication team may name someone else)."
            ),
        )
        agents = serializers.ListField(
            child=serializers.CharField(max_length=40),
            required=False,
            default=list,
            max_length=100,
            help_text="HR ids of the coached agents",
        )
        headcount = serializers.IntegerField(
            required=False, allow_null=True, min_value=1, max_value=1000
        )
        occurred_at = serializers.DateTimeField(help_text="ISO 8601 with offset; not in the future")
        duration_minutes = serializers.IntegerField(
            required=False, default=15, min_value=1, max_value=480
        )
        format = serializers.ChoiceField(
            choices=CoachingSession.Format.choices,
            required=False,
            default=CoachingSession.Format.INDIVIDUAL,
        )
        place = serializers.ChoiceField(
            choices=CoachingSession.Place.choices,
            required=False,
            default=CoachingSession.Place.AGENT_WORKPLACE,
        )
        equipment = serializers.ChoiceField(
            choices=CoachingSession.Equipment.choices, required=False, allow_blank=True, default=""
        )
        topics = serializers.ListField(
            child=serializers.CharField(max_length=40),
            required=False,
            default=list,
            help_text="Topic codes of the organization's catalogue",
        )
        autonomy_after = serializers.ChoiceField(
            choices=CoachingSession.Autonomy.choices, required=False, allow_blank=True, default=""
        )
        follow_up_on = serializers.DateField(required=False, allow_null=True)
        notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)

        class Meta:
            ref_name = "CoachingSessionInput"

        def validate_occurred_at(self, value: Any) -> Any:
            if timezone.is_naive(value):
                raise serializers.ValidationError(_("Give a UTC offset, e.g. +01:00 or Z."))
            return value

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            organization: Organization = self.context["organization"]
            errors: dict[str, list[str]] = {}
            wanted = list(dict.fromkeys(code.strip() for code in attrs["agents"]))
            hr_ids = set(wanted) | ({attrs["coach"].strip()} if attrs.get("coach") else set())
            by_hr_id = {
                agent.hr_id: agent
                for agent in Agent.objects.for_org(organization).filter(hr_id__in=hr_ids)
            }
            unknown = [code for code in wanted if code not in by_hr_id]
            if unknown:
                errors["agents"] = [
                    _("No agent with HR id “%(hr_id)s” in your organization.") % {"hr_id": code}
                    for code in unknown
                ]
            attrs["agents"] = [by_hr_id[code] for code in wanted if code in by_hr_id]
            if attrs.get("coach"):
                coach = by_hr_id.get(attrs["coach"].strip())
                if coach is None:
                    errors["coach"] = [
                        _("No agent with HR id “%(hr_id)s” in your organization.")
                        % {"hr_id": attrs["coach"]}
                    ]
                attrs["coach"] = coach
            codes = list(dict.fromkeys(attrs["topics"]))
            topics = {
                topic.code: topic
                for topic in CoachingTopic.objects.for_org(organization).filter(code__in=codes)
            }
            missing = [code for code in codes if code not in topics]
            if missing:
                errors["topics"] = [
                    _("Unknown topic “%(code)s”.") % {"code": code} for code in missing
                ]
            attrs["topics"] = [topics[code] for code in codes if code in topics]
            if errors:
                raise serializers.ValidationError(errors)
            return attrs

    @extend_schema(
        operation_id="coaching_sessions_list",
        summary="List coaching sessions",
        description=(
            "Newest first. A token reads every session of its organization; a person reads "
            "the sessions they gave (the communication team: every session). `notes` is null "
            "unless the caller is the coach or in the communication team, and always for tokens."
        ),
        parameters=[
            OpenApiParameter("page", int, description="Page number, from 1"),
            OpenApiParameter("page_size", int, description="Items per page, 500 at most"),
        ],
        responses={
            200: paginated_serializer(CoachingSessionSerializer),
            **error_responses(*READ_ERRORS),
        },
        tags=["coaching"],
    )
    def get(self, request: Request) -> Response:
        organization = request_organization(request)
        actor = _actor(request)
        sessions = coaching_session_list(organization=organization, actor=actor)
        return paginated_response(
            serializer_class=_ContextPaginatedList(actor),  # type: ignore[arg-type]
            queryset=sessions,
            request=request,
            view=self,
        )

    @extend_schema(
        operation_id="coaching_sessions_create",
        summary="Log a coaching session",
        description=(
            "Writes `coaching_given` for the coach and `coaching_received` for each coached "
            "agent to the activity ledger. Tokens need the scope `coaching:write` and name the "
            "coach by HR id. Refused (400, `errors` naming the field): a coach without an "
            "active ambassador mandate, self-coaching, a date in the future, no agent and no "
            "head count."
        ),
        request=InputSerializer,
        responses={
            201: CoachingSessionSerializer,
            **error_responses(400, 401, 403),
        },
        tags=["coaching"],
    )
    def post(self, request: Request) -> Response:
        organization = request_organization(request)
        actor = _actor(request)
        serializer = self.InputSerializer(data=request.data, context={"organization": organization})
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        coach = data.pop("coach", None)
        if coach is None:
            if actor is None or actor.agent is None:
                raise serializers.ValidationError({"coach": [_("Give the coach's HR id.")]})
            coach = actor.agent
        session = coaching_session_create(
            organization=organization,
            data=SessionData(coach=coach, **data),
            actor=actor,
            user=request.user if actor is not None else None,
        )
        loaded = coaching_session_get(organization=organization, session_id=session.pk)
        return Response(
            CoachingSessionSerializer(loaded, context={"actor": actor}).data,
            status=status.HTTP_201_CREATED,
        )


class CoachingSessionDetailApi(APIView):
    required_scope = None
    required_action = None  # who sees a session is decided per session below

    @extend_schema(
        operation_id="coaching_sessions_retrieve",
        summary="One coaching session",
        description=(
            "Seen by a token of the organization, the coach, the communication team, a coached "
            "agent or their manager; anyone else, and another organization, get 404."
        ),
        parameters=[OpenApiParameter("session_id", int, OpenApiParameter.PATH)],
        responses={200: CoachingSessionSerializer, **error_responses(*READ_ERRORS)},
        tags=["coaching"],
    )
    def get(self, request: Request, session_id: int) -> Response:
        organization = request_organization(request)
        actor = _actor(request)
        session = coaching_session_get(organization=organization, session_id=session_id)
        if session is None or (
            actor is not None and not coaching_session_visible(actor=actor, session=session)
        ):
            raise NotFound(_("No such coaching session."))
        return Response(CoachingSessionSerializer(session, context={"actor": actor}).data)
