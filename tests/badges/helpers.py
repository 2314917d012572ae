"""Small builders for engine tests: ledger rows, badges, point rules."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from ambassadors.models import (
    Activity,
    Agent,
    CoachingParticipant,
    CoachingSession,
    Organization,
    Verb,
)
from ambassadors.services.coaching import SessionData, coaching_session_create
from ambassadors.services.ledger import activities_ingest, activities_retract
from badges.models import Badge, BadgeStatus, PointRule
from badges.rules import Rule, get_kind
from badges.rules.base import clean_tiers
from badges.services.engine import engine_context, rule_of
from tests.factories import AgentFactory, MandateFactory

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


# -- Rule kinds and the coaching log ------------------------------------------------------


def measure_of(
    definition: Badge, agent_ids: list[int] | None = None, now: dt.datetime = NOW
) -> dict[int, Any]:
    """What the badge's rule kind measures, straight from the kind (no awards written)."""
    rule = rule_of(definition)
    ctx = engine_context(organization=definition.organization, now=now)
    return get_kind(rule.kind).measure(ctx, rule, agent_ids)


def new_ambassador(organization: Organization, **kwargs: Any) -> Agent:
    """An agent with an active ambassador mandate: allowed to log coaching."""
    agent = AgentFactory(organization=organization, **kwargs)
    MandateFactory(agent=agent)
    return agent


def coach(
    organization: Organization,
    ambassador: Agent,
    agents: list[Agent],
    when: dt.datetime,
    *,
    confirmed: list[Agent] | tuple[Agent, ...] = (),
) -> CoachingSession:
    """Log a session through the coaching service (real ledger rows and external ids), as an
    integration would; ``confirmed`` agents confirm it (their ``confirmed_at`` is set)."""
    session = coaching_session_create(
        organization=organization,
        data=SessionData(coach=ambassador, agents=agents, occurred_at=when),
        actor=None,
        now=NOW,
    )
    if confirmed:
        CoachingParticipant.objects.for_org(organization).filter(
            session=session, agent__in=confirmed
        ).update(confirmed_at=NOW)
    return session


def rule_for(
    kind: str,
    params: dict[str, Any],
    thresholds: tuple[int, ...] = (2, 4),
    *,
    revocable: bool = False,
    code: str = "test",
) -> Rule:
    """A rule as the engine evaluates it, without a badge row: for ``explain`` tests."""
    return Rule(
        badge_id=0,
        code=code,
        version=1,
        kind=kind,
        params=get_kind(kind).clean_params(params),
        tiers=clean_tiers(
            [
                {"tier": tier, "threshold": threshold, "points": 0}
                for tier, threshold in zip(("bronze", "silver", "gold"), thresholds, strict=False)
            ]
        ),
        revocable=revocable,
    )


def activity_ids(organization: Organization, *external_ids: str) -> tuple[int, ...]:
    """The ledger ids of these external ids, in the order given."""
    found = dict(
        Activity.objects.for_org(organization)
        .filter(external_id__in=external_ids)
        .values_list("external_id", "id")
    )
    return tuple(found[key] for key in external_ids)


def given_id(session: CoachingSession) -> int:
    """The coach's ``coaching_given`` row of a session (first ledger version)."""
    return activity_ids(session.organization, f"coaching:{session.pk}:given")[0]


def received_id(session: CoachingSession, agent: Agent) -> int:
    """A coached agent's ``coaching_received`` row of a session (first ledger version)."""
    return activity_ids(session.organization, f"coaching:{session.pk}:received:{agent.pk}")[0]
