"""Which organization a request acts for, decided in one place.

A page request acts for the organization of the logged-in user's agent; an API request
authenticated by a token acts for the token's organization (set by the authentication
class, see ``api.authentication``). Every selector and service takes that organization and
reads through ``Model.objects.for_org(...)``; objects of another organization are simply
not found (404), never forbidden (403), so their existence is not disclosed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from .models import Agent, Organization


def agent_for_user(user: Any) -> Agent | None:
    if not getattr(user, "is_authenticated", False) or not getattr(user, "pk", None):
        return None
    return Agent.objects.select_related("organization").filter(user=user).first()


class OrganizationMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # One query per request: the agent (and its organization) is kept for the actor.
        agent = agent_for_user(request.user)
        request.agent = agent  # type: ignore[attr-defined]
        request.organization = agent.organization if agent else None  # type: ignore[attr-defined]
        return self.get_response(request)


def request_organization(request: Any) -> Organization:
    organization = getattr(request, "organization", None)
    if organization is None:
        raise Http404("No organization for this request")
    return organization


def get_scoped_or_404(model: Any, organization: Organization, **lookup: Any) -> Any:
    return get_object_or_404(model.objects.for_org(organization), **lookup)
