"""Writes the demo plan: the Ville de Valmont, its agents, roles, mandates and demo logins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Permission, User
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ambassadors.errors import DomainError
from ambassadors.models import Agent, AmbassadorMandate, Organization, OrgUnit, Role, Site
from ambassadors.services.organizations import organization_create

from . import data
from .history import demo_history_delete
from .plan import MAX_AGENTS, DemoPlan, minimum_agents, plan_demo

DEMO_PASSWORD = "relais-demo"
AGENT_BATCH_SIZE = 500


@dataclass(frozen=True)
class DemoLogin:
    username: str
    description: str


@dataclass(frozen=True)
class DemoSummary:
    organization: Organization
    created: bool
    units: int
    sites: int
    agents: int
    without_workstation: int
    without_account: int
    ambassadors: int
    active_ambassadors: int
    logins: tuple[DemoLogin, ...]


def demo_logins() -> tuple[DemoLogin, ...]:
    return (
        DemoLogin("comms", _("internal communication (programme admin, Django admin)")),
        DemoLogin("manager", _("manager of the Direction des services techniques")),
        DemoLogin("ambassador", _("ambassador for Propreté urbaine and Espaces verts")),
        DemoLogin("agent", _("an agent of Espaces verts")),
        DemoLogin("admin", _("superuser (Django admin)")),
    )


@transaction.atomic
def demo_seed(
    *, agents: int = 2000, seed: int = 1, reset: bool = False, today: date | None = None
) -> DemoSummary:
    """Create the demo organization; reuse it untouched when it already has agents.

    ``reset`` deletes the organization (and everything that belongs to it) first.
    """
    if not minimum_agents() <= agents <= MAX_AGENTS:
        raise DomainError(
            _("The demo needs between %(min)d and %(max)d agents, not %(agents)d.")
            % {"min": minimum_agents(), "max": MAX_AGENTS, "agents": agents},
            code="invalid_agent_count",
        )
    if reset:
        demo_delete()
    existing = Organization.objects.filter(slug=data.ORGANIZATION_SLUG).first()
    if existing is not None and _in_use(existing):
        return demo_summary(organization=existing, created=False)
    plan = plan_demo(agents=agents, seed=seed, today=today or timezone.localdate())
    organization = _organization(existing)
    sites = _create_sites(organization)
    units = _create_units(organization)
    users = _create_demo_users(plan)
    agent_rows = _create_agents(organization, plan, units, sites, users)
    _create_roles(organization, plan, agent_rows, units, sites)
    _create_mandates(organization, plan, agent_rows, units)
    return demo_summary(organization=organization, created=True)


def demo_summary(*, organization: Organization, created: bool) -> DemoSummary:
    agent_counts = Agent.objects.for_org(organization).aggregate(
        total=Count("pk"),
        without_workstation=Count("pk", filter=Q(has_workstation=False)),
        without_account=Count("pk", filter=Q(has_account=False)),
    )
    mandate_counts = AmbassadorMandate.objects.for_org(organization).aggregate(
        total=Count("pk"),
        active=Count("pk", filter=Q(status=AmbassadorMandate.Status.ACTIVE)),
    )
    return DemoSummary(
        organization=organization,
        created=created,
        units=OrgUnit.objects.for_org(organization).count(),
        sites=Site.objects.for_org(organization).count(),
        agents=agent_counts["total"],
        without_workstation=agent_counts["without_workstation"],
        without_account=agent_counts["without_account"],
        ambassadors=mandate_counts["total"],
        active_ambassadors=mandate_counts["active"],
        logins=demo_logins(),
    )


def _in_use(organization: Organization) -> bool:
    return (
        Agent.objects.for_org(organization).exists()
        or OrgUnit.objects.for_org(organization).exists()
        or Site.objects.for_org(organization).exists()
    )


@transaction.atomic
def demo_delete() -> bool:
    """Delete the demo organization and all it holds; False when there is none.

    Unit parents, agents' units and sites are PROTECTed foreign keys, so a plain cascade
    from the organization refuses; clear them in dependency order first. Demo users stay
    (unlinked), to be linked again by the next seed.
    """
    organization = Organization.objects.filter(slug=data.ORGANIZATION_SLUG).first()
    if organization is None:
        return False
    demo_history_delete(organization=organization)
    Agent.objects.for_org(organization).delete()
    OrgUnit.objects.for_org(organization).update(parent=None)
    OrgUnit.objects.for_org(organization).delete()
    Site.objects.for_org(organization).delete()
    organization.delete()
    return True


def _organization(existing: Organization | None) -> Organization:
    """An organization created empty (``create_organization valmont``) is filled, not replaced."""
    if existing is not None:
        return existing
    return organization_create(
        slug=data.ORGANIZATION_SLUG,
        name=data.ORGANIZATION_NAME,
        timezone=data.ORGANIZATION_TIMEZONE,
        language=data.ORGANIZATION_LANGUAGE,
    )


def _create_sites(organization: Organization) -> dict[str, Site]:
    Site.objects.bulk_create(
        Site(organization=organization, code=spec.code, name=spec.name, address=spec.address)
        for spec in data.SITES
    )
    return {site.code: site for site in Site.objects.for_org(organization)}


def _create_units(organization: Organization) -> dict[str, OrgUnit]:
    # save() computes the materialised path; about forty rows, parents listed first.
    units: dict[str, OrgUnit] = {}
    for spec in data.UNITS:
        unit = OrgUnit(
            organization=organization,
            code=spec.code,
            name=spec.name,
            parent=units[spec.parent] if spec.parent else None,
        )
        unit.save()
        units[spec.code] = unit
    return units


def _create_agents(
    organization: Organization,
    plan: DemoPlan,
    units: dict[str, OrgUnit],
    sites: dict[str, Site],
    users: dict[int, User],
) -> list[Agent]:
    rows = [
        Agent(
            organization=organization,
            hr_id=agent.hr_id,
            first_name=agent.first_name,
            last_name=agent.last_name,
            email=agent.email,
            unit=units[agent.unit],
            site=sites[agent.site] if agent.site else None,
            job_title=agent.job_title,
            arrival_date=agent.arrival_date,
            departure_date=agent.departure_date,
            has_workstation=agent.has_workstation,
            has_account=agent.has_account,
            user=users.get(agent.index),
        )
        for agent in plan.agents
    ]
    # SQLite (3.35+) and PostgreSQL return the new ids from a bulk insert: rows get their pk.
    Agent.objects.bulk_create(rows, batch_size=AGENT_BATCH_SIZE)
    return rows


def _create_roles(
    organization: Organization,
    plan: DemoPlan,
    agent_rows: list[Agent],
    units: dict[str, OrgUnit],
    sites: dict[str, Site],
) -> None:
    roles = [
        Role(
            organization=organization,
            agent=agent_rows[role.agent],
            kind=Role.Kind(role.kind),
            site=sites[role.site] if role.site else None,
        )
        for role in plan.roles
    ]
    Role.objects.bulk_create(roles)
    Role.units.through.objects.bulk_create(
        Role.units.through(role_id=row.pk, orgunit_id=units[code].pk)
        for row, role in zip(roles, plan.roles, strict=True)
        for code in role.units
    )


def _create_mandates(
    organization: Organization,
    plan: DemoPlan,
    agent_rows: list[Agent],
    units: dict[str, OrgUnit],
) -> None:
    mandates = [
        AmbassadorMandate(
            organization=organization,
            agent=agent_rows[mandate.agent],
            status=AmbassadorMandate.Status(mandate.status),
            start_date=mandate.start_date,
            end_date=mandate.end_date,
            hours_per_month=mandate.hours_per_month,
        )
        for mandate in plan.mandates
    ]
    AmbassadorMandate.objects.bulk_create(mandates)
    AmbassadorMandate.units.through.objects.bulk_create(
        AmbassadorMandate.units.through(ambassadormandate_id=row.pk, orgunit_id=units[code].pk)
        for row, mandate in zip(mandates, plan.mandates, strict=True)
        for code in mandate.units
    )


# What the communication team manages in the Django admin (scoped there to its organization).
COMMS_ADMIN_MODELS = ("orgunit", "site", "agent", "role", "ambassadormandate")


def _comms_admin_permissions() -> list[Permission]:
    return list(
        Permission.objects.filter(
            (
                Q(content_type__app_label="ambassadors")
                & Q(content_type__model__in=COMMS_ADMIN_MODELS)
            )
            | Q(content_type__app_label="ambassadors", codename="view_directoryimport")
            | Q(content_type__app_label="ambassadors", codename__endswith="_coachingsettings")
            | Q(content_type__app_label="badges", codename__endswith="_pointrule")
            | Q(
                content_type__app_label="badges",
                codename__in=[
                    "view_enginesettings",
                    "change_enginesettings",
                    "view_award",
                    "view_awardlog",
                ],
            )
        )
    )


def _create_demo_users(plan: DemoPlan) -> dict[int, User]:
    """The five demo logins, created or reset; returns the users by the agent they will be."""
    user_model = get_user_model()
    # One hash for all five: hashing is the slow part of creating a user.
    password = make_password(DEMO_PASSWORD)
    by_agent: dict[int, User] = {}
    for username in [*plan.cast, "admin"]:
        user = user_model.objects.filter(username=username).first()
        if user is None:
            user = user_model(username=username)
        elif username in plan.cast and Agent.objects.filter(user=user).exists():
            raise DomainError(
                _("The user %(username)s already belongs to another organization.")
                % {"username": username},
                code="demo_user_taken",
            )
        user.password = password
        user.is_active = True
        user.is_staff = username in ("comms", "admin")
        user.is_superuser = username == "admin"
        if username in plan.cast:
            agent = plan.agents[plan.cast[username]]
            user.first_name = agent.first_name
            user.last_name = agent.last_name
            user.email = agent.email
            by_agent[agent.index] = user
        user.save()
        if username == "comms":
            user.user_permissions.set(_comms_admin_permissions())
    return by_agent
