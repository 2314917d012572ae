"""Count of activities of given verbs in a window, with tiered thresholds.

Windows (``params["window"]``):

- ``{"type": "all_time"}``;
- ``{"type": "rolling", "days": N}``: the last N days before now — a status, so the badge must
  be revocable (as a permanent badge it would depend on the day reconcile ran);
- ``{"type": "calendar", "period": "month" | "quarter" | "year"}``, in the organization's
  time zone: a revocable badge counts the current period; a permanent one the best period
  ever, earned in the first period that reached the threshold.

``confirmed_only`` (default false) counts a ``coaching_given`` activity only when one coached
agent confirmed the session, and a ``coaching_received`` one only when its agent confirmed
it; other verbs count as they are.

One query: each qualifying activity is ranked within its agent (and period) by time; the
tier of threshold *t* is earned at the activity ranked *t*. This is the reference kind: the
others follow its shape.
"""

from __future__ import annotations

import datetime as dt
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

WINDOW_TYPES = ("all_time", "rolling", "calendar")
PERIODS = ("month", "quarter", "year")
COACHING_VERBS = ("coaching_given", "coaching_received")


def clean_verbs(params: Mapping[str, Any], errors: dict[str, list[str]]) -> list[str]:
    """``verbs``: a non-empty list of verb codes (checked against the organization's verbs
    when the badge is saved: see ``badges.services.catalogue``)."""
    verbs = params.get("verbs")
    if (
        not isinstance(verbs, list)
        or not verbs
        or not all(isinstance(v, str) and v.strip() for v in verbs)
    ):
        errors["verbs"] = [_("Give at least one verb.")]
        return []
    return sorted({v.strip() for v in verbs})


def clean_window(value: Any, errors: dict[str, list[str]]) -> dict[str, Any]:
    if value is None:
        return {"type": "all_time"}
    if not isinstance(value, dict) or value.get("type") not in WINDOW_TYPES:
        errors["window"] = [_("Choose all_time, rolling or calendar.")]
        return {}
    kind = value["type"]
    if kind == "rolling":
        days = value.get("days")
        if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 3660:
            errors["window.days"] = [_("A whole number of days from 1 to 3660.")]
            return {}
        return {"type": "rolling", "days": days}
    if kind == "calendar":
        if value.get("period") not in PERIODS:
            errors["window.period"] = [_("Choose month, quarter or year.")]
            return {}
        return {"type": "calendar", "period": value["period"]}
    return {"type": "all_time"}


def clean_unknown(params: Mapping[str, Any], known: set[str], errors: dict[str, list[str]]) -> None:
    unknown = set(params) - known
    if unknown:
        errors["params"] = [_("Unknown parameters: %(p)s.") % {"p": ", ".join(sorted(unknown))}]


def clean_bool(params: Mapping[str, Any], name: str, errors: dict[str, list[str]]) -> bool:
    value = params.get(name, False)
    if not isinstance(value, bool):
        errors[name] = [_("Choose true or false.")]
        return False
    return value


def activities_source(
    ctx: Context,
    verbs: Sequence[str],
    agent_ids: Sequence[int] | None,
    params: list[Any],
    *,
    since: dt.datetime | None = None,
    confirmed_only: bool = False,
) -> str:
    """A subquery (agent_id, id, occurred_at) of the live activities of these verbs up to
    now: what the kinds that read the ledger count. Its placeholders' values go to
    ``params`` in order."""
    agents = list(agent_ids) if agent_ids is not None else None
    # A large delta reads the engine's copy of its agents' live rows (``Context.scope_table``):
    # already scoped to the organization and without retracted rows.
    table = ctx.scope_table if agents is not None else None
    where: list[str] = []
    if table is None:
        params.append(ctx.organization_id)
        where.append("a.organization_id = %s")
    where.append(sql.in_list("a.verb_id", ctx.verb_ids(verbs), params))
    where.append(sql.in_list("a.agent_id", agents, params))
    if since is not None:
        where.append("a.occurred_at > %s")
        params.append(sql.dt_param(since))
    where.append("a.occurred_at <= %s")
    params.append(sql.dt_param(ctx.now))
    if table is None:
        where.append(sql.not_retracted("a"))
    if confirmed_only:
        where.append(_confirmed_coaching(ctx, agents, params))
    return (
        f"(SELECT a.agent_id, a.id, a.occurred_at FROM {table or sql.ACTIVITY} a "
        f"WHERE {' AND '.join(where)})"
    )


def _confirmed_coaching(ctx: Context, agents: list[int] | None, params: list[Any]) -> str:
    """Coaching activities only when confirmed: the coach's row when one coached agent of
    the session confirmed, an agent's row when that agent did. The coach's rows are looked
    up among the agents' sessions as coach, the received ones among them as coached."""
    params.extend(ctx.verbs.get(code, 0) for code in COACHING_VERBS)
    given = sql.coaching_pairs(
        ctx.organization_id, ctx.coaching_source_id, params, coach_ids=agents
    )
    received = sql.coaching_pairs(
        ctx.organization_id, ctx.coaching_source_id, params, agent_ids=agents
    )
    return (
        "(a.verb_id NOT IN (%s, %s) OR a.id IN ("
        f"SELECT g.given_id FROM {given} g WHERE g.confirmed_at IS NOT NULL "
        f"UNION SELECT r.activity_id FROM {received} r WHERE r.confirmed_at IS NOT NULL))"
    )


def period_start(now: dt.datetime, tz: Any, period: str) -> dt.datetime:
    """The start of the local period containing ``now``, as an aware datetime."""
    local = now.astimezone(tz)
    month = local.month
    if period == "quarter":
        month = 3 * ((local.month - 1) // 3) + 1
    elif period == "year":
        month = 1
    start = local.replace(month=month, day=1, hour=0, minute=0, second=0, microsecond=0)
    # Rebuild from naive parts so the offset is the one of that date, not of ``now``.
    return start.replace(tzinfo=None).replace(tzinfo=tz)


def window_bounds(ctx: Context, window: Mapping[str, Any], revocable: bool) -> dt.datetime | None:
    """The earliest time counted (None: from the beginning)."""
    if window["type"] == "rolling":
        return ctx.now - dt.timedelta(days=window["days"])
    if window["type"] == "calendar" and revocable:
        return period_start(ctx.now, ctx.tz, window["period"])
    return None


def parse_tokens(value: str | None) -> list[tuple[str, int, int]]:
    """Tokens ``period:rank:id`` aggregated by ``sql.text_agg``, sorted by period and rank."""
    if not value:
        return []
    out = []
    for token in value.split(","):
        period, rank, pk = token.rsplit(":", 2)
        out.append((period, int(rank), int(pk)))
    out.sort()
    return out


def evidence(tokens: list[tuple[str, int, int]], period: str, threshold: int) -> tuple[int, ...]:
    ids = [pk for p, rank, pk in tokens if p == period and rank <= threshold]
    return tuple(ids[-EVIDENCE_LIMIT:])


def ranked_measure(
    ctx: Context,
    rule: Rule,
    agent_ids: Sequence[int] | None,
    *,
    source: str,
    params: list[Any],
    period_expr: str | None,
) -> dict[int, Measure]:
    """Rank the rows of ``source`` (a subquery with agent_id, id, occurred_at) per agent and
    period, and read off each tier. Shared by the kinds that count rows."""
    thresholds = rule.thresholds
    top = max(thresholds)
    period = period_expr or "''"
    at_columns = tier_time_columns(rule, "rn", "occurred_at")
    token = "p || ':' || CAST(rn AS TEXT) || ':' || CAST(id AS TEXT)"
    query = f"""
        SELECT agent_id, MAX(total) AS value, {at_columns},
               {sql.text_agg(f"CASE WHEN rn <= {int(top)} THEN {token} END")} AS tokens
        FROM (
            SELECT q.agent_id, q.id, q.occurred_at, CAST({period} AS TEXT) AS p,
                   ROW_NUMBER() OVER w AS rn,
                   -- The same window, framed whole: one sort serves both.
                   COUNT(*) OVER (
                       w ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
                   ) AS total
            FROM {source} q
            WINDOW w AS (PARTITION BY q.agent_id, {period} ORDER BY q.occurred_at, q.id)
        ) ranked
        WHERE rn <= {int(top)} OR rn = total
        GROUP BY agent_id
    """
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        rows = cursor.fetchall()

    def behind(tokens: list[tuple[str, int, int]], spec: TierSpec) -> tuple[int, ...]:
        # The first period (in time) whose ranking reached the threshold: the one earned.
        deciding = next(p for p, rank, _pk in tokens if rank == spec.threshold)
        return evidence(tokens, deciding, spec.threshold)

    return read_ranked_rows(rule, rows, parse_tokens, behind)


@register
class ActivityCount(RuleKind):
    code = "activity_count"
    label = gettext_lazy("Activities of given verbs in a period")

    def clean_params(self, params: Mapping[str, Any]) -> dict[str, Any]:
        errors: dict[str, list[str]] = {}
        clean_unknown(params, {"verbs", "window", "confirmed_only"}, errors)
        verbs = clean_verbs(params, errors)
        window = clean_window(params.get("window"), errors)
        confirmed_only = clean_bool(params, "confirmed_only", errors)
        if confirmed_only and verbs and not set(verbs) & set(COACHING_VERBS):
            errors["confirmed_only"] = [
                _("Only coaching is confirmed: add coaching_given or coaching_received.")
            ]
        if errors:
            raise ValidationError(errors)
        return {"verbs": verbs, "window": window, "confirmed_only": confirmed_only}

    def check_rule(
        self,
        params: Mapping[str, Any],
        revocable: bool,
        *,
        tiers: Sequence[TierSpec] | None = None,
    ) -> dict[str, list[str]]:
        if params["window"]["type"] == "rolling" and not revocable:
            return {
                "revocable": [_("A rolling window describes a status: make the badge revocable.")]
            }
        return {}

    def verbs(self, params: Mapping[str, Any]) -> frozenset[str]:
        return frozenset(params["verbs"])

    def measure(
        self, ctx: Context, rule: Rule, agent_ids: Sequence[int] | None
    ) -> dict[int, Measure]:
        window = rule.params["window"]
        params: list[Any] = []
        source = activities_source(
            ctx,
            rule.params["verbs"],
            agent_ids,
            params,
            since=window_bounds(ctx, window, rule.revocable),
            confirmed_only=rule.params["confirmed_only"],
        )
        period_expr = None
        if window["type"] == "calendar":
            period_expr = sql.local_period("q.occurred_at", ctx.tzname, window["period"])
        return ranked_measure(
            ctx, rule, agent_ids, source=source, params=params, period_expr=period_expr
        )

    def explain(self, rule: Rule, measure: Measure | None) -> str:
        value = measure.value if measure else 0
        target = next_tier(rule, value)
        window = rule.params["window"]
        if window["type"] == "rolling":
            scope = ngettext("in the last %(n)d day", "in the last %(n)d days", window["days"]) % {
                "n": window["days"]
            }
        elif window["type"] == "calendar":
            scope = {
                "month": _("this month") if rule.revocable else _("in your best month"),
                "quarter": _("this quarter") if rule.revocable else _("in your best quarter"),
                "year": _("this year") if rule.revocable else _("in your best year"),
            }[window["period"]]
        else:
            scope = ""
        if rule.params.get("confirmed_only"):
            if target is None:
                text = ngettext(
                    "%(value)d confirmed activity", "%(value)d confirmed activities", value
                ) % {"value": value}
            else:
                text = ngettext(
                    "%(value)d of %(target)d confirmed activity",
                    "%(value)d of %(target)d confirmed activities",
                    target.threshold,
                ) % {"value": value, "target": target.threshold}
        elif target is None:
            text = ngettext("%(value)d activity", "%(value)d activities", value) % {"value": value}
        else:
            text = ngettext(
                "%(value)d of %(target)d activity",
                "%(value)d of %(target)d activities",
                target.threshold,
            ) % {"value": value, "target": target.threshold}
        return f"{text} {scope}".strip()

    def describe(self, params: Mapping[str, Any], tiers: Sequence[TierSpec]) -> str:
        text = self._describe(params, tiers)
        if params.get("confirmed_only"):
            return _("%(criteria)s, confirmed coaching only") % {"criteria": text}
        return text

    def _describe(self, params: Mapping[str, Any], tiers: Sequence[TierSpec]) -> str:
        verbs = ", ".join(params["verbs"])
        thresholds = " / ".join(str(t.threshold) for t in tiers)
        window = params["window"]
        if window["type"] == "rolling":
            return _("%(thresholds)s of: %(verbs)s, in the last %(days)d days") % {
                "thresholds": thresholds,
                "verbs": verbs,
                "days": window["days"],
            }
        if window["type"] == "calendar":
            return _("%(thresholds)s of: %(verbs)s, in one %(period)s") % {
                "thresholds": thresholds,
                "verbs": verbs,
                "period": {"month": _("month"), "quarter": _("quarter"), "year": _("year")}[
                    window["period"]
                ],
            }
        return _("%(thresholds)s of: %(verbs)s") % {"thresholds": thresholds, "verbs": verbs}
