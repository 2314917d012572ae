"""The engine: derive awards and points from the ledger, and keep them derived.

One function does both paths. ``badges_evaluate`` computes, for a scope (some agents and the
rules some verbs touch — the delta path — or everything — the full path), the state the
ledger implies, compares it with the stored state and writes the difference:

- awards: inserted when newly met, updated when their date, evidence, version or points
  moved (an earlier activity arrived late, a rule changed), withdrawn (softly, with the
  reason) when no longer met — except manual grants, and permanent awards earned under an
  earlier version of their rule (an achievement is not taken back by a rule change);
- point lines: one per counted activity; inserted, or deleted when the activity no longer
  counts (retracted, pushed over a cap by an earlier one, its verb's points changed).

Every evaluation of an organization starts by updating its ``EngineSettings`` row, in the
transaction that writes: two workers on one organization take turns, and the second sees
what the first wrote. That, and the state being a function of the ledger, is what makes the
tasks safe to run twice or concurrently. ``badges_reconcile`` is the full path that also
reports the drift it found (what a full pass had to change).

Query count: a fixed number per rule and per pass, whatever the number of agents or
activities (the query-count tests hold it).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.db.models import TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from ambassadors.models import ActivitySource, Organization, Verb
from ambassadors.selectors_coaching import coaching_settings
from badges import sql
from badges.models import (
    Award,
    Badge,
    BadgeStatus,
    BadgeVersion,
    EngineSettings,
    PointLine,
    PointRule,
)
from badges.rules import Context, Earned, Rule, TierSpec, get_kind
from badges.rules.base import clean_tiers

logger = logging.getLogger(__name__)

COACHING_SOURCE = "relais"  # ambassadors.services.coaching.LEDGER_SOURCE
COACHING_VERBS = frozenset({"coaching_given", "coaching_received"})


@dataclass
class EvaluationReport:
    organization_id: int
    full: bool
    rules: int = 0
    awarded: int = 0
    reinstated: int = 0
    updated: int = 0
    revoked: int = 0
    points_added: int = 0
    points_removed: int = 0
    new_award_ids: list[int] = field(default_factory=list)
    revoked_award_ids: list[int] = field(default_factory=list)
    # Seconds per stage and per rule (badge code), for the command's report and the bench.
    timings: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def timed(self, stage: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.timings[stage] = round(
                self.timings.get(stage, 0.0) + time.perf_counter() - start, 3
            )

    @property
    def drift(self) -> int:
        """How many stored facts the pass had to change."""
        return (
            self.awarded
            + self.reinstated
            + self.updated
            + self.revoked
            + self.points_added
            + self.points_removed
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "full": self.full,
            "rules": self.rules,
            "awarded": self.awarded,
            "reinstated": self.reinstated,
            "updated": self.updated,
            "revoked": self.revoked,
            "points_added": self.points_added,
            "points_removed": self.points_removed,
            "drift": self.drift,
        }


# -- Rules and context --------------------------------------------------------------------


def rule_of(definition: Badge | BadgeVersion) -> Rule:
    """The evaluable rule of a badge (its active version) or of a version (e.g. a draft)."""
    badge_id = definition.pk if isinstance(definition, Badge) else definition.badge_id
    number = definition.version if isinstance(definition, Badge) else definition.number
    code = (
        definition.code if isinstance(definition, Badge) else definition.badge.code  # type: ignore[union-attr]
    )
    return Rule(
        badge_id=badge_id,
        code=code,
        version=number,
        kind=definition.kind,
        params=get_kind(definition.kind).clean_params(definition.params),
        tiers=clean_tiers(definition.tiers),
        revocable=definition.revocable,
    )


def engine_context(*, organization: Organization, now: dt.datetime) -> Context:
    verbs = dict(Verb.objects.for_org(organization).values_list("code", "id"))
    source_id = (
        ActivitySource.objects.for_org(organization)
        .filter(code=COACHING_SOURCE)
        .values_list("id", flat=True)
        .first()
    )
    return Context(
        organization=organization,
        now=now,
        verbs=verbs,
        coaching_source_id=source_id,
        require_confirmation=coaching_settings(
            organization=organization
        ).mentoring_badges_require_confirmation,
    )


def _active_rules(organization: Organization, badge_ids: Sequence[int] | None) -> list[Rule]:
    badges = Badge.objects.for_org(organization).filter(status=BadgeStatus.ACTIVE)
    if badge_ids is not None:
        badges = badges.filter(pk__in=badge_ids)
    rules = []
    for badge in badges.order_by("pk"):
        try:
            rules.append(rule_of(badge))
        except ValidationError as error:
            # A badge whose stored rule no longer validates (a kind removed from the code,
            # params edited in the database) must not stop every other badge: it is skipped,
            # and said so in the log, until someone fixes it on its page.
            logger.error("Badge %s (%s) skipped: %s", badge.pk, badge.code, error.messages)
    return rules


def _touched(rules: list[Rule], verb_codes: Iterable[str] | None) -> list[Rule]:
    """The rules a delta over these verbs must evaluate: those that read one of them, then
    the meta-badges (they read the others' results, so any change may move them)."""
    if verb_codes is None:
        return rules
    verbs = frozenset(verb_codes)
    kept = []
    for rule in rules:
        kind = get_kind(rule.kind)
        if kind.depends_on_badges or kind.verbs(rule.params) & verbs:
            kept.append(rule)
    return kept


# -- Desired state ------------------------------------------------------------------------


Key = tuple[int, int, str]  # agent id, badge id, tier


@dataclass(frozen=True)
class Desired:
    earned: Earned
    rule: Rule
    spec: TierSpec


def desired_awards(
    ctx: Context,
    rules: list[Rule],
    agent_ids: Sequence[int] | None,
    report: EvaluationReport | None = None,
) -> dict[Key, Desired]:
    """What the ledger says about these rules and agents. Meta-badges last, reading the
    others' results from this pass and, for badges outside it, the stored live awards."""
    desired: dict[Key, Desired] = {}
    plain = [r for r in rules if not get_kind(r.kind).depends_on_badges]
    meta = [r for r in rules if get_kind(r.kind).depends_on_badges]
    for rule in plain:
        kind = get_kind(rule.kind)
        start = time.perf_counter()
        measures = kind.measure(ctx, rule, agent_ids)
        if report is not None:
            report.timings[f"rule {rule.code}"] = round(time.perf_counter() - start, 3)
        for agent_id, measure in measures.items():
            for spec in rule.tiers:
                earned = measure.earned.get(spec.tier)
                if earned is not None:
                    desired[(agent_id, rule.badge_id, spec.tier)] = Desired(earned, rule, spec)
    if meta:
        ctx.held = _held(ctx, desired, {r.badge_id for r in plain}, agent_ids)
        for rule in meta:
            kind = get_kind(rule.kind)
            for agent_id, measure in kind.measure(ctx, rule, agent_ids).items():
                for spec in rule.tiers:
                    earned = measure.earned.get(spec.tier)
                    if earned is not None:
                        desired[(agent_id, rule.badge_id, spec.tier)] = Desired(earned, rule, spec)
    return desired


def _held(
    ctx: Context,
    desired: dict[Key, Desired],
    evaluated: set[int],
    agent_ids: Sequence[int] | None,
) -> dict[tuple[int, str], dt.datetime]:
    """(agent, badge code) -> earliest date held: this pass's results for the badges it
    evaluated, the stored live awards (manual grants included) for the others."""
    codes = dict(Badge.objects.for_org(ctx.organization).values_list("pk", "code"))
    held: dict[tuple[int, str], dt.datetime] = {}

    def keep(agent_id: int, code: str, at: dt.datetime) -> None:
        key = (agent_id, code)
        if key not in held or at < held[key]:
            held[key] = at

    for (agent_id, badge_id, _tier), item in desired.items():
        keep(agent_id, codes[badge_id], item.earned.at)
    stored = Award.objects.for_org(ctx.organization).filter(revoked_at__isnull=True)
    if agent_ids is not None:
        stored = stored.filter(agent_id__in=agent_ids)
    for agent_id, badge_id, origin, at in stored.values_list(
        "agent_id", "badge_id", "origin", "awarded_at"
    ):
        if badge_id not in evaluated or origin == Award.Origin.MANUAL:
            keep(agent_id, codes[badge_id], at)
    return held


# -- The pass -----------------------------------------------------------------------------


# From this many agents, a delta copies their rows once (one scan of the ledger) rather
# than having each rule fetch them through the agents' index (a random read per row: a
# 5,000-activity batch of 4,700 agents took 5 s per rule that way, on 10 million rows).
SCOPE_TABLE_MIN = 300
SCOPE_TABLE = "badges_scope_activity"


def _scope_table(ctx: Context, agents: list[int]) -> str:
    params: list[Any] = [ctx.organization_id]
    agents_in = sql.in_list("a.agent_id", agents, params)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {SCOPE_TABLE}")
        # One sequential scan with the agents hashed; the planner, which takes the id list
        # for a hundred rows, would otherwise walk the agents' index row by row.
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {SCOPE_TABLE} ON COMMIT DROP AS "
            f"SELECT a.id, a.agent_id, a.verb_id, a.occurred_at FROM {sql.ACTIVITY} a "
            f"WHERE a.organization_id = %s AND {agents_in} AND {sql.not_retracted('a')}",
            params,
        )
        cursor.execute("RESET enable_indexscan")
        cursor.execute("RESET enable_bitmapscan")
        cursor.execute(f"ANALYZE {SCOPE_TABLE}")
    return SCOPE_TABLE


def engine_lock(organization: Organization, now: dt.datetime) -> EngineSettings:
    """Take the organization's evaluation turn (see the module docstring), inside the
    caller's transaction. Every writer of awards (the engine, a grant by hand) calls it first."""
    EngineSettings.objects.get_or_create(organization=organization)
    EngineSettings.objects.filter(organization=organization).update(evaluated_at=now)
    return EngineSettings.objects.get(organization=organization)


def badges_evaluate(
    *,
    organization: Organization,
    agent_ids: Sequence[int] | None = None,
    verb_codes: Iterable[str] | None = None,
    badge_ids: Sequence[int] | None = None,
    now: dt.datetime | None = None,
    notify: bool = True,
    digest_version: BadgeVersion | None = None,
    occurred_between: tuple[dt.datetime, dt.datetime] | None = None,
) -> EvaluationReport:
    """Bring awards and points in line with the ledger for a scope; return what changed.

    ``agent_ids`` None is every agent; ``verb_codes`` None is every rule and verb;
    ``badge_ids`` limits the badges (a rule change backfills only its own);
    ``occurred_between`` (from the ledger's signal) limits the point lines rewritten to the
    local days (weeks, for coaching) those activities fall on: a daily cap ranks within a
    day, the coaching cap within a week, so other days cannot move. New awards are
    notified after commit, one by one, or as one digest per agent when ``digest_version``
    (a rule activation's backfill) is given.
    """
    now = now or timezone.now()
    agents = sorted(set(agent_ids)) if agent_ids is not None else None
    report = EvaluationReport(organization_id=organization.pk, full=agents is None)
    with transaction.atomic():
        settings = engine_lock(organization, now)
        if agents is None and sql.is_postgresql():
            # A full pass sorts millions of ledger rows per rule (window functions): in
            # memory rather than in temporary files, for this transaction only. (JIT stays
            # on: turning it off made each rule's scan 1.5-2 s slower on 10 million rows.)
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL work_mem = '256MB'")
        ctx = engine_context(organization=organization, now=now)
        rules = _touched(_active_rules(organization, badge_ids), verb_codes)
        report.rules = len(rules)
        if agents is not None and len(agents) >= SCOPE_TABLE_MIN and sql.is_postgresql():
            with report.timed("scope table"):
                ctx.scope_table = _scope_table(ctx, agents)
        if rules:
            with report.timed("awards: evaluate"):
                desired = desired_awards(ctx, rules, agents, report)
            with report.timed("awards: write"):
                _sync_awards(organization, rules, agents, desired, now, report)
        if badge_ids is None:
            verbs = None if verb_codes is None else ctx.verb_ids(sorted(set(verb_codes)))
            with report.timed("points"):
                _sync_points(ctx, settings, agents, verbs, report, occurred_between)
    if notify and (report.new_award_ids or report.revoked_award_ids):
        from badges.services.notifications import awards_notify

        awarded, revoked = list(report.new_award_ids), list(report.revoked_award_ids)
        transaction.on_commit(
            lambda: awards_notify(awarded=awarded, revoked=revoked, digest_version=digest_version)
        )
    return report


def badges_reconcile(
    *, organization: Organization, now: dt.datetime | None = None, notify: bool = True
) -> EvaluationReport:
    """The full path: every rule, every agent, every point; records the drift.

    ``notify`` False records what a bulk load of history earns without a notice per award
    (the demo's year, an intranet's backfill): history, not news; the pages show it."""
    now = now or timezone.now()
    report = badges_evaluate(organization=organization, now=now, notify=notify)
    EngineSettings.objects.filter(organization=organization).update(
        reconciled_at=now, last_drift=report.drift
    )
    return report


class _Stored(NamedTuple):
    pk: int
    agent_id: int
    badge_id: int
    tier: str
    awarded_at: dt.datetime
    ids_text: str
    rule_version: int
    points: int
    origin: str
    revoked_at: dt.datetime | None


def _sync_awards(
    organization: Organization,
    rules: list[Rule],
    agents: list[int] | None,
    desired: dict[Key, Desired],
    now: dt.datetime,
    report: EvaluationReport,
) -> None:
    by_badge = {rule.badge_id: rule for rule in rules}
    stored_qs = Award.objects.for_org(organization).filter(badge_id__in=list(by_badge))
    if agents is not None:
        stored_qs = stored_qs.filter(agent_id__in=agents)
    # Plain tuples, not model instances: a full pass reads every award (200,000 on the
    # reference dataset); only the few that change become instances (``_changed``).
    # The activities behind each award are compared as the database's JSON text, which is
    # what ``json.dumps`` writes ("[1, 2]"): decoding 200,000 lists cost seconds.
    stored: dict[Key, _Stored] = {
        (row[1], row[2], row[3]): _Stored(*row)
        for row in stored_qs.annotate(ids_text=Cast("activity_ids", output_field=TextField()))
        .values_list(
            "pk",
            "agent_id",
            "badge_id",
            "tier",
            "awarded_at",
            "ids_text",
            "rule_version",
            "points",
            "origin",
            "revoked_at",
        )
        .iterator(chunk_size=5000)
    }

    inserts: list[Award] = []
    updates: list[Award] = []
    reinstated: list[Award] = []
    for key, item in desired.items():
        row = stored.get(key)
        ids = list(item.earned.activity_ids)
        ids_text = json.dumps(ids)
        if row is None:
            inserts.append(
                Award(
                    organization=organization,
                    agent_id=key[0],
                    badge_id=key[1],
                    tier=key[2],
                    awarded_at=item.earned.at,
                    recorded_at=now,
                    rule_version=item.rule.version,
                    points=item.spec.points,
                    activity_ids=ids,
                )
            )
            continue
        if row.origin == Award.Origin.MANUAL:
            continue  # a grant by hand stands as granted
        changed = (
            row.awarded_at != item.earned.at
            or row.ids_text != ids_text
            or row.rule_version != item.rule.version
            or row.points != item.spec.points
        )
        if row.revoked_at is None and not changed:
            continue
        award = Award(
            pk=row.pk,
            awarded_at=item.earned.at,
            activity_ids=ids,
            rule_version=item.rule.version,
            points=item.spec.points,
            revoked_at=None,
            revoked_reason="",
        )
        (reinstated if row.revoked_at is not None else updates).append(award)

    revoked: list[Award] = []
    for key, row in stored.items():
        if key in desired or row.revoked_at is not None or row.origin == Award.Origin.MANUAL:
            continue
        rule = by_badge[row.badge_id]
        if not rule.revocable and row.rule_version < rule.version:
            continue  # an achievement earned under an earlier rule is kept
        reason = (
            _("No longer met.")
            if rule.revocable
            else _("No longer met: activities behind it were retracted or corrected.")
        )
        revoked.append(Award(pk=row.pk, revoked_at=now, revoked_reason=reason[:300]))

    if inserts:
        created = Award.objects.bulk_create(inserts, batch_size=2000)
        report.new_award_ids.extend(a.pk for a in created)
    fields = [
        "awarded_at",
        "activity_ids",
        "rule_version",
        "points",
        "revoked_at",
        "revoked_reason",
    ]
    if updates or reinstated:
        _update_awards(updates + reinstated, fields)
        report.new_award_ids.extend(a.pk for a in reinstated)
    if revoked:
        _update_awards(revoked, ["revoked_at", "revoked_reason"])
        report.revoked_award_ids.extend(a.pk for a in revoked)
    report.awarded += len(inserts)
    report.updated += len(updates)
    report.reinstated += len(reinstated)
    report.revoked += len(revoked)


def _update_awards(awards: list[Award], fields: list[str]) -> None:
    """Write these fields of these awards. On PostgreSQL one ``UPDATE ... FROM (VALUES ...)``
    per thousand rows: ``bulk_update``'s ``CASE WHEN`` per field and row took seconds for a
    few thousand awards."""
    if not sql.is_postgresql():
        Award.objects.bulk_update(awards, fields, batch_size=500)
        return
    table = Award._meta.db_table
    columns: list[models.Field[Any, Any]] = []
    for name in fields:
        model_field = Award._meta.get_field(name)
        assert isinstance(model_field, models.Field)
        columns.append(model_field)
    casts = [column.db_type(connection) for column in columns]
    assignments = ", ".join(f"{c.column} = v.{c.column}" for c in columns)
    names = ", ".join(["id", *(str(c.column) for c in columns)])
    for start in range(0, len(awards), 1000):
        chunk = awards[start : start + 1000]
        row = "(" + ", ".join(["%s::bigint", *(f"%s::{cast}" for cast in casts)]) + ")"
        params: list[Any] = []
        for award in chunk:
            params.append(award.pk)
            for column in columns:
                params.append(column.get_db_prep_save(getattr(award, column.attname), connection))
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} AS a SET {assignments} FROM (VALUES "
                f"{', '.join([row] * len(chunk))}) AS v({names}) WHERE a.id = v.id",
                params,
            )


# -- Points -------------------------------------------------------------------------------


POINTS = PointLine._meta.db_table
RULES = PointRule._meta.db_table
VERBS = Verb._meta.db_table


def _over_pair_cap(ctx: Context, settings: EngineSettings, agents: list[int] | None) -> set[int]:
    """Coaching ledger rows that do not count: beyond the first N sessions of a (coach,
    agent) pair in a local week. A ``coaching_received`` row counts with its pair; a
    coaching session's ``coaching_given`` row counts when one of its pairs does."""
    params: list[Any] = []
    pairs = sql.coaching_pairs(ctx.organization_id, ctx.coaching_source_id, params)
    touching = "1 = 1"
    if agents is not None:
        touching = (
            f"({sql.in_list('x.coach_id', agents, params)} "
            f"OR {sql.in_list('x.agent_id', agents, params)})"
        )
    week = sql.local_week("y.occurred_at", ctx.tzname)
    query = f"""
        SELECT activity_id, given_id, session_id,
               ROW_NUMBER() OVER (
                   PARTITION BY coach_id, agent_id, {week}
                   ORDER BY occurred_at, session_id
               ) AS rn
        FROM (SELECT x.* FROM {pairs} x WHERE {touching}) y
    """
    limit = settings.coaching_sessions_per_pair_per_week
    over: set[int] = set()
    counted_sessions: set[int] = set()
    given: dict[int, int] = {}
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        for activity_id, given_id, session_id, rn in cursor.fetchall():
            given[session_id] = given_id
            if rn > limit:
                over.add(activity_id)
            else:
                counted_sessions.add(session_id)
    over.update(g for s, g in given.items() if s not in counted_sessions)
    return over


def _wanted_points(
    ctx: Context,
    agents: list[int] | None,
    verbs: list[int] | None,
    since: dt.datetime | None,
    until: dt.datetime | None,
    over: list[int],
    params: list[Any],
) -> str:
    """The point lines the ledger implies for a scope: one per live activity whose verb has
    points, within its verb's daily cap (ranked by time within the agent's local day) and
    not over the coaching cap (``over``). Columns as ``PointLine``'s."""
    table = ctx.scope_table if agents is not None else None
    scope: list[str] = []
    if table is None:
        params.append(ctx.organization_id)
        scope += ["a.organization_id = %s", sql.not_retracted("a")]
    scope.append(sql.in_list("a.agent_id", agents, params))
    scope.append(sql.in_list("a.verb_id", verbs, params))
    if since is not None and until is not None:
        scope.append(sql.in_time_range("a.occurred_at", since, until, params))
    if over:
        scope.append(sql.not_in_list("a.id", over, params))
    day = sql.local_date("a.occurred_at", ctx.tzname)
    return f"""
        SELECT id, agent_id, verb_id, category, occurred_at, points FROM (
            SELECT a.id, a.agent_id, a.verb_id, v.category, a.occurred_at, r.points,
                   r.daily_cap,
                   ROW_NUMBER() OVER (
                       PARTITION BY a.agent_id, a.verb_id, {day} ORDER BY a.occurred_at, a.id
                   ) AS rn
            FROM {table or sql.ACTIVITY} a
            JOIN {RULES} r ON r.verb_id = a.verb_id AND r.points > 0
            JOIN {VERBS} v ON v.id = a.verb_id
            WHERE {" AND ".join(scope)}
        ) ranked
        WHERE (daily_cap IS NULL OR rn <= daily_cap)
    """


# A per-agent fingerprint of point lines: equal fingerprints, equal lines (the odds of two
# different sets colliding on count, total and a weighted sum of ids are negligible, and a
# collision would only delay a correction to the next change of that agent). "%%" is the
# modulo operator, escaped from the driver's placeholders.
_FINGERPRINT = "COUNT(*), SUM(points), SUM(({id} %% 1000003) * (points + 7))"


def _drifted_agents(ctx: Context, over: list[int]) -> tuple[list[int], bool]:
    """A full pass compares per-agent fingerprints of the stored lines and of the lines the
    ledger implies, without writing either: at rest, nothing is written at all. Returns the
    agents whose lines differ, and whether nothing is stored yet."""
    params: list[Any] = []
    wanted = _wanted_points(ctx, None, None, None, None, over, params)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT agent_id, {_FINGERPRINT.format(id='activity_id')} FROM {POINTS} "
            "WHERE organization_id = %s GROUP BY agent_id",
            [ctx.organization_id],
        )
        stored = {row[0]: tuple(int(v) for v in row[1:]) for row in cursor.fetchall()}
        if not stored:
            return [], True
        cursor.execute(
            f"SELECT agent_id, {_FINGERPRINT.format(id='id')} FROM ({wanted}) w GROUP BY agent_id",
            params,
        )
        implied = {row[0]: tuple(int(v) for v in row[1:]) for row in cursor.fetchall()}
    return sorted(
        a for a in stored.keys() | implied.keys() if stored.get(a) != implied.get(a)
    ), False


def _local_span(
    ctx: Context, span: tuple[dt.datetime, dt.datetime], weeks: bool
) -> tuple[dt.datetime, dt.datetime]:
    """From the local midnight starting the first day (or week) of the span to the one
    ending its last day (or week)."""
    tz = ctx.tz
    first, last = span[0].astimezone(tz).date(), span[1].astimezone(tz).date()
    if weeks:
        first -= dt.timedelta(days=first.weekday())
        last += dt.timedelta(days=6 - last.weekday())
    start = dt.datetime.combine(first, dt.time(), tzinfo=tz)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    return start, end


def _sync_points(
    ctx: Context,
    settings: EngineSettings,
    agents: list[int] | None,
    verbs: list[int] | None,
    report: EvaluationReport,
    occurred_between: tuple[dt.datetime, dt.datetime] | None = None,
) -> None:
    """Rewrite the point lines of a scope from the ledger.

    A full pass first finds the agents whose lines drifted (``_drifted_agents``) and
    rewrites only theirs; with nothing stored yet it inserts every line in one statement.
    A scoped rewrite puts the wanted rows in a temporary table, then runs one DELETE of the
    lines not wanted and one INSERT of the missing ones.
    """
    coaching = verbs is None or bool(set(verbs) & set(ctx.verb_ids(sorted(COACHING_VERBS))))
    over = sorted(_over_pair_cap(ctx, settings, agents)) if coaching else []
    since = until = None
    if occurred_between is not None and agents is not None:
        since, until = _local_span(ctx, occurred_between, weeks=coaching)
    columns = "(activity_id, organization_id, agent_id, verb_id, category, occurred_at, points)"
    if agents is None and verbs is None:
        drifted, empty = _drifted_agents(ctx, over)
        if empty:
            params: list[Any] = [ctx.organization_id]
            wanted = _wanted_points(ctx, None, None, None, None, over, params)
            with connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {POINTS} {columns} SELECT id, %s, agent_id, verb_id, "
                    f"category, occurred_at, points FROM ({wanted}) w",
                    params,
                )
                report.points_added += max(cursor.rowcount, 0)
                if sql.is_postgresql():
                    # Millions of new rows: the planner must know before the next delta
                    # chooses between the agent index and a scan.
                    cursor.execute(f"ANALYZE {POINTS}")
            return
        if not drifted:
            return
        agents = drifted
        if len(agents) >= SCOPE_TABLE_MIN and sql.is_postgresql() and ctx.scope_table is None:
            ctx.scope_table = _scope_table(ctx, agents)
    params = []
    wanted = _wanted_points(ctx, agents, verbs, since, until, over, params)
    line_scope_params: list[Any] = [ctx.organization_id]
    line_scope = ["p.organization_id = %s"]
    line_scope.append(sql.in_list("p.agent_id", agents, line_scope_params))
    line_scope.append(sql.in_list("p.verb_id", verbs, line_scope_params))
    if since is not None and until is not None:
        line_scope.append(sql.in_time_range("p.occurred_at", since, until, line_scope_params))
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE IF NOT EXISTS badges_wanted_points ("
            "activity_id bigint PRIMARY KEY, agent_id bigint, verb_id integer, "
            "category varchar(12), occurred_at timestamp with time zone, points integer)"
            if sql.is_postgresql()
            else "CREATE TEMPORARY TABLE IF NOT EXISTS badges_wanted_points ("
            "activity_id integer PRIMARY KEY, agent_id integer, verb_id integer, "
            "category varchar(12), occurred_at datetime, points integer)"
        )
        cursor.execute(_EMPTY_WANTED())
        cursor.execute(f"INSERT INTO badges_wanted_points {wanted}", params)
        if sql.is_postgresql():
            cursor.execute("ANALYZE badges_wanted_points")
        cursor.execute(
            f"DELETE FROM {POINTS} AS p WHERE {' AND '.join(line_scope)} "
            "AND NOT EXISTS (SELECT 1 FROM badges_wanted_points w "
            "WHERE w.activity_id = p.activity_id AND w.points = p.points)",
            line_scope_params,
        )
        report.points_removed += max(cursor.rowcount, 0)
        cursor.execute(
            f"INSERT INTO {POINTS} {columns} "
            "SELECT w.activity_id, %s, w.agent_id, w.verb_id, w.category, w.occurred_at, "
            f"w.points FROM badges_wanted_points w WHERE NOT EXISTS (SELECT 1 FROM {POINTS} p "
            "WHERE p.activity_id = w.activity_id)",
            [ctx.organization_id],
        )
        report.points_added += max(cursor.rowcount, 0)
        cursor.execute(_EMPTY_WANTED())


def _EMPTY_WANTED() -> str:
    # TRUNCATE frees a temporary table of millions of rows at once on PostgreSQL.
    return (
        "TRUNCATE badges_wanted_points"
        if sql.is_postgresql()
        else "DELETE FROM badges_wanted_points"
    )
