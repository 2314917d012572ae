"""Template tags for the adoption stage, so the agent and unit pages show it without their
views knowing about it: one query each."""

from __future__ import annotations

from typing import Any

from django import template

from ambassadors.models import Agent, OrgUnit
from ambassadors.selectors_adoption import adoption_stage_counts, agent_adoption

register = template.Library()


@register.inclusion_tag("ambassadors/_adoption_stage.html")
def adoption_stage(agent: Agent) -> dict[str, Any]:
    return {"agent": agent, "adoption": agent_adoption(agent=agent)}


@register.inclusion_tag("ambassadors/_adoption_counts.html")
def adoption_counts(unit: OrgUnit) -> dict[str, Any]:
    counts = adoption_stage_counts(organization=unit.organization_id, unit=unit)
    return {"counts": counts, "total": sum(count.count for count in counts)}
