"""The demo collectivité as plain data, drawn from one seeded ``random.Random``.

Nothing here touches the database: ``plan_demo`` returns a ``DemoPlan`` (agents, roles,
mandates, demo cast) that ``ambassadors.demo.seed`` writes. The same (agents, seed, today)
always gives the same plan. Each concern (agents, roles, mandates) draws from its own
``random.Random`` derived from the seed and the concern's name, so that a concern added
later (activity history, ...) or a change to one leaves the others' draws unchanged.
"""

from __future__ import annotations

import math
import random
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from . import data
from .data import UnitSpec

STATUS_ACTIVE = "active"
STATUS_CANDIDATE = "candidate"
STATUS_PAUSED = "paused"
STATUS_ALUMNI = "alumni"

# Statuses given, in this order, to the ambassadors who are not active (one per 6 mandates,
# at most five): a few candidates waiting, a couple paused, one alumnus.
NON_ACTIVE_STATUSES = (
    STATUS_CANDIDATE,
    STATUS_PAUSED,
    STATUS_ALUMNI,
    STATUS_CANDIDATE,
    STATUS_PAUSED,
)
AGENTS_PER_AMBASSADOR = 60
MIN_AMBASSADORS = 3
MAX_AGENTS = 100_000
RECENT_ARRIVAL_DAYS = 90
RECENT_ARRIVAL_SHARE = 0.04
DEPARTED_SHARE = 0.02
CAREER_DAYS = 25 * 365
# Field agents (no workstation) who still have an intranet account, read on a phone or a
# kiosk; office agents almost all have one.
FIELD_ACCOUNT_SHARE = 0.45
OFFICE_NO_ACCOUNT_SHARE = 0.01
# A service gets a head (manager role) from this headcount on.
SERVICE_HEAD_MIN_AGENTS = 4

SLOT_HEAD = "head"
SLOT_COMMS = "comms"
SLOT_DEMO_AMBASSADOR = "demo_ambassador"
SLOT_DEMO_AGENT = "demo_agent"


@dataclass
class AgentPlan:
    index: int
    unit: str
    site: str | None
    first_name: str
    last_name: str
    job_title: str
    arrival_date: date
    departure_date: date | None
    has_workstation: bool
    has_account: bool
    slot: str = ""
    hr_id: str = ""
    email: str = ""

    def is_present(self, today: date) -> bool:
        return self.departure_date is None or self.departure_date > today


@dataclass
class RolePlan:
    agent: int
    kind: str  # a ``Role.Kind`` value
    units: tuple[str, ...] = ()
    site: str | None = None


@dataclass
class MandatePlan:
    agent: int
    units: tuple[str, ...]
    status: str
    start_date: date | None
    end_date: date | None
    hours_per_month: Decimal


@dataclass
class DemoPlan:
    seed: int
    today: date
    agents: list[AgentPlan]
    roles: list[RolePlan] = field(default_factory=list)
    mandates: list[MandatePlan] = field(default_factory=list)
    # username → index of the agent the demo user is linked to.
    cast: dict[str, int] = field(default_factory=dict)


class PlanError(ValueError):
    pass


def minimum_agents() -> int:
    return sum(_minimums().values())


def plan_demo(*, agents: int, seed: int, today: date) -> DemoPlan:
    if not minimum_agents() <= agents <= MAX_AGENTS:
        raise PlanError(f"agents must be between {minimum_agents()} and {MAX_AGENTS}: {agents}")
    counts = apportion(agents)
    agents_rng = concern_random(seed, "agents")
    plan = DemoPlan(seed=seed, today=today, agents=_plan_agents(agents_rng, counts, today))
    _assign_hr_ids(agents_rng, plan.agents)
    _assign_emails(plan.agents)
    _plan_staff_roles(concern_random(seed, "roles"), plan)
    _plan_mandates(concern_random(seed, "mandates"), plan)
    _plan_cast(plan)
    return plan


def concern_random(seed: int, concern: str) -> random.Random:
    # A str seed is hashed with SHA-512: stable across runs and Python processes.
    return random.Random(f"{seed}:{concern}")


# --- Headcount -------------------------------------------------------------------------


def _slots() -> dict[str, list[str]]:
    """The fixed slots each unit starts with: its head, the comms team, the demo cast."""
    slots: dict[str, list[str]] = {}
    for spec in data.UNITS:
        unit_slots = slots.setdefault(spec.code, [])
        if spec.parent is None:
            unit_slots.append(SLOT_HEAD)
    slots[data.COMMS_UNIT].extend([SLOT_COMMS] * 3)
    slots[data.DEMO_AMBASSADOR_UNIT].append(SLOT_DEMO_AMBASSADOR)
    slots[data.DEMO_AGENT_UNIT].append(SLOT_DEMO_AGENT)
    return slots


def _minimums() -> dict[str, int]:
    slots = _slots()
    return {spec.code: max(spec.minimum, len(slots[spec.code])) for spec in data.UNITS}


def apportion(total: int) -> dict[str, int]:
    """Agents per unit: each unit's minimum, the rest by weight (largest remainder)."""
    minimums = _minimums()
    rest = total - sum(minimums.values())
    weight = sum(spec.weight for spec in data.UNITS)
    quotas = {spec.code: rest * spec.weight / weight for spec in data.UNITS}
    counts = {code: minimums[code] + math.floor(quota) for code, quota in quotas.items()}
    by_remainder = sorted(quotas, key=lambda code: (-(quotas[code] % 1), code))
    for code in by_remainder[: total - sum(counts.values())]:
        counts[code] += 1
    return counts


# --- Agents ----------------------------------------------------------------------------


def _plan_agents(rng: random.Random, counts: dict[str, int], today: date) -> list[AgentPlan]:
    slots = _slots()
    agents: list[AgentPlan] = []
    for spec in data.UNITS:
        unit_slots = list(slots[spec.code])
        if (
            spec.parent is not None
            and spec.has_head
            and _depth(spec) == 1
            and counts[spec.code] >= SERVICE_HEAD_MIN_AGENTS
        ):
            unit_slots.insert(0, SLOT_HEAD)
        if spec.code == data.COMMS_UNIT:
            # Two communicants in a small town hall, three from a thousand agents on.
            keep = 3 if sum(counts.values()) >= 1000 else 2
            unit_slots = [s for s in unit_slots if s != SLOT_COMMS] + [SLOT_COMMS] * keep
        for position in range(counts[spec.code]):
            slot = unit_slots[position] if position < len(unit_slots) else ""
            agents.append(_draw_agent(rng, spec, slot, len(agents), today))
    return agents


def _depth(spec: UnitSpec) -> int:
    depth = 0
    by_code = {unit.code: unit for unit in data.UNITS}
    while spec.parent is not None:
        spec = by_code[spec.parent]
        depth += 1
    return depth


def _draw_agent(
    rng: random.Random, spec: UnitSpec, slot: str, index: int, today: date
) -> AgentPlan:
    female = rng.random() < 0.5
    first_name = rng.choice(data.FEMALE_FIRST_NAMES if female else data.MALE_FIRST_NAMES)
    last_name = rng.choice(data.LAST_NAMES)
    site = rng.choice(spec.sites)
    titles, weights = zip(*spec.jobs, strict=True)
    job_title = rng.choices(titles, weights=weights)[0]
    arrival, departure = _draw_dates(rng, today)
    has_workstation = rng.random() >= spec.field_share
    if has_workstation:
        has_account = rng.random() >= OFFICE_NO_ACCOUNT_SHARE
    else:
        has_account = rng.random() < FIELD_ACCOUNT_SHARE
    if slot:
        # The cast is present, settled and reachable: they log in to the demo.
        departure = None
        arrival = min(arrival, today - timedelta(days=3 * 365))
        has_account = True
        if slot in (SLOT_HEAD, SLOT_COMMS):
            has_workstation = True
        else:
            has_workstation = False
            job_title = spec.jobs[0][0]
        if slot == SLOT_HEAD:
            job_title = spec.head_title or f"responsable du service {spec.name}"
    return AgentPlan(
        index=index,
        unit=spec.code,
        site=site,
        first_name=first_name,
        last_name=last_name,
        job_title=job_title[0].upper() + job_title[1:],
        arrival_date=arrival,
        departure_date=departure,
        has_workstation=has_workstation,
        has_account=has_account,
        slot=slot,
    )


def _draw_dates(rng: random.Random, today: date) -> tuple[date, date | None]:
    if rng.random() < RECENT_ARRIVAL_SHARE:
        return today - timedelta(days=rng.randint(0, RECENT_ARRIVAL_DAYS)), None
    # More recent arrivals than old ones: turnover thins the older cohorts.
    days = int(rng.triangular(RECENT_ARRIVAL_DAYS + 1, CAREER_DAYS, RECENT_ARRIVAL_DAYS + 1))
    arrival = today - timedelta(days=days)
    departure = None
    if rng.random() < DEPARTED_SHARE:
        departure = today - timedelta(days=rng.randint(1, min(365, days - 1)))
    return arrival, departure


def _assign_hr_ids(rng: random.Random, agents: list[AgentPlan]) -> None:
    """Matricules grow with the arrival date, with gaps, as HR systems hand them out."""
    number = 100_000 + rng.randint(0, 999)
    for agent in sorted(agents, key=lambda a: (a.arrival_date, a.index)):
        number += rng.randint(1, 4)
        agent.hr_id = f"{data.HR_ID_PREFIX}{number:06d}"


def email_local_part(first_name: str, last_name: str) -> str:
    return f"{_fold(first_name)}.{_fold(last_name)}"


def _fold(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return "-".join(ascii_name.lower().replace("'", "").split())


def _assign_emails(agents: list[AgentPlan]) -> None:
    seen: Counter[str] = Counter()
    for agent in agents:
        if not agent.has_account:
            continue
        local = email_local_part(agent.first_name, agent.last_name)
        seen[local] += 1
        suffix = str(seen[local]) if seen[local] > 1 else ""
        agent.email = f"{local}{suffix}@{data.EMAIL_DOMAIN}"


# --- Roles -----------------------------------------------------------------------------


def _plan_staff_roles(rng: random.Random, plan: DemoPlan) -> None:
    for agent in plan.agents:
        if agent.slot == SLOT_COMMS:
            plan.roles.append(RolePlan(agent=agent.index, kind="comms"))
        elif agent.slot == SLOT_HEAD:
            plan.roles.append(RolePlan(agent=agent.index, kind="manager", units=(agent.unit,)))
    # One resource person per site, someone who works there and can be reached.
    taken = {agent.index for agent in plan.agents if agent.slot}
    for site in data.SITES:
        candidates = [
            agent.index
            for agent in plan.agents
            if agent.site == site.code
            and agent.index not in taken
            and agent.has_account
            and agent.is_present(plan.today)
        ]
        if candidates:
            chosen = rng.choice(candidates)
            taken.add(chosen)
            plan.roles.append(RolePlan(agent=chosen, kind="resource_person", site=site.code))


def _plan_mandates(rng: random.Random, plan: DemoPlan) -> None:
    today = plan.today
    total = max(MIN_AMBASSADORS, round(len(plan.agents) / AGENTS_PER_AMBASSADOR))
    demo = next(a for a in plan.agents if a.slot == SLOT_DEMO_AMBASSADOR)
    plan.mandates.append(
        MandatePlan(
            agent=demo.index,
            units=data.DEMO_AMBASSADOR_COVERS,
            status=STATUS_ACTIVE,
            start_date=today - timedelta(days=540),
            end_date=None,
            hours_per_month=Decimal(4),
        )
    )
    chosen = _pick_ambassadors(rng, plan, total - 1)
    non_active = NON_ACTIVE_STATUSES[: min(len(NON_ACTIVE_STATUSES), total // 6)]
    statuses = list(non_active) + [STATUS_ACTIVE] * (len(chosen) - len(non_active))
    rng.shuffle(statuses)
    siblings = _siblings()
    for agent, status in zip(chosen, statuses, strict=True):
        units: tuple[str, ...] = (agent.unit,)
        if siblings[agent.unit] and rng.random() < 0.25:
            units += (rng.choice(siblings[agent.unit]),)
        start, end = _mandate_dates(rng, agent, status, today)
        plan.mandates.append(
            MandatePlan(
                agent=agent.index,
                units=units,
                status=status,
                start_date=start,
                end_date=end,
                hours_per_month=Decimal(rng.choice((2, 3, 4, 4, 4, 5, 6, 6, 8))),
            )
        )


def _pick_ambassadors(rng: random.Random, plan: DemoPlan, count: int) -> list[AgentPlan]:
    """Settled agents with an account and no other role, spread over the units."""
    with_role = {role.agent for role in plan.roles}
    directions = {spec.code for spec in data.UNITS if spec.parent is None}
    candidates = [
        agent
        for agent in plan.agents
        if not agent.slot
        and agent.index not in with_role
        and agent.has_account
        and agent.is_present(plan.today)
        and agent.arrival_date <= plan.today - timedelta(days=365)
        and agent.unit not in directions
    ]
    rng.shuffle(candidates)
    headcount = Counter(agent.unit for agent in plan.agents)
    per_unit: Counter[str] = Counter()
    chosen: list[AgentPlan] = []
    for agent in candidates:
        cap = max(1, math.ceil(headcount[agent.unit] / AGENTS_PER_AMBASSADOR))
        if len(chosen) < count and per_unit[agent.unit] < cap:
            chosen.append(agent)
            per_unit[agent.unit] += 1
    leftovers = [agent for agent in candidates if agent not in chosen]
    chosen += leftovers[: count - len(chosen)]
    return sorted(chosen, key=lambda agent: agent.index)


def _siblings() -> dict[str, list[str]]:
    return {
        spec.code: [
            other.code
            for other in data.UNITS
            if other.parent == spec.parent and other.code != spec.code and spec.parent
        ]
        for spec in data.UNITS
    }


def _mandate_dates(
    rng: random.Random, agent: AgentPlan, status: str, today: date
) -> tuple[date | None, date | None]:
    if status == STATUS_CANDIDATE:
        return None, None
    earliest = max(agent.arrival_date + timedelta(days=180), today - timedelta(days=4 * 365))
    span = max(1, (today - earliest).days - 30)
    start = earliest + timedelta(days=rng.randint(0, span))
    if status != STATUS_ALUMNI:
        return start, None
    end = start + timedelta(days=rng.randint(1, max(1, (today - start).days - 1)))
    return start, end


# --- Demo logins -----------------------------------------------------------------------


def _plan_cast(plan: DemoPlan) -> None:
    by_slot: dict[str, AgentPlan] = {}
    for agent in plan.agents:
        by_slot.setdefault(f"{agent.slot}:{agent.unit}", agent)
    plan.cast = {
        "comms": by_slot[f"{SLOT_COMMS}:{data.COMMS_UNIT}"].index,
        "manager": by_slot[f"{SLOT_HEAD}:{data.DEMO_MANAGER_UNIT}"].index,
        "ambassador": by_slot[f"{SLOT_DEMO_AMBASSADOR}:{data.DEMO_AMBASSADOR_UNIT}"].index,
        "agent": by_slot[f"{SLOT_DEMO_AGENT}:{data.DEMO_AGENT_UNIT}"].index,
    }
