from __future__ import annotations

import pytest

from tests.conftest import login
from tests.factories import AgentFactory, OrgUnitFactory

UNITS_URL = "/api/v1/units"


def _by_code(nodes: list[dict]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    stack = list(nodes)
    while stack:
        node = stack.pop()
        out[node["code"]] = node
        stack.extend(node["children"])
    return out


def test_it_returns_the_tree_with_headcounts(api_client, organization, tree):
    AgentFactory.create_batch(3, organization=organization, unit=tree.proprete)
    AgentFactory.create_batch(2, organization=organization, unit=tree.voirie)
    AgentFactory(organization=organization, unit=tree.espaces_verts)
    response = api_client.get(UNITS_URL)
    assert response.status_code == 200
    roots = response.json()
    assert [root["code"] for root in roots] == ["CUL", "DST"]
    direction = roots[1]
    assert [child["code"] for child in direction["children"]] == ["EV", "VOI"]
    assert direction["children"][1]["children"][0] == {
        "id": tree.proprete.pk,
        "code": "PRO",
        "name": "Propreté",
        "parent_id": tree.voirie.pk,
        "depth": 2,
        "headcount": 3,
        "subtree_headcount": 3,
        "children": [],
    }
    nodes = _by_code(roots)
    assert (nodes["VOI"]["headcount"], nodes["VOI"]["subtree_headcount"]) == (2, 5)
    assert (nodes["DST"]["headcount"], nodes["DST"]["subtree_headcount"]) == (0, 6)
    assert nodes["CUL"]["subtree_headcount"] == 0


def test_it_returns_one_unit_with_its_subtree(api_client, organization, tree):
    AgentFactory(organization=organization, unit=tree.proprete)
    AgentFactory(organization=organization, unit=tree.culture)
    response = api_client.get(f"{UNITS_URL}/{tree.voirie.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == "VOI"
    assert body["parent_id"] == tree.direction.pk
    assert body["subtree_headcount"] == 1
    assert [child["code"] for child in body["children"]] == ["PRO"]


def test_it_answers_404_for_another_organizations_unit(api_client, other_organization):
    foreign = OrgUnitFactory(organization=other_organization, name="Ailleurs")
    response = api_client.get(f"{UNITS_URL}/{foreign.pk}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert "Ailleurs" not in response.content.decode()


def test_it_never_shows_another_organizations_units(api_client, organization, tree, outsider):
    codes = set(_by_code(api_client.get(UNITS_URL).json()))
    assert codes == {"DST", "VOI", "PRO", "EV", "CUL"}


def test_any_signed_in_agent_sees_the_org_chart(organization, tree, agent):
    response = login(agent).get(UNITS_URL)
    assert response.status_code == 200
    assert len(response.json()) == 2


@pytest.mark.parametrize("width", [1, 20])
def test_the_tree_takes_the_same_queries_whatever_its_size(
    api_client, organization, django_assert_num_queries, width
):
    for d in range(width):
        direction = OrgUnitFactory(organization=organization, name=f"Direction {d}")
        service = OrgUnitFactory(organization=organization, parent=direction)
        sector = OrgUnitFactory(organization=organization, parent=service)
        AgentFactory(organization=organization, unit=sector)
    api_client.get(UNITS_URL)  # the token's first use writes last_used_at once
    # token, units, headcounts
    with django_assert_num_queries(3):
        response = api_client.get(UNITS_URL)
    assert len(response.json()) == width
    assert sum(root["subtree_headcount"] for root in response.json()) == width


@pytest.mark.parametrize("width", [1, 20])
def test_one_subtree_takes_the_same_queries_whatever_its_size(
    api_client, organization, django_assert_num_queries, width
):
    direction = OrgUnitFactory(organization=organization, name="Direction")
    for _ in range(width):
        service = OrgUnitFactory(organization=organization, parent=direction)
        AgentFactory(organization=organization, unit=service)
    api_client.get(UNITS_URL)
    # token, the unit, units below it, headcounts
    with django_assert_num_queries(4):
        response = api_client.get(f"{UNITS_URL}/{direction.pk}")
    assert len(response.json()["children"]) == width
    assert response.json()["subtree_headcount"] == width
