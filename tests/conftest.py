"""The fixture chain: organization → units → agents → the named cast → clients.

The cast, in organization "ville-a": ``comms``, ``manager`` (of the Voirie direction),
``ambassador`` (mandate covering Propreté), ``agent`` (a field agent without workstation
nor account is ``field_agent``), and ``outsider``, comms of another organization "ville-b".
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client
from django.utils import translation

from ambassadors.models import Agent, Organization, OrgUnit, Role, Site

from .factories import (
    AgentFactory,
    MandateFactory,
    OrganizationFactory,
    OrgUnitFactory,
    RoleFactory,
    SiteFactory,
    UserFactory,
)

PASSWORD = "correct horse battery"


@dataclass
class Tree:
    direction: OrgUnit
    voirie: OrgUnit
    proprete: OrgUnit
    espaces_verts: OrgUnit
    culture: OrgUnit


@pytest.fixture
def organization(db) -> Organization:
    return OrganizationFactory(slug="ville-a", name="Ville A")


@pytest.fixture
def other_organization(db) -> Organization:
    return OrganizationFactory(slug="ville-b", name="Ville B")


@pytest.fixture
def tree(organization) -> Tree:
    direction = OrgUnitFactory(organization=organization, code="DST", name="Services techniques")
    voirie = OrgUnitFactory(organization=organization, code="VOI", name="Voirie", parent=direction)
    proprete = OrgUnitFactory(organization=organization, code="PRO", name="Propreté", parent=voirie)
    espaces = OrgUnitFactory(
        organization=organization, code="EV", name="Espaces verts", parent=direction
    )
    culture = OrgUnitFactory(organization=organization, code="CUL", name="Culture")
    return Tree(direction, voirie, proprete, espaces, culture)


@pytest.fixture
def site(organization) -> Site:
    return SiteFactory(organization=organization, code="CTM", name="Centre technique municipal")


def _agent_with_user(organization: Organization, unit: OrgUnit, **kwargs) -> Agent:
    user = UserFactory(username=kwargs.pop("username"))
    return AgentFactory(organization=organization, unit=unit, user=user, **kwargs)


@pytest.fixture
def comms(organization, tree) -> Agent:
    agent = _agent_with_user(organization, tree.culture, username="comms", last_name="Comm")
    RoleFactory(agent=agent, kind=Role.Kind.COMMS)
    return agent


@pytest.fixture
def manager(organization, tree) -> Agent:
    agent = _agent_with_user(organization, tree.voirie, username="manager", last_name="Chef")
    RoleFactory(agent=agent, kind=Role.Kind.MANAGER, units=[tree.voirie])
    return agent


@pytest.fixture
def ambassador(organization, tree) -> Agent:
    agent = _agent_with_user(organization, tree.proprete, username="ambassador", last_name="Relais")
    MandateFactory(agent=agent, units=[tree.proprete])
    return agent


@pytest.fixture
def agent(organization, tree) -> Agent:
    return _agent_with_user(organization, tree.espaces_verts, username="agent", last_name="Agent")


@pytest.fixture
def field_agent(organization, tree, site) -> Agent:
    return AgentFactory(
        organization=organization,
        unit=tree.proprete,
        site=site,
        last_name="Terrain",
        has_workstation=False,
        has_account=False,
    )


@pytest.fixture
def outsider(other_organization) -> Agent:
    unit = OrgUnitFactory(organization=other_organization, code="DG", name="Direction générale")
    agent = _agent_with_user(other_organization, unit, username="outsider", last_name="Ailleurs")
    RoleFactory(agent=agent, kind=Role.Kind.COMMS)
    return agent


def login(agent: Agent) -> Client:
    client = Client()
    assert agent.user is not None
    assert client.login(username=agent.user.username, password=PASSWORD)
    return client


@pytest.fixture
def comms_client(comms) -> Client:
    return login(comms)


@pytest.fixture
def outsider_client(outsider) -> Client:
    return login(outsider)


@pytest.fixture
def in_english(settings):
    """Messages asserted on their English text, whatever the French catalogue says."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def english_organization(organization, in_english) -> Organization:
    """For commands, which speak the organization's language."""
    organization.language = "en"
    organization.save()
    return organization
