from __future__ import annotations

import pytest
from django.urls import reverse

from api.models import ApiToken
from api.services import api_token_create


@pytest.fixture
def created(organization):
    return api_token_create(organization=organization, name="intranet", scopes="read")


def test_the_admin_lists_tokens_by_prefix_never_the_secret(admin_client, created):
    response = admin_client.get(reverse("admin:api_apitoken_changelist"))
    assert response.status_code == 200
    content = response.content.decode()
    assert created.token.key_prefix in content
    assert created.raw not in content


def test_the_admin_change_page_shows_the_hash_read_only(admin_client, created):
    url = reverse("admin:api_apitoken_change", args=[created.token.pk])
    response = admin_client.get(url)
    assert response.status_code == 200
    content = response.content.decode()
    assert created.raw not in content
    assert 'name="key_hash"' not in content
    assert created.token.key_hash in content


def test_the_admin_cannot_create_a_token(admin_client, db):
    response = admin_client.get(reverse("admin:api_apitoken_add"))
    assert response.status_code == 403


def test_the_admin_refuses_an_unknown_scope(admin_client, created):
    url = reverse("admin:api_apitoken_change", args=[created.token.pk])
    response = admin_client.post(url, {"name": "intranet", "scopes": '["read", "root"]'})
    assert response.status_code == 200
    assert "root" in response.content.decode()
    assert ApiToken.objects.get().scopes == ["read"]


def test_the_admin_revokes_selected_tokens(admin_client, created):
    response = admin_client.post(
        reverse("admin:api_apitoken_changelist"),
        {"action": "revoke", "_selected_action": [created.token.pk]},
    )
    assert response.status_code == 302
    assert ApiToken.objects.get().revoked_at is not None
