"""Small builders for engine tests: ledger rows, badges, point rules."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from ambassadors.models import Agent, Organization, Verb
from ambassadors.services.ledger import activities_ingest, activities_retract
from badges.models import Badge, BadgeStatus, PointRule

UTC = dt.UTC
NOW = dt.datetime(2026, 6, 15, 12, 0, tzinfo=UTC)  # a Monday
_ids = itertools.count(1)


def at(days_ago: float = 0, hours: float = 0) -> dt.datetime:
    return NOW - dt.timedelta(days=days_ago, hours=hours)


def ingest(
    organization: Organization,
    agent: Agent,
    verb: str,
    when: dt.datetime,
    external_id: str | None = None,
    source_code: str = "intranet",
) -> str:
    """Store one activity through the real ingestion path; return its external id."""
    key = external_id or f"t-{next(_ids)}"
    report = activities_ingest(
        organization=organization,
        items=[
            {
                "external_id": key,
                "verb": verb,
                "agent": agent.hr_id,
                "occurred_at": when.isoformat(),
                "object": {"type": "news", "title": "Une actualité", "url": "https://x.fr/1"},
            }
        ],
        source_code=source_code,
        now=NOW + dt.timedelta(days=1),
    )
    assert report.rejected == 0, report.results
    return key


def retract(organization: Organization, external_id: str, source_code: str = "intranet") -> None:
    activities_retract(
        organization=organization,
        source_code=source_code,
        external_ids=[external_id],
        reason="test",
        now=NOW,
    )


def badge(
    organization: Organization,
    code: str,
    kind: str,
    params: dict[str, Any],
    tiers: list[tuple[str, int, int]],
    *,
    revocable: bool = False,
    category: str = "publishing",
) -> Badge:
    return Badge.objects.create(
        organization=organization,
        code=code,
        name_fr=code,
        name_en=code,
        category=category,
        kind=kind,
        params=params,
        tiers=[{"tier": t, "threshold": n, "points": p} for t, n, p in tiers],
        revocable=revocable,
        status=BadgeStatus.ACTIVE,
    )


def points(organization: Organization, verb: str, value: int, cap: int | None = None) -> None:
    verb_row = Verb.objects.for_org(organization).get(code=verb)
    PointRule.objects.update_or_create(
        verb=verb_row,
        defaults={"organization": organization, "points": value, "daily_cap": cap},
    )
