"""A first: the first activity of given verbs (a first publication, a first coaching
session given). One tier, threshold 1, earned at that activity."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .base import Context, Measure, Rule, RuleKind, TierSpec, register
from .count import activities_source, clean_unknown, clean_verbs, ranked_measure


@register
class FirstTime(RuleKind):
    code = "first_time"
    label = gettext_lazy("A first activity of given verbs")

    def clean_params(self, params: Mapping[str, Any]) -> dict[str, Any]:
        errors: dict[str, list[str]] = {}
        clean_unknown(params, {"verbs"}, errors)
        verbs = clean_verbs(params, errors)
        if errors:
            raise ValidationError(errors)
        return {"verbs": verbs}

    def check_rule(
        self,
        params: Mapping[str, Any],
        revocable: bool,
        *,
        tiers: Sequence[TierSpec] | None = None,
    ) -> dict[str, list[str]]:
        if tiers is not None and (len(tiers) != 1 or tiers[0].threshold != 1):
            return {"tiers": [_("A first has a single tier, with threshold 1.")]}
        return {}

    def verbs(self, params: Mapping[str, Any]) -> frozenset[str]:
        return frozenset(params["verbs"])

    def measure(
        self, ctx: Context, rule: Rule, agent_ids: Sequence[int] | None
    ) -> dict[int, Measure]:
        params: list[Any] = []
        source = activities_source(ctx, rule.params["verbs"], agent_ids, params)
        measures = ranked_measure(
            ctx, rule, agent_ids, source=source, params=params, period_expr=None
        )
        for measure in measures.values():
            measure.value = min(measure.value, 1)  # done or not: how many is another kind
        return measures

    def explain(self, rule: Rule, measure: Measure | None) -> str:
        return _("Achieved") if measure is not None and measure.value else _("Not yet")

    def describe(self, params: Mapping[str, Any], tiers: Sequence[TierSpec]) -> str:
        return _("A first activity among: %(verbs)s") % {"verbs": ", ".join(params["verbs"])}
