"""``/api/v1/badges`` and an agent's ``awards`` and ``progress``: shapes, permissions, queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from api.models import Scope
from api.services import api_token_create
from badges.models import Award, Badge
from badges.services.engine import badges_evaluate
from tests.conftest import login
from tests.factories import AgentFactory

from .helpers import NOW, at, badge, ingest

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_client(organization) -> Client:
    """A client of organization A holding a ``read`` token."""
    raw = api_token_create(organization=organization, name="intranet", scopes=Scope.READ).raw
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


@pytest.fixture
def plume(organization) -> Badge:
    return badge(
        organization,
        "plume",
        "activity_count",
        {"verbs": ["news_published"]},
        [("bronze", 1, 5), ("silver", 3, 10)],
    )


def _earn(organization, agent, count: int) -> list[str]:
    keys = [ingest(organization, agent, "news_published", at(10 - i)) for i in range(count)]
    badges_evaluate(organization=organization, now=NOW)
    return keys


def test_the_catalogue_lists_badges_with_tiers_and_rarity(api_client, organization, plume, agent):
    _earn(organization, agent, 1)
    AgentFactory(organization=organization)
    response = api_client.get("/api/v1/badges")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    (item,) = body["results"]
    assert item["code"] == "plume"
    assert item["category"] == "publishing"
    assert item["status"] == "active"
    assert item["revocable"] is False
    assert item["holders"] == 1
    assert item["share"] == 50.0
    bronze, silver = item["tiers"]
    assert {k: bronze[k] for k in ("tier", "threshold", "points", "holders", "share")} == {
        "tier": "bronze",
        "threshold": 1,
        "points": 5,
        "holders": 1,
        "share": 50.0,
    }
    assert silver["holders"] == 0
    assert bronze["image"].endswith("/badges/plume/bronze.svg")


def test_the_catalogue_filters_on_category_and_status(api_client, organization, plume):
    badge(
        organization,
        "coach",
        "activity_count",
        {"verbs": ["coaching_given"]},
        [("bronze", 1, 5)],
        category="mentoring",
    )
    Badge.objects.filter(code="plume").update(status="retired")

    def codes(**params) -> list[str]:
        response = api_client.get("/api/v1/badges", params)
        assert response.status_code == 200
        return [item["code"] for item in response.json()["results"]]

    assert codes() == ["coach"]
    assert codes(category="publishing") == []
    assert codes(status="retired") == ["plume"]


def test_an_unknown_filter_value_is_an_error_naming_it(api_client):
    response = api_client.get("/api/v1/badges", {"category": "cuisine", "status": "x"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert set(body["errors"]) == {"category", "status"}


def test_awards_come_with_code_tier_date_version_origin_and_activities(
    api_client, organization, plume, agent
):
    _earn(organization, agent, 3)
    response = api_client.get(f"/api/v1/agents/{agent.pk}/awards")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    by_tier = {item["tier"]: item for item in body["results"]}
    silver = by_tier["silver"]
    assert silver["code"] == "plume"
    assert silver["rule_version"] == 1
    assert silver["origin"] == "rule"
    assert silver["points"] == 10
    assert dt.datetime.fromisoformat(silver["awarded_at"]) == at(8)
    assert len(silver["activities"]) == 3
    activity = silver["activities"][0]
    assert set(activity) == {"id", "verb", "occurred_at", "object"}
    assert activity["verb"] == "news_published"
    assert activity["object"] == {"type": "news", "title": "Une actualité", "url": "https://x.fr/1"}
    assert [a["id"] for a in by_tier["bronze"]["activities"]] == [silver["activities"][0]["id"]]


def test_withdrawn_awards_are_not_listed(api_client, organization, plume, agent):
    _earn(organization, agent, 1)
    Award.objects.update(revoked_at=NOW, revoked_reason="Plus rempli.")
    assert api_client.get(f"/api/v1/agents/{agent.pk}/awards").json()["count"] == 0


def test_progress_gives_value_next_tier_threshold_and_explanation(
    api_client, organization, plume, agent, in_english
):
    _earn(organization, agent, 2)
    response = api_client.get(f"/api/v1/agents/{agent.pk}/progress")
    assert response.status_code == 200
    (item,) = response.json()["results"]
    assert item == {
        "code": "plume",
        "name": "plume",
        "value": 2,
        "held": ["bronze"],
        "next_tier": "silver",
        "threshold": 3,
        "percent": 66,
        "explanation": "2 of 3 activities",
    }


def test_an_agent_reads_their_own_awards_and_progress(organization, plume, agent):
    _earn(organization, agent, 1)
    client = login(agent)
    assert client.get(f"/api/v1/agents/{agent.pk}/awards").json()["count"] == 1
    assert client.get(f"/api/v1/agents/{agent.pk}/progress").status_code == 200


def test_a_manager_reads_the_awards_of_their_units_agents(organization, tree, plume, manager):
    below = AgentFactory(organization=organization, unit=tree.proprete)
    elsewhere = AgentFactory(organization=organization, unit=tree.culture)
    client = login(manager)
    assert client.get(f"/api/v1/agents/{below.pk}/awards").status_code == 200
    response = client.get(f"/api/v1/agents/{elsewhere.pk}/awards")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_an_agent_cannot_read_a_colleagues_awards(organization, tree, plume, agent):
    colleague = AgentFactory(organization=organization, unit=tree.espaces_verts)
    client = login(agent)
    assert client.get(f"/api/v1/agents/{colleague.pk}/awards").status_code == 403
    assert client.get(f"/api/v1/agents/{colleague.pk}/progress").status_code == 403


def test_another_organizations_agent_is_not_found(api_client, outsider, outsider_client, agent):
    for url in (f"/api/v1/agents/{outsider.pk}/awards", f"/api/v1/agents/{outsider.pk}/progress"):
        response = api_client.get(url)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    assert outsider_client.get(f"/api/v1/agents/{agent.pk}/awards").status_code == 404


def test_a_token_without_credentials_is_refused(client):
    assert client.get("/api/v1/badges").status_code in (401, 403)


@pytest.mark.parametrize("count", [1, 20])
def test_the_catalogue_api_takes_the_same_queries_whatever_the_number_of_badges(
    api_client, organization, agent, count, django_assert_num_queries
):
    for index in range(count):
        badge(
            organization,
            f"b{index:02d}",
            "activity_count",
            {"verbs": ["news_published"]},
            [("bronze", 1, 5)],
        )
    _earn(organization, agent, 1)
    # token lookup, its last use, count, page, present agents
    with django_assert_num_queries(5):
        response = api_client.get("/api/v1/badges")
    assert response.json()["count"] == count


@pytest.mark.parametrize("count", [1, 20])
def test_the_awards_api_takes_the_same_queries_whatever_the_number_of_awards(
    api_client, organization, agent, count, django_assert_num_queries
):
    for index in range(count):
        badge(
            organization,
            f"b{index:02d}",
            "activity_count",
            {"verbs": ["news_published"]},
            [("bronze", 1, 5)],
        )
    _earn(organization, agent, 1)
    # token lookup, its last use, the agent, count, page, activities
    with django_assert_num_queries(6):
        response = api_client.get(f"/api/v1/agents/{agent.pk}/awards")
    assert response.json()["count"] == count
