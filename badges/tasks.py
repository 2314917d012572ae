"""Background work of the engine (django-q2). Tasks take ids, load, call one service; each
is idempotent: the engine writes the state the ledger implies, so a second run changes
nothing."""

from __future__ import annotations

from typing import Any

from ambassadors.models import Organization


def badges_evaluate_task(
    organization_id: int, agent_ids: list[int], verb_codes: list[str]
) -> dict[str, Any]:
    """The delta path: the rules these verbs touch, for these agents."""
    from badges.services.engine import badges_evaluate

    organization = Organization.objects.get(pk=organization_id)
    return badges_evaluate(
        organization=organization, agent_ids=agent_ids, verb_codes=verb_codes
    ).as_dict()


def badges_reconcile_task(organization_id: int | None = None) -> dict[str, Any]:
    """The full path, for one organization or every one (the nightly schedule)."""
    from badges.services.engine import badges_reconcile

    organizations = Organization.objects.order_by("pk")
    if organization_id is not None:
        organizations = organizations.filter(pk=organization_id)
    drift = {org.slug: badges_reconcile(organization=org).drift for org in organizations}
    return {"drift": drift}
