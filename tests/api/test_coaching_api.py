"""``/api/v1/coaching-sessions``: log with a token or a session, read back without notes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from ambassadors.models import Activity, CoachingSession
from ambassadors.permissions import actor_for
from ambassadors.services.coaching import SessionData, coaching_session_create
from api.models import Scope
from tests.conftest import login
from tests.factories import AgentFactory

from .conftest import bearer_client

NOTE = "Confidentiel: a peur des tablettes"


def _when(**delta) -> str:
    return (timezone.now() - dt.timedelta(hours=1) + dt.timedelta(**delta)).isoformat()


@pytest.fixture
def coaching_client(organization, make_token):
    return bearer_client(make_token(organization, [Scope.READ, Scope.COACHING_WRITE]))


def _post(client, body):
    return client.post("/api/v1/coaching-sessions", body, content_type="application/json")


def test_a_token_logs_a_session_naming_the_coach_by_hr_id(coaching_client, ambassador, field_agent):
    response = _post(
        coaching_client,
        {
            "coach": ambassador.hr_id,
            "agents": [field_agent.hr_id],
            "occurred_at": _when(),
            "topics": ["login", "mobile_app"],
            "notes": NOTE,
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["coach"]["hr_id"] == ambassador.hr_id
    assert [a["hr_id"] for a in body["agents"]] == [field_agent.hr_id]
    assert body["topics"] == ["login", "mobile_app"]
    assert body["notes"] is None
    session = CoachingSession.objects.get()
    assert session.notes == NOTE
    assert Activity.objects.filter(source__code="relais").count() == 2


def test_a_token_without_the_coaching_scope_is_refused(api_client, ambassador, field_agent):
    response = _post(
        api_client,
        {"coach": ambassador.hr_id, "agents": [field_agent.hr_id], "occurred_at": _when()},
    )
    assert response.status_code == 403
    assert not CoachingSession.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"occurred_at": "FUTURE"}, "occurred_at"),
        ({"agents": ["SELF"]}, "agents"),
        ({"agents": ["NOPE-404"]}, "agents"),
        ({"topics": ["karaoke"]}, "topics"),
        ({"coach": "AGENT"}, "coach"),
        ({"agents": []}, "agents"),
    ],
)
def test_refusals_name_the_field(coaching_client, ambassador, agent, field_agent, change, field):
    body = {"coach": ambassador.hr_id, "agents": [field_agent.hr_id], "occurred_at": _when()}
    body.update(change)
    if body["occurred_at"] == "FUTURE":
        body["occurred_at"] = _when(days=2)
    body["agents"] = [ambassador.hr_id if a == "SELF" else a for a in body["agents"]]
    if body["coach"] == "AGENT":
        body["coach"] = agent.hr_id
    response = _post(coaching_client, body)
    assert response.status_code == 400, response.json()
    assert field in response.json()["errors"]
    assert not CoachingSession.objects.exists()


def test_a_token_must_name_the_coach(coaching_client, field_agent):
    response = _post(coaching_client, {"agents": [field_agent.hr_id], "occurred_at": _when()})
    assert response.status_code == 400
    assert "coach" in response.json()["errors"]


def test_an_ambassador_posts_with_their_session_and_is_the_coach(ambassador, field_agent):
    client = login(ambassador)
    response = _post(client, {"agents": [field_agent.hr_id], "occurred_at": _when(), "notes": NOTE})
    assert response.status_code == 201, response.json()
    assert response.json()["coach"]["id"] == ambassador.pk
    assert response.json()["notes"] == NOTE


def test_a_plain_agent_cannot_post(agent, field_agent):
    response = _post(login(agent), {"agents": [field_agent.hr_id], "occurred_at": _when()})
    assert response.status_code == 403


def _session(ambassador, agents):
    return coaching_session_create(
        organization=ambassador.organization,
        data=SessionData(
            coach=ambassador,
            agents=agents,
            occurred_at=timezone.now() - dt.timedelta(hours=1),
            notes=NOTE,
        ),
        actor=actor_for(ambassador.organization, ambassador),
    )


def test_notes_are_never_read_by_tokens_nor_by_others(
    api_client, ambassador, comms, agent, manager, field_agent
):
    session = _session(ambassador, [agent, field_agent])
    url = f"/api/v1/coaching-sessions/{session.pk}"
    assert api_client.get(url).json()["notes"] is None
    assert api_client.get("/api/v1/coaching-sessions").json()["results"][0]["notes"] is None
    assert login(ambassador).get(url).json()["notes"] == NOTE
    assert login(comms).get(url).json()["notes"] == NOTE
    for person in (agent, manager):
        response = login(person).get(url)
        assert response.status_code == 200
        assert response.json()["notes"] is None
        assert NOTE not in response.content.decode()


def test_a_stranger_gets_404_on_a_session(organization, tree, ambassador, field_agent):
    from tests.factories import UserFactory

    session = _session(ambassador, [field_agent])
    stranger = AgentFactory(
        organization=organization, unit=tree.culture, user=UserFactory(username="stranger")
    )
    response = login(stranger).get(f"/api/v1/coaching-sessions/{session.pk}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_another_organizations_token_gets_404(
    make_token, other_organization, ambassador, field_agent
):
    session = _session(ambassador, [field_agent])
    client = bearer_client(make_token(other_organization, Scope.READ))
    assert client.get(f"/api/v1/coaching-sessions/{session.pk}").status_code == 404
    assert client.get("/api/v1/coaching-sessions").json()["count"] == 0


@pytest.mark.parametrize("rows", [1, 20])
def test_the_list_takes_the_same_queries_for_1_or_20_sessions(
    api_client, ambassador, organization, tree, rows, django_assert_num_queries
):
    for _ in range(rows):
        _session(ambassador, [AgentFactory(organization=organization, unit=tree.culture)])
    # the token, its last use (first call), count, sessions with their coaches, participants
    # with their agents, topics
    with django_assert_num_queries(6):
        response = api_client.get("/api/v1/coaching-sessions")
    assert response.json()["count"] == rows
    assert len(response.json()["results"]) == rows


def test_the_schema_documents_the_coaching_endpoints(api_client):
    schema = api_client.get("/api/v1/schema/?format=json").json()
    paths = schema["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/coaching-sessions"])
    assert "get" in paths["/api/v1/coaching-sessions/{session_id}"]
    assert "CoachingSessionInputRequest" in schema["components"]["schemas"]
