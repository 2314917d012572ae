"""Events attended or organised, counted, with tiered thresholds.

``role``:

- ``attended`` (the default): ``event_attended`` activities in the ledger (removing an
  attendance retracts its row, so it no longer counts);
- ``organised``: events whose organiser is the agent and that have started, earned at the
  event's start. Events are not ledger rows: the award lists no activities, and a new event
  reaches the badge with the next full evaluation (the nightly reconcile), not the delta path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from ambassadors.models import Event
from badges import sql

from .base import Context, Measure, Rule, RuleKind, TierSpec, next_tier, register
from .count import activities_source, clean_unknown, ranked_measure

ROLES = ("attended", "organised")
ATTENDED_VERB = "event_attended"  # ambassadors.services.events.ATTENDED_VERB
EVENT = Event._meta.db_table


@register
class Events(RuleKind):
    code = "events"
    label = gettext_lazy("Events attended or organised")

    def clean_params(self, params: Mapping[str, Any]) -> dict[str, Any]:
        errors: dict[str, list[str]] = {}
        clean_unknown(params, {"role"}, errors)
        role = params.get("role", "attended")
        if role not in ROLES:
            errors["role"] = [_("Choose attended or organised.")]
        if errors:
            raise ValidationError(errors)
        return {"role": role}

    def verbs(self, params: Mapping[str, Any]) -> frozenset[str]:
        return frozenset({ATTENDED_VERB}) if params["role"] == "attended" else frozenset()

    def measure(
        self, ctx: Context, rule: Rule, agent_ids: Sequence[int] | None
    ) -> dict[int, Measure]:
        params: list[Any] = []
        if rule.params["role"] == "attended":
            source = activities_source(ctx, [ATTENDED_VERB], agent_ids, params)
            return ranked_measure(
                ctx, rule, agent_ids, source=source, params=params, period_expr=None
            )
        params.append(ctx.organization_id)
        organisers = sql.in_list(
            "e.organiser_id", list(agent_ids) if agent_ids is not None else None, params
        )
        params.append(sql.dt_param(ctx.now))
        source = (
            f"(SELECT e.organiser_id AS agent_id, e.id, e.starts_at AS occurred_at "
            f"FROM {EVENT} e WHERE e.organization_id = %s AND e.organiser_id IS NOT NULL "
            f"AND {organisers} AND e.starts_at <= %s)"
        )
        measures = ranked_measure(
            ctx, rule, agent_ids, source=source, params=params, period_expr=None
        )
        # The ranked ids are events', not activities': an award's evidence is ledger rows.
        for measure in measures.values():
            measure.earned = {
                tier: replace(earned, activity_ids=()) for tier, earned in measure.earned.items()
            }
        return measures

    def explain(self, rule: Rule, measure: Measure | None) -> str:
        value = measure.value if measure else 0
        target = next_tier(rule, value)
        organised = rule.params["role"] == "organised"
        if target is None:
            if organised:
                return ngettext(
                    "%(value)d event organised", "%(value)d events organised", value
                ) % {"value": value}
            return ngettext("%(value)d event attended", "%(value)d events attended", value) % {
                "value": value
            }
        values = {"value": value, "target": target.threshold}
        if organised:
            return (
                ngettext(
                    "%(value)d of %(target)d event organised",
                    "%(value)d of %(target)d events organised",
                    target.threshold,
                )
                % values
            )
        return (
            ngettext(
                "%(value)d of %(target)d event attended",
                "%(value)d of %(target)d events attended",
                target.threshold,
            )
            % values
        )

    def describe(self, params: Mapping[str, Any], tiers: Sequence[TierSpec]) -> str:
        thresholds = " / ".join(str(t.threshold) for t in tiers)
        if params["role"] == "organised":
            return _("Events organised: %(thresholds)s") % {"thresholds": thresholds}
        return _("Events attended: %(thresholds)s") % {"thresholds": thresholds}
