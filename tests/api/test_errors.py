"""Every API error has one shape: ``{"code", "message", "errors"?}``."""

from __future__ import annotations

import pytest
from django.test import Client

from .conftest import bearer_client

errors_urls = pytest.mark.urls("tests.api.urls_errors")


def assert_error_shape(response, status: int, code: str) -> dict:
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["code"] == code
    assert isinstance(body["message"], str)
    assert body["message"]
    assert set(body) <= {"code", "message", "errors"}
    return body


def test_400_names_the_invalid_query_parameter(api_client):
    body = assert_error_shape(api_client.get("/api/v1/agents", {"unit": "x"}), 400, "invalid")
    assert set(body["errors"]) == {"unit"}


@errors_urls
def test_400_names_every_invalid_field_of_a_body(db):
    response = Client().post(
        "/api/v1/test/echo", {"hr_id": "TOO-LONG", "hours": -1}, content_type="application/json"
    )
    body = assert_error_shape(response, 400, "invalid")
    assert set(body["errors"]) == {"hr_id", "hours"}
    assert all(isinstance(messages, list) for messages in body["errors"].values())


@errors_urls
def test_400_for_a_body_that_is_not_json(db):
    response = Client().post("/api/v1/test/echo", "{not json", content_type="application/json")
    assert_error_shape(response, 400, "parse_error")


@errors_urls
def test_400_for_a_body_that_is_not_an_object(db):
    response = Client().post("/api/v1/test/echo", "[1, 2]", content_type="application/json")
    body = assert_error_shape(response, 400, "invalid")
    assert "non_field_errors" in body["errors"]


def test_401_without_credentials(db):
    response = Client().get("/api/v1/units")
    assert_error_shape(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_401_for_an_unknown_token(db):
    assert_error_shape(bearer_client("rls_nope").get("/api/v1/units"), 401, "authentication_failed")


def test_403_for_a_token_without_the_scope(organization, make_token):
    client = bearer_client(make_token(organization, "coaching:write"))
    assert_error_shape(client.get("/api/v1/units"), 403, "permission_denied")


def test_404_for_an_object_not_found(api_client):
    assert_error_shape(api_client.get("/api/v1/units/999999"), 404, "not_found")


@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete"])
@pytest.mark.parametrize("path", ["nope", "agents/", "agents/abc", "v2/agents", ""])
def test_404_for_any_unmatched_url_under_the_api(api_client, method, path):
    response = getattr(api_client, method)(f"/api/v1/{path}")
    assert_error_shape(response, 404, "not_found")


def test_404_for_unmatched_urls_without_credentials_too(db):
    assert_error_shape(Client().post("/api/v1/nothing/here"), 404, "not_found")


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_405_for_a_method_the_endpoint_does_not_take(api_client, method):
    response = getattr(api_client, method)("/api/v1/agents")
    assert_error_shape(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]


def test_405_for_a_signed_in_person_too(comms_client):
    assert_error_shape(comms_client.delete("/api/v1/units"), 405, "method_not_allowed")


@errors_urls
def test_415_for_a_body_of_an_unsupported_type(db):
    response = Client().post("/api/v1/test/echo", "hr_id=A", content_type="text/plain")
    assert_error_shape(response, 415, "unsupported_media_type")


@errors_urls
@pytest.mark.parametrize("status", [409, 500, 503])
def test_a_domain_error_keeps_its_status_code_and_extra(db, status):
    response = Client().get(f"/api/v1/test/domain/{status}")
    body = assert_error_shape(response, status, "engine_busy")
    assert body["message"] == "The engine is busy."
    assert body["errors"] == {"retry_after": [30]}
