"""The adoption read model: one ``AgentAdoption`` row per agent, rebuilt from the ledger.

``adoption_recompute`` is set-based: one aggregate query (MIN/MAX per agent over the
ledger, retracted rows excluded) and one bulk upsert, whatever the number of agents, so the
receiver of ``activities_recorded`` costs the same for one agent as for a batch of 5,000.
The stage is not stored: it depends on "now" (see ``AgentAdoption.stage_at``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Max, Min, Q
from django.utils import timezone

from ambassadors.models import Agent, AgentAdoption, Organization

REACH_VERBS = ("coaching_received", "event_attended")
CREDENTIALS_VERBS = ("credentials_delivered",)
ONBOARDING_VERBS = ("first_login", "welcome_tour_completed")
PUBLISHING_VERBS = ("news_published", "page_published", "document_published")

_FIELDS = [
    "organization",
    "reached_at",
    "reached_verb",
    "credentials_delivered_at",
    "onboarded_at",
    "onboarded_verb",
    "last_activity_at",
    "last_published_at",
    "updated_at",
]


def _live(*codes: str) -> Q:
    condition = Q(activities__retraction__isnull=True)
    if codes:
        condition &= Q(activities__verb__code__in=codes)
    return condition


def _earliest(*candidates: tuple[str, dt.datetime | None]) -> tuple[dt.datetime | None, str]:
    """The earliest (date, verb) of the candidates that have a date; (None, "") if none."""
    dated = [(when, code) for code, when in candidates if when is not None]
    if not dated:
        return None, ""
    return min(dated, key=lambda pair: pair[0])


@transaction.atomic
def adoption_recompute(
    *, organization: Organization | int, agent_ids: Iterable[int] | None = None
) -> int:
    """Rewrite the adoption rows of ``agent_ids`` (None: every agent of the organization)
    from the ledger; return how many rows were written."""
    org_id = organization if isinstance(organization, int) else organization.pk
    agents = Agent.objects.for_org(org_id)
    if agent_ids is not None:
        ids = sorted(set(agent_ids))
        if not ids:
            return 0
        agents = agents.filter(pk__in=ids)
    aggregates = (
        agents.order_by()
        .annotate(
            coached=Min("activities__occurred_at", filter=_live("coaching_received")),
            attended=Min("activities__occurred_at", filter=_live("event_attended")),
            credentials=Min("activities__occurred_at", filter=_live(*CREDENTIALS_VERBS)),
            first_login=Min("activities__occurred_at", filter=_live("first_login")),
            welcome_tour=Min("activities__occurred_at", filter=_live("welcome_tour_completed")),
            last_activity=Max("activities__occurred_at", filter=_live()),
            last_published=Max("activities__occurred_at", filter=_live(*PUBLISHING_VERBS)),
        )
        .values_list(
            "pk",
            "coached",
            "attended",
            "credentials",
            "first_login",
            "welcome_tour",
            "last_activity",
            "last_published",
        )
    )
    now = timezone.now()
    rows = []
    for pk, coached, attended, credentials, login, tour, last, published in aggregates:
        reached_at, reached_verb = _earliest(
            ("coaching_received", coached), ("event_attended", attended)
        )
        onboarded_at, onboarded_verb = _earliest(
            ("first_login", login), ("welcome_tour_completed", tour)
        )
        rows.append(
            AgentAdoption(
                agent_id=pk,
                organization_id=org_id,
                reached_at=reached_at,
                reached_verb=reached_verb,
                credentials_delivered_at=credentials,
                onboarded_at=onboarded_at,
                onboarded_verb=onboarded_verb,
                last_activity_at=last,
                last_published_at=published,
                updated_at=now,
            )
        )
    if rows:
        AgentAdoption.objects.bulk_create(
            # Django splits it in batches under the bound-parameter limit (99 rows a
            # statement on SQLite, one statement on PostgreSQL for a few thousand).
            rows,
            update_conflicts=True,
            unique_fields=["agent"],
            update_fields=_FIELDS,
        )
    return len(rows)
