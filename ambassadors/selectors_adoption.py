"""Reads of the adoption read model: one agent's stage explained, stage counts per subtree."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Case, CharField, Count, Q, Value, When
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import (
    ACTIVE_DAYS,
    CONTRIBUTOR_DAYS,
    AdoptionStage,
    Agent,
    AgentAdoption,
    Organization,
    OrgUnit,
)


@dataclass(frozen=True)
class AdoptionStep:
    stage: AdoptionStage
    label: str
    description: str  # what the stage means, in plain words
    done: bool
    current: bool
    explanation: str  # how (and when) this agent got there, or ""


@dataclass(frozen=True)
class AgentAdoptionSummary:
    stage: AdoptionStage
    label: str
    explanation: str
    steps: list[AdoptionStep]


DESCRIPTIONS = {
    AdoptionStage.NOT_REACHED: gettext_lazy(
        "No coaching, event, credentials or login recorded yet."
    ),
    AdoptionStage.REACHED: gettext_lazy("Coached by an ambassador or came to an event."),
    AdoptionStage.CREDENTIALS_DELIVERED: gettext_lazy(
        "Intranet credentials handed over (agents who had no account)."
    ),
    AdoptionStage.ONBOARDED: gettext_lazy(
        "Logged in to the intranet or finished the Welcome Tour."
    ),
    AdoptionStage.ACTIVE: gettext_lazy("Did something on the intranet in the last %(days)d days."),
    AdoptionStage.CONTRIBUTOR: gettext_lazy(
        "Published a news item, a page or a document in the last %(days)d days."
    ),
}


def _date(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    return formats.date_format(timezone.localtime(value), "SHORT_DATE_FORMAT")


def _description(stage: AdoptionStage) -> str:
    days = {AdoptionStage.ACTIVE: ACTIVE_DAYS, AdoptionStage.CONTRIBUTOR: CONTRIBUTOR_DAYS}
    text = str(DESCRIPTIONS[stage])
    return text % {"days": days[stage]} if stage in days else text


def _explanation(stage: AdoptionStage, row: AgentAdoption | None) -> str:
    if row is None:
        return ""
    if stage is AdoptionStage.REACHED and row.reached_at:
        if row.reached_verb == "event_attended":
            return _("came to an event on %(date)s") % {"date": _date(row.reached_at)}
        return _("coached on %(date)s") % {"date": _date(row.reached_at)}
    if stage is AdoptionStage.CREDENTIALS_DELIVERED and row.credentials_delivered_at:
        return _("credentials handed over on %(date)s") % {
            "date": _date(row.credentials_delivered_at)
        }
    if stage is AdoptionStage.ONBOARDED and row.onboarded_at:
        if row.onboarded_verb == "welcome_tour_completed":
            return _("finished the Welcome Tour on %(date)s") % {"date": _date(row.onboarded_at)}
        return _("first login on %(date)s") % {"date": _date(row.onboarded_at)}
    if stage is AdoptionStage.ACTIVE and row.last_activity_at:
        return _("last activity on %(date)s") % {"date": _date(row.last_activity_at)}
    if stage is AdoptionStage.CONTRIBUTOR and row.last_published_at:
        return _("last publication on %(date)s") % {"date": _date(row.last_published_at)}
    return ""


def _done(stage: AdoptionStage, row: AgentAdoption | None, now: dt.datetime) -> bool:
    """Whether the agent is at or past ``stage`` (active and contributor lapse with time)."""
    if stage is AdoptionStage.NOT_REACHED:
        return True
    if row is None:
        return False
    if stage is AdoptionStage.REACHED:
        return row.reached_at is not None
    if stage is AdoptionStage.CREDENTIALS_DELIVERED:
        return row.credentials_delivered_at is not None
    if stage is AdoptionStage.ONBOARDED:
        return row.onboarded_at is not None
    if stage is AdoptionStage.ACTIVE:
        return bool(
            row.onboarded_at
            and row.last_activity_at
            and row.last_activity_at >= now - dt.timedelta(days=ACTIVE_DAYS)
        )
    return bool(
        row.last_published_at and row.last_published_at >= now - dt.timedelta(days=CONTRIBUTOR_DAYS)
    )


def agent_adoption(*, agent: Agent, now: dt.datetime | None = None) -> AgentAdoptionSummary:
    """The agent's stage with a plain-words explanation of each step: one query."""
    now = now or timezone.now()
    row = AgentAdoption.objects.filter(agent_id=agent.pk).first()
    current = row.stage_at(now) if row else AdoptionStage.NOT_REACHED
    steps = [
        AdoptionStep(
            stage=stage,
            label=str(stage.label),
            description=_description(stage),
            done=_done(stage, row, now),
            current=stage == current,
            explanation=_explanation(stage, row) if _done(stage, row, now) else "",
        )
        for stage in AdoptionStage
        # "Not reached" is where everyone starts, not a step; credentials are a step only
        # for agents who had no account, or got them anyway.
        if stage is not AdoptionStage.NOT_REACHED
        and (
            stage is not AdoptionStage.CREDENTIALS_DELIVERED
            or not agent.has_account
            or (row is not None and row.credentials_delivered_at is not None)
        )
    ]
    explanation = _explanation(current, row)
    if current is AdoptionStage.NOT_REACHED:
        explanation = _description(current)
    return AgentAdoptionSummary(
        stage=current, label=str(current.label), explanation=explanation, steps=steps
    )


def stage_case(now: dt.datetime, prefix: str = "adoption__") -> Case:
    """The stage as a SQL expression over an agent's adoption row (same rules as
    ``AgentAdoption.stage_at``); agents without a row are "not reached"."""
    active_since = now - dt.timedelta(days=ACTIVE_DAYS)
    published_since = now - dt.timedelta(days=CONTRIBUTOR_DAYS)
    return Case(
        When(
            Q(**{f"{prefix}last_published_at__gte": published_since}),
            then=Value(AdoptionStage.CONTRIBUTOR.value),
        ),
        When(
            Q(**{f"{prefix}onboarded_at__isnull": False})
            & Q(**{f"{prefix}last_activity_at__gte": active_since}),
            then=Value(AdoptionStage.ACTIVE.value),
        ),
        When(
            Q(**{f"{prefix}onboarded_at__isnull": False}),
            then=Value(AdoptionStage.ONBOARDED.value),
        ),
        When(
            Q(**{f"{prefix}credentials_delivered_at__isnull": False}),
            then=Value(AdoptionStage.CREDENTIALS_DELIVERED.value),
        ),
        When(Q(**{f"{prefix}reached_at__isnull": False}), then=Value(AdoptionStage.REACHED.value)),
        default=Value(AdoptionStage.NOT_REACHED.value),
        output_field=CharField(),
    )


@dataclass(frozen=True)
class StageCount:
    stage: AdoptionStage
    label: str
    count: int
    share: float  # of the agents counted, 0 to 100


def adoption_stage_counts(
    *, organization: Organization | int, unit: OrgUnit | None = None, now: dt.datetime | None = None
) -> list[StageCount]:
    """Present agents per stage, in ladder order, for the unit's subtree (or the whole
    organization): one query."""
    now = now or timezone.now()
    agents = Agent.objects.for_org(organization).present(timezone.localdate(now))
    if unit is not None:
        agents = agents.filter(unit__path__startswith=unit.path)
    counts = dict(
        agents.order_by()
        .annotate(stage=stage_case(now))
        .values("stage")
        .annotate(n=Count("pk"))
        .values_list("stage", "n")
    )
    total = sum(counts.values()) or 1
    return [
        StageCount(
            stage=stage,
            label=str(stage.label),
            count=counts.get(stage.value, 0),
            share=round(100 * counts.get(stage.value, 0) / total, 1),
        )
        for stage in AdoptionStage
    ]
