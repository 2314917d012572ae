from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from ambassadors.errors import DomainError
from api.models import ApiToken, Scope, hash_token
from api.services import api_token_create, api_token_revoke

from .conftest import bearer_client

AGENTS_URL = "/api/v1/agents"


def test_a_token_is_stored_hashed_with_a_display_prefix(organization):
    created = api_token_create(organization=organization, name="intranet", scopes="read")
    assert created.raw.startswith("rls_")
    assert len(created.raw) == len("rls_") + 43  # token_urlsafe(32): 43 characters
    token = ApiToken.objects.get()
    assert token.key_hash == hash_token(created.raw)
    assert token.key_prefix == created.raw[:12]
    assert created.raw not in {token.key_hash, token.key_prefix, token.name, str(token.scopes)}


def test_two_tokens_never_share_a_secret(organization):
    first = api_token_create(organization=organization, name="a", scopes="read")
    second = api_token_create(organization=organization, name="b", scopes="read")
    assert first.raw != second.raw


def test_scopes_are_parsed_deduplicated_and_sorted(organization):
    created = api_token_create(
        organization=organization, name="x", scopes=" read,activities:write,read ,"
    )
    assert created.token.scopes == ["activities:write", "read"]


def test_an_unknown_scope_is_refused_with_the_list_of_valid_ones(organization):
    with pytest.raises(DomainError) as excinfo:
        api_token_create(organization=organization, name="x", scopes="read,write:all")
    assert excinfo.value.code == "unknown_scope"
    assert "write:all" in excinfo.value.message
    for scope in Scope.values:
        assert scope in excinfo.value.message
    assert not ApiToken.objects.exists()


def test_a_token_needs_a_scope_and_a_name(organization):
    with pytest.raises(DomainError) as no_scope:
        api_token_create(organization=organization, name="x", scopes=" , ")
    assert no_scope.value.code == "no_scope"
    with pytest.raises(DomainError) as no_name:
        api_token_create(organization=organization, name="  ", scopes="read")
    assert no_name.value.code == "invalid_name"


def test_an_expiry_is_counted_in_days_from_now(organization):
    before = timezone.now()
    token = api_token_create(
        organization=organization, name="x", scopes="read", expires_in_days=30
    ).token
    assert before + datetime.timedelta(days=30) <= token.expires_at
    assert token.expires_at <= timezone.now() + datetime.timedelta(days=30)
    with pytest.raises(DomainError) as excinfo:
        api_token_create(organization=organization, name="x", scopes="read", expires_in_days=0)
    assert excinfo.value.code == "invalid_expiry"


def test_a_valid_token_authenticates_and_records_its_use(organization, read_token):
    response = bearer_client(read_token).get(AGENTS_URL)
    assert response.status_code == 200
    assert ApiToken.objects.get().last_used_at is not None


@pytest.mark.parametrize(
    "header",
    ["Bearer rls_not-a-token", "Bearer", "Bearer two words", "bearer rls_unknown"],
)
def test_an_unknown_or_malformed_token_is_401(organization, header):
    response = bearer_client("").get(AGENTS_URL, HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_revoked_token_is_401(organization, make_token):
    raw = make_token(organization)
    api_token_revoke(token=ApiToken.objects.get())
    response = bearer_client(raw).get(AGENTS_URL)
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_revoking_twice_keeps_the_first_time(organization, make_token):
    make_token(organization)
    token = api_token_revoke(token=ApiToken.objects.get())
    first = token.revoked_at
    assert api_token_revoke(token=ApiToken.objects.get()).revoked_at == first


def test_an_expired_token_is_401(organization, make_token):
    raw = make_token(organization, expires_in_days=1)
    ApiToken.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    response = bearer_client(raw).get(AGENTS_URL)
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_a_token_not_yet_expired_works(organization, make_token):
    raw = make_token(organization, expires_in_days=1)
    assert bearer_client(raw).get(AGENTS_URL).status_code == 200


def test_no_credentials_is_401(db):
    response = bearer_client("").get(AGENTS_URL, HTTP_AUTHORIZATION="")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize("url", [AGENTS_URL, "/api/v1/units"])
def test_a_token_without_the_read_scope_cannot_get(organization, make_token, url):
    raw = make_token(organization, "activities:write,coaching:write")
    response = bearer_client(raw).get(url)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert "read" in response.json()["message"]


def test_a_session_user_without_an_organization_is_403(db, client, django_user_model):
    django_user_model.objects.create_user(username="nobody", password="x-pass-123")
    client.login(username="nobody", password="x-pass-123")
    response = client.get(AGENTS_URL)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
