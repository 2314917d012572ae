from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from ambassadors.permissions import MATRIX, Action, Reach, RoleName
from tests.conftest import login
from tests.factories import AgentFactory, OrgUnitFactory, SiteFactory

AGENTS_URL = "/api/v1/agents"


def test_it_lists_agents_with_their_unit_and_site(api_client, organization, tree, field_agent):
    response = api_client.get(AGENTS_URL)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert body["next"] is None
    (item,) = body["results"]
    assert item == {
        "id": field_agent.pk,
        "hr_id": field_agent.hr_id,
        "first_name": field_agent.first_name,
        "last_name": "Terrain",
        "unit": {"id": tree.proprete.pk, "code": "PRO", "name": "Propreté"},
        "site": {
            "id": field_agent.site.pk,
            "code": "CTM",
            "name": "Centre technique municipal",
        },
        "has_workstation": False,
        "has_account": False,
        "job_title": "",
        "arrival_date": None,
        "departure_date": None,
    }


def test_it_shows_null_unit_and_site_for_an_unattached_agent(api_client, organization):
    AgentFactory(organization=organization, hr_id="X1", arrival_date=datetime.date(2024, 3, 1))
    (item,) = api_client.get(AGENTS_URL).json()["results"]
    assert item["unit"] is None
    assert item["site"] is None
    assert item["arrival_date"] == "2024-03-01"


def test_it_searches_by_name_words_and_exact_hr_id(api_client, organization):
    AgentFactory(organization=organization, hr_id="M42", first_name="Léa", last_name="Dupont")
    AgentFactory(organization=organization, hr_id="M43", first_name="Paul", last_name="Durand")
    AgentFactory(organization=organization, hr_id="M420", first_name="Zoé", last_name="Blanc")

    def hr_ids(search: str) -> list[str]:
        response = api_client.get(AGENTS_URL, {"search": search})
        assert response.status_code == 200
        return [item["hr_id"] for item in response.json()["results"]]

    assert hr_ids("dupont") == ["M42"]
    assert hr_ids("léa dup") == ["M42"]
    assert hr_ids("m42") == ["M42"]
    assert hr_ids("Du") == ["M42", "M43"]
    assert hr_ids("") == ["M420", "M42", "M43"]


def test_it_filters_on_a_unit_and_everything_below_it(api_client, organization, tree):
    AgentFactory(organization=organization, unit=tree.proprete, hr_id="P1")
    AgentFactory(organization=organization, unit=tree.voirie, hr_id="V1")
    AgentFactory(organization=organization, unit=tree.espaces_verts, hr_id="E1")
    AgentFactory(organization=organization, unit=tree.culture, hr_id="C1")

    def hr_ids(unit) -> set[str]:
        response = api_client.get(AGENTS_URL, {"unit": unit.pk})
        assert response.status_code == 200
        return {item["hr_id"] for item in response.json()["results"]}

    assert hr_ids(tree.proprete) == {"P1"}
    assert hr_ids(tree.voirie) == {"P1", "V1"}
    assert hr_ids(tree.direction) == {"P1", "V1", "E1"}
    assert hr_ids(tree.culture) == {"C1"}


def test_it_refuses_a_unit_of_another_organization_like_an_unknown_one(
    api_client, organization, other_organization
):
    foreign = OrgUnitFactory(organization=other_organization, name="Ailleurs")
    AgentFactory(organization=other_organization, unit=foreign, hr_id="B-SECRET")
    response = api_client.get(AGENTS_URL, {"unit": foreign.pk})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    (message,) = body["errors"]["unit"]
    assert str(foreign.pk) in message
    assert "B-SECRET" not in response.content.decode()
    assert "Ailleurs" not in response.content.decode()
    unknown = api_client.get(AGENTS_URL, {"unit": foreign.pk + 1000})
    assert unknown.status_code == 400
    # The same answer as for a unit that exists nowhere: nothing tells them apart.
    assert unknown.json()["errors"]["unit"] == [
        message.replace(str(foreign.pk), str(foreign.pk + 1000))
    ]


def test_it_refuses_a_unit_that_is_not_a_number(api_client, organization):
    response = api_client.get(AGENTS_URL, {"unit": "voirie"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert list(response.json()["errors"]) == ["unit"]


def test_it_leaves_out_departed_agents(api_client, organization):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    AgentFactory(organization=organization, hr_id="GONE", departure_date=yesterday)
    AgentFactory(organization=organization, hr_id="STAYS")
    results = api_client.get(AGENTS_URL).json()["results"]
    assert [item["hr_id"] for item in results] == ["STAYS"]


def test_it_paginates(api_client, organization):
    AgentFactory.create_batch(5, organization=organization)
    first = api_client.get(AGENTS_URL, {"page_size": 2}).json()
    assert first["count"] == 5
    assert len(first["results"]) == 2
    assert first["previous"] is None
    assert "page=2" in first["next"]
    last = api_client.get(AGENTS_URL, {"page_size": 2, "page": 3}).json()
    assert len(last["results"]) == 1
    assert last["next"] is None
    seen = {
        item["id"]
        for page in (1, 2, 3)
        for item in api_client.get(AGENTS_URL, {"page_size": 2, "page": page}).json()["results"]
    }
    assert len(seen) == 5


def test_it_answers_404_for_a_page_past_the_end(api_client, organization):
    AgentFactory(organization=organization)
    response = api_client.get(AGENTS_URL, {"page": 9})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_a_signed_in_agent_can_search_the_whole_directory(organization, tree, agent, manager):
    response = login(agent).get(AGENTS_URL)
    assert response.status_code == 200
    assert {item["id"] for item in response.json()["results"]} == {agent.pk, manager.pk}


def test_it_returns_one_agent(api_client, field_agent):
    response = api_client.get(f"{AGENTS_URL}/{field_agent.pk}")
    assert response.status_code == 200
    assert response.json()["hr_id"] == field_agent.hr_id
    assert response.json()["unit"]["code"] == "PRO"


def test_it_answers_404_for_another_organizations_agent(api_client, outsider):
    response = api_client.get(f"{AGENTS_URL}/{outsider.pk}")
    assert response.status_code == 404
    assert set(response.json()) == {"code", "message"}
    assert response.json()["code"] == "not_found"
    assert outsider.last_name not in response.content.decode()


def test_a_signed_in_agent_sees_their_own_record_but_not_a_colleagues(
    organization, tree, agent, manager
):
    client = login(agent)
    assert client.get(f"{AGENTS_URL}/{agent.pk}").status_code == 200
    response = client.get(f"{AGENTS_URL}/{manager.pk}")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_a_manager_sees_agents_of_their_subtree_only(organization, tree, manager):
    below = AgentFactory(organization=organization, unit=tree.proprete)
    elsewhere = AgentFactory(organization=organization, unit=tree.culture)
    client = login(manager)
    assert client.get(f"{AGENTS_URL}/{below.pk}").status_code == 200
    assert client.get(f"{AGENTS_URL}/{elsewhere.pk}").status_code == 403


@pytest.mark.parametrize("rows", [1, 20])
def test_listing_agents_takes_the_same_queries_for_1_or_20_rows(
    api_client, organization, tree, django_assert_num_queries, rows
):
    for n in range(rows):
        site = SiteFactory(organization=organization)
        AgentFactory(organization=organization, unit=tree.proprete, site=site, hr_id=f"Q{n}")
    api_client.get(AGENTS_URL)  # the token's first use writes last_used_at once
    # token, unit filter, count, page
    with django_assert_num_queries(4):
        response = api_client.get(AGENTS_URL, {"unit": tree.voirie.pk})
    assert response.json()["count"] == rows
    assert len(response.json()["results"]) == rows


@pytest.mark.parametrize("rows", [1, 20])
def test_listing_agents_for_a_signed_in_person_does_not_grow_with_rows(
    comms_client, organization, tree, django_assert_num_queries, rows
):
    AgentFactory.create_batch(rows, organization=organization, unit=tree.proprete)
    # session, user, the user's agent twice (tenancy middleware, then the actor), roles and
    # their units, mandates, count, page
    with django_assert_num_queries(8):
        response = comms_client.get(AGENTS_URL)
    assert response.json()["count"] == rows + 1


def test_the_list_follows_how_far_search_agents_reaches_for_a_person(
    monkeypatch, organization, tree, manager, agent
):
    # Today every role searches the whole organization; if the matrix narrows it, the API
    # follows without a change of its own.
    monkeypatch.setitem(
        MATRIX,
        Action.SEARCH_AGENTS,
        {RoleName.COMMS: Reach.ORGANIZATION, RoleName.MANAGER: Reach.SUBTREE},
    )
    below = AgentFactory(organization=organization, unit=tree.proprete)
    AgentFactory(organization=organization, unit=tree.culture)
    response = login(manager).get(AGENTS_URL)
    assert response.status_code == 200
    assert {item["id"] for item in response.json()["results"]} == {manager.pk, below.pk}
    assert login(agent).get(AGENTS_URL).status_code == 403


def test_a_token_lists_the_whole_organization_whatever_the_matrix(
    monkeypatch, api_client, organization, tree
):
    monkeypatch.setitem(MATRIX, Action.SEARCH_AGENTS, {RoleName.COMMS: Reach.ORGANIZATION})
    AgentFactory(organization=organization, unit=tree.culture)
    AgentFactory(organization=organization, unit=None)
    assert api_client.get(AGENTS_URL).json()["count"] == 2
