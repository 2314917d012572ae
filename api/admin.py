from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ambassadors.errors import DomainError

from .models import ApiToken
from .services import api_token_revoke, parse_scopes


class ApiTokenForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ["name", "scopes", "expires_at", "revoked_at"]

    def clean_scopes(self) -> list[str]:
        scopes = self.cleaned_data["scopes"]
        if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
            raise forms.ValidationError(_('A list of scopes, e.g. ["read"].'))
        try:
            return parse_scopes(scopes)
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from exc


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are created with ``manage.py create_api_token``, which prints them once.

    The admin can rename, re-scope, set an expiry or revoke; it never shows a token, only
    its prefix and hash.
    """

    list_display = [
        "name",
        "organization",
        "key_prefix",
        "scopes",
        "expires_at",
        "revoked_at",
        "last_used_at",
    ]
    list_filter = ["organization"]
    search_fields = ["name", "key_prefix"]
    readonly_fields = ["key_prefix", "key_hash", "last_used_at", "created_at", "created_by"]
    fields = [
        "organization",
        "name",
        "scopes",
        "expires_at",
        "revoked_at",
        "key_prefix",
        "key_hash",
        "last_used_at",
        "created_by",
        "created_at",
    ]
    actions = ["revoke"]
    form = ApiTokenForm

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # A token stays in the organization it was issued for.
        return [*self.readonly_fields, "organization"] if obj else list(self.readonly_fields)

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        count = 0
        for token in queryset.filter(revoked_at__isnull=True):
            api_token_revoke(token=token)
            count += 1
        self.message_user(
            request,
            ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", count)
            % {"count": count},
            messages.SUCCESS,
        )
