"""Server-rendered pages: home per role, the org chart, a unit, an agent.

Views stay thin: they resolve the actor, check the matrix, read through selectors and
``for_org`` querysets, and render. Objects of another organization, and agents the actor
may not see, are 404 so their existence is not disclosed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from .models import Agent, AmbassadorMandate, Organization, OrgUnit, Role, Site
from .permissions import Action, Actor, RoleName, actor_for_request
from .selectors import UnitNode, agent_list, flatten, unit_tree
from .tenancy import get_scoped_or_404

AGENTS_PER_PAGE = 25


def _actor_or_404(request: HttpRequest) -> Actor:
    actor = actor_for_request(request)
    if actor is None:
        raise Http404("No organization for this request")
    return actor


def _unit_ids(paths: list[str]) -> list[int]:
    """The unit ids a list of materialised paths ("/3/17/") ends with."""
    return [int(path.strip("/").rsplit("/", 1)[-1]) for path in paths if path.strip("/")]


@dataclass
class ProgrammeOverview:
    agents: int
    agents_without_workstation: int
    units: int
    sites: int
    mandates_by_status: list[tuple[Any, int]] = field(default_factory=list)


def _programme_overview(organization: Organization) -> ProgrammeOverview:
    agent_counts = (
        Agent.objects.for_org(organization)
        .present()
        .aggregate(total=Count("id"), offline=Count("id", filter=Q(has_workstation=False)))
    )
    by_status = dict(
        AmbassadorMandate.objects.for_org(organization)
        .order_by()
        .values("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return ProgrammeOverview(
        agents=agent_counts["total"],
        agents_without_workstation=agent_counts["offline"],
        units=OrgUnit.objects.for_org(organization).count(),
        sites=Site.objects.for_org(organization).count(),
        mandates_by_status=[
            (label, by_status.get(value, 0)) for value, label in AmbassadorMandate.Status.choices
        ],
    )


def _unit_contacts(organization: Organization, agent: Agent) -> dict[str, list[Agent]]:
    """Ambassadors and resource persons whose reach includes the agent's unit or site."""
    unit_ids = [*agent.unit.ancestor_ids, agent.unit.pk] if agent.unit else []
    today = timezone.localdate()
    ambassadors = (
        Agent.objects.for_org(organization)
        # One filter() call: the three conditions must hold for the same mandate.
        .filter(
            Q(mandates__end_date__isnull=True) | Q(mandates__end_date__gte=today),
            mandates__status=AmbassadorMandate.Status.ACTIVE,
            mandates__units__in=unit_ids,
        )
        .exclude(pk=agent.pk)
        .select_related("unit")
        .distinct()
    )
    where = Q(roles__kind=Role.Kind.RESOURCE_PERSON) & (
        Q(roles__units__in=unit_ids) | Q(roles__site_id=agent.site_id)
        if agent.site_id
        else Q(roles__units__in=unit_ids)
    )
    resource_persons = (
        Agent.objects.for_org(organization)
        .filter(where)
        .exclude(pk=agent.pk)
        .select_related("unit")
        .distinct()
    )
    return {"ambassadors": list(ambassadors), "resource_persons": list(resource_persons)}


@login_required
def home(request: HttpRequest) -> HttpResponse:
    actor = actor_for_request(request)
    if actor is None:
        return render(request, "ambassadors/no_organization.html")
    organization = actor.organization
    context: dict[str, Any] = {"roles": actor.roles}
    if actor.is_comms:
        context["overview"] = _programme_overview(organization)
    scoped_paths = actor.managed_paths + actor.covered_paths + actor.resource_paths
    if scoped_paths:
        nodes = {node.id: node for node in flatten(unit_tree(organization=organization))}
        context["managed_units"] = _nodes(nodes, actor.managed_paths)
        context["covered_units"] = _nodes(nodes, actor.covered_paths)
        context["resource_units"] = _nodes(nodes, actor.resource_paths)
    if actor.agent is not None:
        me = (
            Agent.objects.for_org(organization)
            .select_related("unit", "site")
            .get(pk=actor.agent.pk)
        )
        context["me"] = me
        context["my_unit_path"] = _ancestors(organization, me.unit)
        context.update(_unit_contacts(organization, me))
    context["is_manager"] = RoleName.MANAGER in actor.roles
    context["is_ambassador"] = RoleName.AMBASSADOR in actor.roles
    context["is_resource_person"] = RoleName.RESOURCE_PERSON in actor.roles
    return render(request, "ambassadors/home.html", context)


def _nodes(nodes: dict[int, UnitNode], paths: list[str]) -> list[UnitNode]:
    seen: set[int] = set()
    out = []
    for unit_id in _unit_ids(paths):
        if unit_id in nodes and unit_id not in seen:
            seen.add(unit_id)
            out.append(nodes[unit_id])
    return out


def _ancestors(organization: Organization, unit: OrgUnit | None) -> list[OrgUnit]:
    if unit is None:
        return []
    ancestors = {
        u.pk: u
        for u in OrgUnit.objects.for_org(organization)
        .filter(pk__in=unit.ancestor_ids)
        .only("id", "name", "path")
    }
    return [ancestors[pk] for pk in unit.ancestor_ids if pk in ancestors]


@login_required
def org_chart(request: HttpRequest) -> HttpResponse:
    actor = _actor_or_404(request)
    if not actor.can(Action.VIEW_ORG_CHART):
        raise Http404("Not allowed")
    roots = unit_tree(organization=actor.organization)
    return render(
        request,
        "ambassadors/org_chart.html",
        {
            "roots": roots,
            "total_headcount": sum(root.subtree_headcount for root in roots),
        },
    )


@login_required
def unit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor_or_404(request)
    organization = actor.organization
    unit: OrgUnit = get_scoped_or_404(OrgUnit, organization, pk=pk)
    if not actor.can(Action.VIEW_ORG_CHART, unit):
        raise Http404("Not allowed")
    (node,) = unit_tree(organization=organization, root=unit)
    search = request.GET.get("q", "").strip()[:100]
    units_filter = actor.units_q(Action.VIEW_AGENT)
    agents = agent_list(
        organization=organization, search=search, unit=unit, units_filter=units_filter
    )
    page = Paginator(agents, AGENTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "ambassadors/unit_detail.html",
        {
            "unit": unit,
            "node": node,
            "ancestors": _ancestors(organization, unit),
            "page": page,
            "search": search,
            "agents_limited": units_filter is not None,
        },
    )


@login_required
def agent_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor_or_404(request)
    organization = actor.organization
    agent: Agent = get_scoped_or_404(Agent, organization, pk=pk)
    if not actor.can(Action.VIEW_AGENT, agent):
        raise Http404("Not allowed")
    units_only = Prefetch("units", queryset=OrgUnit.objects.only("id", "name"))
    roles = (
        Role.objects.for_org(organization)
        .filter(agent=agent)
        .select_related("site")
        .prefetch_related(units_only)
        .order_by("kind")
    )
    mandates = (
        AmbassadorMandate.objects.for_org(organization)
        .filter(agent=agent)
        .prefetch_related(units_only)
    )
    return render(
        request,
        "ambassadors/agent_detail.html",
        {
            "agent": agent,
            "ancestors": _ancestors(organization, agent.unit),
            "roles": roles,
            "mandates": mandates,
        },
    )
