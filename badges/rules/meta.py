"""A badge for holding others: K of a list of badges (``badges``: their codes; K is the
tier's threshold). Earned when the K-th of them was.

It reads no ledger: the engine evaluates it after every other rule of a pass and hands it
``Context.held`` (who holds which badge since when), so it runs no query. A meta-badge never
counts itself, which would let it keep itself alive.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from .base import Context, Earned, Measure, Rule, RuleKind, TierSpec, next_tier, register
from .count import clean_unknown

CODE = re.compile(r"^[-a-zA-Z0-9_]{1,60}$")  # Badge.code, a slug
MAX_BADGES = 50


@register
class MetaBadge(RuleKind):
    code = "meta"
    label = gettext_lazy("Holds several other badges")
    depends_on_badges = True

    def clean_params(self, params: Mapping[str, Any]) -> dict[str, Any]:
        errors: dict[str, list[str]] = {}
        clean_unknown(params, {"badges"}, errors)
        value = params.get("badges")
        codes: set[str] = set()
        if isinstance(value, list) and all(isinstance(c, str) for c in value):
            codes = {c.strip() for c in value}
        if not codes or not all(CODE.match(c) for c in codes):
            errors["badges"] = [_("Give the codes of at least one badge.")]
        elif len(codes) > MAX_BADGES:
            errors["badges"] = [_("At most %(max)d badges.") % {"max": MAX_BADGES}]
        if errors:
            raise ValidationError(errors)
        return {"badges": sorted(codes)}

    def check_rule(
        self,
        params: Mapping[str, Any],
        revocable: bool,
        *,
        tiers: Sequence[TierSpec] | None = None,
    ) -> dict[str, list[str]]:
        count = len(params["badges"])
        if tiers and any(t.threshold > count for t in tiers):
            return {
                "tiers": [
                    _("No threshold can exceed the number of badges listed (%(n)d).") % {"n": count}
                ]
            }
        return {}

    def verbs(self, params: Mapping[str, Any]) -> frozenset[str]:
        return frozenset()

    def measure(
        self, ctx: Context, rule: Rule, agent_ids: Sequence[int] | None
    ) -> dict[int, Measure]:
        wanted = set(rule.params["badges"]) - {rule.code}
        agents = set(agent_ids) if agent_ids is not None else None
        dates: dict[int, list[dt.datetime]] = {}
        for (agent_id, code), at in ctx.held.items():
            if code in wanted and (agents is None or agent_id in agents):
                dates.setdefault(agent_id, []).append(at)
        out: dict[int, Measure] = {}
        for agent_id, held in dates.items():
            held.sort()
            measure = Measure(agent_id=agent_id, value=len(held))
            for spec in rule.tiers:
                if len(held) >= spec.threshold:
                    measure.earned[spec.tier] = Earned(at=held[spec.threshold - 1])
            out[agent_id] = measure
        return out

    def explain(self, rule: Rule, measure: Measure | None) -> str:
        value = measure.value if measure else 0
        target = next_tier(rule, value)
        if target is None:
            return ngettext("%(value)d badge held", "%(value)d badges held", value) % {
                "value": value
            }
        return ngettext(
            "%(value)d of %(target)d badge held",
            "%(value)d of %(target)d badges held",
            target.threshold,
        ) % {"value": value, "target": target.threshold}

    def describe(self, params: Mapping[str, Any], tiers: Sequence[TierSpec]) -> str:
        return _("%(thresholds)s of these badges: %(badges)s") % {
            "thresholds": " / ".join(str(t.threshold) for t in tiers),
            "badges": ", ".join(params["badges"]),
        }
