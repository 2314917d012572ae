"""Reads of the network. Every function takes the organization it reads in."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet

from .models import Agent, Organization, OrgUnit


@dataclass
class UnitNode:
    id: int
    code: str
    name: str
    parent_id: int | None
    depth: int
    path: str
    headcount: int = 0  # present agents attached directly to this unit
    subtree_headcount: int = 0  # present agents in this unit and every unit below it
    children: list[UnitNode] = field(default_factory=list)


def unit_tree(*, organization: Organization, root: OrgUnit | None = None) -> list[UnitNode]:
    """The org chart (or one subtree) with headcounts, in two queries whatever its size."""
    units = OrgUnit.objects.for_org(organization).only(
        "id", "code", "name", "parent_id", "depth", "path"
    )
    agents = Agent.objects.for_org(organization).present().filter(unit__isnull=False)
    if root is not None:
        units = units.filter(path__startswith=root.path)
        agents = agents.filter(unit__path__startswith=root.path)
    counts = dict(agents.values("unit_id").annotate(n=Count("id")).values_list("unit_id", "n"))
    nodes = {
        unit.pk: UnitNode(
            id=unit.pk,
            code=unit.code,
            name=unit.name,
            parent_id=unit.parent_id,
            depth=unit.depth,
            path=unit.path,
            headcount=counts.get(unit.pk, 0),
        )
        for unit in units.order_by("path")
    }
    roots: list[UnitNode] = []
    for node in nodes.values():
        parent = nodes.get(node.parent_id) if node.parent_id else None
        if parent is None:
            roots.append(node)
        else:
            parent.children.append(node)
    for node in roots:
        _sum_subtree(node)
    _sort(roots)
    return roots


def _sum_subtree(node: UnitNode) -> int:
    node.subtree_headcount = node.headcount + sum(_sum_subtree(child) for child in node.children)
    return node.subtree_headcount


def _sort(nodes: list[UnitNode]) -> None:
    nodes.sort(key=lambda n: n.name.casefold())
    for node in nodes:
        _sort(node.children)


def flatten(nodes: list[UnitNode]) -> list[UnitNode]:
    out: list[UnitNode] = []
    stack = list(reversed(nodes))
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(reversed(node.children))
    return out


def subtree_headcounts(*, organization: Organization) -> dict[int, int]:
    """Headcount of every unit's subtree, keyed by unit id (two queries)."""
    return {
        node.id: node.subtree_headcount for node in flatten(unit_tree(organization=organization))
    }


def units_in_subtree(*, organization: Organization, unit: OrgUnit) -> QuerySet[OrgUnit]:
    return OrgUnit.objects.for_org(organization).filter(path__startswith=unit.path)


def agent_list(
    *,
    organization: Organization,
    search: str = "",
    unit: OrgUnit | None = None,
    include_departed: bool = False,
    units_filter: Q | None = None,
) -> QuerySet[Agent]:
    """Agents for lists and type-ahead: by name or HR id, within a unit's subtree."""
    agents = Agent.objects.for_org(organization).select_related("unit", "site")
    if not include_departed:
        agents = agents.present()
    if unit is not None:
        agents = agents.filter(unit__path__startswith=unit.path)
    if units_filter is not None:
        agents = agents.filter(unit__in=OrgUnit.objects.for_org(organization).filter(units_filter))
    for term in search.split():
        agents = agents.filter(
            Q(last_name__icontains=term) | Q(first_name__icontains=term) | Q(hr_id__iexact=term)
        )
    return agents.order_by("last_name", "first_name", "id")
