"""What the mentoring kinds share: the ``confirmation`` parameter and the count of distinct
things (agents, units) an ambassador reached through coaching.

The pairs come from the coaching log joined to its live ledger rows
(``sql.coaching_pairs``): a session retracted or changed no longer counts under its old
rows. ``confirmation`` says which pairs count:

- ``organization`` (the default): follow the organization's setting
  (``CoachingSettings.mentoring_badges_require_confirmation``, ``Context.require_confirmation``);
- ``required``: only pairs the coached agent (or their manager) confirmed;
- ``not_required``: every pair.

A confirmed pair still counts from the session's time, not from the confirmation's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils.translation import gettext as _

from ambassadors.models import Agent
from badges import sql
from badges.models import EVIDENCE_LIMIT

from .base import Context, Measure, Rule, RuleKind, next_tier, read_ranked_rows, tier_time_columns
from .count import COACHING_VERBS, clean_unknown

CONFIRMATION_CHOICES = ("organization", "required", "not_required")
AGENT = Agent._meta.db_table


def clean_confirmation(params: Mapping[str, Any], errors: dict[str, list[str]]) -> str:
    value = params.get("confirmation", "organization")
    if value not in CONFIRMATION_CHOICES:
        errors["confirmation"] = [_("Choose organization, required or not_required.")]
        return "organization"
    return value


def confirmation_required(ctx: Context, params: Mapping[str, Any]) -> bool:
    value = params.get("confirmation", "organization")
    if value == "organization":
        return ctx.require_confirmation
    return value == "required"


def confirmation_note(params: Mapping[str, Any]) -> str:
    """How the criteria read on the confirmation, to append to a description."""
    value = params.get("confirmation", "organization")
    if value == "required":
        return _("confirmed sessions only")
    if value == "organization":
        return _("confirmed sessions only if the organization requires it")
    return ""


def with_confirmation(text: str, params: Mapping[str, Any]) -> str:
    note = confirmation_note(params)
    return f"{text} ({note})" if note else text


def distinct_measure(
    ctx: Context,
    rule: Rule,
    agent_ids: Sequence[int] | None,
    *,
    key: str,
    without_equipment: bool = False,
) -> dict[int, Measure]:
    """Per coach, the number of distinct values of ``key`` (an expression on the pairs,
    alias ``x``: ``x.agent_id``, ``x.unit_id``) among the agents they coached. The tier of
    threshold *t* is earned at the session that brought the *t*-th distinct value; its
    evidence is, for each of the first *t*, the coach's ``coaching_given`` row then the
    agent's ``coaching_received`` row.

    ``without_equipment``: only coached agents who today have no workstation or no account.
    """
    thresholds = rule.thresholds
    top = max(thresholds)
    params: list[Any] = []
    pairs = sql.coaching_pairs(
        ctx.organization_id,
        ctx.coaching_source_id,
        params,
        coach_ids=list(agent_ids) if agent_ids is not None else None,
    )
    join = ""
    where = [f"{key} IS NOT NULL", "x.occurred_at <= %s"]
    params.append(sql.dt_param(ctx.now))
    if confirmation_required(ctx, rule.params):
        where.append("x.confirmed_at IS NOT NULL")
    if without_equipment:
        join = f"JOIN {AGENT} ag ON ag.id = x.agent_id"
        where.append("(ag.has_workstation = %s OR ag.has_account = %s)")
        params.extend([False, False])
    at_columns = tier_time_columns(rule, "rn", "occurred_at")
    token = "CAST(rn AS TEXT) || ':' || CAST(given_id AS TEXT) || ':' || CAST(activity_id AS TEXT)"
    query = f"""
        SELECT agent_id, MAX(total) AS value, {at_columns},
               {sql.text_agg(f"CASE WHEN rn <= {int(top)} THEN {token} END")} AS tokens
        FROM (
            SELECT agent_id, occurred_at, given_id, activity_id,
                   ROW_NUMBER() OVER (
                       PARTITION BY agent_id ORDER BY occurred_at, session_id, activity_id
                   ) AS rn,
                   COUNT(*) OVER (PARTITION BY agent_id) AS total
            FROM (
                SELECT x.coach_id AS agent_id, x.occurred_at, x.session_id, x.given_id,
                       x.activity_id,
                       ROW_NUMBER() OVER (
                           PARTITION BY x.coach_id, {key}
                           ORDER BY x.occurred_at, x.session_id, x.activity_id
                       ) AS nth
                FROM {pairs} x {join}
                WHERE {" AND ".join(where)}
            ) pairs
            WHERE nth = 1
        ) ranked
        WHERE rn <= {int(top)} OR rn = total
        GROUP BY agent_id
    """
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        rows = cursor.fetchall()
    return read_ranked_rows(
        rule, rows, _parse, lambda firsts, spec: _evidence(firsts, spec.threshold)
    )


def _parse(value: str | None) -> list[tuple[int, int, int]]:
    """Tokens ``rank:given id:received id``, sorted by rank."""
    if not value:
        return []
    return sorted(
        (int(rank), int(given), int(received))
        for rank, given, received in (token.split(":") for token in value.split(","))
    )


def _evidence(firsts: list[tuple[int, int, int]], threshold: int) -> tuple[int, ...]:
    ids: list[int] = []
    for rank, given, received in firsts:
        if rank > threshold:
            break
        if given not in ids:
            ids.append(given)
        ids.append(received)
    return tuple(ids[-EVIDENCE_LIMIT:])


class DistinctCoachedKind(RuleKind):
    """The shape of the mentoring kinds: one ``confirmation`` parameter, a distinct count."""

    key: ClassVar[str]
    without_equipment: ClassVar[bool] = False

    def clean_params(self, params: Mapping[str, Any]) -> dict[str, Any]:
        errors: dict[str, list[str]] = {}
        clean_unknown(params, {"confirmation"}, errors)
        confirmation = clean_confirmation(params, errors)
        if errors:
            raise ValidationError(errors)
        return {"confirmation": confirmation}

    def verbs(self, params: Mapping[str, Any]) -> frozenset[str]:
        # A confirmation is announced with these verbs too (see ambassadors.signals).
        return frozenset(COACHING_VERBS)

    def measure(
        self, ctx: Context, rule: Rule, agent_ids: Sequence[int] | None
    ) -> dict[int, Measure]:
        return distinct_measure(
            ctx, rule, agent_ids, key=self.key, without_equipment=self.without_equipment
        )

    def explain(self, rule: Rule, measure: Measure | None) -> str:
        value = measure.value if measure else 0
        target = next_tier(rule, value)
        text = self.progress(value, target.threshold if target else None)
        if rule.params["confirmation"] == "required":
            return f"{text} ({confirmation_note(rule.params)})"
        return text

    def progress(self, value: int, target: int | None) -> str:
        """ "3 of 5 agents coached", or "7 agents coached" once every tier is met."""
        raise NotImplementedError
