"""``manage.py seed_demo``: the Ville de Valmont demo, deterministic and idempotent."""

from __future__ import annotations

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from ambassadors.demo import demo_delete
from ambassadors.demo.plan import minimum_agents
from ambassadors.models import Agent, AmbassadorMandate, Organization, OrgUnit, Role, Site
from ambassadors.permissions import RoleName, actor_for
from ambassadors.services.organizations import organization_create

FIELD_UNITS = {
    "DST-VOI",
    "DST-VOI-PRO",
    "DST-VOI-SIG",
    "DST-EV",
    "DST-EV-SER",
    "DST-BAT-REG",
    "DST-GAR",
    "DEJ-RES-CUI",
    "DEJ-RES-OFF",
    "DEJ-ENT",
    "CCAS-SAD",
}


def seed(**options) -> str:
    out = StringIO()
    # English output, whatever the locale files translate it to.
    with translation.override("en"):
        call_command("seed_demo", stdout=out, **{"agents": 200, "seed": 1, **options})
    return out.getvalue()


def valmont() -> Organization:
    return Organization.objects.get(slug="valmont")


def snapshot() -> list[tuple[str, str, str, str]]:
    return sorted(
        Agent.objects.for_org(valmont()).values_list(
            "hr_id", "first_name", "last_name", "unit__code"
        )
    )


@pytest.fixture
def seeded(db) -> Organization:
    seed()
    return valmont()


def test_it_creates_the_valmont_organization_in_french(seeded):
    assert seeded.name == "Ville de Valmont"
    assert seeded.timezone == "Europe/Paris"
    assert seeded.language == "fr"


def test_it_builds_about_forty_units_on_three_levels(seeded):
    units = list(OrgUnit.objects.for_org(seeded))
    assert 38 <= len(units) <= 45
    assert {unit.depth for unit in units} == {0, 1, 2}
    by_name = {unit.name: unit for unit in units}
    proprete = by_name["Propreté urbaine"]
    assert [by_name[name].pk for name in ("Direction des services techniques", "Voirie")] == (
        proprete.ancestor_ids
    )
    assert len({unit.code for unit in units}) == len(units)


def test_it_creates_eight_sites_with_addresses(seeded):
    sites = Site.objects.for_org(seeded)
    assert sites.count() == 8
    assert "Hôtel de ville" in {site.name for site in sites}
    assert all("Valmont" in site.address for site in sites)


def test_it_creates_the_requested_number_of_agents_with_valmont_hr_ids(seeded):
    agents = Agent.objects.for_org(seeded)
    assert agents.count() == 200
    hr_ids = list(agents.values_list("hr_id", flat=True))
    assert all(re.fullmatch(r"VAL\d{6}", hr_id) for hr_id in hr_ids)
    assert len(set(hr_ids)) == 200
    assert not agents.filter(unit=None).exists()


def test_names_keep_their_accents(seeded):
    names = Agent.objects.for_org(seeded).values_list("first_name", "last_name")
    assert any(not (first + last).isascii() for first, last in names)


def test_agents_with_an_account_have_a_unique_ascii_valmont_email(seeded):
    agents = Agent.objects.for_org(seeded)
    emails = list(agents.filter(has_account=True).values_list("email", flat=True))
    assert all(re.fullmatch(r"[a-z-]+\.[a-z-]+\d*@valmont\.fr", email) for email in emails)
    assert len(set(emails)) == len(emails)
    assert not agents.filter(has_account=False).exclude(email="").exists()


def test_about_a_third_lack_a_workstation_mostly_in_field_services(seeded):
    agents = list(Agent.objects.for_org(seeded).select_related("unit"))
    without = [agent for agent in agents if not agent.has_workstation]
    assert 0.25 <= len(without) / len(agents) <= 0.45
    in_field_units = [agent for agent in without if agent.unit.code in FIELD_UNITS]
    assert len(in_field_units) / len(without) >= 0.7
    office = [agent for agent in agents if agent.unit.code.startswith(("DRH", "DFI"))]
    assert all(agent.has_workstation for agent in office if agent.unit.code != "DRH-PRV")


def test_about_a_fifth_have_no_intranet_account(seeded):
    agents = Agent.objects.for_org(seeded)
    share = agents.filter(has_account=False).count() / agents.count()
    assert 0.12 <= share <= 0.28
    # An agent without an account is almost always a field agent.
    assert agents.filter(has_account=False, has_workstation=False).count() >= 0.9 * (
        agents.filter(has_account=False).count()
    )


def test_sites_match_the_units(seeded):
    agents = Agent.objects.for_org(seeded).select_related("unit", "site")
    sites_by_unit: dict[str, set[str | None]] = {}
    for agent in agents:
        sites_by_unit.setdefault(agent.unit.code, set()).add(
            agent.site.code if agent.site else None
        )
    assert sites_by_unit["DEJ-RES-CUI"] == {"CUI"}
    assert sites_by_unit["DST-VOI-PRO"] == {"CTM"}
    assert sites_by_unit["DRH-CAR"] == {"HDV"}


def test_arrivals_span_25_years_with_recent_arrivals_and_a_few_departures():
    # 2,000 agents in memory: the shares are too noisy on 200.
    from ambassadors.demo.plan import plan_demo

    today = timezone.localdate()
    agents = plan_demo(agents=2000, seed=1, today=today).agents
    arrivals = [agent.arrival_date for agent in agents]
    assert min(arrivals) >= today - timedelta(days=25 * 365)
    assert min(arrivals) <= today - timedelta(days=20 * 365)
    recent = [day for day in arrivals if day >= today - timedelta(days=90)]
    assert 20 <= len(recent) <= 200
    departed = [agent for agent in agents if agent.departure_date is not None]
    assert 10 <= len(departed) <= 80
    assert all(agent.arrival_date < agent.departure_date <= today for agent in departed)


def test_it_appoints_a_comms_team_managers_resource_people_and_ambassadors(seeded):
    roles = Role.objects.for_org(seeded)
    assert 2 <= roles.filter(kind=Role.Kind.COMMS).count() <= 3
    directions = OrgUnit.objects.for_org(seeded).filter(depth=0)
    managed = set(
        roles.filter(kind=Role.Kind.MANAGER).values_list("units__pk", flat=True).distinct()
    )
    assert set(directions.values_list("pk", flat=True)) <= managed
    assert OrgUnit.objects.for_org(seeded).filter(pk__in=managed, depth=1).exists()
    resource_sites = set(
        roles.filter(kind=Role.Kind.RESOURCE_PERSON).values_list("site__code", flat=True)
    )
    assert len(resource_sites) >= 6
    mandates = AmbassadorMandate.objects.for_org(seeded)
    assert mandates.count() == 3  # 200 agents: the minimum, over one per 60 agents
    assert not mandates.filter(units=None).exists()
    assert all(2 <= mandate.hours_per_month <= 8 for mandate in mandates)


def test_a_large_demo_has_one_ambassador_per_sixty_agents_a_few_not_active(db):
    seed(agents=1200)
    mandates = AmbassadorMandate.objects.for_org(valmont())
    assert mandates.count() == 20
    statuses = list(mandates.values_list("status", flat=True))
    assert statuses.count(AmbassadorMandate.Status.ACTIVE) >= 15
    assert {
        AmbassadorMandate.Status.CANDIDATE,
        AmbassadorMandate.Status.PAUSED,
        AmbassadorMandate.Status.ALUMNI,
    } <= set(statuses)
    alumni = mandates.get(status=AmbassadorMandate.Status.ALUMNI)
    assert alumni.end_date is not None and alumni.end_date < timezone.localdate()


@pytest.mark.parametrize(
    ("username", "roles"),
    [
        ("comms", {RoleName.AGENT, RoleName.COMMS}),
        ("manager", {RoleName.AGENT, RoleName.MANAGER}),
        ("ambassador", {RoleName.AGENT, RoleName.AMBASSADOR}),
        ("agent", {RoleName.AGENT}),
    ],
)
def test_demo_users_log_in_with_their_roles(seeded, username, roles):
    assert Client().login(username=username, password="relais-demo")
    agent = Agent.objects.for_org(seeded).get(user__username=username)
    assert agent.has_account and agent.departure_date is None
    assert actor_for(seeded, agent).roles == roles


def test_the_demo_manager_manages_the_technical_services(seeded):
    agent = Agent.objects.get(user__username="manager")
    units = OrgUnit.objects.for_org(seeded).filter(roles__agent=agent)
    assert [unit.name for unit in units] == ["Direction des services techniques"]


def test_the_demo_ambassador_covers_proprete_and_espaces_verts(seeded):
    mandate = AmbassadorMandate.objects.get(agent__user__username="ambassador")
    assert mandate.status == AmbassadorMandate.Status.ACTIVE
    assert {unit.name for unit in mandate.units.all()} == {"Propreté urbaine", "Espaces verts"}
    assert mandate.agent.unit.name == "Propreté urbaine"


def test_admin_is_a_superuser_and_comms_can_use_the_django_admin(seeded):
    users = get_user_model().objects
    admin = users.get(username="admin")
    assert admin.is_staff and admin.is_superuser
    assert Client().login(username="admin", password="relais-demo")
    comms = users.get(username="comms")
    assert comms.is_staff and not comms.is_superuser
    assert comms.has_perm("ambassadors.change_agent")
    assert not comms.has_perm("ambassadors.change_organization")
    client = Client()
    client.force_login(comms)
    assert client.get("/admin/").status_code == 200
    assert not get_user_model().objects.get(username="agent").is_staff


def test_the_same_seed_gives_the_same_agents(db):
    seed()
    first = snapshot()
    seed(reset=True)
    assert snapshot() == first
    seed(reset=True, seed=2)
    assert snapshot() != first


def test_a_second_run_changes_nothing(seeded):
    before = list(Agent.objects.for_org(seeded).values_list("pk", "hr_id", "updated_at"))
    counts = (OrgUnit.objects.count(), Site.objects.count(), Role.objects.count())
    output = seed(agents=300, seed=5)
    assert "already exists" in output
    assert list(Agent.objects.for_org(seeded).values_list("pk", "hr_id", "updated_at")) == before
    assert (OrgUnit.objects.count(), Site.objects.count(), Role.objects.count()) == counts


def test_reset_deletes_the_organization_data_and_seeds_again(seeded):
    old_agent_pks = set(Agent.objects.for_org(seeded).values_list("pk", flat=True))
    Agent.objects.for_org(seeded).filter(user=None).first().delete()
    seed(reset=True, agents=250)
    organization = valmont()
    assert Agent.objects.for_org(organization).count() == 250
    assert not Agent.objects.filter(pk__in=old_agent_pks).exists()
    assert OrgUnit.objects.for_org(organization).count() == OrgUnit.objects.count()
    assert Client().login(username="comms", password="relais-demo")
    assert Agent.objects.get(user__username="comms").organization == organization


def test_reset_leaves_other_organizations_alone(seeded):
    other = organization_create(slug="ville-b", name="Ville B")
    unit = OrgUnit.objects.create(organization=other, code="DG", name="Direction générale")
    Agent.objects.create(organization=other, hr_id="B1", first_name="Léa", last_name="B", unit=unit)
    seed(reset=True)
    assert Agent.objects.for_org(other).count() == 1


def test_it_fills_an_empty_organization_created_beforehand(db):
    organization = organization_create(slug="valmont", name="Ville de Valmont")
    seed()
    assert Agent.objects.for_org(organization).count() == 200


def test_it_refuses_too_few_agents_and_writes_nothing(db):
    with pytest.raises(CommandError, match="agents"):
        seed(agents=minimum_agents() - 1)
    assert not Organization.objects.filter(slug="valmont").exists()


def test_it_prints_the_counts_and_the_demo_logins(db):
    output = seed()
    assert "Ville de Valmont" in output
    assert "Agents: 200" in output
    for line in ("Units:", "Sites: 8", "Without workstation:", "Without account:", "Ambassadors:"):
        assert line in output
    for username in ("comms", "manager", "ambassador", "agent", "admin"):
        assert re.search(rf"^\s+{username}\s", output, re.MULTILINE)
    assert "relais-demo" in output


def test_it_refuses_a_demo_login_held_by_an_agent_of_another_organization(db):
    other = organization_create(slug="ville-b", name="Ville B")
    user = get_user_model().objects.create_user("manager", password="x")
    Agent.objects.create(organization=other, hr_id="B1", first_name="A", last_name="B", user=user)
    with pytest.raises(CommandError, match="manager"):
        seed()
    assert not Organization.objects.filter(slug="valmont").exists()
    assert get_user_model().objects.get(username="manager").check_password("x")


def test_seeding_does_not_take_a_query_per_agent(db):
    def queries(agents: int) -> int:
        demo_delete()
        with CaptureQueriesContext(connection) as context:
            # The history goes through the event and coaching services, a few queries per
            # event and session (their numbers grow with the agents): measured without it.
            seed(agents=agents, no_history=True)
        return len(context.captured_queries)

    queries(100)  # the first run creates the demo users; later runs update them
    # 330 more agents cost only more bulk-insert batches (SQLite caps a batch at 999
    # parameters, about 60 agents), never a query per agent, role or mandate.
    assert queries(450) - queries(120) <= 10
