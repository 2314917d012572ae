"""Background work of the engine (django-q2). Tasks take ids, load, call one service; each
is idempotent: the engine writes the state the ledger implies, so a second run changes
nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ambassadors.models import Organization


def badges_evaluate_task(
    organization_id: int,
    agent_ids: list[int],
    verb_codes: list[str],
    occurred_between: list[str] | None = None,
) -> dict[str, Any]:
    """The delta path: the rules these verbs touch, for these agents; their point lines on
    the days ``occurred_between`` (ISO datetimes) spans."""
    from badges.services.engine import badges_evaluate

    organization = Organization.objects.get(pk=organization_id)
    span = None
    if occurred_between:
        first, last = (dt.datetime.fromisoformat(value) for value in occurred_between)
        span = (first, last)
    return badges_evaluate(
        organization=organization,
        agent_ids=agent_ids,
        verb_codes=verb_codes,
        occurred_between=span,
    ).as_dict()


def badges_reconcile_task(
    organization_id: int | None = None, *, notify: bool = True
) -> dict[str, Any]:
    """The full path, for one organization or every one (the nightly schedule); after a
    bulk load of history, without a notice per award (``notify`` False)."""
    from badges.services.engine import badges_reconcile

    organizations = Organization.objects.order_by("pk")
    if organization_id is not None:
        organizations = organizations.filter(pk=organization_id)
    drift = {
        org.slug: badges_reconcile(organization=org, notify=notify).drift for org in organizations
    }
    return {"drift": drift}


def notifications_email_task(notification_ids: list[int]) -> int:
    """Send the e-mails of these notices that have not gone; a notice already sent (by this
    task run twice, or by another worker) is skipped by its claim."""
    from badges.services.notifications import notifications_email

    return notifications_email(notification_ids=notification_ids)


def badge_backfill_task(version_id: int) -> dict[str, Any]:
    """After a rule version goes live: evaluate that badge for every agent, the awards its
    history earns notified as one digest per agent."""
    from badges.models import BadgeVersion
    from badges.services.engine import badges_evaluate

    version = BadgeVersion.objects.select_related("organization").filter(pk=version_id).first()
    if version is None:  # its badge was deleted since: nothing left to evaluate
        return {}
    return badges_evaluate(
        organization=version.organization,
        badge_ids=[version.badge_id],
        digest_version=version,
    ).as_dict()
