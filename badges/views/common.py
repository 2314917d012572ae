"""What every badges page shares: the actor, the badge by code, error lists for forms."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _

from ambassadors.permissions import Action, Actor, actor_for_request
from badges.models import Badge
from badges.selectors import badge_get


def actor_or_404(request: HttpRequest) -> Actor:
    actor = actor_for_request(request)
    if actor is None:
        raise Http404("No organization for this request")
    return actor


def require(actor: Actor, action: Action) -> None:
    """Refuse a page the role does not open (403: the badges themselves are no secret)."""
    if not actor.can(action):
        raise PermissionDenied(_("Your role does not allow this."))


def badge_or_404(actor: Actor, code: str) -> Badge:
    badge = badge_get(organization=actor.organization, code=code)
    if badge is None:
        raise Http404("No such badge")
    return badge


def error_list(
    errors: Mapping[str, Sequence[Any]], labels: Mapping[str, Any]
) -> list[tuple[str, str, str]]:
    """(field, label, message) for the error summary: each links to its field."""
    return [
        (name, str(labels.get(name, name)), str(message))
        for name, messages in errors.items()
        for message in messages
    ]


def domain_errors(extra: Any, message: str, default_field: str = "__all__") -> dict[str, list[str]]:
    """A domain error's ``extra`` as {field: [messages]}, else its message alone."""
    if isinstance(extra, dict) and extra:
        return {
            str(name): [str(m) for m in (msgs if isinstance(msgs, list | tuple) else [msgs])]
            for name, msgs in extra.items()
        }
    return {default_field: [message]}
