"""Every cell of the permission matrix, with the named cast, including how far each reaches.

The expected table is written out by hand, independently of ``MATRIX``: changing the matrix
without changing this table (and docs/permissions.md) fails.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from ambassadors.models import AmbassadorMandate, OrgUnit, Role
from ambassadors.permissions import MATRIX, Action, Reach, RoleName, actor_for
from tests.factories import AgentFactory, MandateFactory, OrgUnitFactory, RoleFactory

DOC = Path(__file__).resolve().parents[2] / "docs" / "permissions.md"

IN_ORG = {
    "none",
    "self",
    "proprete_agent",
    "espaces_agent",
    "culture_agent",
    "voirie_unit",
    "proprete_unit",
    "espaces_unit",
    "culture_unit",
}
OUTSIDER_ORG = {"none", "self", "outsider_agent", "outsider_unit"}
MANAGED = {"none", "self", "proprete_agent", "voirie_unit", "proprete_unit"}
COVERED = {"none", "self", "proprete_agent", "proprete_unit"}
# Espaces verts and, through the site CTM, the field agent of Propreté.
RESOURCE = {"none", "self", "espaces_agent", "espaces_unit", "proprete_agent"}
OWN_RECORD = {"none", "self"}
NOTHING: set[str] = set()

CAST = ["comms", "manager", "resource_person", "ambassador", "agent", "outsider"]

EXPECTED: dict[Action, dict[str, set[str]]] = {
    Action.VIEW_ORG_CHART: {
        "comms": IN_ORG,
        "manager": IN_ORG,
        "resource_person": IN_ORG,
        "ambassador": IN_ORG,
        "agent": IN_ORG,
        "outsider": OUTSIDER_ORG,
    },
    Action.SEARCH_AGENTS: {
        "comms": IN_ORG,
        "manager": IN_ORG,
        "resource_person": IN_ORG,
        "ambassador": IN_ORG,
        "agent": IN_ORG,
        "outsider": OUTSIDER_ORG,
    },
    Action.VIEW_AGENT: {
        "comms": IN_ORG,
        "manager": MANAGED,
        "resource_person": RESOURCE,
        "ambassador": COVERED,
        "agent": OWN_RECORD,
        "outsider": OUTSIDER_ORG,
    },
    Action.IMPORT_DIRECTORY: {
        "comms": IN_ORG,
        "manager": NOTHING,
        "resource_person": NOTHING,
        "ambassador": NOTHING,
        "agent": NOTHING,
        "outsider": OUTSIDER_ORG,
    },
    Action.MANAGE_PROGRAMME: {
        "comms": IN_ORG,
        "manager": NOTHING,
        "resource_person": NOTHING,
        "ambassador": NOTHING,
        "agent": NOTHING,
        "outsider": OUTSIDER_ORG,
    },
    Action.MANAGE_TOKENS: {
        "comms": IN_ORG,
        "manager": NOTHING,
        "resource_person": NOTHING,
        "ambassador": NOTHING,
        "agent": NOTHING,
        "outsider": OUTSIDER_ORG,
    },
    Action.LOG_COACHING: {
        "comms": IN_ORG,
        "manager": NOTHING,
        "resource_person": NOTHING,
        "ambassador": IN_ORG,
        "agent": NOTHING,
        "outsider": OUTSIDER_ORG,
    },
    Action.VIEW_COVERAGE: {
        "comms": IN_ORG,
        "manager": MANAGED,
        "resource_person": NOTHING,
        "ambassador": NOTHING,
        "agent": NOTHING,
        "outsider": OUTSIDER_ORG,
    },
    Action.CONFIRM_COACHING: {
        "comms": OWN_RECORD,
        "manager": MANAGED,
        "resource_person": OWN_RECORD,
        "ambassador": OWN_RECORD,
        "agent": OWN_RECORD,
        "outsider": OWN_RECORD,
    },
    Action.VIEW_COACHING_NOTES: {
        "comms": IN_ORG,
        "manager": NOTHING,
        "resource_person": NOTHING,
        "ambassador": NOTHING,
        "agent": NOTHING,
        "outsider": OUTSIDER_ORG,
    },
    Action.EDIT_OLD_COACHING: {
        "comms": IN_ORG,
        "manager": NOTHING,
        "resource_person": NOTHING,
        "ambassador": NOTHING,
        "agent": NOTHING,
        "outsider": OUTSIDER_ORG,
    },
    Action.GRANT_BADGE: {
        "comms": IN_ORG,
        "manager": NOTHING,
        "resource_person": NOTHING,
        "ambassador": NOTHING,
        "agent": NOTHING,
        "outsider": OUTSIDER_ORG,
    },
    Action.CONTEST_AWARD: {
        "comms": OWN_RECORD,
        "manager": OWN_RECORD,
        "resource_person": OWN_RECORD,
        "ambassador": OWN_RECORD,
        "agent": OWN_RECORD,
        "outsider": OWN_RECORD,
    },
}


@pytest.fixture
def resource_person(organization, tree, site):
    person = AgentFactory(organization=organization, unit=tree.culture, last_name="Ressource")
    RoleFactory(agent=person, kind=Role.Kind.RESOURCE_PERSON, units=[tree.espaces_verts])
    RoleFactory(agent=person, kind=Role.Kind.RESOURCE_PERSON, site=site)
    return person


@pytest.fixture
def targets(organization, tree, field_agent, outsider):
    other_unit = OrgUnit.objects.get(organization=outsider.organization)
    return {
        "none": None,
        "proprete_agent": field_agent,
        "espaces_agent": AgentFactory(organization=organization, unit=tree.espaces_verts),
        "culture_agent": AgentFactory(organization=organization, unit=tree.culture),
        "voirie_unit": tree.voirie,
        "proprete_unit": tree.proprete,
        "espaces_unit": tree.espaces_verts,
        "culture_unit": tree.culture,
        "outsider_agent": AgentFactory(organization=outsider.organization, unit=other_unit),
        "outsider_unit": other_unit,
    }


def _actor(request, name: str):
    agent = request.getfixturevalue(name)
    return actor_for(agent.organization, agent), agent


def test_the_expected_table_covers_every_action_and_the_whole_cast():
    assert set(EXPECTED) == set(Action)
    assert set(MATRIX) == set(Action)
    for action in Action:
        assert list(EXPECTED[action]) == CAST


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("name", CAST)
def test_each_role_reaches_exactly_the_expected_targets(request, targets, name, action):
    actor, agent = _actor(request, name)
    reached = {
        target_name
        for target_name, target in {**targets, "self": agent}.items()
        if actor.can(action, target)
    }
    assert reached == EXPECTED[action][name]


@pytest.mark.parametrize(
    ("name", "roles"),
    [
        ("comms", {RoleName.COMMS, RoleName.AGENT}),
        ("manager", {RoleName.MANAGER, RoleName.AGENT}),
        ("resource_person", {RoleName.RESOURCE_PERSON, RoleName.AGENT}),
        ("ambassador", {RoleName.AMBASSADOR, RoleName.AGENT}),
        ("agent", {RoleName.AGENT}),
        ("outsider", {RoleName.COMMS, RoleName.AGENT}),
    ],
)
def test_the_cast_holds_the_roles_it_is_named_after(request, name, roles):
    actor, _ = _actor(request, name)
    assert actor.roles == roles


@pytest.mark.parametrize(
    ("name", "units"),
    [
        ("comms", None),
        ("manager", {"voirie", "proprete"}),
        ("resource_person", {"espaces_verts"}),
        ("ambassador", {"proprete"}),
        ("agent", set()),
    ],
)
def test_units_q_for_agent_lists_follows_the_reach(request, tree, name, units):
    actor, _ = _actor(request, name)
    query = actor.units_q(Action.VIEW_AGENT)
    if units is None:
        assert query is None
        return
    assert query is not None
    by_pk = {getattr(tree, field).pk: field for field in tree.__dataclass_fields__}
    listed = OrgUnit.objects.for_org(actor.organization).filter(query)
    assert {by_pk[unit.pk] for unit in listed} == units


@pytest.mark.parametrize(
    ("status", "ends_in_days"),
    [
        (AmbassadorMandate.Status.CANDIDATE, None),
        (AmbassadorMandate.Status.PAUSED, None),
        (AmbassadorMandate.Status.ALUMNI, None),
        (AmbassadorMandate.Status.ACTIVE, -1),
    ],
)
def test_only_a_running_active_mandate_makes_an_ambassador(agent, tree, status, ends_in_days):
    end = timezone.localdate() + timedelta(days=ends_in_days) if ends_in_days else None
    start = end - timedelta(days=30) if end else None
    MandateFactory(
        agent=agent, units=[tree.proprete], status=status, start_date=start, end_date=end
    )
    actor = actor_for(agent.organization, agent)
    assert RoleName.AMBASSADOR not in actor.roles
    assert not actor.can(Action.LOG_COACHING)
    assert not actor.can(Action.VIEW_AGENT, tree.proprete)


def test_a_mandate_covers_the_units_below_the_covered_one(agent, tree, organization):
    below = OrgUnitFactory(organization=organization, parent=tree.proprete, name="Secteur nord")
    MandateFactory(agent=agent, units=[tree.voirie])
    actor = actor_for(organization, agent)
    assert actor.can(Action.VIEW_AGENT, below)
    assert not actor.can(Action.VIEW_AGENT, tree.espaces_verts)


def test_several_roles_add_up(agent, tree, organization):
    RoleFactory(agent=agent, kind=Role.Kind.MANAGER, units=[tree.culture])
    MandateFactory(agent=agent, units=[tree.proprete])
    actor = actor_for(organization, agent)
    assert actor.can(Action.VIEW_AGENT, tree.culture)
    assert actor.can(Action.VIEW_AGENT, tree.proprete)
    assert not actor.can(Action.VIEW_AGENT, tree.voirie)
    assert actor.can(Action.LOG_COACHING)
    assert actor.can(Action.VIEW_COVERAGE, tree.culture)
    assert not actor.can(Action.VIEW_COVERAGE, tree.proprete)


# --- the documentation cannot drift ---------------------------------------------------------

DOC_REACH = {
    "whole organization": Reach.ORGANIZATION,
    "managed subtree": Reach.SUBTREE,
    "covered services": Reach.COVERED,
    "own services and site": Reach.OWN_UNITS,
    "own record": Reach.SELF,
}
DOC_ROLES = {
    "Internal communication": RoleName.COMMS,
    "Manager": RoleName.MANAGER,
    "Resource person": RoleName.RESOURCE_PERSON,
    "Ambassador": RoleName.AMBASSADOR,
    "Agent": RoleName.AGENT,
}


def _doc_matrix() -> dict[str, dict[RoleName, Reach | None]]:
    lines = [line for line in DOC.read_text(encoding="utf-8").splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    roles = [DOC_ROLES[name] for name in header[1:]]
    rows: dict[str, dict[RoleName, Reach | None]] = {}
    for line in lines[2:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        match = re.match(r"`(\w+)`", cells[0])
        assert match, f"row without an action code: {line}"
        rows[match.group(1)] = {
            role: None if cell == "—" else DOC_REACH[cell]
            for role, cell in zip(roles, cells[1:], strict=True)
        }
    return rows


def test_the_doc_lists_every_action_of_the_enum():
    text = DOC.read_text(encoding="utf-8")
    for action in Action:
        assert f"`{action.value}`" in text, f"docs/permissions.md does not list {action.value}"
    assert set(_doc_matrix()) == {action.value for action in Action}


def test_the_doc_says_what_the_matrix_says_cell_by_cell():
    doc = _doc_matrix()
    for action in Action:
        for role in RoleName:
            assert doc[action.value][role] == MATRIX[action].get(role), (action, role)
