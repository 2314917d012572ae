"""Reads of the coaching log: lists, one session, what waits for confirmation, who sees what.

Every list loads its sessions with their coach, coached agents and topics in a fixed number
of queries (``select_related`` and ``Prefetch``), whatever the number of rows.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from .models import (
    Agent,
    AmbassadorMandate,
    CoachingParticipant,
    CoachingSession,
    CoachingSessionRevision,
    CoachingSettings,
    CoachingTopic,
    Organization,
)
from .permissions import Action, Actor

# Sessions older than this are no longer offered for confirmation on home pages.
CONFIRMATION_WINDOW = dt.timedelta(days=60)


def _with_details(sessions: QuerySet[CoachingSession]) -> QuerySet[CoachingSession]:
    return sessions.select_related("coach", "coach__unit").prefetch_related(
        Prefetch(
            "participants",
            queryset=CoachingParticipant.objects.select_related("agent", "agent__unit").order_by(
                "agent__last_name", "agent__first_name"
            ),
        ),
        Prefetch("topics", queryset=CoachingTopic.objects.only("id", "code", "label")),
    )


def coaching_session_list(
    *, organization: Organization, actor: Actor | None, mine: bool = False
) -> QuerySet[CoachingSession]:
    """Sessions newest first: a token or the communication team see the whole organization
    (or only their own with ``mine``), anyone else the sessions they gave."""
    sessions = CoachingSession.objects.for_org(organization)
    if actor is not None and (mine or not actor.is_comms):
        if actor.agent is None:
            return sessions.none()
        sessions = sessions.filter(coach=actor.agent)
    return _with_details(sessions).order_by("-occurred_at", "-pk")


def coaching_session_get(*, organization: Organization, session_id: int) -> CoachingSession | None:
    return (
        _with_details(CoachingSession.objects.for_org(organization)).filter(pk=session_id).first()
    )


def coaching_session_visible(*, actor: Actor, session: CoachingSession) -> bool:
    """The coach, the communication team, a coached agent, or the manager of one."""
    if session.organization_id != actor.organization.pk:
        return False
    if actor.is_comms:
        return True
    if actor.agent is not None and actor.agent.pk == session.coach_id:
        return True
    return any(
        actor.can(Action.CONFIRM_COACHING, participant.agent)
        for participant in session.participants.all()
    )


def coaching_notes_visible(*, actor: Actor | None, session: CoachingSession) -> bool:
    """Notes are for the coach and the communication team only; never for a token."""
    if actor is None or session.organization_id != actor.organization.pk:
        return False
    if actor.agent is not None and actor.agent.pk == session.coach_id:
        return True
    return actor.can(Action.VIEW_COACHING_NOTES)


def coaching_topics(*, organization: Organization) -> list[CoachingTopic]:
    return list(CoachingTopic.objects.for_org(organization).filter(is_active=True))


def coaching_coaches(*, organization: Organization) -> list[Agent]:
    """Agents who may be named as coach: those holding an active mandate today."""
    today = timezone.localdate()
    return list(
        Agent.objects.for_org(organization)
        .filter(
            Q(mandates__end_date__isnull=True) | Q(mandates__end_date__gte=today),
            mandates__status=AmbassadorMandate.Status.ACTIVE,
        )
        .distinct()
        .order_by("last_name", "first_name")
    )


def coaching_revisions(*, session: CoachingSession) -> list[CoachingSessionRevision]:
    return list(
        CoachingSessionRevision.objects.filter(session=session)
        .select_related("changed_by")
        .order_by("-number")
    )


def coaching_settings(*, organization: Organization) -> CoachingSettings:
    """The organization's settings, defaults when never saved (nothing is written)."""
    found = CoachingSettings.objects.filter(organization=organization).first()
    return found or CoachingSettings(organization=organization)


def _pending(organization: Organization) -> QuerySet[CoachingParticipant]:
    since = timezone.now() - CONFIRMATION_WINDOW
    return (
        CoachingParticipant.objects.for_org(organization)
        .filter(confirmed_at__isnull=True, session__occurred_at__gte=since)
        .select_related("agent", "agent__unit", "session", "session__coach")
        .order_by("-session__occurred_at", "pk")
    )


def coaching_to_confirm_by_agent(
    *, organization: Organization, agent: Agent, limit: int = 10
) -> list[CoachingParticipant]:
    """The agent's own sessions still to confirm, newest first."""
    return list(_pending(organization).filter(agent=agent)[:limit])


def coaching_to_confirm_by_manager(
    *, organization: Organization, actor: Actor, limit: int = 20
) -> list[CoachingParticipant]:
    """Sessions of agents in the services the actor manages, still to confirm (excluding
    the actor's own, and sessions the actor gave)."""
    if not actor.managed_paths or actor.agent is None:
        return []
    under = Q(pk__in=[])
    for path in actor.managed_paths:
        under |= Q(agent__unit__path__startswith=path)
    return list(
        _pending(organization)
        .filter(under)
        .exclude(agent=actor.agent)
        .exclude(session__coach=actor.agent)[:limit]
    )


def coaching_counts_by_coach(*, organization: Organization, coach: Agent) -> dict[str, int]:
    """Figures for the coach's own list page: sessions and distinct agents coached."""
    sessions = CoachingSession.objects.for_org(organization).filter(coach=coach)
    return {
        "sessions": sessions.count(),
        "agents": CoachingParticipant.objects.for_org(organization)
        .filter(session__coach=coach)
        .aggregate(n=Count("agent", distinct=True))["n"],
    }
