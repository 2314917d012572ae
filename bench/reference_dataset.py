"""The reference dataset every benchmark of issue 4 runs on: 50,000 agents, 10,000,000 activities.

    .venv/bin/python bench/reference_dataset.py [--database-url URL] [--agents 50000]
        [--activities 10000000] [--seed 1] [--force] [--json]

Builds a PostgreSQL database (default ``relais_bench_ref``) holding one organization,
``reference``: ~400 units on 3 levels, 20 sites, the agents (through the directory import),
managers, a communication team, ambassadors with their mandates, their coaching sessions
(``CoachingSession`` / ``CoachingParticipant`` rows and the matching ledger rows) and exactly
``--activities`` activities over the two years before a fixed reference date, loaded through
``activities_ingest`` in batches of 5,000 — the fast ingestion path — in chronological order.

Deterministic: the same (seed, agents, activities) always gives the same rows in the same
order, whatever day it runs (every draw comes from ``random.Random`` seeded from ``--seed``;
dates are relative to ``REFERENCE_DATE``).

The fingerprint (seed, agents, activities, reference date, ``GENERATOR_VERSION``) is written
last, with the summary. An existing database with the same fingerprint is "up to date": the
script only runs ``migrate`` and prints the stored summary, in a second or two, so benchmarks
call it first. A database without it (built by other arguments or another version, or left
half-built by an interrupted run) is dropped and built again; ``--force`` rebuilds anyway.

From another benchmark script::

    from reference_dataset import ensure_reference_dataset  # bench/ is on sys.path there
    summary = ensure_reference_dataset("postgres://postgres@127.0.0.1:5432/relais_bench_ref")

The build runs in a child process (Django is set up there against that database), so the
caller may set Django up as it likes afterwards.
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import gc
import importlib
import io
import itertools
import json
import os
import random
import resource
import subprocess
import sys
import time
import zoneinfo
from array import array
from collections import deque
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/relais_bench_ref"
# Bump whenever the rows generated for the same arguments change: stored datasets with the
# previous version are then rebuilt instead of being reported up to date.
GENERATOR_VERSION = 1
# The dataset covers the WINDOW_DAYS days before this date, whatever day it is built.
REFERENCE_DATE = dt.date(2026, 11, 1)
WINDOW_DAYS = 730
TIME_ZONE = "Europe/Paris"
ORG_SLUG = "reference"
ORG_NAME = "Ville de Référence"
INTRANET_URL = "https://intranet.ville-reference.fr"
MAIL_DOMAIN = "ville-reference.fr"
FINGERPRINT_TABLE = "relais_bench_reference"
BATCH = 5000

# The shape of the population.
NO_WORKSTATION = 0.37
NO_ACCOUNT = 0.20  # all of them among those without a workstation
ARRIVED_IN_WINDOW = 0.14
DEPARTED_IN_WINDOW = 0.045
AGENTS_PER_AMBASSADOR = 60
SECTORS_WITHOUT_AMBASSADOR = 0.12
COMMS_TEAM = 6
HEAVY_PUBLISHERS_PER_AGENT = 0.006  # 300 of 50,000
OCCASIONAL_PUBLISHERS_PER_AGENT = 0.06
# The shape of the activity, as shares of --activities.
COACHING_SHARE = 0.03
PUBLICATION_SHARE = 0.06
HEAVY_PUBLICATION_SHARE = 0.7  # of the publications
RETRACTED_SHARE = 0.005  # of the publications
MIN_ACTIVITIES_PER_AGENT = 10

VERBS = (
    "first_login",
    "welcome_tour_completed",
    "profile_updated",
    "credentials_delivered",
    "news_published",
    "page_published",
    "document_published",
    "comment_posted",
    "coaching_given",
    "coaching_received",
    "event_attended",
    "training_completed",
)
(
    FIRST_LOGIN,
    WELCOME_TOUR,
    PROFILE,
    CREDENTIALS,
    NEWS,
    PAGE,
    DOCUMENT,
    COMMENT,
    COACHING_GIVEN,
    COACHING_RECEIVED,
    EVENT,
    TRAINING,
) = range(len(VERBS))
PUBLICATIONS = {NEWS: "news", PAGE: "page", DOCUMENT: "document"}
PUBLICATION_PATHS = {NEWS: "actualites", PAGE: "pages", DOCUMENT: "documents"}
EXTERNAL_PREFIX = {
    FIRST_LOGIN: "login",
    WELCOME_TOUR: "tour",
    PROFILE: "profile",
    CREDENTIALS: "credentials",
    NEWS: "news",
    PAGE: "page",
    DOCUMENT: "document",
    COMMENT: "comment",
    EVENT: "attendance",
    TRAINING: "training",
}

# Every planned activity is one 64-bit integer, so the whole plan fits in arrays (8 bytes an
# activity instead of a dict's ~1 KB) and sorts by time as integers: minute of the window
# (21 bits: 730 days < 2^21 minutes), agent index (20 bits), verb (4 bits), object (19 bits:
# a title of a pool, or a coaching session's index).
AGENT_SHIFT, VERB_SHIFT, MINUTE_SHIFT = 23, 19, 43
AGENT_MASK, OBJECT_MASK = (1 << 20) - 1, (1 << 19) - 1
MAX_AGENTS = AGENT_MASK + 1
WEEK_MINUTES = 7 * 1440

# Relative use per local hour (Europe/Paris): office hours, a lunch dip, a little evening.
HOUR_WEIGHTS = (
    0.01,
    0.005,
    0.005,
    0.005,
    0.005,
    0.01,
    0.05,
    0.3,
    1.0,
    1.6,
    1.6,
    1.3,
    0.6,
    0.8,
    1.5,
    1.5,
    1.2,
    0.8,
    0.35,
    0.2,
    0.15,
    0.12,
    0.06,
    0.03,
)
# French public holidays in the window (fixed ones by (month, day), moveable ones by date).
FIXED_HOLIDAYS = {(1, 1), (5, 1), (5, 8), (7, 14), (8, 15), (11, 1), (11, 11), (12, 25)}
MOVEABLE_HOLIDAYS = {
    dt.date(2025, 4, 21),
    dt.date(2025, 5, 29),
    dt.date(2025, 6, 9),
    dt.date(2026, 4, 6),
    dt.date(2026, 5, 14),
    dt.date(2026, 5, 25),
}
EXTRA_SITES = (
    ("EC1", "École Jules-Ferry"),
    ("EC2", "École Marie-Curie"),
    ("EC3", "École Jean-Jaurès"),
    ("CRE", "Crèche Les Petits Loups"),
    ("MAI", "Mairie annexe du Val"),
    ("STA", "Stade municipal"),
    ("CIM", "Cimetière paysager"),
    ("SER", "Serres municipales"),
    ("GAR", "Garage municipal"),
    ("MUS", "Musée des Beaux-Arts"),
    ("CON", "Conservatoire de musique"),
    ("PMI", "Centre de PMI"),
)
TRAINING_TITLES = (
    "Formation : publier une actualité sur l’intranet",
    "E-learning : les bons réflexes de sécurité informatique",
    "Formation : l’annuaire et mon profil d’agent",
    "E-learning : le RGPD au quotidien dans les services",
    "Formation : faire vivre la page de son service",
    "Parcours d’accueil des nouveaux agents de la ville",
    "Formation : la messagerie et l’agenda partagés",
)
COMMENT_FALLBACK = ("Forum des agents : questions et réponses", f"{INTRANET_URL}/forum")
RETRACTION_REASONS = ("Contenu dépublié", "Contenu supprimé", "Doublon")


# -- Orchestration (no Django) ----------------------------------------------------------


def _fingerprint(*, seed: int, agents: int, activities: int) -> dict[str, Any]:
    return {
        "seed": seed,
        "agents": agents,
        "activities": activities,
        "reference_date": REFERENCE_DATE.isoformat(),
        "generator_version": GENERATOR_VERSION,
    }


def _database_name(url: str) -> str:
    parsed = urlparse(url)
    if parsed.scheme not in ("postgres", "postgresql"):
        raise SystemExit(f"--database-url must be a postgres:// URL, not {url!r}")
    name = parsed.path.lstrip("/")
    if not name or not name.replace("_", "").isalnum():
        raise SystemExit(f"--database-url must name a database (letters, digits, _): {url!r}")
    return name


def _admin_url(url: str) -> str:
    return urlparse(url)._replace(path="/postgres").geturl()


def _stored_state(url: str, fingerprint: dict[str, Any]) -> tuple[str, dict[str, Any] | None]:
    """("absent" | "incomplete" | "other" | "current", the stored summary when current)."""
    import psycopg

    name = _database_name(url)
    with psycopg.connect(_admin_url(url), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            return "absent", None
    with psycopg.connect(url, autocommit=True) as conn:
        if conn.execute("SELECT to_regclass(%s)", [FINGERPRINT_TABLE]).fetchone()[0] is None:
            return "incomplete", None
        row = conn.execute(f"SELECT fingerprint, summary FROM {FINGERPRINT_TABLE}").fetchone()
    if row is None:
        return "incomplete", None
    if row[0] != fingerprint:
        return "other", None
    return "current", row[1]


def _recreate_database(url: str) -> None:
    import psycopg

    name = _database_name(url)
    with psycopg.connect(_admin_url(url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _django_setup(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
    os.environ["DEBUG"] = "false"  # DEBUG keeps every query in memory: 2,000+ batches of them
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def ensure_reference_dataset(
    database_url: str = DEFAULT_URL,
    *,
    agents: int = 50_000,
    activities: int = 10_000_000,
    seed: int = 1,
    force: bool = False,
) -> dict[str, Any]:
    """Make sure ``database_url`` holds the reference dataset for these arguments (building
    it when needed, in a child process whose progress goes to stderr); return its summary:
    ``organization`` (slug), ``organization_id``, ``reference_now`` (ISO; pass it as the
    engine's ``now``), ``agents``, ``activities``, ``per_verb``, ``coaching_sessions``,
    sizes, ``load_seconds``, and ``up_to_date`` (True when nothing had to be built)."""
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--database-url",
        database_url,
        "--agents",
        str(agents),
        "--activities",
        str(activities),
        "--seed",
        str(seed),
        "--json",
    ]
    if force:
        command.append("--force")
    done = subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.PIPE, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- Time -------------------------------------------------------------------------------


def _day_weight(day: dt.date, index: int) -> float:
    weight = (1.0, 1.0, 1.0, 1.0, 1.0, 0.06, 0.03)[day.weekday()]
    if (day.month, day.day) in FIXED_HOLIDAYS or day in MOVEABLE_HOLIDAYS:
        weight *= 0.05
    if day.month == 8:
        weight *= 0.3 if 10 <= day.day <= 20 else 0.5
    elif day.month == 7 and day.day >= 14:
        weight *= 0.8
    if (day.month == 12 and day.day >= 22) or (day.month == 1 and day.day <= 2):
        weight *= 0.35
    # Use grows slowly as the intranet settles in.
    return weight * (0.75 + 0.5 * index / WINDOW_DAYS)


class Clock:
    """Minutes of the window (0 = midnight, local time, of its first day) drawn with the
    weights of real use: working days and hours, fewer in August and over Christmas.

    The window is cut into hourly slots weighted by day and hour; a uniform draw over a
    stretch of the cumulative weights lands in a slot (bisect) and a minute within it.
    """

    def __init__(self) -> None:
        self.start = REFERENCE_DATE - dt.timedelta(days=WINDOW_DAYS)
        tz = zoneinfo.ZoneInfo(TIME_ZONE)
        self.days: list[str] = []
        self.offsets: list[str] = []
        self.cum: list[float] = []
        self.per_minute: list[float] = []
        self.day_pos = [0.0]
        total = 0.0
        for index in range(WINDOW_DAYS):
            day = self.start + dt.timedelta(days=index)
            offset = dt.datetime.combine(day, dt.time(12), tzinfo=tz).utcoffset()
            assert offset is not None
            hours, rest = divmod(int(offset.total_seconds()) // 60, 60)
            self.days.append(day.isoformat())
            self.offsets.append(f"+{hours:02d}:{rest:02d}")
            weight = _day_weight(day, index)
            for hour_weight in HOUR_WEIGHTS:
                total += weight * hour_weight
                self.cum.append(total)
                self.per_minute.append(60.0 / (weight * hour_weight))
            self.day_pos.append(total)
        self.last_slot = len(self.cum) - 1
        self.end_minute = WINDOW_DAYS * 1440 - 1

    def minute(self, position: float) -> int:
        slot = bisect.bisect_right(self.cum, position)
        if slot > self.last_slot:
            slot = self.last_slot
        previous = self.cum[slot - 1] if slot else 0.0
        return slot * 60 + min(59, int((position - previous) * self.per_minute[slot]))

    def draw(self, rng: random.Random, first_day: int, last_day: int) -> int:
        low, high = self.day_pos[first_day], self.day_pos[last_day + 1]
        return self.minute(low + rng.random() * (high - low))

    def text(self, minute: int, second: int = 0) -> str:
        day, rest = divmod(minute, 1440)
        hour, minutes = divmod(rest, 60)
        return f"{self.days[day]}T{hour:02d}:{minutes:02d}:{second:02d}{self.offsets[day]}"

    def at(self, minute: int) -> dt.datetime:
        return dt.datetime.fromisoformat(self.text(minute))

    def day_index(self, day: dt.date) -> int:
        return (day - self.start).days


def _allocate(total: int, weights: list[float]) -> list[int]:
    """``total`` split in proportion to ``weights``, in integers summing exactly to it."""
    weight_sum = sum(weights)
    if total <= 0 or weight_sum <= 0:
        return [0] * len(weights)
    shares = [total * weight / weight_sum for weight in weights]
    counts = [int(share) for share in shares]
    missing = total - sum(counts)
    by_remainder = sorted(range(len(weights)), key=lambda i: (counts[i] - shares[i], i))
    for index in by_remainder[:missing]:
        counts[index] += 1
    return counts


# -- The build (inside Django) ----------------------------------------------------------


class Output:
    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.started = time.perf_counter()

    def __call__(self, message: str) -> None:
        elapsed = time.perf_counter() - self.started
        print(f"[{elapsed:7.1f} s] {message}", file=self.stream, flush=True)


def _directory_csv(agents: int, seed: int, clock: Clock, site_codes: list[str]) -> bytes:
    """The staff directory as HR exports it, with the vocabulary of bench/import_directory.py."""
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    words = importlib.import_module("import_directory")
    rng = random.Random(f"{seed}:directory")
    leaves = words.unit_paths()
    services = sorted({path.rsplit(" > ", 1)[0] for path in leaves})
    directions = sorted({path.split(" > ")[0] for path in leaves})
    # Sectors of very different sizes; a few agents (heads, assistants) sit higher up.
    weights = [rng.lognormvariate(0, 0.6) for _ in leaves]
    weights += [0.25] * len(services) + [0.6] * len(directions)
    paths = leaves + services + directions
    cum_weights = list(itertools.accumulate(weights))
    last_day = REFERENCE_DATE - dt.timedelta(days=1)
    out = io.StringIO()
    out.write(words.HEADER + "\r\n")
    for i in range(agents):
        last = rng.choice(words.LAST_NAMES)
        first = rng.choice(words.FIRST_NAMES)
        no_workstation = rng.random() < NO_WORKSTATION
        no_account = no_workstation and rng.random() < NO_ACCOUNT / NO_WORKSTATION
        with_email = not no_workstation or (not no_account and rng.random() < 0.5)
        email = f"{words.ascii_slug(first)}.{words.ascii_slug(last)}{i}@{MAIL_DOMAIN}"
        if rng.random() < ARRIVED_IN_WINDOW:
            arrival = clock.start + dt.timedelta(days=rng.randrange(WINDOW_DAYS - 30))
        else:
            arrival = dt.date(rng.randint(1985, 2023), rng.randint(1, 12), rng.randint(1, 28))
        departure = ""
        chance = rng.random()
        if chance < DEPARTED_IN_WINDOW:
            earliest = max(arrival + dt.timedelta(days=60), clock.start)
            if earliest < last_day:
                span = (last_day - earliest).days
                departure = (earliest + dt.timedelta(days=rng.randint(1, span))).isoformat()
        elif chance < DEPARTED_IN_WINDOW + 0.01:
            departure = f"2027-{rng.randint(1, 12):02d}-15"
        out.write(
            ";".join(
                [
                    f"M{i + 100000:06d}",
                    last,
                    first,
                    email if with_email else "",
                    rng.choices(paths, cum_weights=cum_weights)[0],
                    rng.choice(site_codes),
                    rng.choice(words.JOBS),
                    arrival.strftime("%d/%m/%Y"),
                    departure,
                    "non" if no_workstation else "oui",
                    "non" if no_account else "oui",
                ]
            )
            + "\r\n"
        )
    return out.getvalue().encode("utf-8")


class Population:
    """The organization's agents as parallel lists indexed by position in HR id order."""

    def __init__(self, organization: Any, clock: Clock) -> None:
        from ambassadors.models import Agent, OrgUnit

        self.pk: list[int] = []
        self.hr_id: list[str] = []
        self.unit: list[int | None] = []
        self.workstation: list[bool] = []
        self.account: list[bool] = []
        self.first_day: list[int] = []  # first day of the window the agent is there
        self.last_day: list[int] = []  # last day (before first_day: never there)
        self.present_at_end: list[bool] = []
        rows = (
            Agent.objects.for_org(organization)
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
        )
        for pk, hr_id, unit_id, workstation, account, arrival, departure in rows:
            self.pk.append(pk)
            self.hr_id.append(hr_id)
            self.unit.append(unit_id)
            self.workstation.append(workstation)
            self.account.append(account)
            self.first_day.append(max(0, clock.day_index(arrival)) if arrival else 0)
            last = WINDOW_DAYS - 1
            if departure is not None:
                last = min(last, clock.day_index(departure) - 1)
            self.last_day.append(last)
            self.present_at_end.append(departure is None or departure >= REFERENCE_DATE)
        self.units = {
            pk: (parent, path)
            for pk, parent, path in OrgUnit.objects.for_org(organization).values_list(
                "pk", "parent_id", "path"
            )
        }
        self.by_unit: dict[int, list[int]] = {}
        for index, unit in enumerate(self.unit):
            if unit is not None:
                self.by_unit.setdefault(unit, []).append(index)

    def __len__(self) -> int:
        return len(self.pk)

    def in_subtree(self, unit_ids: list[int]) -> list[int]:
        paths = tuple(self.units[unit][1] for unit in unit_ids)
        return sorted(
            index
            for unit, (_parent, path) in self.units.items()
            if path.startswith(paths)
            for index in self.by_unit.get(unit, [])
        )


def _create_roles(
    organization: Any, people: Population, rng: random.Random
) -> tuple[set[int], int]:
    """A manager for every unit, a communication team; returns (agents with a role, roles)."""
    from ambassadors.models import OrgUnit, Role

    taken: set[int] = set()
    managers: list[tuple[int, int]] = []
    for unit in sorted(people.units, key=lambda pk: people.units[pk][1]):
        pool = [
            index
            for index in people.by_unit.get(unit, []) or people.in_subtree([unit])
            if people.workstation[index]
            and people.present_at_end[index]
            and people.first_day[index] == 0
            and index not in taken
        ]
        if pool:
            chosen = rng.choice(pool)
            taken.add(chosen)
            managers.append((chosen, unit))
    # The communication team sits in the general management's direction.
    top = (
        OrgUnit.objects.for_org(organization)
        .filter(depth=0, name__startswith="Direction générale")
        .values_list("pk", flat=True)
        .first()
    ) or min(people.units, key=lambda pk: people.units[pk][1])
    comms_pool = [
        index
        for index in people.in_subtree([top])
        if people.workstation[index] and people.present_at_end[index] and index not in taken
    ]
    comms = rng.sample(comms_pool, min(COMMS_TEAM, len(comms_pool)))
    taken.update(comms)
    roles = [
        Role(organization=organization, agent_id=people.pk[index], kind=Role.Kind.MANAGER)
        for index, _unit in managers
    ] + [
        Role(organization=organization, agent_id=people.pk[index], kind=Role.Kind.COMMS)
        for index in comms
    ]
    Role.objects.bulk_create(roles, batch_size=1000)
    Role.units.through.objects.bulk_create(
        [
            Role.units.through(role_id=role.pk, orgunit_id=unit)
            for role, (_index, unit) in zip(roles[: len(managers)], managers, strict=True)
        ],
        batch_size=1000,
    )
    return taken, len(roles)


class Mandate:
    def __init__(self, agent: int, status: str, start: int | None, end: int | None) -> None:
        self.agent, self.status, self.start, self.end = agent, status, start, end
        self.units: list[int] = []


def _create_mandates(
    organization: Any, people: Population, rng: random.Random, clock: Clock, taken: set[int]
) -> list[Mandate]:
    """About one ambassador per 60 agents, spread over the sectors, with their mandates."""
    from decimal import Decimal

    from ambassadors.models import AmbassadorMandate

    total = max(3, round(len(people) / AGENTS_PER_AMBASSADOR))
    # Sectors are the units three levels deep; some never found a volunteer.
    sectors = sorted(pk for pk, (_parent, path) in people.units.items() if path.count("/") == 4)
    without = set(rng.sample(sectors, round(len(sectors) * SECTORS_WITHOUT_AMBASSADOR)))
    eligible = set(sectors) - without
    candidates = [
        index
        for index in range(len(people))
        if people.account[index]
        and people.present_at_end[index]
        and people.first_day[index] == 0
        and index not in taken
        and people.unit[index] in eligible
        and (people.workstation[index] or rng.random() < 0.15)
    ]
    rng.shuffle(candidates)
    headcount = {unit: len(members) for unit, members in people.by_unit.items()}
    per_unit: dict[int, int] = {}
    chosen: list[int] = []
    for index in candidates:
        unit = people.unit[index]
        assert unit is not None
        cap = max(1, -(-headcount[unit] // AGENTS_PER_AMBASSADOR))
        if len(chosen) < total and per_unit.get(unit, 0) < cap:
            chosen.append(index)
            per_unit[unit] = per_unit.get(unit, 0) + 1
    # The larger sectors take the rest: a few have more ambassadors than their share.
    picked = set(chosen)
    chosen += [index for index in candidates if index not in picked][: total - len(chosen)]
    chosen.sort()
    siblings: dict[int | None, list[int]] = {}
    for unit, (parent, _path) in sorted(people.units.items()):
        siblings.setdefault(parent, []).append(unit)
    mandates: list[Mandate] = []
    rows: list[AmbassadorMandate] = []
    for index in chosen:
        status = rng.choices(("active", "candidate", "paused", "alumni"), (88, 5, 4, 3))[0]
        start = end = None
        if status != "candidate":
            # Most mandates began with the intranet's launch campaign, at the window's start.
            start = max(-365, int(rng.triangular(-120, WINDOW_DAYS - 30, -120)))
            if status == "alumni":
                start = min(start, WINDOW_DAYS - 200)
                end = start + rng.randint(60, WINDOW_DAYS - 1 - start)
        mandate = Mandate(index, status, start, end)
        unit = people.unit[index]
        assert unit is not None
        mandate.units = [unit]
        others = [u for u in siblings.get(people.units[unit][0], []) if u != unit]
        if others and rng.random() < 0.25:
            mandate.units.append(rng.choice(others))
        mandates.append(mandate)
        rows.append(
            AmbassadorMandate(
                organization=organization,
                agent_id=people.pk[index],
                status=status,
                start_date=None if start is None else clock.start + dt.timedelta(days=start),
                end_date=None if end is None else clock.start + dt.timedelta(days=end),
                hours_per_month=Decimal(rng.choice((2, 3, 4, 4, 4, 5, 6, 6, 8))),
            )
        )
    AmbassadorMandate.objects.bulk_create(rows, batch_size=1000)
    AmbassadorMandate.units.through.objects.bulk_create(
        [
            AmbassadorMandate.units.through(ambassadormandate_id=row.pk, orgunit_id=unit)
            for row, mandate in zip(rows, mandates, strict=True)
            for unit in mandate.units
        ],
        batch_size=1000,
    )
    return mandates


FORMATS = ("individual", "group_demo", "field_visit", "remote", "workshop")
FORMAT_WEIGHTS = (55, 20, 15, 7, 3)


class Session:
    __slots__ = ("coach", "duration", "format", "minute", "participants", "rest")

    def __init__(self, minute: int, coach: int, format_index: int, duration: int) -> None:
        self.minute, self.coach, self.format, self.duration = minute, coach, format_index, duration
        self.participants: list[tuple[int, int | None, str]] = []
        self.rest: tuple[str, str, str, tuple[int, ...]] = ("", "", "", ())


def _plan_coaching(
    people: Population,
    mandates: list[Mandate],
    rng: random.Random,
    clock: Clock,
    target_rows: int,
    topics: int,
) -> list[Session]:
    """Sessions until their ledger rows (one given, one received per agent) reach
    ``target_rows``, in chronological order."""
    from ambassadors.models import CoachingParticipant, CoachingSession

    coaches = []
    for mandate in mandates:
        if mandate.start is None:
            continue
        first = max(people.first_day[mandate.agent], mandate.start, 0)
        last = people.last_day[mandate.agent]
        if mandate.end is not None:
            last = min(last, mandate.end)
        if mandate.status == "paused":
            last = first + int((last - first) * rng.uniform(0.4, 0.95))
        pool = [index for index in people.in_subtree(mandate.units) if index != mandate.agent]
        if last < first or not pool:
            continue
        # Field agents, far from computers, are the ambassadors' first public.
        weights = [1 if people.workstation[i] else 3 if people.account[i] else 4 for i in pool]
        coaches.append((mandate.agent, first, last, pool, list(itertools.accumulate(weights))))
    if not coaches:
        return []
    # A few very active coaches, most steady, some barely; longer mandates log more.
    coach_cum = list(
        itertools.accumulate(
            rng.paretovariate(2.0) * (last - first + 1) for _a, first, last, _p, _c in coaches
        )
    )
    format_cum = list(itertools.accumulate(FORMAT_WEIGHTS))
    places = (CoachingSession.Place.AGENT_WORKPLACE, CoachingSession.Place.AMBASSADOR_OFFICE)
    channels = CoachingParticipant.Channel.values
    sessions: list[Session] = []
    rows = attempts = 0
    while rows < target_rows and attempts < 50 * target_rows:
        attempts += 1
        coach, first, last, pool, pool_cum = coaches[
            bisect.bisect_right(coach_cum, rng.random() * coach_cum[-1])
        ]
        format_index = bisect.bisect_right(format_cum, rng.random() * format_cum[-1])
        fmt = FORMATS[format_index]
        size = 1
        if fmt == "group_demo":
            size = rng.randint(3, 8)
        elif fmt == "workshop":
            size = rng.randint(4, 12)
        elif fmt == "field_visit":
            size = rng.randint(1, 3)
        duration = rng.choice((10, 15, 15, 20, 30, 45, 60))
        minute = clock.draw(rng, first, last)
        day = minute // 1440
        chosen: dict[int, None] = {}
        for _n in range(size):
            for _try in range(4):
                agent = pool[bisect.bisect_right(pool_cum, rng.random() * pool_cum[-1])]
                if people.first_day[agent] <= day <= people.last_day[agent]:
                    chosen[agent] = None
                    break
        if not chosen:
            continue
        session = Session(minute, coach, format_index, duration)
        for agent in chosen:
            confirmed = None
            channel = ""
            if rng.random() < 0.6:
                delay = duration + int(rng.expovariate(1 / 2880))
                confirmed = min(minute + delay, clock.end_minute)
                channel = rng.choices(channels, (50, 35, 15))[0]
            session.participants.append((agent, confirmed, channel))
        session.rest = (
            CoachingSession.Place.REMOTE if fmt == "remote" else rng.choice(places),
            rng.choice(CoachingSession.Equipment.values),
            rng.choice(CoachingSession.Autonomy.values),
            tuple(sorted(rng.sample(range(topics), min(topics, rng.randint(1, 3))))),
        )
        sessions.append(session)
        rows += 1 + len(session.participants)
    sessions.sort(key=lambda s: (s.minute, s.coach))
    if len(sessions) > OBJECT_MASK:
        raise SystemExit(f"{len(sessions)} coaching sessions: more than the plan can index")
    return sessions


def _create_sessions(
    organization: Any,
    people: Population,
    sessions: list[Session],
    clock: Clock,
    rng: random.Random,
) -> list[int]:
    """The sessions and their participants, in chronological order; returns their ids."""
    from ambassadors.models import CoachingParticipant, CoachingSession, CoachingTopic

    topic_ids = list(
        CoachingTopic.objects.for_org(organization)
        .order_by("position", "code")
        .values_list("pk", flat=True)
    )
    pks: list[int] = []
    for start in range(0, len(sessions), BATCH):
        chunk = sessions[start : start + BATCH]
        rows = [
            CoachingSession(
                organization=organization,
                coach_id=people.pk[session.coach],
                occurred_at=clock.at(session.minute),
                duration_minutes=session.duration,
                format=FORMATS[session.format],
                place=session.rest[0],
                equipment=session.rest[1],
                autonomy_after=session.rest[2],
                ledger_version=1,
            )
            for session in chunk
        ]
        CoachingSession.objects.bulk_create(rows, batch_size=1000)
        pks.extend(row.pk for row in rows)
        CoachingParticipant.objects.bulk_create(
            [
                CoachingParticipant(
                    organization=organization,
                    session_id=row.pk,
                    agent_id=people.pk[agent],
                    confirmed_at=None if confirmed is None else clock.at(confirmed),
                    confirmation_channel=channel,
                    # The default is random; the dataset must not be.
                    confirmation_nonce=f"{rng.getrandbits(64):016x}",
                )
                for row, session in zip(rows, chunk, strict=True)
                for agent, confirmed, channel in session.participants
            ],
            batch_size=1000,
        )
        CoachingSession.topics.through.objects.bulk_create(
            [
                CoachingSession.topics.through(
                    coachingsession_id=row.pk, coachingtopic_id=topic_ids[topic]
                )
                for row, session in zip(rows, chunk, strict=True)
                for topic in session.rest[3]
            ],
            batch_size=1000,
        )
    return pks


def _title_pool(rng: random.Random, bases: tuple[str, ...], qualifiers: list[str]) -> list[str]:
    """4,096 titles of about 60 characters: a base title and what it is about."""
    pool = []
    for _n in range(4096):
        base = rng.choice(bases).format(n=rng.randint(2, 240))
        pool.append(f"{base} — {rng.choice(qualifiers)}"[:60].rstrip(" —"))
    return pool


class Plan:
    """Every activity of the dataset as packed integers, bucketed by week."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.weeks = [array("Q") for _ in range(WINDOW_DAYS * 1440 // WEEK_MINUTES + 1)]
        self.count = 0

    def add(self, minute: int, agent: int, verb: int, obj: int = 0) -> None:
        self.weeks[minute // WEEK_MINUTES].append(
            minute << MINUTE_SHIFT | agent << AGENT_SHIFT | verb << VERB_SHIFT | obj
        )
        self.count += 1


def _plan_activity(
    plan: Plan,
    people: Population,
    sessions: list[Session],
    mandates: list[Mandate],
    rng: random.Random,
    activities: int,
    pools: dict[str, int],
) -> dict[str, int]:
    """Fill ``plan`` with exactly ``activities`` activities; returns the publishers' counts."""
    clock = plan.clock
    first_coached: dict[int, int] = {}
    for index, session in enumerate(sessions):
        plan.add(session.minute, session.coach, COACHING_GIVEN, index)
        for agent, _confirmed, _channel in session.participants:
            plan.add(session.minute, agent, COACHING_RECEIVED, index)
            first_coached.setdefault(agent, session.minute)

    ambassadors = {mandate.agent for mandate in mandates if mandate.start is not None}
    count = len(people)
    comment_weight = [0.0] * count
    comment_window: list[tuple[int, int]] = [(0, -1)] * count
    publish_window: list[tuple[int, int]] = [(0, -1)] * count
    publishers: list[int] = []
    end = clock.end_minute
    for agent in range(count):
        low, high = people.first_day[agent], people.last_day[agent]
        if high < low:
            continue
        coached = first_coached.get(agent)
        if not people.account[agent]:
            # No account: credentials handed over, often during a coaching session.
            if coached is not None and rng.random() < 0.7:
                plan.add(coached, agent, CREDENTIALS)
            elif rng.random() < 0.45:
                day = low + int(rng.expovariate(1 / 120))
                if day <= high:
                    plan.add(clock.draw(rng, day, min(day + 4, high)), agent, CREDENTIALS)
            continue
        office = people.workstation[agent]
        chance, mean_delay = (0.93, 25 if low == 0 else 5) if office else (0.65, 90 if low else 20)
        login_day = None
        if coached is not None and not office and rng.random() < 0.6:
            login_day = max(low, coached // 1440 + rng.randint(0, 10))
        elif rng.random() < chance:
            login_day = low + int(rng.expovariate(1 / mean_delay))
        if login_day is None or login_day > high:
            continue
        login = clock.draw(rng, login_day, min(login_day + 4, high))
        login_day = login // 1440
        plan.add(login, agent, FIRST_LOGIN)

        def after_login(minute: int, login: int = login) -> int:
            return min(end, max(minute, login + 1))

        if rng.random() < (0.65 if office else 0.35):
            tour = clock.draw(rng, login_day, min(login_day + 14, high))
            plan.add(after_login(tour), agent, WELCOME_TOUR)
        if rng.random() < 0.45:
            for _n in range(1 + int(rng.expovariate(1.0))):
                plan.add(after_login(clock.draw(rng, login_day, high)), agent, PROFILE)
        if rng.random() < (0.15 if office else 0.05):
            for _n in range(rng.randint(1, 3)):
                obj = rng.randrange(pools["training"])
                plan.add(after_login(clock.draw(rng, login_day, high)), agent, TRAINING, obj)
        if rng.random() < (0.12 if office else 0.08):
            for _n in range(rng.randint(1, 2)):
                obj = rng.randrange(pools["event"])
                plan.add(after_login(clock.draw(rng, login_day, high)), agent, EVENT, obj)
        # Some stay active to the end, others drift away after a while.
        until = high
        if rng.random() >= 0.6:
            until = login_day + int((high - login_day) * rng.uniform(0.1, 0.9))
        if rng.random() < 0.7:
            weight = min(40.0, rng.paretovariate(1.3)) * (1.0 if office else 0.25)
            if agent in ambassadors:
                weight *= 2.5
            comment_weight[agent] = weight * (until - login_day + 1) / WINDOW_DAYS
            # From the day after the first login: nothing comes before it.
            comment_window[agent] = (min(login_day + 1, until), until)
        if office:
            publishers.append(agent)
            publish_window[agent] = (min(login_day + 1, high), high)

    heavy_wanted = round(count * HEAVY_PUBLISHERS_PER_AGENT)
    heavy = sorted(rng.sample(publishers, min(len(publishers), heavy_wanted)))
    rest = sorted(set(publishers) - set(heavy))
    occasional_wanted = round(count * OCCASIONAL_PUBLISHERS_PER_AGENT)
    occasional = sorted(rng.sample(rest, min(len(rest), occasional_wanted)))
    for agent in heavy:
        comment_weight[agent] *= 2
    publications = round(PUBLICATION_SHARE * activities)
    heavy_total = round(publications * HEAVY_PUBLICATION_SHARE)
    comments = activities - plan.count - publications
    if comments < 0:
        raise SystemExit(
            f"--activities {activities} is too small for {count} agents: their logins, "
            f"coaching and publications alone make {plan.count + publications}."
        )

    def length(agent: int) -> float:
        first, last = publish_window[agent]
        return (last - first + 1) / WINDOW_DAYS

    heavy_counts = _allocate(
        heavy_total, [min(6.0, rng.paretovariate(1.5)) * length(a) for a in heavy]
    )
    occasional_counts = _allocate(
        publications - heavy_total, [rng.uniform(0.5, 1.5) * length(a) for a in occasional]
    )
    comment_counts = _allocate(comments, comment_weight)

    random_ = rng.random
    minute_of = clock.minute
    day_pos = clock.day_pos
    add = plan.add
    for agent, n in enumerate(comment_counts):
        if n:
            first, last = comment_window[agent]
            low_pos = day_pos[first]
            span = day_pos[last + 1] - low_pos
            for _n in range(n):
                add(minute_of(low_pos + random_() * span), agent, COMMENT)
    kinds = (NEWS, NEWS, NEWS, NEWS, NEWS, PAGE, PAGE, PAGE, DOCUMENT, DOCUMENT)
    titles = pools["publication"]
    for agent, n in itertools.chain(
        zip(heavy, heavy_counts, strict=True), zip(occasional, occasional_counts, strict=True)
    ):
        first, last = publish_window[agent]
        low_pos = day_pos[first]
        span = day_pos[last + 1] - low_pos
        for _n in range(n):
            verb = kinds[int(random_() * 10)]
            add(minute_of(low_pos + random_() * span), agent, verb, int(random_() * titles))
    assert plan.count == activities, (plan.count, activities)
    return {"heavy_publishers": len(heavy), "occasional_publishers": len(occasional)}


class Loader:
    """Turns the plan into activity dicts, week by week in time order, and ingests them."""

    def __init__(
        self,
        *,
        organization: Any,
        people: Population,
        sessions: list[Session],
        session_pks: list[int],
        clock: Clock,
        seed: int,
        total: int,
        log: Callable[[str], None],
    ) -> None:
        from django.utils.text import slugify
        from django.utils.translation import override

        from ambassadors.demo.history import (
            DOCUMENT_TITLES,
            EVENT_TITLES,
            NEWS_TITLES,
            PAGE_TITLES,
        )
        from ambassadors.models import CoachingSession, OrgUnit, Site
        from ambassadors.services.ledger import activity_source_resolve

        self.organization = organization
        self.people = people
        self.sessions = sessions
        self.session_pks = session_pks
        self.clock = clock
        self.total = total
        self.log = log
        self.rng = random.Random(f"{seed}:decode")
        self.intranet = activity_source_resolve(
            organization=organization, code="intranet", trusted=True
        )
        self.relais = activity_source_resolve(
            organization=organization, code="relais", trusted=True
        )
        with override("fr"):
            self.format_titles = [str(CoachingSession.Format(fmt).label) for fmt in FORMATS]
        pool_rng = random.Random(f"{seed}:titles")
        qualifiers = sorted(Site.objects.for_org(organization).values_list("name", flat=True))
        unit_names = sorted(
            OrgUnit.objects.for_org(organization).filter(depth=1).values_list("name", flat=True)
        )
        qualifiers += unit_names
        self.publication_titles = {
            NEWS: _title_pool(pool_rng, NEWS_TITLES, qualifiers),
            PAGE: _title_pool(pool_rng, PAGE_TITLES, qualifiers),
            DOCUMENT: _title_pool(pool_rng, DOCUMENT_TITLES, qualifiers),
        }
        self.slugs = {
            kind: [slugify(title)[:50] for title in titles]
            for kind, titles in self.publication_titles.items()
        }
        events = [str(title) for title in EVENT_TITLES.values()]
        self.events = []
        for n in range(self.pools()["event"]):
            title = events[n % len(events)].format(unit=pool_rng.choice(unit_names))
            self.events.append((title, f"{INTRANET_URL}/agenda/{n:05d}-{slugify(title)}"[:80]))
        self.trainings = [
            (title, f"{INTRANET_URL}/formations/{n:03d}-{slugify(title)}"[:80])
            for n, title in enumerate(TRAINING_TITLES)
        ]
        self.recent: deque[tuple[str, str]] = deque(maxlen=3000)
        self.intranet_items: list[dict[str, Any]] = []
        self.coaching_items: list[dict[str, Any]] = []
        self.to_retract: list[str] = []  # publications still in ``intranet_items``
        self.retractable: list[str] = []  # publications stored, to retract at the week's end
        self.accepted = 0
        self.retracted = 0
        self.sequence = 0
        self.started = time.perf_counter()
        self.last_report = self.started

    @staticmethod
    def pools() -> dict[str, int]:
        return {"publication": 4096, "event": 512, "training": len(TRAINING_TITLES)}

    def run(self, plan: Plan) -> None:
        weeks = len(plan.weeks)
        for week in range(weeks):
            keys = sorted(plan.weeks[week])
            plan.weeks[week] = array("Q")  # its memory goes back as the load goes on
            for key in keys:
                self.item(key)
            self.retract(min(self.clock.end_minute, (week + 1) * WEEK_MINUTES - 1))
            self.progress(week + 1, weeks)
        self.flush_intranet()
        self.flush_coaching()
        self.retract(self.clock.end_minute)
        self.progress(weeks, weeks, force=True)

    def item(self, key: int) -> None:
        minute = key >> MINUTE_SHIFT
        agent = (key >> AGENT_SHIFT) & AGENT_MASK
        verb = (key >> VERB_SHIFT) & 15
        obj = key & OBJECT_MASK
        people = self.people
        if verb in (COACHING_GIVEN, COACHING_RECEIVED):
            # Exactly the session's time, as the coaching log writes it.
            occurred_at = self.clock.text(minute)
            session = self.session_pks[obj]
            external_id = (
                f"coaching:{session}:given"
                if verb == COACHING_GIVEN
                else f"coaching:{session}:received:{people.pk[agent]}"
            )
            self.coaching_items.append(
                {
                    "external_id": external_id,
                    "verb": VERBS[verb],
                    "agent": people.hr_id[agent],
                    "occurred_at": occurred_at,
                    "object": {
                        "type": "coaching_session",
                        "title": self.format_titles[self.sessions[obj].format],
                    },
                }
            )
            if len(self.coaching_items) >= BATCH:
                self.flush_coaching()
            return
        # Seconds are not planned (the plan counts minutes): spread them deterministically.
        occurred_at = self.clock.text(minute, (agent * 7 + obj * 13 + verb * 29) % 60)
        self.sequence += 1
        sequence = self.sequence
        external_id = f"{EXTERNAL_PREFIX[verb]}:{sequence}"
        item: dict[str, Any] = {
            "external_id": external_id,
            "verb": VERBS[verb],
            "agent": people.hr_id[agent],
            "occurred_at": occurred_at,
        }
        if verb == COMMENT:
            title, url = (
                self.recent[int(self.rng.random() * len(self.recent))]
                if self.recent
                else COMMENT_FALLBACK
            )
            item["object"] = {"type": "comment", "title": title, "url": f"{url[:68]}#c{sequence}"}
        elif verb in PUBLICATIONS:
            kind = PUBLICATIONS[verb]
            title = self.publication_titles[verb][obj]
            path = PUBLICATION_PATHS[verb]
            url = f"{INTRANET_URL}/{path}/{sequence}-{self.slugs[verb][obj]}"[:80]
            item["object"] = {"type": kind, "title": title, "url": url}
            self.recent.append((title, url))
            if self.rng.random() < RETRACTED_SHARE:
                self.to_retract.append(external_id)
        elif verb == EVENT:
            title, url = self.events[obj]
            item["object"] = {"type": "event", "title": title, "url": url}
        elif verb == TRAINING:
            title, url = self.trainings[obj]
            item["object"] = {"type": "training", "title": title, "url": url}
        self.intranet_items.append(item)
        if len(self.intranet_items) >= BATCH:
            self.flush_intranet()

    def ingest(self, items: list[dict[str, Any]], source: Any) -> None:
        from ambassadors.services.ledger import activities_ingest

        if not items:
            return
        # The ledger's "now" is just after the batch's last activity: each row's recorded
        # time is then close to when it happened, as with a live integration.
        now = dt.datetime.fromisoformat(items[-1]["occurred_at"]) + dt.timedelta(minutes=2)
        report = activities_ingest(
            organization=self.organization, items=items, source=source, now=now
        )
        if report.accepted != len(items):
            wrong = next(r for r in report.results if r["status"] != "accepted")
            raise RuntimeError(f"The ledger did not accept {items[wrong['index']]}: {wrong}")
        self.accepted += report.accepted
        items.clear()

    def flush_intranet(self) -> None:
        self.ingest(self.intranet_items, self.intranet)
        self.retractable.extend(self.to_retract)
        self.to_retract.clear()

    def flush_coaching(self) -> None:
        self.ingest(self.coaching_items, self.relais)

    def retract(self, minute: int) -> None:
        from ambassadors.services.ledger import activities_retract

        while self.retractable:
            chunk = self.retractable[:BATCH]
            del self.retractable[:BATCH]
            report = activities_retract(
                organization=self.organization,
                source_code="intranet",
                external_ids=chunk,
                reason=RETRACTION_REASONS[int(self.rng.random() * len(RETRACTION_REASONS))],
                now=self.clock.at(minute),
            )
            self.retracted += report.retracted

    def progress(self, week: int, weeks: int, *, force: bool = False) -> None:
        now = time.perf_counter()
        if not force and now - self.last_report < 15:
            return
        self.last_report = now
        elapsed = now - self.started
        rate = self.accepted / elapsed if elapsed else 0.0
        eta = (self.total - self.accepted) / rate if rate else 0.0
        self.log(
            f"  {self.accepted:>11,} / {self.total:,} activities  {rate:8,.0f}/s  "
            f"elapsed {elapsed:6.0f} s  eta {eta:5.0f} s  (week {week}/{weeks}, "
            f"load average {os.getloadavg()[0]:.1f})"
        )


def _summary(
    organization: Any, people: Population, extra: dict[str, Any], clock: Clock
) -> dict[str, Any]:
    from django.db import connection

    from ambassadors.models import (
        Activity,
        ActivityRetraction,
        AmbassadorMandate,
        CoachingParticipant,
        CoachingSession,
        OrgUnit,
        Role,
        Site,
        Verb,
    )

    table = Activity._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT v.code, count(*) FROM {table} a JOIN {Verb._meta.db_table} v "
            "ON v.id = a.verb_id "
            "WHERE a.organization_id = %s GROUP BY v.code ORDER BY count(*) DESC",
            [organization.pk],
        )
        per_verb = dict(cursor.fetchall())
        top = max(1, round(len(people) / 100))
        cursor.execute(
            f"SELECT count(*), sum(n) FILTER (WHERE rank <= %s), sum(n) FROM ("
            f" SELECT count(*) AS n, row_number() OVER (ORDER BY count(*) DESC) AS rank"
            f" FROM {table} WHERE organization_id = %s GROUP BY agent_id) per_agent",
            [top, organization.pk],
        )
        active_agents, top_rows, all_rows = cursor.fetchone()
        cursor.execute(
            "SELECT pg_total_relation_size(%s), pg_relation_size(%s), pg_indexes_size(%s), "
            "pg_database_size(current_database())",
            [table, table, table],
        )
        total_bytes, heap_bytes, index_bytes, database_bytes = cursor.fetchone()
    rows = int(all_rows or 0)  # sum() of counts comes back as a Decimal
    top_rows = int(top_rows or 0)
    participants = CoachingParticipant.objects.for_org(organization)
    return {
        "organization": organization.slug,
        "organization_id": organization.pk,
        "reference_date": REFERENCE_DATE.isoformat(),
        "reference_now": dt.datetime.combine(
            REFERENCE_DATE, dt.time(0), zoneinfo.ZoneInfo(TIME_ZONE)
        ).isoformat(),
        "window": [clock.start.isoformat(), (REFERENCE_DATE - dt.timedelta(days=1)).isoformat()],
        "agents": len(people),
        "agents_present": sum(people.present_at_end),
        "agents_without_workstation": people.workstation.count(False),
        "agents_without_account": people.account.count(False),
        "units": OrgUnit.objects.for_org(organization).count(),
        "sites": Site.objects.for_org(organization).count(),
        "roles": Role.objects.for_org(organization).count(),
        "mandates": AmbassadorMandate.objects.for_org(organization).count(),
        "active_mandates": AmbassadorMandate.objects.for_org(organization)
        .filter(status=AmbassadorMandate.Status.ACTIVE)
        .count(),
        "coaching_sessions": CoachingSession.objects.for_org(organization).count(),
        "coaching_participants": participants.count(),
        "coaching_confirmed": participants.filter(confirmed_at__isnull=False).count(),
        "activities": rows,
        "retractions": ActivityRetraction.objects.filter(
            activity__organization_id=organization.pk
        ).count(),
        "per_verb": per_verb,
        "agents_with_activity": active_agents,
        "top_1_percent_agents": top,
        "top_1_percent_share": round(top_rows / rows, 4) if rows else 0.0,
        "activity_table_bytes": total_bytes,
        "activity_heap_bytes": heap_bytes,
        "activity_index_bytes": index_bytes,
        "bytes_per_activity": round(total_bytes / rows, 1) if rows else 0.0,
        "database_bytes": database_bytes,
        **extra,
    }


def build(*, seed: int, agents: int, activities: int, log: Output) -> dict[str, Any]:
    """Build the dataset into the (new, migrated) database ``url``; return its summary."""
    from django.db import connection, transaction

    from ambassadors.models import CoachingTopic, Site
    from ambassadors.receivers import adoption_deferred
    from ambassadors.services.adoption import adoption_recompute
    from ambassadors.services.directory import directory_import
    from ambassadors.services.organizations import organization_create

    started = time.perf_counter()
    clock = Clock()
    organization = organization_create(slug=ORG_SLUG, name=ORG_NAME, timezone=TIME_ZONE)
    sites = [*importlib.import_module("import_directory").SITES, *EXTRA_SITES]
    Site.objects.bulk_create(
        Site(organization=organization, code=code, name=name) for code, name in sites
    )
    csv_bytes = _directory_csv(agents, seed, clock, [code for code, _name in sites])
    result = directory_import(
        organization=organization, source=io.BytesIO(csv_bytes), filename="reference.csv"
    )
    if result.rejected or result.created != agents:
        raise RuntimeError(f"The directory import refused rows: {result.errors[:3]}")
    log(f"directory: {result.created:,} agents imported ({len(csv_bytes) / 2**20:.1f} MB CSV)")
    people = Population(organization, clock)
    taken, roles = _create_roles(organization, people, random.Random(f"{seed}:roles"))
    mandates = _create_mandates(
        organization, people, random.Random(f"{seed}:mandates"), clock, taken
    )
    log(f"roles: {roles:,}; ambassador mandates: {len(mandates):,}")

    topics = CoachingTopic.objects.for_org(organization).count()
    sessions = _plan_coaching(
        people,
        mandates,
        random.Random(f"{seed}:coaching"),
        clock,
        round(COACHING_SHARE * activities),
        topics,
    )
    session_pks = _create_sessions(
        organization, people, sessions, clock, random.Random(f"{seed}:nonces")
    )
    with connection.cursor() as cursor:
        # Logged a little after each session, not when this script ran.
        cursor.execute(
            "UPDATE ambassadors_coachingsession SET created_at = occurred_at + "
            "(duration_minutes + 20) * interval '1 minute', updated_at = occurred_at + "
            "(duration_minutes + 20) * interval '1 minute' WHERE organization_id = %s",
            [organization.pk],
        )
    log(f"coaching: {len(sessions):,} sessions")

    plan = Plan(clock)
    extra = _plan_activity(
        plan,
        people,
        sessions,
        mandates,
        random.Random(f"{seed}:activity"),
        activities,
        Loader.pools(),
    )
    log(
        f"plan: {plan.count:,} activities in {len(plan.weeks)} weeks "
        f"({sum(w.buffer_info()[1] * w.itemsize for w in plan.weeks) / 2**20:.0f} MB)"
    )
    gc.collect()
    gc.freeze()  # the plan's objects live to the end: no collection needs to walk them again
    loader = Loader(
        organization=organization,
        people=people,
        sessions=sessions,
        session_pks=session_pks,
        clock=clock,
        seed=seed,
        total=activities,
        log=log,
    )
    with connection.cursor() as cursor:
        # A bulk load: no need to wait for each batch's WAL flush (durability of the whole
        # load is what the fingerprint, written last, stands for).
        cursor.execute("SET synchronous_commit TO off")
    with ExitStack() as stack:
        stack.enter_context(adoption_deferred())
        try:
            from badges.receivers import engine_deferred
        except ImportError:
            pass
        else:
            stack.enter_context(engine_deferred())
        load_started = time.perf_counter()
        loader.run(plan)
        load_seconds = time.perf_counter() - load_started
    if loader.accepted != activities:
        raise RuntimeError(f"{loader.accepted} activities stored, {activities} planned")
    log(f"ledger: {loader.accepted:,} activities in {load_seconds:.1f} s")
    adoption_started = time.perf_counter()
    adoption_rows = adoption_recompute(organization=organization)
    adoption_seconds = time.perf_counter() - adoption_started
    log(f"adoption: {adoption_rows:,} rows in {adoption_seconds:.1f} s")
    vacuum_started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    vacuum_seconds = time.perf_counter() - vacuum_started
    log(f"VACUUM (ANALYZE) in {vacuum_seconds:.1f} s")
    summary = _summary(
        organization,
        people,
        {
            **extra,
            "ambassadors": len(mandates),
            "load_seconds": round(load_seconds, 1),
            "load_rate_per_s": round(loader.accepted / load_seconds) if load_seconds else 0,
            "adoption_seconds": round(adoption_seconds, 1),
            "vacuum_seconds": round(vacuum_seconds, 1),
            "build_seconds": round(time.perf_counter() - started, 1),
            "load_average_at_end": [round(value, 2) for value in os.getloadavg()],
            "cpus": os.cpu_count(),
            # KiB on Linux; Django, the interpreter and the plan included.
            "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        },
        clock,
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {FINGERPRINT_TABLE} (fingerprint jsonb NOT NULL, "
            "summary jsonb NOT NULL, built_at timestamptz NOT NULL DEFAULT now())"
        )
        cursor.execute(
            f"INSERT INTO {FINGERPRINT_TABLE} (fingerprint, summary) VALUES (%s, %s)",
            [
                json.dumps(_fingerprint(seed=seed, agents=agents, activities=activities)),
                json.dumps(summary),
            ],
        )
    return summary


def _show(summary: dict[str, Any], log: Output) -> None:
    rows = summary["activities"] or 1
    log(
        f"organization “{summary['organization']}” (id {summary['organization_id']}): "
        f"{summary['agents']:,} agents ({summary['agents_without_workstation']:,} without "
        f"workstation, {summary['agents_without_account']:,} without account), "
        f"{summary['units']} units, {summary['sites']} sites, {summary['mandates']} mandates"
    )
    log(
        f"coaching: {summary['coaching_sessions']:,} sessions, "
        f"{summary['coaching_participants']:,} participants "
        f"({summary['coaching_confirmed']:,} confirmed)"
    )
    log(f"activities: {summary['activities']:,}; retracted: {summary['retractions']:,}")
    for verb, count in summary["per_verb"].items():
        log(f"  {verb:<24} {count:>11,}  {100 * count / rows:5.2f} %")
    log(
        f"agents with any activity: {summary['agents_with_activity']:,}; the top 1 % "
        f"({summary['top_1_percent_agents']:,} agents) made "
        f"{100 * summary['top_1_percent_share']:.1f} % of the activities"
    )
    log(
        f"activity table: {summary['activity_table_bytes'] / 2**30:.2f} GiB "
        f"({summary['bytes_per_activity']} bytes/activity; heap "
        f"{summary['activity_heap_bytes'] / 2**30:.2f} GiB, indexes "
        f"{summary['activity_index_bytes'] / 2**30:.2f} GiB); database "
        f"{summary['database_bytes'] / 2**30:.2f} GiB"
    )
    log(
        f"load: {summary['load_seconds']} s ({summary['load_rate_per_s']:,} activities/s); "
        f"whole build {summary['build_seconds']} s; max RSS {summary.get('max_rss_mb')} MB; "
        f"load average at the end {summary['load_average_at_end']}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--agents", type=int, default=50_000)
    parser.add_argument("--activities", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--force", action="store_true", help="rebuild even when up to date")
    parser.add_argument(
        "--json", action="store_true", help="progress to stderr, the summary as JSON on stdout"
    )
    args = parser.parse_args(argv)
    if not 100 <= args.agents <= MAX_AGENTS:
        parser.error(f"--agents must be between 100 and {MAX_AGENTS:,}")
    if args.activities < MIN_ACTIVITIES_PER_AGENT * args.agents:
        parser.error(f"--activities must be at least {MIN_ACTIVITIES_PER_AGENT} per agent")
    _database_name(args.database_url)
    log = Output(sys.stderr if args.json else sys.stdout)
    fingerprint = _fingerprint(seed=args.seed, agents=args.agents, activities=args.activities)
    state, summary = _stored_state(args.database_url, fingerprint)
    if state == "current" and not args.force:
        assert summary is not None
        _django_setup(args.database_url)
        from django.core.management import call_command

        call_command("migrate", verbosity=0)  # a new migration since the build: apply it
        log(f"{args.database_url}: up to date ({json.dumps(fingerprint)})")
        _show(summary, log)
        summary["up_to_date"] = True
    else:
        reason = "--force" if state == "current" else state
        log(f"{args.database_url}: {reason}; building {json.dumps(fingerprint)}")
        _recreate_database(args.database_url)
        _django_setup(args.database_url)
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        log("migrated")
        summary = build(
            seed=args.seed,
            agents=args.agents,
            activities=args.activities,
            log=log,
        )
        _show(summary, log)
        summary["up_to_date"] = False
    summary["database_url"] = args.database_url
    if args.json:
        print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
