"""Template helpers of the coaching log: field errors, and the home page's coaching panel."""

from __future__ import annotations

from typing import Any

from django import template

from ambassadors.permissions import Action, RoleName, actor_for_request
from ambassadors.selectors_coaching import (
    coaching_to_confirm_by_agent,
    coaching_to_confirm_by_manager,
)

register = template.Library()


@register.inclusion_tag("ambassadors/coaching/_field_error.html")
def field_errors(errors: dict[str, list[str]] | None, name: str) -> dict[str, Any]:
    """The error messages of one field, each with the id its input's aria-describedby names."""
    return {"name": name, "messages_": (errors or {}).get(name, [])}


@register.simple_tag(takes_context=True)
def coaching_home(context: Any) -> dict[str, Any]:
    """What the home page shows of the coaching log for the signed-in person."""
    request = context.get("request")
    actor = actor_for_request(request) if request is not None else None
    if actor is None or actor.agent is None:
        return {}
    organization = actor.organization
    return {
        "can_log": actor.can(Action.LOG_COACHING),
        "mine": coaching_to_confirm_by_agent(organization=organization, agent=actor.agent),
        "team": (
            coaching_to_confirm_by_manager(organization=organization, actor=actor)
            if RoleName.MANAGER in actor.roles
            else []
        ),
    }
