"""What activating a rule version would do, before it is activated. Reads only.

The draft rule is evaluated for every agent with the engine's own code (``desired_awards``)
and compared with the badge's live awards under the engine's own rules of change:

- gained: a tier newly met (or met again after a withdrawal), with its points;
- lost: a tier no longer met, on a revocable badge (a status is withdrawn);
- kept: a tier no longer met on a permanent badge, earned under an earlier version (an
  achievement is not taken back by a rule change), and every grant by hand;
- points changed: a tier still met whose points the new rule changes;
- moved: an agent whose highest tier changes (silver → gold), besides the rows above.

The figures are summed in total and per unit (the agent's current unit).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _

from ambassadors.models import Agent, Organization
from badges.models import TIER_ORDER, Award, Badge, BadgeVersion
from badges.services.engine import desired_awards, engine_context, rule_of

# Above this many agents, one read of the whole organization's agents beats a huge IN list.
AGENT_IN_LIST_LIMIT = 500


@dataclass(frozen=True)
class AgentRef:
    id: int
    name: str
    unit_id: int | None
    unit_name: str


@dataclass(frozen=True)
class PreviewRow:
    """One award that the activation creates, withdraws or keeps."""

    agent: AgentRef
    tier: str
    points: int
    earned_at: dt.datetime | None = None  # gains: when the data says it was earned
    manual: bool = False  # kept: a grant by hand, which no rule takes back


@dataclass(frozen=True)
class PointsChange:
    agent: AgentRef
    tier: str
    old_points: int
    new_points: int

    @property
    def delta(self) -> int:
        return self.new_points - self.old_points


@dataclass(frozen=True)
class TierMove:
    agent: AgentRef
    from_tier: str
    to_tier: str

    @property
    def is_up(self) -> bool:
        return TIER_ORDER[self.to_tier] > TIER_ORDER[self.from_tier]  # type: ignore[index]


@dataclass
class UnitImpact:
    unit_id: int | None
    name: str
    gains: int = 0
    losses: int = 0
    points: int = 0  # net points moved for the unit's agents


@dataclass
class Preview:
    badge: Badge
    version: BadgeVersion
    now: dt.datetime
    gains: list[PreviewRow] = field(default_factory=list)
    losses: list[PreviewRow] = field(default_factory=list)
    kept: list[PreviewRow] = field(default_factory=list)
    points_changes: list[PointsChange] = field(default_factory=list)
    moves: list[TierMove] = field(default_factory=list)
    units: list[UnitImpact] = field(default_factory=list)

    @property
    def points_gained(self) -> int:
        return sum(row.points for row in self.gains)

    @property
    def points_lost(self) -> int:
        return sum(row.points for row in self.losses)

    @property
    def points_changed(self) -> int:
        return sum(change.delta for change in self.points_changes)

    @property
    def points_moved(self) -> int:
        """The net change of badge points over the organization."""
        return self.points_gained - self.points_lost + self.points_changed

    @property
    def agents_gaining(self) -> int:
        return len({row.agent.id for row in self.gains})

    @property
    def agents_losing(self) -> int:
        return len({row.agent.id for row in self.losses})

    @property
    def is_empty(self) -> bool:
        return not (self.gains or self.losses or self.points_changes or self.moves)


def rule_preview(*, version: BadgeVersion, now: dt.datetime | None = None) -> Preview:
    """Evaluate ``version`` (typically a draft) against the live awards of its badge.

    A fixed number of queries whatever the number of agents: the engine's context, one
    measure (two more for a meta-badge), the live awards, the agents involved.
    """
    now = now or timezone.now()
    badge = version.badge
    organization = version.organization
    ctx = engine_context(organization=organization, now=now)
    rule = rule_of(version)
    desired = {
        (agent_id, tier): item
        for (agent_id, _badge_id, tier), item in desired_awards(ctx, [rule], None).items()
    }
    live = {
        (award.agent_id, award.tier): award
        for award in Award.objects.for_org(organization)
        .filter(badge_id=badge.pk, revoked_at__isnull=True)
        .only("pk", "agent_id", "tier", "points", "rule_version", "origin")
    }
    agents = _agents(organization, {key[0] for key in desired} | {key[0] for key in live})
    preview = Preview(badge=badge, version=version, now=now)

    before: dict[int, set[str]] = {}
    after: dict[int, set[str]] = {}
    for (agent_id, tier), award in live.items():
        before.setdefault(agent_id, set()).add(tier)
        manual = award.origin == Award.Origin.MANUAL
        if (agent_id, tier) in desired:
            after.setdefault(agent_id, set()).add(tier)
            new_points = desired[(agent_id, tier)].spec.points
            if not manual and new_points != award.points:
                preview.points_changes.append(
                    PointsChange(agents[agent_id], tier, award.points, new_points)
                )
        elif manual or (not rule.revocable and award.rule_version < rule.version):
            after.setdefault(agent_id, set()).add(tier)
            preview.kept.append(PreviewRow(agents[agent_id], tier, award.points, manual=manual))
        else:
            preview.losses.append(PreviewRow(agents[agent_id], tier, award.points))
    for (agent_id, tier), item in desired.items():
        if (agent_id, tier) not in live:
            after.setdefault(agent_id, set()).add(tier)
            preview.gains.append(
                PreviewRow(agents[agent_id], tier, item.spec.points, earned_at=item.earned.at)
            )
    for agent_id in sorted(before.keys() & after.keys()):
        old, new = _highest(before[agent_id]), _highest(after[agent_id])
        if old != new:
            preview.moves.append(TierMove(agents[agent_id], old, new))

    for rows in (preview.gains, preview.losses, preview.kept):
        rows.sort(key=lambda row: (*_agent_key(row.agent), TIER_ORDER[row.tier]))  # type: ignore[index]
    preview.points_changes.sort(key=lambda c: (*_agent_key(c.agent), TIER_ORDER[c.tier]))  # type: ignore[index]
    preview.moves.sort(key=lambda m: _agent_key(m.agent))
    preview.units = _per_unit(preview)
    return preview


def _highest(tiers: set[str]) -> str:
    return max(tiers, key=lambda tier: TIER_ORDER[tier])  # type: ignore[index]


def _agent_key(agent: AgentRef) -> tuple[str, str, int]:
    return (agent.unit_name.casefold(), agent.name.casefold(), agent.id)


def _agents(organization: Organization, ids: Iterable[int]) -> dict[int, AgentRef]:
    wanted = set(ids)
    if not wanted:
        return {}
    agents = (
        Agent.objects.for_org(organization)
        .select_related("unit")
        .only("pk", "first_name", "last_name", "unit__name")
    )
    if len(wanted) <= AGENT_IN_LIST_LIMIT:
        agents = agents.filter(pk__in=wanted)
    no_unit = _("No service")
    return {
        agent.pk: AgentRef(
            id=agent.pk,
            name=agent.full_name,
            unit_id=agent.unit_id,
            unit_name=agent.unit.name if agent.unit else no_unit,
        )
        for agent in agents
        if agent.pk in wanted
    }


def _per_unit(preview: Preview) -> list[UnitImpact]:
    units: dict[int | None, UnitImpact] = {}

    def unit(agent: AgentRef) -> UnitImpact:
        if agent.unit_id not in units:
            units[agent.unit_id] = UnitImpact(unit_id=agent.unit_id, name=agent.unit_name)
        return units[agent.unit_id]

    for row in preview.gains:
        impact = unit(row.agent)
        impact.gains += 1
        impact.points += row.points
    for row in preview.losses:
        impact = unit(row.agent)
        impact.losses += 1
        impact.points -= row.points
    for change in preview.points_changes:
        unit(change.agent).points += change.delta
    return sorted(units.values(), key=lambda u: (u.unit_id is None, u.name.casefold()))
