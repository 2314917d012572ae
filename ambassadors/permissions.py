"""Roles × actions: the permission matrix of Relais, in one place.

``docs/permissions.md`` renders this matrix for people; ``tests/ambassadors/
test_permissions.py`` checks every cell. Roles are held per organization; an agent can
hold several, and the union of what they allow applies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.db.models import Q
from django.utils import timezone

from .models import Agent, AmbassadorMandate, Organization, OrgUnit, Role


class RoleName(StrEnum):
    COMMS = "comms"
    MANAGER = "manager"
    RESOURCE_PERSON = "resource_person"
    AMBASSADOR = "ambassador"
    AGENT = "agent"


class Action(StrEnum):
    VIEW_ORG_CHART = "view_org_chart"
    SEARCH_AGENTS = "search_agents"
    VIEW_AGENT = "view_agent"
    IMPORT_DIRECTORY = "import_directory"
    MANAGE_PROGRAMME = "manage_programme"
    MANAGE_TOKENS = "manage_tokens"
    LOG_COACHING = "log_coaching"
    VIEW_COVERAGE = "view_coverage"
    CONFIRM_COACHING = "confirm_coaching"
    VIEW_COACHING_NOTES = "view_coaching_notes"
    EDIT_OLD_COACHING = "edit_old_coaching"
    GRANT_BADGE = "grant_badge"
    CONTEST_AWARD = "contest_award"


class Reach(StrEnum):
    """How far an allowed action reaches."""

    ORGANIZATION = "organization"  # everything in the organization
    SUBTREE = "subtree"  # the units managed, and all units below them
    COVERED = "covered"  # the units an ambassador's active mandate covers, and below
    OWN_UNITS = "own_units"  # a resource person's units and site
    SELF = "self"  # the agent's own record only


MATRIX: dict[Action, dict[RoleName, Reach]] = {
    Action.VIEW_ORG_CHART: {role: Reach.ORGANIZATION for role in RoleName},
    Action.SEARCH_AGENTS: {role: Reach.ORGANIZATION for role in RoleName},
    Action.VIEW_AGENT: {
        RoleName.COMMS: Reach.ORGANIZATION,
        RoleName.MANAGER: Reach.SUBTREE,
        RoleName.AMBASSADOR: Reach.COVERED,
        RoleName.RESOURCE_PERSON: Reach.OWN_UNITS,
        RoleName.AGENT: Reach.SELF,
    },
    Action.IMPORT_DIRECTORY: {RoleName.COMMS: Reach.ORGANIZATION},
    Action.MANAGE_PROGRAMME: {RoleName.COMMS: Reach.ORGANIZATION},
    Action.MANAGE_TOKENS: {RoleName.COMMS: Reach.ORGANIZATION},
    Action.LOG_COACHING: {
        RoleName.COMMS: Reach.ORGANIZATION,
        RoleName.AMBASSADOR: Reach.ORGANIZATION,
    },
    Action.VIEW_COVERAGE: {
        RoleName.COMMS: Reach.ORGANIZATION,
        RoleName.MANAGER: Reach.SUBTREE,
    },
    # The coached agent confirms their own session; their manager may confirm for them.
    Action.CONFIRM_COACHING: {
        RoleName.MANAGER: Reach.SUBTREE,
        RoleName.AGENT: Reach.SELF,
    },
    # Besides the session's own coach, who always sees the notes they wrote.
    Action.VIEW_COACHING_NOTES: {RoleName.COMMS: Reach.ORGANIZATION},
    # Changing a session more than 7 days after it was held (or logged, if later).
    Action.EDIT_OLD_COACHING: {RoleName.COMMS: Reach.ORGANIZATION},
    # Badges themselves (create, edit, preview and activate rule changes, answer contests)
    # are part of MANAGE_PROGRAMME; a grant by hand is its own, logged, action.
    Action.GRANT_BADGE: {RoleName.COMMS: Reach.ORGANIZATION},
    # An agent contests a missing award for themselves.
    Action.CONTEST_AWARD: {RoleName.AGENT: Reach.SELF},
}


@dataclass
class Actor:
    """Who is acting, with their roles loaded once per request (two queries)."""

    organization: Organization
    agent: Agent | None
    roles: set[RoleName] = field(default_factory=set)
    managed_paths: list[str] = field(default_factory=list)
    covered_paths: list[str] = field(default_factory=list)
    resource_paths: list[str] = field(default_factory=list)
    resource_site_ids: set[int] = field(default_factory=set)

    @property
    def is_comms(self) -> bool:
        return RoleName.COMMS in self.roles

    @property
    def can_log_coaching(self) -> bool:
        """For templates, which cannot call ``can``: coaching and event pages."""
        return self.can(Action.LOG_COACHING)

    def can(self, action: Action, target: Agent | OrgUnit | None = None) -> bool:
        return any(
            self._reaches(reach, target)
            for role, reach in MATRIX[action].items()
            if role in self.roles
        )

    def _reaches(self, reach: Reach, target: Agent | OrgUnit | None) -> bool:
        if reach is Reach.ORGANIZATION:
            return target is None or target.organization_id == self.organization.pk
        if target is None:
            return True
        if target.organization_id != self.organization.pk:
            return False
        if reach is Reach.SELF:
            return (
                isinstance(target, Agent) and self.agent is not None and target.pk == self.agent.pk
            )
        path = _target_path(target)
        if reach is Reach.SUBTREE:
            return _under(path, self.managed_paths)
        if reach is Reach.COVERED:
            return _under(path, self.covered_paths)
        if reach is Reach.OWN_UNITS:
            site_id = target.site_id if isinstance(target, Agent) else None
            return _under(path, self.resource_paths) or (
                site_id is not None and site_id in self.resource_site_ids
            )
        return False

    def units_q(self, action: Action, prefix: str = "") -> Q | None:
        """A filter on units for a list, or None when the actor sees the whole organization."""
        paths: list[str] = []
        for role, reach in MATRIX[action].items():
            if role not in self.roles:
                continue
            if reach is Reach.ORGANIZATION:
                return None
            paths += {
                Reach.SUBTREE: self.managed_paths,
                Reach.COVERED: self.covered_paths,
                Reach.OWN_UNITS: self.resource_paths,
            }.get(reach, [])
        query = Q(pk__in=[])
        for path in paths:
            query |= Q(**{f"{prefix}path__startswith": path})
        return query


def _target_path(target: Agent | OrgUnit) -> str:
    if isinstance(target, OrgUnit):
        return target.path
    return target.unit.path if target.unit_id and target.unit else ""


def _under(path: str, roots: list[str]) -> bool:
    return bool(path) and any(path.startswith(root) for root in roots)


def actor_for(organization: Organization, agent: Agent | None) -> Actor:
    actor = Actor(organization=organization, agent=agent)
    if agent is None:
        return actor
    actor.roles.add(RoleName.AGENT)
    for role in Role.objects.for_org(organization).filter(agent=agent).prefetch_related("units"):
        paths = [unit.path for unit in role.units.all()]
        if role.kind == Role.Kind.COMMS:
            actor.roles.add(RoleName.COMMS)
        elif role.kind == Role.Kind.MANAGER:
            actor.roles.add(RoleName.MANAGER)
            actor.managed_paths += paths
        elif role.kind == Role.Kind.RESOURCE_PERSON:
            actor.roles.add(RoleName.RESOURCE_PERSON)
            actor.resource_paths += paths
            if role.site_id:
                actor.resource_site_ids.add(role.site_id)
    today = timezone.localdate()
    mandates = (
        AmbassadorMandate.objects.for_org(organization)
        .filter(agent=agent, status=AmbassadorMandate.Status.ACTIVE)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .prefetch_related("units")
    )
    for mandate in mandates:
        actor.roles.add(RoleName.AMBASSADOR)
        actor.covered_paths += [unit.path for unit in mandate.units.all()]
    return actor


def actor_for_request(request: Any) -> Actor | None:
    """The request's actor, cached on the request; None when it acts for no organization."""
    cached = getattr(request, "_relais_actor", None)
    if cached is not None:
        return cached
    organization = getattr(request, "organization", None)
    if organization is None:
        return None
    agent = getattr(request, "agent", None)
    actor = actor_for(organization, agent)
    request._relais_actor = actor
    return actor
