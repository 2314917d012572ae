"""API tokens: each bound to one organization and a set of scopes, stored hashed."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ambassadors.models import Organization, OrgScopedManager


class Scope(models.TextChoices):
    READ = "read", _("Read everything (every GET)")
    DIRECTORY_WRITE = "directory:write", _("Import the staff directory")
    ACTIVITIES_WRITE = "activities:write", _("Send intranet activities")
    COACHING_WRITE = "coaching:write", _("Log coaching sessions")


TOKEN_PREFIX = "rls_"


def hash_token(raw: str) -> str:
    # Tokens are 256-bit random strings: a fast hash is enough, no need for a slow KDF.
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    key_prefix = models.CharField(max_length=12, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    scopes = models.JSONField(_("scopes"), default=list)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OrgScopedManager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    @property
    def is_usable(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes
