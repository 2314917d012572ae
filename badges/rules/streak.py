"""Activity of given verbs in consecutive weeks; the thresholds are numbers of weeks.

Weeks, not days: leave and part time exist. A week is the organization's local ISO week
(Monday to Sunday). A permanent badge reads the longest streak ever, and a tier is earned at
the first activity of the week in which a streak first reached its threshold. A revocable
badge reads the current streak: the one that includes this week or the last (this week may
have no activity yet on a Monday morning).

One query, gaps and islands: each week with activity gets its week number and its rank
among the agent's weeks; their difference is constant along a run of consecutive weeks and
names the run (the island). Within an island, the position of a week is the streak's
length on that week.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from badges import sql
from badges.models import EVIDENCE_LIMIT

from .base import (
    Context,
    Measure,
    Rule,
    RuleKind,
    TierSpec,
    next_tier,
    read_ranked_rows,
    register,
    tier_time_columns,
)
from .count import activities_source, clean_unknown, clean_verbs


@register
class Streak(RuleKind):
    code = "streak"
    label = gettext_lazy("Weeks in a row with activity")

    def clean_params(self, params: Mapping[str, Any]) -> dict[str, Any]:
        errors: dict[str, list[str]] = {}
        clean_unknown(params, {"verbs"}, errors)
        verbs = clean_verbs(params, errors)
        if errors:
            raise ValidationError(errors)
        return {"verbs": verbs}

    def verbs(self, params: Mapping[str, Any]) -> frozenset[str]:
        return frozenset(params["verbs"])

    def measure(
        self, ctx: Context, rule: Rule, agent_ids: Sequence[int] | None
    ) -> dict[int, Measure]:
        thresholds = rule.thresholds
        top = max(thresholds)
        params: list[Any] = []
        source = activities_source(ctx, rule.params["verbs"], agent_ids, params)
        week = sql.local_week_number("q.occurred_at", ctx.tzname)
        current = ""
        if rule.revocable:
            current = "WHERE island_end >= %s"
            params.append(sql.week_number(ctx.now, ctx.tz) - 1)
        at_columns = tier_time_columns(rule, "pos", "first_at")
        token = "CAST(island AS TEXT) || ':' || CAST(pos AS TEXT) || ':' || CAST(first_id AS TEXT)"
        query = f"""
            SELECT agent_id, MAX(pos) AS value, {at_columns},
                   {sql.text_agg(f"CASE WHEN pos <= {int(top)} THEN {token} END")} AS tokens
            FROM (
                SELECT agent_id, first_at, first_id, island,
                       ROW_NUMBER() OVER (PARTITION BY agent_id, island ORDER BY wk) AS pos,
                       MAX(wk) OVER (PARTITION BY agent_id, island) AS island_end
                FROM (
                    SELECT agent_id, wk, occurred_at AS first_at, id AS first_id,
                           wk - ROW_NUMBER() OVER (PARTITION BY agent_id ORDER BY wk) AS island
                    FROM (
                        SELECT agent_id, id, occurred_at, wk,
                               ROW_NUMBER() OVER (
                                   PARTITION BY agent_id, wk ORDER BY occurred_at, id
                               ) AS nth
                        FROM (
                            SELECT q.agent_id, q.id, q.occurred_at, {week} AS wk
                            FROM {source} q
                        ) dated
                    ) numbered
                    WHERE nth = 1
                ) weeks
            ) islands
            {current}
            GROUP BY agent_id
        """
        with connection.cursor() as cursor:
            cursor.execute(query, params)
            rows = cursor.fetchall()

        def behind(tokens: list[tuple[int, int, int]], spec: TierSpec) -> tuple[int, ...]:
            # Island numbers grow with time: the first island that reached the threshold
            # is the smallest, the one the tier was earned in.
            first = min(island for island, pos, _pk in tokens if pos == spec.threshold)
            ids = [pk for island, pos, pk in tokens if island == first and pos <= spec.threshold]
            return tuple(ids[-EVIDENCE_LIMIT:])

        return read_ranked_rows(rule, rows, _parse, behind)

    def explain(self, rule: Rule, measure: Measure | None) -> str:
        value = measure.value if measure else 0
        target = next_tier(rule, value)
        if target is None:
            weeks = ngettext("%(value)d week in a row", "%(value)d weeks in a row", value) % {
                "value": value
            }
        else:
            weeks = ngettext(
                "%(value)d of %(target)d week in a row",
                "%(value)d of %(target)d weeks in a row",
                target.threshold,
            ) % {"value": value, "target": target.threshold}
        if rule.revocable:
            return _("Current streak: %(weeks)s") % {"weeks": weeks}
        return _("Longest streak: %(weeks)s") % {"weeks": weeks}

    def describe(self, params: Mapping[str, Any], tiers: Sequence[TierSpec]) -> str:
        return _("Weeks in a row with activity (%(verbs)s): %(thresholds)s") % {
            "verbs": ", ".join(params["verbs"]),
            "thresholds": " / ".join(str(t.threshold) for t in tiers),
        }


def _parse(value: str | None) -> list[tuple[int, int, int]]:
    """Tokens ``island:position:activity id``, sorted by island then position."""
    if not value:
        return []
    return sorted(
        (int(island), int(pos), int(pk))
        for island, pos, pk in (token.rsplit(":", 2) for token in value.split(","))
    )
