"""API fixtures: tokens of organization A (``ville-a``) and clients that send them."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from ambassadors.models import Organization
from api.models import Scope
from api.services import api_token_create


def bearer_client(raw_token: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw_token}")


@pytest.fixture
def make_token(db) -> Callable[..., str]:
    def make(organization: Organization, scopes: str = "read", **kwargs) -> str:
        return api_token_create(
            organization=organization, name="intranet", scopes=scopes, **kwargs
        ).raw

    return make


@pytest.fixture
def read_token(organization, make_token) -> str:
    return make_token(organization, Scope.READ)


@pytest.fixture
def api_client(read_token) -> Client:
    """A client of organization A holding a ``read`` token."""
    return bearer_client(read_token)
