"""Badges and points: definitions in the database, rule kinds in code (``badges/rules``).

The state here is derived from the activity ledger by the engine (``badges/services``):
awards and point lines can always be re-derived by ``reconcile``. What is not derived is
said so on the model: manual grants, contests, notifications and the rule versions.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from ambassadors.models import Activity, Agent, Organization, OrgScopedManager, Verb


class Tier(models.TextChoices):
    BRONZE = "bronze", _("Bronze")
    SILVER = "silver", _("Silver")
    GOLD = "gold", _("Gold")


TIER_ORDER = {Tier.BRONZE: 0, Tier.SILVER: 1, Tier.GOLD: 2}


class BadgeStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    RETIRED = "retired", _("Retired")


class RuleFields(models.Model):
    """What the engine evaluates: a rule kind, its parameters, its tiers.

    ``tiers`` is a list of ``{"tier": "bronze", "threshold": 1, "points": 10}`` in
    ascending order, validated with ``params`` by the kind (``badges.rules``).
    """

    kind = models.CharField(_("rule kind"), max_length=40)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    tiers = models.JSONField(_("tiers"), default=list)
    revocable = models.BooleanField(
        _("revocable"),
        default=False,
        help_text=_(
            "A status, withdrawn when it is no longer met. Otherwise an achievement, kept once "
            "earned (unless the activities behind it are retracted)."
        ),
    )

    class Meta:
        abstract = True


class Badge(RuleFields):
    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="badges",
        verbose_name=_("organization"),
    )
    code = models.SlugField(_("code"), max_length=60)
    name_fr = models.CharField(_("name (French)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120, blank=True)
    description_fr = models.TextField(_("description (French)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    criteria_fr = models.TextField(_("criteria (French)"), blank=True)
    criteria_en = models.TextField(_("criteria (English)"), blank=True)
    category = models.CharField(_("category"), max_length=12, choices=Verb.Category.choices)
    image = models.FileField(_("image"), upload_to="badges/", blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=BadgeStatus.choices, default=BadgeStatus.DRAFT
    )
    # The number of the rule version the fields above hold (see BadgeVersion).
    version = models.PositiveIntegerField(_("version"), default=1)
    position = models.PositiveSmallIntegerField(_("position"), default=100)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrgScopedManager()

    class Meta:
        verbose_name = _("badge")
        verbose_name_plural = _("badges")
        ordering = ["position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="badge_code_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    def _localized(self, field: str) -> str:
        language = (translation.get_language() or "fr")[:2]
        if language == "en":
            return getattr(self, f"{field}_en") or getattr(self, f"{field}_fr")
        return getattr(self, f"{field}_fr") or getattr(self, f"{field}_en")

    @property
    def name(self) -> str:
        return self._localized("name")

    @property
    def description(self) -> str:
        return self._localized("description")

    @property
    def criteria(self) -> str:
        return self._localized("criteria")

    def tier(self, tier: str) -> dict[str, Any] | None:
        return next((t for t in self.tiers if t["tier"] == tier), None)


class BadgeVersion(RuleFields):
    """One version of a badge's rule: every version ever active, and at most one draft.

    Editing an active badge's rule writes a draft here; the preview evaluates it; activating
    it copies it onto the badge (``version`` + 1) and backfills in the background.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")
        SUPERSEDED = "superseded", _("Superseded")
        DISCARDED = "discarded", _("Discarded")

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("organization")
    )
    badge = models.ForeignKey(
        Badge, on_delete=models.CASCADE, related_name="versions", verbose_name=_("badge")
    )
    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    note = models.CharField(_("what changed"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        Agent, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    activated_at = models.DateTimeField(null=True, blank=True)
    activated_by = models.ForeignKey(
        Agent, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = OrgScopedManager()

    class Meta:
        verbose_name = _("badge version")
        verbose_name_plural = _("badge versions")
        ordering = ["badge", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["badge", "number"], name="badge_version_unique"),
            # At most one pending draft per badge: a second edit updates it.
            models.UniqueConstraint(
                fields=["badge"], condition=Q(status="draft"), name="badge_one_draft"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.badge_id} v{self.number} ({self.status})"


class Award(models.Model):
    """An agent holds a badge at a tier. One row per (agent, badge, tier), ever.

    Derived by the engine (``origin`` rule) or granted by hand (``origin`` manual, never
    withdrawn by the engine). A withdrawal is soft: ``revoked_at`` and the reason stay; a
    badge met again reinstates the same row. ``awarded_at`` is when the data says it was
    earned (the qualifying activity), never when the engine ran; ``recorded_at`` is that.
    """

    class Origin(models.TextChoices):
        RULE = "rule", _("Earned")
        MANUAL = "manual", _("Granted by hand")

    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # every query filters by agent or badge first
        verbose_name=_("organization"),
    )
    agent = models.ForeignKey(
        Agent, on_delete=models.CASCADE, related_name="awards", verbose_name=_("agent")
    )
    badge = models.ForeignKey(
        Badge, on_delete=models.CASCADE, related_name="awards", verbose_name=_("badge")
    )
    tier = models.CharField(_("tier"), max_length=8, choices=Tier.choices)
    awarded_at = models.DateTimeField(_("earned on"))
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    rule_version = models.PositiveIntegerField(_("rule version"))
    points = models.IntegerField(_("points"), default=0)
    # The activities behind it: the qualifying activities up to the threshold (at most
    # EVIDENCE_LIMIT, the deciding one last), ids in the ledger.
    activity_ids = models.JSONField(_("activities"), default=list, blank=True)
    origin = models.CharField(max_length=8, choices=Origin.choices, default=Origin.RULE)
    granted_by = models.ForeignKey(
        Agent, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    revoked_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    revoked_reason = models.CharField(_("reason for withdrawal"), max_length=300, blank=True)

    objects = OrgScopedManager()

    class Meta:
        verbose_name = _("award")
        verbose_name_plural = _("awards")
        ordering = ["-awarded_at"]
        constraints = [
            models.UniqueConstraint(fields=["agent", "badge", "tier"], name="award_unique"),
        ]
        indexes = [
            # Rarity on the catalogue: count per (badge, tier) of the live awards.
            models.Index(fields=["badge", "tier"], name="award_badge_tier"),
        ]

    def __str__(self) -> str:
        return f"{self.agent_id} {self.badge_id} {self.tier}"

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None


EVIDENCE_LIMIT = 100


class PointLine(models.Model):
    """The points one activity earned: one row per counted activity, keyed by it.

    Derived by the engine from the ledger and the organization's ``PointRule`` rows (points
    per verb, daily cap, coaching pair cap); retracted and capped activities have no row.
    The activity's id as primary key makes "exactly once" the primary key itself.
    Badge points are on ``Award.points``.
    """

    activity = models.OneToOneField(
        Activity,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="point_line",
        db_constraint=False,  # the engine writes it from the ledger it just read
        verbose_name=_("activity"),
    )
    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
        verbose_name=_("organization"),
    )
    agent = models.ForeignKey(
        Agent,
        on_delete=models.CASCADE,
        related_name="point_lines",
        db_constraint=False,
        db_index=False,  # led by the (agent, occurred_at) index below
        verbose_name=_("agent"),
    )
    verb = models.ForeignKey(
        Verb, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    category = models.CharField(_("category"), max_length=12, choices=Verb.Category.choices)
    occurred_at = models.DateTimeField(_("occurred at"))
    points = models.IntegerField(_("points"))

    objects = OrgScopedManager()

    class Meta:
        verbose_name = _("point line")
        verbose_name_plural = _("point lines")
        indexes = [
            # An agent's lines, and a delta's rewrite of an agent's days.
            models.Index(fields=["agent", "occurred_at"], name="pointline_agent_time"),
        ]

    def __str__(self) -> str:
        return f"{self.activity_id} {self.points}"


class PointRule(models.Model):
    """Points per verb for an organization, with the caps that keep them fair."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("organization")
    )
    verb = models.OneToOneField(
        Verb, on_delete=models.CASCADE, related_name="point_rule", verbose_name=_("verb")
    )
    points = models.PositiveSmallIntegerField(_("points"), default=0)
    daily_cap = models.PositiveSmallIntegerField(
        _("counted per day"),
        null=True,
        blank=True,
        help_text=_("At most this many activities of this verb count per agent and day."),
    )

    objects = OrgScopedManager()

    class Meta:
        verbose_name = _("points for a verb")
        verbose_name_plural = _("points for verbs")

    def __str__(self) -> str:
        return f"{self.verb_id}: {self.points}"


class EngineSettings(models.Model):
    """Per-organization engine state and settings. Its row is also the evaluation lock:
    every evaluation starts by updating it, so two workers on one organization take turns."""

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="engine_settings"
    )
    coaching_sessions_per_pair_per_week = models.PositiveSmallIntegerField(
        _("coaching sessions counted per coach and agent per week"), default=2
    )
    evaluated_at = models.DateTimeField(null=True, blank=True)
    reconciled_at = models.DateTimeField(null=True, blank=True)
    last_drift = models.IntegerField(null=True, blank=True)

    objects = OrgScopedManager()

    class Meta:
        verbose_name = _("engine settings")
        verbose_name_plural = _("engine settings")

    def __str__(self) -> str:
        return str(self.organization_id)


class Notification(models.Model):
    """In-app notice of an award (and of a withdrawal, always with its reason).

    Exactly once per award and kind: unique (award, kind). ``emailed_at`` is claimed by one
    conditional UPDATE before the e-mail goes, so two workers never send it twice.
    """

    class Kind(models.TextChoices):
        AWARDED = "awarded", _("New badge")
        REVOKED = "revoked", _("Badge withdrawn")
        DIGEST = "digest", _("Badges from history")
        CONTEST_ANSWERED = "answered", _("Contest answered")

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="notifications")
    award = models.ForeignKey(
        Award, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # For a digest: the award ids it covers, and the badge version activation behind it.
    award_ids = models.JSONField(default=list, blank=True)
    version = models.ForeignKey(
        BadgeVersion, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # For a contest's answer: the contest.
    log = models.ForeignKey(
        "AwardLog",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    objects = OrgScopedManager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["award", "kind"],
                condition=Q(award__isnull=False),
                name="notification_once_per_award",
            ),
            models.UniqueConstraint(
                fields=["agent", "version"],
                condition=Q(kind="digest"),
                name="notification_one_digest",
            ),
            models.UniqueConstraint(
                fields=["log", "kind"],
                condition=Q(log__isnull=False),
                name="notification_once_per_log",
            ),
        ]
        indexes = [models.Index(fields=["agent", "-created_at"], name="notification_agent_recent")]

    def __str__(self) -> str:
        return f"{self.agent_id} {self.kind}"


class AwardLog(models.Model):
    """Manual actions, logged: a grant by hand, a contest and its answer."""

    class Kind(models.TextChoices):
        GRANTED = "granted", _("Granted by hand")
        CONTESTED = "contested", _("Missing award contested")
        CONTEST_ANSWERED = "answered", _("Contest answered")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="award_logs")
    badge = models.ForeignKey(Badge, on_delete=models.CASCADE, related_name="logs")
    tier = models.CharField(max_length=8, choices=Tier.choices, blank=True)
    author = models.ForeignKey(
        Agent, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    comment = models.TextField(_("comment"))
    status = models.CharField(max_length=10, choices=Status.choices, blank=True)
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(
        Agent, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = OrgScopedManager()

    class Meta:
        verbose_name = _("award log entry")
        verbose_name_plural = _("award log")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organization", "kind", "status"], name="awardlog_open")]
        constraints = [
            models.UniqueConstraint(
                fields=["agent", "badge"],
                condition=Q(kind="contested", status="open"),
                name="awardlog_one_open_contest",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.agent_id} {self.badge_id}"
