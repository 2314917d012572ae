"""``/api/v1/activities``: ingestion, retraction, signatures, scopes and tenancy."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest

from ambassadors.models import Activity, ActivitySource
from ambassadors.services.ledger import activities_ingest
from api.models import Scope
from tests.conftest import login
from tests.factories import AgentFactory

from .conftest import bearer_client

URL = "/api/v1/activities"
RETRACT_URL = "/api/v1/activities/retractions"
SECRET = "s3cret-signing-key"


pytestmark = pytest.mark.usefixtures("in_english")


def item(agent, external_id="news-1", **extra):
    body = {
        "external_id": external_id,
        "verb": "news_published",
        "agent": agent.hr_id,
        "occurred_at": "2026-03-02T09:30:00+01:00",
        "object": {
            "type": "news",
            "title": "Le marché de Noël ouvre samedi",
            "url": "https://intranet.ville-a.fr/actualites/marche-de-noel",
        },
    }
    body.update(extra)
    return body


def post(client, payload, *, raw: bytes | None = None, **headers):
    body = raw if raw is not None else json.dumps(payload).encode()
    return client.post(URL, data=body, content_type="application/json", headers=headers)


def signed_headers(body: bytes, *, secret: str = SECRET, at: int | None = None) -> dict[str, str]:
    timestamp = str(int(time.time()) if at is None else at)
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return {
        "X-Relais-Timestamp": timestamp,
        "X-Relais-Signature": f"sha256={digest.hexdigest()}",
    }


@pytest.fixture
def writer(organization, make_token):
    return bearer_client(make_token(organization, "read,activities:write"))


def test_it_ingests_one_object_and_reports_it(writer, agent):
    response = post(writer, item(agent))

    assert response.status_code == 200
    assert response.json() == {
        "accepted": 1,
        "duplicates": 0,
        "rejected": 0,
        "results": [{"index": 0, "status": "accepted", "errors": {}}],
    }
    assert Activity.objects.get().agent == agent


def test_it_ingests_a_list_keeping_good_items_and_reporting_bad_ones(writer, agent):
    response = post(
        writer,
        [item(agent, "a"), item(agent, "b", verb="news_liked"), item(agent, "a")],
    )

    body = response.json()
    assert response.status_code == 200
    assert (body["accepted"], body["duplicates"], body["rejected"]) == (1, 1, 1)
    assert body["results"][1]["errors"] == {"verb": ["Unknown verb “news_liked”."]}
    assert list(Activity.objects.values_list("external_id", flat=True)) == ["a"]


def test_resending_the_same_list_stores_nothing_new(writer, agent):
    payload = [item(agent, f"n-{i}") for i in range(3)]
    post(writer, payload)

    body = post(writer, payload).json()

    assert (body["accepted"], body["duplicates"]) == (0, 3)
    assert Activity.objects.count() == 3


@pytest.mark.parametrize(
    ("raw", "code", "fragment"),
    [
        (b"", "parse_error", "empty"),
        (b"{not json", "parse_error", "not valid JSON"),
        (b"\xff\xfe\x00garbage", "parse_error", "JSON"),
        (b'"a string"', "invalid", "not a string"),
        (b"42", "invalid", "not a number"),
        (b"null", "invalid", "not a null"),
    ],
)
def test_a_body_that_is_not_an_object_or_list_is_a_400(writer, agent, raw, code, fragment):
    response = post(writer, None, raw=raw)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == code
    assert fragment in body["message"]
    assert not Activity.objects.exists()


def test_a_list_over_5000_items_is_a_400(writer, agent):
    response = post(writer, [item(agent, f"n-{i}") for i in range(5001)])

    assert response.status_code == 400
    assert response.json()["code"] == "too_many_items"
    assert "5001" in response.json()["message"]
    assert not Activity.objects.exists()


def test_a_read_only_token_cannot_write(api_client, agent):
    response = post(api_client, item(agent))

    assert response.status_code == 403
    assert "activities:write" in response.json()["message"]
    assert not Activity.objects.exists()


def test_another_organizations_token_writes_only_to_its_own_organization(
    other_organization, outsider, agent, make_token
):
    client = bearer_client(make_token(other_organization, "activities:write"))

    body = post(client, [item(agent), item(outsider, "o-1")]).json()

    assert body["results"][0]["errors"] == {"agent": [f"Unknown agent (HR id “{agent.hr_id}”)."]}
    assert body["results"][1]["status"] == "accepted"
    assert Activity.objects.for_org(other_organization).count() == 1
    assert not Activity.objects.filter(agent=agent).exists()


def test_another_organizations_token_cannot_read_or_retract_here(
    organization, other_organization, agent, make_token
):
    activities_ingest(organization=organization, items=[item(agent)])
    client = bearer_client(make_token(other_organization, "read,activities:write"))

    listed = client.get(URL).json()
    retracted = client.post(
        RETRACT_URL, {"external_ids": ["news-1"]}, content_type="application/json"
    ).json()

    assert listed["count"] == 0
    assert retracted["results"][0]["status"] == "not_found"
    assert Activity.objects.get().retracted_at is None


def test_comms_can_post_with_a_session_but_an_agent_cannot(comms, agent):
    assert post(login(comms), item(agent)).status_code == 200
    assert post(login(agent), item(agent, "other")).status_code == 403


def test_the_source_header_picks_a_source_created_on_first_use(writer, organization, agent):
    post(writer, item(agent))

    body = post(writer, item(agent), **{"X-Relais-Source": "sharepoint"}).json()

    assert body["accepted"] == 1
    assert sorted(ActivitySource.objects.for_org(organization).values_list("code", flat=True)) == [
        "intranet",
        "sharepoint",
    ]


def test_an_invalid_source_code_is_a_400(writer, agent):
    response = post(writer, item(agent), **{"X-Relais-Source": "mon intranet"})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_source"


@pytest.fixture
def signed_source(organization):
    return ActivitySource.objects.create(
        organization=organization, code="intranet", name="Intranet", signing_secret=SECRET
    )


def test_a_correctly_signed_request_is_accepted(writer, agent, signed_source):
    body = json.dumps(item(agent)).encode()

    response = post(writer, None, raw=body, **signed_headers(body))

    assert response.status_code == 200
    assert response.json()["accepted"] == 1


@pytest.mark.parametrize(
    ("tamper", "code"),
    [
        ("missing", "bad_signature"),
        ("wrong_secret", "bad_signature"),
        ("body_changed", "bad_signature"),
        ("stale", "stale_signature"),
        ("not_a_number", "bad_signature"),
    ],
)
def test_a_bad_or_stale_signature_is_refused_when_the_source_requires_one(
    writer, agent, signed_source, tamper, code
):
    body = json.dumps(item(agent)).encode()
    headers = signed_headers(body)
    if tamper == "missing":
        headers = {}
    elif tamper == "wrong_secret":
        headers = signed_headers(body, secret="guess")
    elif tamper == "body_changed":
        body = json.dumps(item(agent, "other")).encode()
    elif tamper == "stale":
        headers = signed_headers(body, at=int(time.time()) - 301)
    elif tamper == "not_a_number":
        headers["X-Relais-Timestamp"] = "yesterday"

    response = post(writer, None, raw=body, **headers)

    assert response.status_code == 401
    assert response.json()["code"] == code
    assert not Activity.objects.exists()


def test_a_signed_organization_refuses_a_new_unsigned_source(writer, agent, signed_source):
    response = post(writer, item(agent), **{"X-Relais-Source": "sneaky"})

    assert response.status_code == 400
    assert response.json()["code"] == "unknown_source"
    assert not Activity.objects.exists()


def test_retractions_are_reported_per_id_and_set_once(writer, agent):
    post(writer, [item(agent, "a"), item(agent, "b")])

    first = writer.post(
        RETRACT_URL,
        {"external_ids": ["a", "missing"], "reason": "Actualité dépubliée"},
        content_type="application/json",
    )
    again = writer.post(RETRACT_URL, {"external_ids": ["a"]}, content_type="application/json")

    assert first.status_code == 200
    assert [r["status"] for r in first.json()["results"]] == ["retracted", "not_found"]
    assert again.json()["results"][0]["status"] == "already_retracted"
    retracted = Activity.objects.get(external_id="a")
    assert retracted.retraction.reason == "Actualité dépubliée"
    listed = {r["external_id"]: r for r in writer.get(URL).json()["results"]}
    assert listed["a"]["retraction_reason"] == "Actualité dépubliée"
    assert listed["a"]["retracted_at"] is not None
    assert (listed["b"]["retracted_at"], listed["b"]["retraction_reason"]) == (None, None)
    assert Activity.objects.get(external_id="b").retracted_at is None


def test_a_retraction_for_a_signed_source_must_be_signed(writer, agent, signed_source):
    activities_ingest(organization=agent.organization, items=[item(agent)])

    response = writer.post(
        RETRACT_URL, {"external_ids": ["news-1"]}, content_type="application/json"
    )

    assert response.status_code == 401
    assert Activity.objects.get().retracted_at is None


def test_a_retraction_body_without_ids_is_a_400(writer):
    response = writer.post(RETRACT_URL, {"reason": "x"}, content_type="application/json")

    assert response.status_code == 400
    assert "external_ids" in response.json()["errors"]


def test_it_lists_activities_filtered_by_agent_verb_and_since(api_client, organization, agent):
    other = AgentFactory(organization=organization)
    activities_ingest(
        organization=organization,
        items=[
            item(agent, "old", occurred_at="2025-01-01T10:00:00+01:00"),
            item(agent, "new"),
            item(agent, "tour", verb="welcome_tour_completed"),
            item(other, "someone-else"),
        ],
    )

    def ids(**params):
        response = api_client.get(URL, params)
        assert response.status_code == 200
        return sorted(r["external_id"] for r in response.json()["results"])

    assert ids() == ["new", "old", "someone-else", "tour"]
    assert ids(agent=agent.hr_id) == ["new", "old", "tour"]
    assert ids(agent=agent.hr_id, verb="news_published") == ["new", "old"]
    assert ids(agent=agent.hr_id, since="2026-01-01T00:00:00+01:00") == ["new", "tour"]
    (first,) = api_client.get(URL, {"verb": "welcome_tour_completed"}).json()["results"]
    assert first["agent"] == agent.hr_id
    assert first["source"] == "intranet"
    assert first["object"]["title"] == "Le marché de Noël ouvre samedi"


@pytest.mark.parametrize("count", [1, 20])
def test_listing_activities_takes_a_constant_number_of_queries(
    api_client, organization, tree, count, django_assert_num_queries
):
    agents = AgentFactory.create_batch(count, organization=organization, unit=tree.voirie)
    activities_ingest(
        organization=organization, items=[item(a, f"n-{i}") for i, a in enumerate(agents)]
    )

    # token, token last-used update, count, page
    with django_assert_num_queries(4):
        response = api_client.get(URL)

    assert response.json()["count"] == count


def test_a_person_sees_the_activities_of_the_services_their_role_reaches(
    organization, tree, manager, agent, ambassador
):
    in_voirie = AgentFactory(organization=organization, unit=tree.proprete)
    activities_ingest(
        organization=organization,
        items=[item(in_voirie, "voirie"), item(agent, "espaces-verts"), item(agent, "mine")],
    )

    as_manager = login(manager).get(URL).json()
    as_agent = login(agent).get(URL).json()

    assert [r["external_id"] for r in as_manager["results"]] == ["voirie"]
    assert sorted(r["external_id"] for r in as_agent["results"]) == ["espaces-verts", "mine"]


def test_the_schema_documents_the_activity_endpoints(api_client):
    response = api_client.get("/api/v1/schema/", {"format": "json"})

    schema = response.json()
    post_op = schema["paths"]["/api/v1/activities"]["post"]
    ref = post_op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    one_or_list = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]["oneOf"]
    assert one_or_list[0] == {"$ref": "#/components/schemas/ActivityInputRequest"}
    assert one_or_list[1]["type"] == "array"
    assert "5,000" in post_op["description"]
    assert {p["name"] for p in post_op["parameters"]} >= {
        "X-Relais-Signature",
        "X-Relais-Timestamp",
        "X-Relais-Source",
    }
    assert "/api/v1/activities/retractions" in schema["paths"]
    assert Scope.ACTIVITIES_WRITE.value in post_op["description"]
