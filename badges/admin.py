"""Django admin for the engine's settings: points per verb, the coaching pair cap.

Badges themselves are edited on their own pages (``/badges/``), where a rule change goes
through a draft and a preview; awards and the log of manual actions are shown, never edited
here (the engine derives awards; a grant by hand has its own form with a reason).
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from ambassadors.admin import OrgScopedAdmin, ReadOnlyAdminMixin

from .models import Award, AwardLog, EngineSettings, PointRule


@admin.register(PointRule)
class PointRuleAdmin(OrgScopedAdmin):
    list_display = ("verb", "points", "daily_cap")
    list_editable = ("points", "daily_cap")
    ordering = ("verb__category", "verb__code")


@admin.register(EngineSettings)
class EngineSettingsAdmin(OrgScopedAdmin):
    list_display = (
        "organization",
        "coaching_sessions_per_pair_per_week",
        "reconciled_at",
        "last_drift",
    )
    fields = ("coaching_sessions_per_pair_per_week", "evaluated_at", "reconciled_at", "last_drift")
    readonly_fields = ("evaluated_at", "reconciled_at", "last_drift")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # one row per organization, created by the engine


@admin.register(Award)
class AwardAdmin(ReadOnlyAdminMixin, OrgScopedAdmin):
    list_display = ("agent", "badge", "tier", "awarded_at", "origin", "revoked_at")
    list_filter = ("origin", "tier")
    list_select_related = ("agent", "badge")
    search_fields = ("agent__last_name", "agent__hr_id", "badge__code")
    raw_id_fields = ("agent", "badge", "granted_by")


@admin.register(AwardLog)
class AwardLogAdmin(ReadOnlyAdminMixin, OrgScopedAdmin):
    list_display = ("created_at", "kind", "agent", "badge", "tier", "status", "author")
    list_filter = ("kind", "status")
    list_select_related = ("agent", "badge", "author")
