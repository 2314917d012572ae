"""A year of believable activity for the demo collectivité, written through the services.

The intranet went live about eleven months ago (``LAUNCH_DAYS_AGO``). Since then: first
logins spread over the following weeks (office agents sooner than field agents), the Welcome
Tour, profile updates, comments; news, pages and documents by a few heavy contributors (the
comms team first) and a long tail; credentials handed to field agents who had no account;
e-learning trainings; demos, trainings, workshops and tours of the services with their
attendance; and the ambassadors' coaching sessions.

Everything goes through the same services as real data: ``activities_ingest`` (chunks of
5,000), ``event_create`` / ``attendance_record``, ``coaching_session_create``. Draws come
from ``concern_random(seed, "history")``, over agents read back in HR id order: the same
(seed, today, agents) always writes the same history. The adoption read model is filled
once at the end (``adoption_recompute``), the per-ingestion receiver being deferred.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import zoneinfo
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from ambassadors.errors import DomainError
from ambassadors.models import (
    Agent,
    AmbassadorMandate,
    Event,
    Organization,
    OrgUnit,
    Role,
)
from ambassadors.receivers import adoption_deferred
from ambassadors.services.adoption import adoption_recompute
from ambassadors.services.events import attendance_record, event_create, event_expected_agents
from ambassadors.services.ledger import MAX_ITEMS, activities_ingest, activity_source_resolve
from ambassadors.signals import ledger_bulk

from .plan import concern_random

LAUNCH_DAYS_AGO = 335
INTRANET_URL = "https://intranet.valmont.fr"
HEAVY_CONTRIBUTOR_SHARE = 0.012
LONG_TAIL_SHARE = 0.07
EVENTS_PER_AGENTS = 70
COACHING_PER_AGENTS = 8

NEWS_TITLES = (
    "Fermeture exceptionnelle de la piscine municipale",
    "Le nouveau marché couvert ouvre ses portes",
    "Plan grand froid : les consignes pour les équipes",
    "Retour en images sur la fête de la musique",
    "Travaux rue de la République : le calendrier",
    "Bienvenue aux nouveaux agents du mois",
    "La collecte des encombrants change de jour",
    "Résultats du challenge mobilité",
    "Élections : appel aux volontaires pour les bureaux de vote",
    "Le restaurant administratif fait peau neuve",
    "Prévention : la campagne de vaccination antigrippale",
    "Forum des associations : merci aux équipes",
    "Les espaces verts labellisés « Ville fleurie »",
    "Nouveau : les fiches de paie dématérialisées",
    "Don du sang à l’hôtel de ville",
)
PAGE_TITLES = (
    "Demander ses congés",
    "Le télétravail : mode d’emploi",
    "Annuaire des services",
    "Réserver une salle de réunion",
    "Signaler un incident informatique",
    "Les prestations du CNAS",
    "Accueillir un stagiaire",
    "Le plan de formation",
    "Hygiène et sécurité : les référents",
    "Commander des fournitures",
)
DOCUMENT_TITLES = (
    "Note de service n°{n}",
    "Compte rendu du comité social territorial n°{n}",
    "Menus des restaurants scolaires, semaine {n}",
    "Règlement intérieur, version {n}",
    "Guide de l’agent d’accueil, édition {n}",
    "Procédure de viabilité hivernale n°{n}",
)
EVENT_TITLES = {
    Event.Kind.DEMO: "Démonstration de l’intranet — {unit}",
    Event.Kind.TRAINING: "Formation : publier une actualité",
    Event.Kind.WORKSHOP: "Atelier : mon profil dans l’annuaire",
    Event.Kind.SERVICE_TOUR: "Tournée des services — {unit}",
    Event.Kind.OTHER: "Café intranet — {unit}",
}


@dataclass(frozen=True)
class HistorySummary:
    activities: int
    events: int
    attendances: int
    coaching_sessions: int
    coaching_skipped: int
    adoption_rows: int


@dataclass
class _Agent:
    pk: int
    hr_id: str
    unit_id: int | None
    has_workstation: bool
    has_account: bool
    arrival: dt.date | None
    departure: dt.date | None
    extra: dict[str, Any] = field(default_factory=dict)


class _Clock:
    """Working-hours datetimes in the organization's time zone, never after ``end``."""

    def __init__(self, rng: random.Random, tz: zoneinfo.ZoneInfo, end: dt.date) -> None:
        self.rng, self.tz, self.end = rng, tz, end

    def at(self, day: dt.date) -> dt.datetime:
        day = min(day, self.end)
        if day.weekday() >= 5:  # activity happens on weekdays
            day -= dt.timedelta(days=day.weekday() - 4)
        minutes = self.rng.randint(8 * 60, 17 * 60 + 30)
        return dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60), tzinfo=self.tz)

    def between(self, start: dt.date, end: dt.date) -> dt.datetime:
        span = max(0, (end - start).days)
        return self.at(start + dt.timedelta(days=self.rng.randint(0, span)))


def demo_history_write(
    *, organization: Organization, seed: int, today: dt.date | None = None
) -> HistorySummary:
    """Write the history, commit it, then fill the adoption read model once."""
    today = today or timezone.localdate()
    # adoption_deferred outermost: the bulk signal, sent as ledger_bulk exits, finds it set
    # and leaves the adoption rows to the one recomputation below.
    with adoption_deferred(), ledger_bulk(organization.pk), transaction.atomic():
        summary = _write(organization=organization, seed=seed, today=today)
    # The receiver was skipped for every chunk: one set-based pass fills every agent's row.
    rows = adoption_recompute(organization=organization)
    return HistorySummary(**{**summary.__dict__, "adoption_rows": rows})


def _write(*, organization: Organization, seed: int, today: dt.date) -> HistorySummary:
    rng = concern_random(seed, "history")
    tz = zoneinfo.ZoneInfo(organization.timezone)
    end = today - dt.timedelta(days=1)
    launch = today - dt.timedelta(days=LAUNCH_DAYS_AGO)
    clock = _Clock(rng, tz, end)
    now = timezone.now()
    agents = [
        _Agent(pk, hr_id, unit_id, workstation, account, arrival, departure)
        for pk, hr_id, unit_id, workstation, account, arrival, departure in Agent.objects.for_org(
            organization
        )
        .order_by("hr_id")
        .values_list(
            "pk",
            "hr_id",
            "unit_id",
            "has_workstation",
            "has_account",
            "arrival_date",
            "departure_date",
        )
    ]

    events, attendances, attended_on = _events(organization, rng, clock, launch, end, now)
    sessions, skipped = _coaching_sessions(organization, rng, clock, launch, end, now)

    items: list[dict[str, Any]] = []
    comms = set(
        Role.objects.for_org(organization)
        .filter(kind=Role.Kind.COMMS)
        .values_list("agent_id", flat=True)
    )
    office = [a for a in agents if a.has_account and a.has_workstation and a.pk not in comms]
    heavy = set(
        rng.sample([a.pk for a in office], max(3, round(len(agents) * HEAVY_CONTRIBUTOR_SHARE)))
    )
    tail = set(
        rng.sample(
            [a.pk for a in office if a.pk not in heavy],
            min(len(office) - len(heavy), round(len(agents) * LONG_TAIL_SHARE)),
        )
    )
    for agent in agents:
        start = max(launch, agent.arrival or launch)
        stop = min(end, (agent.departure - dt.timedelta(days=1)) if agent.departure else end)
        if stop < start:
            continue
        items.extend(
            _agent_history(
                agent,
                rng,
                clock,
                start,
                stop,
                attended_on.get(agent.pk),
                contributor="heavy"
                if agent.pk in heavy or agent.pk in comms
                else "tail"
                if agent.pk in tail
                else "",
            )
        )

    source = activity_source_resolve(
        organization=organization, code="intranet", create=True, trusted=True
    )
    stored = 0
    for start_at in range(0, len(items), MAX_ITEMS):
        report = activities_ingest(
            organization=organization,
            items=items[start_at : start_at + MAX_ITEMS],
            source=source,
            now=now,
        )
        if report.rejected:
            first = next(r for r in report.results if r["status"] == "rejected")
            raise DomainError(f"Demo history rejected by the ledger: {first}", code="demo")
        stored += report.accepted
    return HistorySummary(
        activities=stored + attendances + 2 * sessions,
        events=events,
        attendances=attendances,
        coaching_sessions=sessions,
        coaching_skipped=skipped,
        adoption_rows=0,
    )


def _item(
    agent: _Agent, verb: str, when: dt.datetime, n: int, title: str = "", url: str = ""
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "external_id": f"demo:{verb}:{agent.hr_id}:{n}",
        "verb": verb,
        "agent": agent.hr_id,
        "occurred_at": when.isoformat(),
    }
    if title:
        item["object"] = {"type": verb.split("_")[0], "title": title, "url": url}
    return item


def _agent_history(
    agent: _Agent,
    rng: random.Random,
    clock: _Clock,
    start: dt.date,
    stop: dt.date,
    attended: dt.date | None,
    contributor: str,
) -> Iterator[dict[str, Any]]:
    days = dt.timedelta
    login: dt.date | None = None
    if agent.has_account:
        # Office agents come soon after the launch; field agents, later and fewer.
        chance, mean_delay = (0.9, 18) if agent.has_workstation else (0.6, 55)
        if rng.random() < chance:
            login = start + days(days=int(rng.expovariate(1 / mean_delay)))
    else:
        # No account: credentials handed over, often at an event the agent came to.
        if rng.random() < 0.6:
            delivered = (
                attended
                if attended and rng.random() < 0.7
                else start + days(days=int(rng.expovariate(1 / 80)))
            )
            if delivered <= stop:
                yield _item(agent, "credentials_delivered", clock.at(delivered), 1)
                if rng.random() < 0.7:
                    login = delivered + days(days=rng.randint(0, 10))
    if login is None or login > stop:
        return
    yield _item(agent, "first_login", clock.at(login), 1)
    if rng.random() < 0.6:
        yield _item(
            agent,
            "welcome_tour_completed",
            clock.at(min(stop, login + days(days=rng.randint(0, 14)))),
            1,
        )
    if rng.random() < 0.45:
        for n in range(1, 2 + int(rng.expovariate(1.2))):
            yield _item(agent, "profile_updated", clock.between(login, stop), n)
    if rng.random() < 0.12:
        yield _item(agent, "training_completed", clock.between(login, stop), 1)

    # Engagement: some stay active, others drift away after a while.
    months = max(1, (stop - login).days) / 30
    active_until = (
        stop
        if rng.random() < 0.55
        else login + days(days=int((stop - login).days * rng.uniform(0.1, 0.8)))
    )
    if rng.random() < 0.7:
        comments = min(80, int(rng.expovariate(1 / (1.1 * months))))
        for n in range(1, comments + 1):
            yield _item(agent, "comment_posted", clock.between(login, active_until), n)

    if contributor:
        count = rng.randint(18, 60) if contributor == "heavy" else rng.randint(1, 4)
        for n in range(1, count + 1):
            kind = rng.choices(("news", "page", "document"), weights=(5, 3, 2))[0]
            if kind == "news":
                title = rng.choice(NEWS_TITLES)
            elif kind == "page":
                title = rng.choice(PAGE_TITLES)
            else:
                title = rng.choice(DOCUMENT_TITLES).format(n=rng.randint(2, 240))
            slug = f"{kind}-{agent.hr_id.lower()}-{n}"
            yield _item(
                agent,
                f"{kind}_published",
                clock.between(login, stop),
                n,
                title=title,
                url=f"{INTRANET_URL}/{kind}s/{slug}",
            )


def _events(
    organization: Organization,
    rng: random.Random,
    clock: _Clock,
    launch: dt.date,
    end: dt.date,
    now: dt.datetime,
) -> tuple[int, int, dict[int, dt.date]]:
    """Plan the year's events and record their attendance; returns (events, attendances,
    the first date each agent attended something)."""
    headcount = Counter(
        Agent.objects.for_org(organization).present().values_list("unit_id", flat=True)
    )
    units = [
        unit
        for unit in OrgUnit.objects.for_org(organization).order_by("code")
        if headcount[unit.pk] >= 5
    ]
    organisers = _organisers(organization)
    if not units or not organisers:
        return 0, 0, {}
    count = max(8, sum(headcount.values()) // EVENTS_PER_AGENTS)
    kinds = list(EVENT_TITLES)
    attended_on: dict[int, dt.date] = {}
    attendances = 0
    span = (end - launch).days
    for _n in range(count):
        kind = rng.choices(kinds, weights=(35, 20, 20, 20, 5))[0]
        unit = rng.choice(units)
        # The launch campaign front-loads the events.
        offset = int(rng.triangular(-20, span - 2, -20))
        day = launch + dt.timedelta(days=offset)
        starts_at = clock.at(day).replace(hour=rng.choice((9, 10, 14)), minute=rng.choice((0, 30)))
        event = event_create(
            organization=organization,
            title=EVENT_TITLES[kind].format(unit=unit.name),
            kind=kind,
            starts_at=starts_at,
            ends_at=starts_at + dt.timedelta(minutes=rng.choice((45, 60, 90, 120))),
            unit=unit,
            mode=Event.Mode.REMOTE if rng.random() < 0.1 else Event.Mode.IN_PERSON,
            capacity=None if kind == Event.Kind.SERVICE_TOUR else rng.choice((8, 10, 12, 15, 20)),
            organiser=rng.choice(organisers),
        )
        expected = event_expected_agents(event=event)
        if not expected:
            continue
        target = (
            len(expected) * rng.uniform(0.3, 0.7)
            if event.capacity is None
            else min(len(expected), event.capacity * rng.uniform(0.6, 1.1))
        )
        chosen = rng.sample(expected, max(1, math.floor(target)))
        report = attendance_record(event=event, agents=chosen, recorded_by=event.organiser, now=now)
        attendances += len(report.added)
        for agent in report.added:
            attended_on.setdefault(agent.pk, starts_at.date())
    return count, attendances, attended_on


def _organisers(organization: Organization) -> list[Agent]:
    ambassadors = Agent.objects.for_org(organization).filter(
        mandates__status=AmbassadorMandate.Status.ACTIVE
    )
    comms = Agent.objects.for_org(organization).filter(roles__kind=Role.Kind.COMMS)
    return list((ambassadors | comms).distinct().order_by("hr_id"))


def _coaching_sessions(
    organization: Organization,
    rng: random.Random,
    clock: _Clock,
    launch: dt.date,
    end: dt.date,
    now: dt.datetime,
) -> tuple[int, int]:
    """The ambassadors' coaching sessions, through ``coaching_session_create``: returns
    (sessions logged, sessions the service refused)."""
    from ambassadors.models import CoachingSession, CoachingTopic
    from ambassadors.services.coaching import SessionData, coaching_session_create

    topics = list(CoachingTopic.objects.for_org(organization).order_by("position", "code"))
    mandates = (
        AmbassadorMandate.objects.for_org(organization)
        .filter(status=AmbassadorMandate.Status.ACTIVE)
        .select_related("agent")
        .prefetch_related("units")
        .order_by("agent__hr_id")
    )
    present = list(
        Agent.objects.for_org(organization).present().select_related("unit").order_by("hr_id")
    )
    total = max(len(present) // COACHING_PER_AGENTS, 1)
    plans = [(m, [u.path for u in m.units.all()]) for m in mandates]
    plans = [(m, paths) for m, paths in plans if paths]
    if not plans:
        return 0, 0
    logged = skipped = 0
    for n in range(total):
        mandate, paths = plans[n % len(plans)]
        covered = [
            a
            for a in present
            if a.pk != mandate.agent_id
            and a.unit is not None
            and any(a.unit.path.startswith(p) for p in paths)
        ]
        if not covered:
            continue
        # Agents far from computers are the ambassadors' first public.
        weights = [3 if not a.has_workstation else 1 for a in covered]
        fmt = rng.choices(
            (
                CoachingSession.Format.INDIVIDUAL,
                CoachingSession.Format.GROUP_DEMO,
                CoachingSession.Format.FIELD_VISIT,
                CoachingSession.Format.REMOTE,
            ),
            weights=(60, 20, 15, 5),
        )[0]
        size = rng.randint(3, 8) if fmt == CoachingSession.Format.GROUP_DEMO else 1
        agents = list({a.pk: a for a in rng.choices(covered, weights=weights, k=size)}.values())
        start = max(launch, mandate.start_date or launch)
        data = SessionData(
            coach=mandate.agent,
            agents=agents,
            occurred_at=clock.between(start, end),
            duration_minutes=rng.choice((10, 15, 15, 20, 30, 45)),
            format=fmt,
            place=CoachingSession.Place.REMOTE
            if fmt == CoachingSession.Format.REMOTE
            else rng.choice(
                (CoachingSession.Place.AGENT_WORKPLACE, CoachingSession.Place.AMBASSADOR_OFFICE)
            ),
            equipment=rng.choice(CoachingSession.Equipment.values),
            topics=rng.sample(topics, min(len(topics), rng.randint(1, 3))),
            autonomy_after=rng.choice(CoachingSession.Autonomy.values),
        )
        try:
            coaching_session_create(organization=organization, data=data, actor=None, now=now)
        except DomainError:
            skipped += 1
        else:
            logged += 1
    return logged, skipped


def demo_history_delete(*, organization: Organization) -> None:
    """Delete what the history created that would block deleting the agents: coaching
    sessions (their coach is a protected key) and events. Activities go with the agents."""
    from ambassadors.models import CoachingSession

    CoachingSession.objects.filter(organization=organization).delete()
    Event.objects.for_org(organization).delete()
