"""The network: organizations (tenants), the org chart, sites, agents and their roles."""

from __future__ import annotations

import datetime
import zoneinfo
from typing import Self

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value})


class Organization(models.Model):
    """One collectivité: the tenant. Every other row belongs to exactly one."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    timezone = models.CharField(
        _("time zone"), max_length=64, default="Europe/Paris", validators=[validate_timezone]
    )
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default="fr"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class OrgScopedQuerySet(models.QuerySet):
    """Every read of tenant data goes through ``for_org``: the one place scoping happens."""

    def for_org(self, organization: Organization | int) -> Self:
        org_id = organization if isinstance(organization, int) else organization.pk
        return self.filter(organization_id=org_id)


OrgScopedManager = models.Manager.from_queryset(OrgScopedQuerySet)


class OrgUnit(models.Model):
    """A node of the org chart (direction → service → secteur, any depth).

    ``path`` is a materialised path of ancestor ids ("/3/17/42/") so that a subtree is one
    indexed ``LIKE 'prefix%'`` query, with no recursion.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="units", verbose_name=_("organization")
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent unit"),
    )
    code = models.CharField(_("code"), max_length=60)
    name = models.CharField(_("name"), max_length=200)
    path = models.CharField(max_length=500, editable=False, db_index=True, default="")
    depth = models.PositiveSmallIntegerField(editable=False, default=0)

    objects = OrgScopedManager()

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="orgunit_code_unique"),
        ]
        indexes = [
            # Subtree lookups: organization = ? AND path LIKE '/3/17/%'.
            models.Index(fields=["organization", "path"], name="orgunit_org_path"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        old_path = self.path
        if not self.pk:
            super().save(*args, **kwargs)  # type: ignore[arg-type]
            kwargs.pop("force_insert", None)
        self.path = (self.parent.path if self.parent else "/") + f"{self.pk}/"
        self.depth = self.path.count("/") - 2
        super().save(*args, **kwargs)  # type: ignore[arg-type]
        if old_path and old_path != self.path:
            # The unit moved: rewrite its descendants' paths in one pass.
            for unit in OrgUnit.objects.filter(path__startswith=old_path).exclude(pk=self.pk):
                unit.path = self.path + unit.path[len(old_path) :]
                unit.depth = unit.path.count("/") - 2
                OrgUnit.objects.filter(pk=unit.pk).update(path=unit.path, depth=unit.depth)

    def clean(self) -> None:
        if self.parent_id and self.parent and self.parent.organization_id != self.organization_id:
            raise ValidationError({"parent": _("The parent unit belongs to another organization.")})
        if self.pk and self.parent and f"/{self.pk}/" in self.parent.path:
            raise ValidationError({"parent": _("A unit cannot be moved under itself.")})

    @property
    def ancestor_ids(self) -> list[int]:
        return [int(part) for part in self.path.strip("/").split("/") if part][:-1]


class Site(models.Model):
    """A physical place: town hall, depot, school kitchen."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="sites", verbose_name=_("organization")
    )
    code = models.CharField(_("code"), max_length=60)
    name = models.CharField(_("name"), max_length=200)
    address = models.TextField(_("address"), blank=True)

    objects = OrgScopedManager()

    class Meta:
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="site_code_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class AgentQuerySet(OrgScopedQuerySet):
    def present(self, on: object | None = None) -> AgentQuerySet:
        today = on or timezone.localdate()
        return self.filter(Q(departure_date__isnull=True) | Q(departure_date__gt=today))


AgentManager = models.Manager.from_queryset(AgentQuerySet)


class Agent(models.Model):
    """A staff member, identified by the HR id (matricule). Needs no account nor computer."""

    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="agents",
        verbose_name=_("organization"),
    )
    hr_id = models.CharField(_("HR id"), max_length=40)
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    email = models.EmailField(_("e-mail"), blank=True)
    unit = models.ForeignKey(
        OrgUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="agents",
        verbose_name=_("service"),
    )
    site = models.ForeignKey(
        Site,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="agents",
        verbose_name=_("site"),
    )
    job_title = models.CharField(_("job title"), max_length=200, blank=True)
    arrival_date = models.DateField(_("arrival date"), null=True, blank=True)
    departure_date = models.DateField(_("departure date"), null=True, blank=True)
    has_workstation = models.BooleanField(_("has a workstation"), default=True)
    has_account = models.BooleanField(_("has an intranet account"), default=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="agent",
        verbose_name=_("user account"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AgentManager()

    class Meta:
        verbose_name = _("agent")
        verbose_name_plural = _("agents")
        ordering = ["last_name", "first_name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "hr_id"], name="agent_hr_id_unique"),
        ]
        indexes = [
            # Headcount per unit and agent lists filtered by unit.
            models.Index(fields=["organization", "unit"], name="agent_org_unit"),
            # Type-ahead search by name.
            models.Index(fields=["organization", "last_name"], name="agent_org_last_name"),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def has_departed(self) -> bool:
        return self.departure_date is not None and self.departure_date <= timezone.localdate()

    def clean(self) -> None:
        for field in ("unit", "site"):
            related = getattr(self, field)
            if related is not None and related.organization_id != self.organization_id:
                raise ValidationError({field: _("This belongs to another organization.")})


class Role(models.Model):
    """A role an agent holds in their organization. An agent can hold several."""

    class Kind(models.TextChoices):
        COMMS = "comms", _("Internal communication")
        MANAGER = "manager", _("Manager")
        RESOURCE_PERSON = "resource_person", _("Resource person")

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="roles", verbose_name=_("organization")
    )
    agent = models.ForeignKey(
        Agent, on_delete=models.CASCADE, related_name="roles", verbose_name=_("agent")
    )
    kind = models.CharField(_("role"), max_length=20, choices=Kind.choices)
    units = models.ManyToManyField(
        OrgUnit, blank=True, related_name="roles", verbose_name=_("services")
    )
    site = models.ForeignKey(
        Site,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="roles",
        verbose_name=_("site"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OrgScopedManager()

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        constraints = [
            # One row per (agent, kind) carries all the units; a site role is one row per site.
            models.UniqueConstraint(
                fields=["agent", "kind"],
                condition=Q(site__isnull=True),
                name="role_unique_per_agent_kind",
            ),
            models.UniqueConstraint(fields=["agent", "kind", "site"], name="role_unique_site"),
        ]

    def __str__(self) -> str:
        return f"{self.agent} — {self.get_kind_display()}"


class AmbassadorMandate(models.Model):
    """An agent's mandate as ambassador: the units covered, for how long, how much time."""

    class Status(models.TextChoices):
        CANDIDATE = "candidate", _("Candidate")
        ACTIVE = "active", _("Active")
        PAUSED = "paused", _("Paused")
        ALUMNI = "alumni", _("Alumni")

    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="mandates",
        verbose_name=_("organization"),
    )
    agent = models.ForeignKey(
        Agent, on_delete=models.CASCADE, related_name="mandates", verbose_name=_("agent")
    )
    units = models.ManyToManyField(
        OrgUnit, blank=True, related_name="mandates", verbose_name=_("services covered")
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.CANDIDATE
    )
    start_date = models.DateField(_("start"), null=True, blank=True)
    end_date = models.DateField(_("end"), null=True, blank=True)
    hours_per_month = models.DecimalField(
        _("agreed hours per month"), max_digits=5, decimal_places=1, default=0
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OrgScopedManager()

    class Meta:
        verbose_name = _("ambassador mandate")
        verbose_name_plural = _("ambassador mandates")
        ordering = ["-start_date"]
        indexes = [models.Index(fields=["organization", "status"], name="mandate_org_status")]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=models.F("start_date")),
                name="mandate_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agent} ({self.get_status_display()})"


class DirectoryImport(models.Model):
    """One run of the staff directory import; polled by the API while it runs."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="directory_imports"
    )
    file = models.FileField(upload_to="imports/directory/%Y/%m/", blank=True)
    filename = models.CharField(max_length=255, blank=True)
    full = models.BooleanField(default=False)
    dry_run = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    departed = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    message = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = OrgScopedManager()

    class Meta:
        verbose_name = _("directory import")
        verbose_name_plural = _("directory imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_status_display()})"


# --- The activity ledger ---


class Verb(models.Model):
    """What an agent did, e.g. ``news_published``: a per-organization, extensible catalogue."""

    class Category(models.TextChoices):
        ONBOARDING = "onboarding", _("Onboarding")
        PUBLISHING = "publishing", _("Publishing")
        MENTORING = "mentoring", _("Mentoring")
        COMMUNITY = "community", _("Community")

    # A 4-byte key: every ledger row carries one (see Activity on row size).
    id = models.AutoField(primary_key=True)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="verbs", verbose_name=_("organization")
    )
    code = models.SlugField(_("code"), max_length=40)
    category = models.CharField(_("category"), max_length=12, choices=Category.choices)
    label = models.CharField(_("label"), max_length=200)
    is_active = models.BooleanField(_("active"), default=True)

    objects = OrgScopedManager()

    class Meta:
        verbose_name = _("verb")
        verbose_name_plural = _("verbs")
        ordering = ["category", "code"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="verb_code_unique"),
        ]

    def __str__(self) -> str:
        return self.label


class ActivitySource(models.Model):
    """An integration that sends activity: the intranet, a CSV backfill, Relais itself.

    ``signing_secret``, when set, makes HMAC signatures mandatory for API requests that
    write to this source (see docs/ingestion.md). It is kept in clear because verifying an
    HMAC needs the secret itself.
    """

    id = models.AutoField(primary_key=True)
    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="activity_sources",
        verbose_name=_("organization"),
    )
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    signing_secret = models.CharField(_("signing secret"), max_length=128, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OrgScopedManager()

    class Meta:
        verbose_name = _("activity source")
        verbose_name_plural = _("activity sources")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "code"], name="activity_source_code_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.code


class Activity(models.Model):
    """One thing an agent did, as reported by a source. Append-only: never updated.

    A retraction (the content was unpublished or deleted) is its own row,
    ``ActivityRetraction``, so that history can be replayed. It also keeps this row free of
    a column that would be NULL in nearly every row: the NULL bitmap it brings costs 8 bytes
    a row, the difference between 30 and 31 rows per page.

    The row is kept compact (target: at most 350 bytes per row on PostgreSQL, table and
    indexes together): 4-byte keys for verb and source, no index that no named query needs,
    and Django's default per-foreign-key indexes switched off where they serve nothing.

    Foreign keys: only ``agent`` has a database constraint. PostgreSQL checks each foreign
    key of each inserted row with a trigger query at commit; with six keys that cost more
    than the insert itself (measured: 0.2 s per 5,000 rows, against 0.06 s for the agent's
    alone). The other ids are resolved from the organization's own rows in the ingestion's
    transaction, and deletions go through Django's collector, which applies on_delete
    (CASCADE, SET_NULL, PROTECT) in Python whether or not the database also enforces it.
    """

    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # scoping goes through the agent or source indexes below
        db_constraint=False,  # see "Foreign keys" in the docstring
        verbose_name=_("organization"),
    )
    agent = models.ForeignKey(
        Agent,
        on_delete=models.CASCADE,
        related_name="activities",
        # An agent's history and adoption stage: WHERE agent_id = ? ORDER BY occurred_at.
        # A single-column index deduplicates (PostgreSQL 13+) to a few bytes per row; with
        # occurred_at in the key it would cost ~40 bytes per row, and an agent's few hundred
        # rows sort in no time.
        db_index=True,
        verbose_name=_("agent"),
    )
    unit = models.ForeignKey(
        OrgUnit,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
        verbose_name=_("service at the time"),
    )
    site = models.ForeignKey(
        Site,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
        verbose_name=_("site at the time"),
    )
    occurred_at = models.DateTimeField(_("occurred at"))
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    source = models.ForeignKey(
        ActivitySource,
        on_delete=models.PROTECT,
        related_name="activities",
        db_index=False,  # the unique (source, external_id) index leads with it
        db_constraint=False,
        verbose_name=_("source"),
    )
    verb = models.ForeignKey(
        Verb,
        on_delete=models.PROTECT,
        related_name="activities",
        db_index=False,  # engine passes scan an organization's rows; none looks up by verb alone
        db_constraint=False,
        verbose_name=_("verb"),
    )
    external_id = models.CharField(_("external id"), max_length=200)
    object_type = models.CharField(_("object type"), max_length=40, blank=True)
    object_title = models.CharField(_("object title"), max_length=200, blank=True)
    object_url = models.CharField(_("object URL"), max_length=500, blank=True)

    objects = OrgScopedManager()

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        constraints = [
            # Idempotent ingestion, and retraction, by external id: INSERT ... ON CONFLICT
            # (source_id, external_id) DO NOTHING, and WHERE source_id = ? AND external_id IN.
            # A source belongs to exactly one organization, so this is "unique per
            # (organization, source, external id)" without a third column in the index.
            models.UniqueConstraint(
                fields=["source", "external_id"], name="activity_source_external_id_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agent_id} {self.verb_id} {self.occurred_at:%Y-%m-%d %H:%M}"

    @property
    def retracted_at(self) -> datetime.datetime | None:
        """When it was retracted, or None (load with ``select_related("retraction")``)."""
        retraction = getattr(self, "retraction", None)
        return retraction.retracted_at if retraction is not None else None


class ActivityRetraction(models.Model):
    """An activity taken back by its source: set once, never updated, never deleted."""

    # The activity's id as primary key: "once per activity" is the primary key itself, and
    # INSERT ... ON CONFLICT DO NOTHING makes a second retraction change nothing.
    activity = models.OneToOneField(
        Activity,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="retraction",
        verbose_name=_("activity"),
    )
    retracted_at = models.DateTimeField(_("retracted at"), default=timezone.now)
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("activity retraction")
        verbose_name_plural = _("activity retractions")

    def __str__(self) -> str:
        return f"{self.activity_id} {self.retracted_at:%Y-%m-%d %H:%M}"


from .adoption_models import *  # noqa: E402,F403
from .coaching_models import *  # noqa: E402,F403
from .event_models import *  # noqa: E402,F403
