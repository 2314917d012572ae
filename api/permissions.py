"""Who may call an endpoint: token scopes for integrations, roles for people.

A view declares ``required_scope`` (for tokens; GET, HEAD and OPTIONS need ``read``)
and ``required_action`` (for people signed in with a session, checked against the
permission matrix in ``ambassadors.permissions``). Either may be None: None for the
action means any member of the organization; None for the scope on a write means tokens
cannot call it.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from ambassadors.models import Agent, OrgUnit
from ambassadors.permissions import Action, actor_for_request

from .authentication import TokenUser
from .models import Scope


class HasScope(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if user is None or not user.is_authenticated:
            raise exceptions.NotAuthenticated()
        if getattr(request._request, "organization", None) is None:
            raise exceptions.PermissionDenied(_("This account belongs to no organization."))
        if not hasattr(view, (request.method or "").lower()):
            # A method the view does not handle: let the view answer 405, not 403.
            return True
        if isinstance(user, TokenUser):
            needed = (
                Scope.READ.value
                if request.method in SAFE_METHODS
                else getattr(view, "required_scope", None)
            )
            if needed is None or not user.token.has_scope(needed):
                raise exceptions.PermissionDenied(
                    _("This token lacks the scope “%(scope)s”.") % {"scope": needed or "—"}
                )
            return True
        action = getattr(view, "required_action", None)
        if action is None:
            return True
        actor = actor_for_request(request._request)
        if actor is None or not actor.can(action):
            raise exceptions.PermissionDenied(_("Your role does not allow this."))
        return True


def is_token_request(request: Request) -> bool:
    return isinstance(request.user, TokenUser)


def units_filter(request: Request, action: Action) -> Q | None:
    """What a list may show: tokens read their whole organization (the scope decides);
    people see as far as their roles reach for ``action`` (None: the whole organization)."""
    if is_token_request(request):
        return None
    actor = actor_for_request(request._request)
    if actor is None:
        return Q(pk__in=[])
    return actor.units_q(action)


def check_object_action(request: Request, action: Action, target: Agent | OrgUnit) -> None:
    """Raise 403 when a person's roles do not reach ``target`` (already found in their
    organization, so its existence is no secret there)."""
    if is_token_request(request):
        return
    actor = actor_for_request(request._request)
    if actor is None or not actor.can(action, target):
        raise exceptions.PermissionDenied(_("Your role does not allow this."))
