"""Reads of the badges app: the catalogue with its rarity, an agent's awards, progress and
points, the notifications and the open contests. A fixed number of queries each, whatever
the number of badges, awards or agents (the query-count tests hold it)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from ambassadors.models import Activity, Agent, Organization, Verb
from badges.models import (
    Award,
    AwardLog,
    Badge,
    BadgeStatus,
    BadgeVersion,
    Notification,
    PointLine,
    Tier,
)
from badges.rules import Rule, TierSpec, get_kind
from badges.rules.base import TIER_NAMES, clean_tiers

# -- Catalogue and rarity -------------------------------------------------------------------


def _live_present(today: dt.date) -> Q:
    """Awards that count for rarity: not withdrawn, held by an agent still present."""
    return Q(awards__revoked_at__isnull=True) & (
        Q(awards__agent__departure_date__isnull=True) | Q(awards__agent__departure_date__gt=today)
    )


def badge_list(
    *,
    organization: Organization,
    category: str | None = None,
    status: str | None = BadgeStatus.ACTIVE,
) -> QuerySet[Badge]:
    """Badges in catalogue order, each annotated with its holders: ``holders`` (distinct
    present agents holding any tier) and ``holders_<tier>`` per tier, from live awards.

    One query: the counts are aggregates over the awards joined to the badges (the
    ``award_badge_tier`` index serves the join)."""
    today = timezone.localdate()
    live = _live_present(today)
    per_tier = {
        f"holders_{tier}": Count("awards", filter=live & Q(awards__tier=tier))
        for tier in Tier.values
    }
    badges = Badge.objects.for_org(organization)
    if status:
        badges = badges.filter(status=status)
    if category:
        badges = badges.filter(category=category)
    return badges.annotate(
        holders=Count("awards__agent", filter=live, distinct=True), **per_tier
    ).order_by("position", "code")


def active_agent_count(*, organization: Organization) -> int:
    """The denominator of rarity: agents present today."""
    return Agent.objects.for_org(organization).present().count()


@dataclass(frozen=True)
class TierRarity:
    tier: str
    label: str
    threshold: int
    points: int
    holders: int
    share: float  # percent of the organization's present agents


@dataclass(frozen=True)
class CatalogueEntry:
    badge: Badge
    criteria: str  # the badge's own words, else the rule kind's description
    rule_text: str  # the rule kind's description of the thresholds
    holders: int
    share: float
    tiers: list[TierRarity]


def share(count: int, total: int) -> float:
    return round(100 * count / total, 1) if total else 0.0


def rule_text(definition: Badge | BadgeVersion) -> str:
    """The rule in plain words; empty when its kind or params no longer validate (a badge
    must still show in the catalogue when its rule needs fixing)."""
    try:
        kind = get_kind(definition.kind)
        return kind.describe(kind.clean_params(definition.params), clean_tiers(definition.tiers))
    except (ValidationError, KeyError, TypeError, ValueError):
        return ""


def catalogue_entry(badge: Badge, agents: int) -> CatalogueEntry:
    """A badge of ``badge_list`` (annotated) with its tiers and shares."""
    tiers = []
    for spec in badge.tiers:
        count = int(getattr(badge, f"holders_{spec['tier']}", 0) or 0)
        tiers.append(
            TierRarity(
                tier=spec["tier"],
                label=str(Tier(spec["tier"]).label),
                threshold=spec["threshold"],
                points=spec.get("points", 0),
                holders=count,
                share=share(count, agents),
            )
        )
    holders = int(getattr(badge, "holders", 0) or 0)
    text = rule_text(badge)
    return CatalogueEntry(
        badge=badge,
        criteria=badge.criteria or text,
        rule_text=text,
        holders=holders,
        share=share(holders, agents),
        tiers=tiers,
    )


def badge_catalogue(
    *,
    organization: Organization,
    category: str | None = None,
    status: str | None = BadgeStatus.ACTIVE,
) -> tuple[list[CatalogueEntry], int]:
    """The catalogue and the number of present agents the shares are taken of (2 queries)."""
    agents = active_agent_count(organization=organization)
    badges = badge_list(organization=organization, category=category, status=status)
    return [catalogue_entry(badge, agents) for badge in badges], agents


def badge_get(*, organization: Organization, code: str) -> Badge | None:
    return Badge.objects.for_org(organization).filter(code=code).first()


def badge_draft(*, badge: Badge) -> BadgeVersion | None:
    return (
        BadgeVersion.objects.for_org(badge.organization_id)
        .filter(badge=badge, status=BadgeVersion.Status.DRAFT)
        .select_related("badge", "created_by")
        .first()
    )


def badge_versions(*, badge: Badge) -> QuerySet[BadgeVersion]:
    return (
        BadgeVersion.objects.for_org(badge.organization_id)
        .filter(badge=badge)
        .select_related("created_by", "activated_by")
        .order_by("-number")
    )


# -- An agent's awards ----------------------------------------------------------------------


def agent_awards(
    *, organization: Organization, agent: Agent, include_revoked: bool = False
) -> QuerySet[Award]:
    """The agent's awards with their badge, by badge then tier, newest tier first."""
    awards = Award.objects.for_org(organization).filter(agent=agent).select_related("badge")
    if not include_revoked:
        awards = awards.filter(revoked_at__isnull=True)
    return awards.order_by("badge__position", "badge__code", "-awarded_at", "pk")


@dataclass(frozen=True)
class AwardWithActivities:
    award: Award
    activities: list[Activity]

    @property
    def badge(self) -> Badge:
        return self.award.badge


def award_activities(
    *, organization: Organization, awards: Iterable[Award]
) -> list[AwardWithActivities]:
    """The activities behind each award, read in one query for all of them (in the order
    the award lists them; an activity gone from the ledger is left out)."""
    awards = list(awards)
    ids = {pk for award in awards for pk in award.activity_ids or []}
    by_id: dict[int, Activity] = {}
    if ids:
        by_id = {
            activity.pk: activity
            for activity in Activity.objects.for_org(organization)
            .filter(pk__in=sorted(ids))
            .select_related("verb")
            .only(
                "id",
                "occurred_at",
                "object_type",
                "object_title",
                "object_url",
                "verb__code",
                "verb__label",
            )
        }
    return [
        AwardWithActivities(
            award=award,
            activities=[by_id[pk] for pk in award.activity_ids or [] if pk in by_id],
        )
        for award in awards
    ]


def tier_sort_key(tier: str) -> int:
    return TIER_NAMES.index(tier) if tier in TIER_NAMES else len(TIER_NAMES)


# -- Progress toward the next tier ----------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    badge: Badge
    value: int
    held: list[str]  # tiers held (live awards), lowest first
    next_tier: TierSpec | None  # None: every tier held or met
    explanation: str

    @property
    def threshold(self) -> int | None:
        return self.next_tier.threshold if self.next_tier else None

    @property
    def percent(self) -> int:
        if self.next_tier is None:
            return 100
        return max(0, min(100, self.value * 100 // self.next_tier.threshold))

    @property
    def next_tier_label(self) -> str:
        return str(Tier(self.next_tier.tier).label) if self.next_tier else ""


def agent_progress(
    *,
    organization: Organization,
    agent: Agent,
    badges: Sequence[Badge] | None = None,
    now: dt.datetime | None = None,
) -> list[Progress]:
    """Where the agent stands on each active badge (or on ``badges``): the kind's value for
    them, the tiers held, the next one and its threshold, in plain words.

    One ``measure`` query per badge (the catalogue is small, some fifteen badges), plus a
    fixed few: the engine's context and the agent's live awards."""
    from badges.services.engine import engine_context, rule_of

    now = now or timezone.now()
    if badges is None:
        badges = list(
            Badge.objects.for_org(organization)
            .filter(status=BadgeStatus.ACTIVE)
            .order_by("position", "code")
        )
    if not badges:
        return []
    held_rows = list(
        Award.objects.for_org(organization)
        .filter(agent=agent, revoked_at__isnull=True)
        .values_list("badge_id", "badge__code", "tier", "awarded_at")
    )
    held: dict[int, set[str]] = {}
    earliest: dict[tuple[int, str], dt.datetime] = {}
    for badge_id, code, tier, awarded_at in held_rows:
        held.setdefault(badge_id, set()).add(tier)
        key = (agent.pk, code)
        if key not in earliest or awarded_at < earliest[key]:
            earliest[key] = awarded_at
    ctx = engine_context(organization=organization, now=now)
    # Meta-badges read what the agent holds; here, the stored live awards.
    ctx.held = earliest
    out: list[Progress] = []
    for badge in badges:
        try:
            rule = rule_of(badge)
            kind = get_kind(rule.kind)
        except ValidationError:
            continue  # a rule that no longer validates shows no progress until fixed
        measure = kind.measure(ctx, rule, [agent.pk]).get(agent.pk)
        value = measure.value if measure else 0
        tiers_held = held.get(badge.pk, set())
        out.append(
            Progress(
                badge=badge,
                value=value,
                held=sorted(tiers_held, key=tier_sort_key),
                next_tier=_next_tier(rule, value, tiers_held),
                explanation=kind.explain(rule, measure),
            )
        )
    return out


def _next_tier(rule: Rule, value: int, held: set[str]) -> TierSpec | None:
    """The lowest tier neither held nor met (a tier met and not yet recorded is the
    engine's next pass, not something left to do)."""
    return next((t for t in rule.tiers if t.tier not in held and value < t.threshold), None)


# -- Points ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CategoryPoints:
    category: str
    label: str
    activities: int  # points of the activities themselves
    badges: int  # points of the badges held
    total: int


@dataclass
class PointsSummary:
    categories: list[CategoryPoints] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(c.total for c in self.categories)

    @property
    def activities(self) -> int:
        return sum(c.activities for c in self.categories)

    @property
    def badges(self) -> int:
        return sum(c.badges for c in self.categories)


def agent_points(*, organization: Organization, agent: Agent) -> PointsSummary:
    """Point totals per category: activities' point lines plus live badges' points
    (2 queries)."""
    lines = dict(
        PointLine.objects.for_org(organization)
        .filter(agent=agent)
        .order_by()
        .values("category")
        .annotate(total=Sum("points"))
        .values_list("category", "total")
    )
    badges = dict(
        Award.objects.for_org(organization)
        .filter(agent=agent, revoked_at__isnull=True)
        .order_by()
        .values("badge__category")
        .annotate(total=Sum("points"))
        .values_list("badge__category", "total")
    )
    return PointsSummary(
        categories=[
            CategoryPoints(
                category=value,
                label=str(label),
                activities=int(lines.get(value) or 0),
                badges=int(badges.get(value) or 0),
                total=int(lines.get(value) or 0) + int(badges.get(value) or 0),
            )
            for value, label in Verb.Category.choices
        ]
    )


# -- Notifications and contests ------------------------------------------------------------


def notification_list(*, agent: Agent, limit: int = 20) -> list[Notification]:
    """The agent's latest notices, unread first, with the award and badge they are about."""
    return list(
        Notification.objects.for_org(agent.organization_id)
        .filter(agent=agent)
        .select_related("award__badge", "version__badge", "log__badge")
        .order_by("-created_at", "-pk")[:limit]
    )


def notification_unread_count(*, agent: Agent) -> int:
    return (
        Notification.objects.for_org(agent.organization_id)
        .filter(agent=agent, read_at__isnull=True)
        .count()
    )


def contest_list(
    *, organization: Organization, status: str | None = AwardLog.Status.OPEN
) -> QuerySet[AwardLog]:
    """Contests of missing awards, oldest open first."""
    logs = (
        AwardLog.objects.for_org(organization)
        .filter(kind=AwardLog.Kind.CONTESTED)
        .select_related("agent", "agent__unit", "badge", "answered_by")
    )
    if status:
        logs = logs.filter(status=status)
    return logs.order_by("created_at", "pk")


def agent_open_contests(*, organization: Organization, agent: Agent) -> dict[int, AwardLog]:
    """The agent's open contests, by badge id (one per badge is shown)."""
    return {
        log.badge_id: log
        for log in AwardLog.objects.for_org(organization).filter(
            agent=agent, kind=AwardLog.Kind.CONTESTED, status=AwardLog.Status.OPEN
        )
    }
