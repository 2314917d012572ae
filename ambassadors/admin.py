"""Django admin for the communication team.

Superusers see every organization. Any other staff user sees only the rows of their own
organization (``request.organization``, from their agent): querysets, foreign-key choices
and autocompletes are scoped, and new rows are attached to that organization.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .models import (
    Activity,
    ActivitySource,
    Agent,
    AmbassadorMandate,
    CoachingSettings,
    DirectoryImport,
    Organization,
    OrgUnit,
    Role,
    Site,
    Verb,
)


def _is_scoped(model: Any) -> bool:
    return hasattr(model._default_manager, "for_org")


def _organization(request: HttpRequest) -> Organization | None:
    return getattr(request, "organization", None)


class OrgScopedAdmin(admin.ModelAdmin):
    """Scopes a tenant model to the staff user's organization."""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        organization = _organization(request)
        if organization is None:
            return queryset.none()
        return queryset.filter(organization=organization)

    def get_list_filter(self, request: HttpRequest) -> Any:
        filters = list(super().get_list_filter(request))
        if request.user.is_superuser:
            filters.insert(0, "organization")
        return filters

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> Any:
        excluded = list(super().get_exclude(request, obj) or [])
        if not request.user.is_superuser:
            excluded.append("organization")
        return excluded

    def has_add_permission(self, request: HttpRequest) -> bool:
        if not request.user.is_superuser and _organization(request) is None:
            return False
        return super().has_add_permission(request)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not request.user.is_superuser:
            obj.organization = _organization(request)
        super().save_model(request, obj, form, change)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if _is_scoped(db_field.related_model) and not request.user.is_superuser:
            kwargs["queryset"] = db_field.related_model.objects.for_org(_organization(request) or 0)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if _is_scoped(db_field.related_model) and not request.user.is_superuser:
            kwargs["queryset"] = db_field.related_model.objects.for_org(_organization(request) or 0)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class ReadOnlyAdminMixin:
    """For records written by Relais itself (imports, the ledger): shown, never edited."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "timezone", "language", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Organization]:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        organization = _organization(request)
        return queryset.filter(pk=organization.pk) if organization else queryset.none()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser


@admin.register(OrgUnit)
class OrgUnitAdmin(OrgScopedAdmin):
    list_display = ["name", "code", "parent", "depth", "headcount"]
    list_filter = ["depth"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["parent"]
    list_select_related = ["parent"]
    # Explicit: Meta.ordering is dropped from the GROUP BY query of the headcount.
    ordering = ["path"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[OrgUnit]:
        return super().get_queryset(request).annotate(headcount=Count("agents"))

    @admin.display(description=_("headcount"), ordering="headcount")
    def headcount(self, obj: Any) -> int:
        return obj.headcount


@admin.register(Site)
class SiteAdmin(OrgScopedAdmin):
    list_display = ["name", "code", "address"]
    search_fields = ["name", "code", "address"]


class HasUserFilter(admin.SimpleListFilter):
    title = _("user account")
    parameter_name = "has_user"

    def lookups(self, request: Any, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request: Any, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(user__isnull=False)
        if self.value() == "no":
            return queryset.filter(user__isnull=True)
        return queryset


@admin.register(Agent)
class AgentAdmin(OrgScopedAdmin):
    list_display = [
        "last_name",
        "first_name",
        "hr_id",
        "unit",
        "site",
        "job_title",
        "has_workstation",
        "has_account",
        "departure_date",
    ]
    list_display_links = ["last_name", "first_name"]
    search_fields = ["last_name", "first_name", "=hr_id", "email"]
    list_filter = ["has_workstation", "has_account", HasUserFilter, "site", "unit"]
    autocomplete_fields = ["unit", "site"]
    raw_id_fields = ["user"]
    list_select_related = ["unit", "site"]
    list_per_page = 50

    def get_list_filter(self, request: HttpRequest) -> Any:
        # The unit and site filters list choices from the whole table: scope them.
        filters = super().get_list_filter(request)
        if request.user.is_superuser:
            return filters
        return [
            (name, _ScopedRelatedFilter) if name in ("unit", "site") else name for name in filters
        ]


class _ScopedRelatedFilter(admin.RelatedFieldListFilter):
    def field_choices(self, field: Any, request: Any, model_admin: Any) -> Any:
        organization = _organization(request)
        related = field.related_model.objects.for_org(organization or 0)
        return [(obj.pk, str(obj)) for obj in related]


@admin.register(Role)
class RoleAdmin(OrgScopedAdmin):
    list_display = ["agent", "kind", "site", "created_at"]
    list_filter = ["kind"]
    search_fields = ["agent__last_name", "agent__first_name", "=agent__hr_id"]
    autocomplete_fields = ["agent", "units", "site"]
    list_select_related = ["agent", "site"]


@admin.register(AmbassadorMandate)
class AmbassadorMandateAdmin(OrgScopedAdmin):
    list_display = ["agent", "status", "start_date", "end_date", "hours_per_month"]
    list_filter = ["status"]
    search_fields = ["agent__last_name", "agent__first_name", "=agent__hr_id"]
    autocomplete_fields = ["agent", "units"]
    list_select_related = ["agent"]
    date_hierarchy = "start_date"


@admin.register(DirectoryImport)
class DirectoryImportAdmin(ReadOnlyAdminMixin, OrgScopedAdmin):
    list_display = [
        "created_at",
        "filename",
        "status",
        "full",
        "dry_run",
        "created",
        "updated",
        "unchanged",
        "departed",
        "rejected",
    ]
    list_filter = ["status", "full", "dry_run"]
    search_fields = ["filename"]


@admin.register(Verb)
class VerbAdmin(OrgScopedAdmin):
    list_display = ["code", "label", "category", "is_active"]
    list_filter = ["category", "is_active"]
    search_fields = ["code", "label"]


@admin.register(CoachingSettings)
class CoachingSettingsAdmin(OrgScopedAdmin):
    list_display = ["organization", "mentoring_badges_require_confirmation"]


@admin.register(ActivitySource)
class ActivitySourceAdmin(OrgScopedAdmin):
    list_display = ["code", "name", "signs_requests", "created_at"]
    search_fields = ["code", "name"]

    @admin.display(boolean=True, description=_("requests must be signed"))
    def signs_requests(self, obj: ActivitySource) -> bool:
        return bool(obj.signing_secret)


@admin.register(Activity)
class ActivityAdmin(ReadOnlyAdminMixin, OrgScopedAdmin):
    """The ledger, read-only: it is append-only, corrections are retractions."""

    list_display = ["occurred_at", "agent", "verb", "source", "external_id", "object_title"]
    list_filter = ["verb__category", "source"]
    list_select_related = ["agent", "verb", "source"]
    search_fields = ["external_id", "agent__hr_id", "agent__last_name"]
    date_hierarchy = "occurred_at"
    # Counting millions of rows on every page view is slower than the page itself.
    show_full_result_count = False
