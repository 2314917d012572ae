"""``create_organization``, ``create_api_token`` and ``revoke_api_token``."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from ambassadors.models import Organization
from api.models import ApiToken, Scope, hash_token

from .conftest import bearer_client


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_creates_an_empty_organization(db):
    out, _ = run("create_organization", "valmont", "--name", "Ville de Valmont")
    organization = Organization.objects.get(slug="valmont")
    assert organization.name == "Ville de Valmont"
    assert organization.timezone == "Europe/Paris"
    assert organization.language == "fr"
    assert not organization.units.exists()
    assert not organization.agents.exists()
    assert "valmont" in out


def test_it_creates_an_organization_with_a_timezone_and_language(db):
    run(
        "create_organization",
        "saint-denis",
        "--name",
        "Saint-Denis (La Réunion)",
        "--timezone",
        "Indian/Reunion",
        "--language",
        "en",
    )
    organization = Organization.objects.get(slug="saint-denis")
    assert (organization.timezone, organization.language) == ("Indian/Reunion", "en")


def test_it_refuses_a_slug_that_exists(organization):
    with pytest.raises(CommandError, match="ville-a"):
        run("create_organization", "ville-a", "--name", "Autre")
    assert Organization.objects.get(slug="ville-a").name == "Ville A"


@pytest.mark.parametrize("slug", ["ville a", "Ville-A", "ville/a", "é" * 3])
def test_it_refuses_an_invalid_slug_and_names_it(db, slug):
    with pytest.raises(CommandError, match=slug):
        run("create_organization", slug, "--name", "Ville")
    assert not Organization.objects.exists()


def test_it_refuses_a_slug_over_60_characters(db):
    with pytest.raises(CommandError, match="60"):
        run("create_organization", "x" * 61, "--name", "Ville")
    assert not Organization.objects.exists()


def test_it_refuses_an_unknown_timezone(db):
    with pytest.raises(CommandError, match="Europe/Pariss"):
        run("create_organization", "v", "--name", "V", "--timezone", "Europe/Pariss")
    assert not Organization.objects.exists()


def test_it_prints_a_working_token_once_and_stores_only_its_hash(organization):
    out, err = run(
        "create_api_token",
        "--organization",
        "ville-a",
        "--name",
        "intranet",
        "--scopes",
        "read,activities:write",
    )
    raw = out.strip()
    assert raw.startswith("rls_")
    assert raw not in err
    token = ApiToken.objects.get()
    assert token.organization == organization
    assert token.key_hash == hash_token(raw)
    assert token.scopes == ["activities:write", "read"]
    assert token.expires_at is None
    assert "intranet" in err
    assert bearer_client(raw).get("/api/v1/agents").status_code == 200


def test_it_sets_the_expiry(organization):
    run(
        "create_api_token",
        "--organization=ville-a",
        "--name=x",
        "--scopes=read",
        "--expires-in-days=7",
    )
    assert ApiToken.objects.get().expires_at is not None


def test_it_refuses_an_unknown_scope_and_lists_the_valid_ones(organization):
    with pytest.raises(CommandError) as excinfo:
        run("create_api_token", "--organization=ville-a", "--name=x", "--scopes=read,admin")
    message = str(excinfo.value)
    assert "admin" in message
    assert all(scope in message for scope in Scope.values)
    assert not ApiToken.objects.exists()


def test_it_refuses_an_unknown_organization(db):
    with pytest.raises(CommandError, match="nowhere"):
        run("create_api_token", "--organization=nowhere", "--name=x", "--scopes=read")


def test_revoking_by_prefix_stops_the_token(organization):
    out, _ = run("create_api_token", "--organization=ville-a", "--name=x", "--scopes=read")
    raw = out.strip()
    run("revoke_api_token", "--organization=ville-a", raw[:12])
    assert ApiToken.objects.get().revoked_at is not None
    assert bearer_client(raw).get("/api/v1/agents").status_code == 401


def test_revoking_needs_the_tokens_own_organization(organization, other_organization):
    out, _ = run("create_api_token", "--organization=ville-a", "--name=x", "--scopes=read")
    with pytest.raises(CommandError):
        run("revoke_api_token", "--organization=ville-b", out.strip()[:12])
    assert ApiToken.objects.get().revoked_at is None
