"""What a rule kind is, and the registry of kinds.

A badge stores a kind's code, parameters and tiers; the kind turns them into figures from
the ledger. Every kind answers one question for many agents at once, in one set-based query:
``measure(ctx, rule, agent_ids)`` gives, per agent, the current value (a count, a number of
distinct agents, a streak in weeks...) and, for each tier whose threshold is met, when the
data says it was met (the time of the qualifying activity, never "now") and the activities
behind it. Evaluating one agent is the same call with one id; ``explain`` puts the result in
plain words ("7 of 10 confirmed sessions").
"""

from __future__ import annotations

import datetime as dt
import itertools
import zoneinfo
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from badges.sql import as_datetime

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

    from ambassadors.models import Organization


@dataclass(frozen=True)
class TierSpec:
    tier: str  # bronze, silver, gold (see badges.models.Tier)
    threshold: int
    points: int


@dataclass(frozen=True)
class Rule:
    """A badge's rule as the engine evaluates it: the active version, or a draft."""

    badge_id: int
    code: str
    version: int
    kind: str
    params: Mapping[str, Any]
    tiers: tuple[TierSpec, ...]
    revocable: bool

    @property
    def thresholds(self) -> list[int]:
        return [t.threshold for t in self.tiers]


@dataclass(frozen=True)
class Earned:
    """A tier the data supports: since when, and because of which activities."""

    at: dt.datetime
    activity_ids: tuple[int, ...] = ()


@dataclass
class Measure:
    """What the data says about one agent for one rule."""

    agent_id: int
    value: int
    earned: dict[str, Earned] = field(default_factory=dict)  # tier -> Earned


@dataclass
class Context:
    """What every evaluation in one pass shares: the organization and "now".

    ``held`` is filled by the engine for meta-badges: (agent id, badge code) -> the earliest
    ``awarded_at`` of a live award of that badge, from the state this pass is computing.
    """

    organization: Organization
    now: dt.datetime
    verbs: dict[str, int]  # verb code -> id
    coaching_source_id: int | None
    require_confirmation: bool
    held: dict[tuple[int, str], dt.datetime] = field(default_factory=dict)
    # A delta over many agents on PostgreSQL first copies those agents' live ledger rows
    # (id, agent_id, verb_id, occurred_at) into this temporary table with one scan; every
    # rule then reads it instead of the ledger (see ``engine._scope_table``).
    scope_table: str | None = None

    @property
    def organization_id(self) -> int:
        return self.organization.pk

    @property
    def tzname(self) -> str:
        return self.organization.timezone

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.organization.timezone)

    def verb_ids(self, codes: Sequence[str]) -> list[int]:
        return [self.verbs[code] for code in codes if code in self.verbs]


class RuleKind:
    """Subclass, set ``code`` and ``label``, implement the four methods, ``register``."""

    code: ClassVar[str]
    label: ClassVar[_StrPromise | str]
    # Meta-badges read other badges' results (``Context.held``): the engine evaluates them
    # after every other rule of the pass.
    depends_on_badges: ClassVar[bool] = False

    def clean_params(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Return the params with defaults filled in; raise ``ValidationError`` with a dict
        {param name: [messages]} for anything wrong. Unknown params are an error."""
        raise NotImplementedError

    def check_rule(
        self,
        params: Mapping[str, Any],
        revocable: bool,
        *,
        tiers: Sequence[TierSpec] | None = None,
    ) -> dict[str, list[str]]:
        """Errors that depend on the badge as a whole (e.g. a rolling window on a permanent
        badge, tiers a kind cannot have), as {field: [messages]}. Params and tiers are
        already cleaned; ``tiers`` None skips the checks on tiers."""
        return {}

    def verbs(self, params: Mapping[str, Any]) -> frozenset[str]:
        """The verbs whose new (or retracted) activity can change this rule's result: the
        delta path evaluates the rule only when an ingestion touched one of them."""
        raise NotImplementedError

    def measure(
        self, ctx: Context, rule: Rule, agent_ids: Sequence[int] | None
    ) -> dict[int, Measure]:
        """One set-based query for all the given agents (``None``: every agent of the
        organization). Agents with nothing to show may be left out."""
        raise NotImplementedError

    def explain(self, rule: Rule, measure: Measure | None) -> str:
        """The result in plain words, in the active language: "7 of 10 confirmed sessions"."""
        raise NotImplementedError

    def describe(self, params: Mapping[str, Any], tiers: Sequence[TierSpec]) -> str:
        """The criteria in plain words, in the active language, for a badge's page."""
        raise NotImplementedError


_REGISTRY: dict[str, RuleKind] = {}


def register(kind_class: type[RuleKind]) -> type[RuleKind]:
    if kind_class.code in _REGISTRY:
        raise RuntimeError(f"Rule kind {kind_class.code!r} is registered twice.")
    _REGISTRY[kind_class.code] = kind_class()
    return kind_class


def get_kind(code: str) -> RuleKind:
    try:
        return _REGISTRY[code]
    except KeyError:
        raise ValidationError(
            {"kind": [_("Unknown rule kind: %(kind)s.") % {"kind": code}]}
        ) from None


def kinds() -> dict[str, RuleKind]:
    return dict(_REGISTRY)


TIER_NAMES = ("bronze", "silver", "gold")


def clean_tiers(value: Any) -> tuple[TierSpec, ...]:
    """Tiers: 1 to 3 of bronze < silver < gold, in that order, thresholds strictly rising,
    points ≥ 0. Errors name the tier and the field."""
    errors: dict[str, list[str]] = {}
    if not isinstance(value, list) or not 1 <= len(value) <= 3:
        raise ValidationError({"tiers": [_("Give one to three tiers.")]})
    tiers: list[TierSpec] = []
    for index, item in enumerate(value):
        where = f"tiers[{index}]"
        if not isinstance(item, dict):
            errors[where] = [_("Each tier is an object with tier, threshold and points.")]
            continue
        unknown = set(item) - {"tier", "threshold", "points"}
        if unknown:
            errors[where] = [_("Unknown fields: %(f)s.") % {"f": ", ".join(sorted(unknown))}]
        tier = item.get("tier")
        threshold = item.get("threshold")
        points = item.get("points", 0)
        if tier not in TIER_NAMES:
            errors[f"{where}.tier"] = [_("Choose bronze, silver or gold.")]
        if not isinstance(threshold, int) or isinstance(threshold, bool) or threshold < 1:
            errors[f"{where}.threshold"] = [_("A whole number of at least 1.")]
        if not isinstance(points, int) or isinstance(points, bool) or not 0 <= points <= 10000:
            errors[f"{where}.points"] = [_("A whole number from 0 to 10,000.")]
        if not errors and isinstance(tier, str) and isinstance(threshold, int):
            tiers.append(TierSpec(tier=tier, threshold=threshold, points=points))
    if not errors:
        names = [t.tier for t in tiers]
        if names != sorted(names, key=TIER_NAMES.index) or len(set(names)) != len(names):
            errors["tiers"] = [_("Tiers go bronze, then silver, then gold, each once.")]
        elif any(b.threshold <= a.threshold for a, b in itertools.pairwise(tiers)):
            errors["tiers"] = [_("Each tier needs a higher threshold than the one before.")]
    if errors:
        raise ValidationError(errors)
    return tuple(tiers)


def tiers_as_json(tiers: Sequence[TierSpec]) -> list[dict[str, Any]]:
    return [{"tier": t.tier, "threshold": t.threshold, "points": t.points} for t in tiers]


def tier_time_columns(rule: Rule, rank: str, time: str) -> str:
    """SQL aggregates, one per tier: the time of the row ranked at its threshold."""
    return ", ".join(
        f"MIN(CASE WHEN {rank} = {int(spec.threshold)} THEN {time} END) AS at_{i}"
        for i, spec in enumerate(rule.tiers)
    )


def read_ranked_rows(
    rule: Rule,
    rows: Iterable[Sequence[Any]],
    parse: Callable[[str | None], list[Any]],
    evidence: Callable[[list[Any], TierSpec], tuple[int, ...]],
) -> dict[int, Measure]:
    """Measures from rows ``(agent_id, value, at_0 … at_n, tokens)`` — the shape of every
    ranking kind's query (``tier_time_columns`` gives the ``at_`` columns); ``evidence``
    picks, from the parsed tokens, the activities behind a tier the row shows as met."""
    out: dict[int, Measure] = {}
    for row in rows:
        tokens = parse(row[-1])
        measure = Measure(agent_id=row[0], value=int(row[1]))
        for i, spec in enumerate(rule.tiers):
            at = row[2 + i]
            if at is not None:
                measure.earned[spec.tier] = Earned(
                    at=as_datetime(at), activity_ids=evidence(tokens, spec)
                )
        out[row[0]] = measure
    return out


def met_tiers(rule: Rule, value: int) -> list[TierSpec]:
    return [t for t in rule.tiers if value >= t.threshold]


def next_tier(rule: Rule, value: int) -> TierSpec | None:
    return next((t for t in rule.tiers if value < t.threshold), None)
