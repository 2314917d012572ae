"""Writes on API tokens. The raw token exists only in the return value of ``api_token_create``."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ambassadors.errors import DomainError
from ambassadors.models import Organization

from .models import TOKEN_PREFIX, ApiToken, Scope, hash_token

KEY_PREFIX_LENGTH = 12  # "rls_" and 8 random characters: enough to tell tokens apart.


@dataclass(frozen=True)
class CreatedToken:
    token: ApiToken
    raw: str  # shown once to whoever created the token, never stored


def parse_scopes(scopes: str | Iterable[str]) -> list[str]:
    """``"read,activities:write"`` or an iterable of scopes → a sorted list of known scopes."""
    items = scopes.split(",") if isinstance(scopes, str) else list(scopes)
    wanted = sorted({item.strip() for item in items if item.strip()})
    valid = Scope.values
    unknown = [scope for scope in wanted if scope not in valid]
    if unknown:
        raise DomainError(
            _("Unknown scope: %(unknown)s. Valid scopes: %(valid)s.")
            % {"unknown": ", ".join(unknown), "valid": ", ".join(valid)},
            code="unknown_scope",
            extra={"scopes": unknown},
        )
    if not wanted:
        raise DomainError(
            _("A token needs at least one scope. Valid scopes: %(valid)s.")
            % {"valid": ", ".join(valid)},
            code="no_scope",
        )
    return wanted


@transaction.atomic
def api_token_create(
    *,
    organization: Organization,
    name: str,
    scopes: str | Iterable[str],
    expires_in_days: int | None = None,
    created_by: Any = None,
) -> CreatedToken:
    name = name.strip()
    if not name:
        raise DomainError(_("The token needs a name."), code="invalid_name")
    max_length = ApiToken._meta.get_field("name").max_length
    if max_length is not None and len(name) > max_length:
        raise DomainError(
            _("The token name is too long (%(max)d characters at most).") % {"max": max_length},
            code="invalid_name",
        )
    scope_list = parse_scopes(scopes)
    expires_at = None
    if expires_in_days is not None:
        if expires_in_days < 1:
            raise DomainError(
                _("The expiry must be at least one day, not %(days)d.") % {"days": expires_in_days},
                code="invalid_expiry",
            )
        expires_at = timezone.now() + timedelta(days=expires_in_days)
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        organization=organization,
        name=name,
        key_prefix=raw[:KEY_PREFIX_LENGTH],
        key_hash=hash_token(raw),
        scopes=scope_list,
        expires_at=expires_at,
        created_by=created_by if getattr(created_by, "pk", None) else None,
    )
    return CreatedToken(token=token, raw=raw)


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> ApiToken:
    """Revoke a token; revoking twice keeps the first revocation time."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token
