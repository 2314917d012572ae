"""The coaching log: sessions an ambassador gives, who was coached, and who confirmed it.

Imported at the end of ``ambassadors/models.py`` so that Django sees these models as part of
the ``ambassadors`` app.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Q
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _

from .models import Agent, Organization, OrgScopedManager

__all__ = [
    "CoachingParticipant",
    "CoachingSession",
    "CoachingSessionRevision",
    "CoachingSettings",
    "CoachingTopic",
]


def _new_nonce() -> str:
    return secrets.token_urlsafe(12)


class CoachingTopic(models.Model):
    """What a session was about: a per-organization catalogue (labels are data, in French)."""

    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="coaching_topics",
        verbose_name=_("organization"),
    )
    code = models.SlugField(_("code"), max_length=40)
    label = models.CharField(_("label"), max_length=200)
    position = models.PositiveSmallIntegerField(_("position"), default=100)
    is_active = models.BooleanField(_("active"), default=True)

    objects = OrgScopedManager()

    class Meta:
        verbose_name = _("coaching topic")
        verbose_name_plural = _("coaching topics")
        ordering = ["position", "label"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "code"], name="coaching_topic_code_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.label


class CoachingSettings(models.Model):
    """Per-organization settings of the coaching log (one row, created on first need)."""

    organization = models.OneToOneField(
        Organization,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="coaching_settings",
        verbose_name=_("organization"),
    )
    mentoring_badges_require_confirmation = models.BooleanField(
        _("mentoring badges require confirmation"),
        default=False,
        help_text=_(
            "When set, a coaching session counts towards mentoring badges only once the "
            "coached agent, or their manager, has confirmed it."
        ),
    )

    objects = OrgScopedManager()

    class Meta:
        verbose_name = _("coaching settings")
        verbose_name_plural = _("coaching settings")

    def __str__(self) -> str:
        return str(self.organization_id)


class CoachingSession(models.Model):
    """One coaching act by an ambassador with one or more agents, or an anonymous group."""

    class Format(models.TextChoices):
        INDIVIDUAL = "individual", _("Individual")
        GROUP_DEMO = "group_demo", _("Group demo")
        WORKSHOP = "workshop", _("Workshop")
        FIELD_VISIT = "field_visit", _("Field visit")
        REMOTE = "remote", _("Remote")
        EVENT = "event", _("Event")

    class Place(models.TextChoices):
        AGENT_WORKPLACE = "agent_workplace", _("At the agent's workplace")
        AMBASSADOR_OFFICE = "ambassador_office", _("Ambassador's office")
        REMOTE = "remote", _("Remote")
        OTHER = "other", _("Other")

    class Equipment(models.TextChoices):
        OWN_WORKSTATION = "own_workstation", _("Own workstation")
        SHARED_WORKSTATION = "shared_workstation", _("Shared workstation")
        PHONE = "phone", _("Phone")
        TABLET = "tablet", _("Tablet")
        NONE = "none", _("None")

    class Autonomy(models.TextChoices):
        ACCOMPANIED = "accompanied", _("Still needs to be accompanied")
        PARTLY_AUTONOMOUS = "partly_autonomous", _("Partly autonomous")
        AUTONOMOUS = "autonomous", _("Autonomous")

    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="coaching_sessions",
        verbose_name=_("organization"),
    )
    coach = models.ForeignKey(
        Agent,
        on_delete=models.PROTECT,
        related_name="coaching_sessions_given",
        verbose_name=_("coach"),
    )
    agents = models.ManyToManyField(
        Agent,
        through="CoachingParticipant",
        related_name="coaching_sessions_received",
        blank=True,
        verbose_name=_("coached agents"),
    )
    headcount = models.PositiveIntegerField(
        _("anonymous head count"),
        null=True,
        blank=True,
        help_text=_("For a group demo whose attendees are not named."),
    )
    occurred_at = models.DateTimeField(_("date and time"))
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"), default=15)
    format = models.CharField(
        _("format"), max_length=20, choices=Format.choices, default=Format.INDIVIDUAL
    )
    place = models.CharField(
        _("place"), max_length=20, choices=Place.choices, default=Place.AGENT_WORKPLACE
    )
    equipment = models.CharField(
        _("equipment used"), max_length=20, choices=Equipment.choices, blank=True
    )
    topics = models.ManyToManyField(
        CoachingTopic, blank=True, related_name="sessions", verbose_name=_("topics")
    )
    autonomy_after = models.CharField(
        _("autonomy after the session"), max_length=20, choices=Autonomy.choices, blank=True
    )
    follow_up_on = models.DateField(_("follow-up on"), null=True, blank=True)
    notes = models.TextField(
        _("notes"), blank=True, help_text=_("Seen only by the coach and the communication team.")
    )
    # Bumped when the ledger rows must be written anew under new external ids (the date or
    # the coach changed, or an agent removed earlier came back): a retracted activity can
    # never be un-retracted, so its external id cannot be reused.
    ledger_version = models.PositiveSmallIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("logged by"),
    )
    created_at = models.DateTimeField(_("logged at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = OrgScopedManager()

    class Meta:
        verbose_name = _("coaching session")
        verbose_name_plural = _("coaching sessions")
        ordering = ["-occurred_at", "-pk"]
        indexes = [
            # "My sessions": organization = ? AND coach_id = ? ORDER BY occurred_at DESC.
            models.Index(
                fields=["organization", "coach", "-occurred_at"], name="coaching_org_coach_date"
            ),
            # The communication team's list of every session, newest first.
            models.Index(fields=["organization", "-occurred_at"], name="coaching_org_date"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gt=0), name="coaching_duration_positive"
            ),
            models.CheckConstraint(
                condition=Q(headcount__isnull=True) | Q(headcount__gt=0),
                name="coaching_headcount_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_format_display()} — {self.occurred_at:%Y-%m-%d %H:%M}"


class CoachingParticipant(models.Model):
    """A coached agent of a session, and whether (and how) they confirmed it."""

    class Channel(models.TextChoices):
        HOME = "home", _("By the agent, from their home page")
        LINK = "link", _("By the agent, with the link or QR code")
        MANAGER = "manager", _("By their manager")

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("organization")
    )
    session = models.ForeignKey(
        CoachingSession,
        on_delete=models.CASCADE,
        related_name="participants",
        verbose_name=_("session"),
    )
    agent = models.ForeignKey(
        Agent,
        on_delete=models.CASCADE,
        related_name="coaching_participations",
        verbose_name=_("agent"),
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("confirmed by"),
    )
    confirmation_channel = models.CharField(
        _("confirmed how"), max_length=10, choices=Channel.choices, blank=True
    )
    # Part of the signed confirmation link: changing it revokes the links handed out.
    confirmation_nonce = models.CharField(max_length=32, default=_new_nonce, editable=False)

    objects = OrgScopedManager()

    class Meta:
        verbose_name = _("coached agent")
        verbose_name_plural = _("coached agents")
        ordering = ["agent__last_name", "agent__first_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "agent"], name="coaching_participant_unique"
            ),
        ]
        indexes = [
            # "Sessions to confirm" on an agent's home page: agent_id = ? AND confirmed_at IS NULL.
            models.Index(fields=["agent", "confirmed_at"], name="coaching_part_agent_conf"),
        ]

    def __str__(self) -> str:
        return f"{self.session_id} {self.agent_id}"

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None


class CoachingSessionRevision(models.Model):
    """A snapshot of a session after each change: the history is never rewritten."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Logged")
        UPDATED = "updated", _("Changed")

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("organization")
    )
    session = models.ForeignKey(
        CoachingSession,
        on_delete=models.CASCADE,
        related_name="revisions",
        verbose_name=_("session"),
    )
    number = models.PositiveIntegerField(_("revision"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    snapshot = models.JSONField(_("snapshot"))
    changed_fields = models.JSONField(_("changed fields"), default=list, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    changed_by_label = models.CharField(_("changed by (label)"), max_length=200, blank=True)
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)

    objects = OrgScopedManager()

    class Meta:
        verbose_name = _("coaching session revision")
        verbose_name_plural = _("coaching session revisions")
        ordering = ["session", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "number"], name="coaching_revision_number_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.session_id} #{self.number}"

    @property
    def changed_field_labels(self) -> list[str]:
        """The changed fields as people read them (the field's name in their language)."""
        labels = []
        for key in self.changed_fields:
            try:
                field = CoachingSession._meta.get_field(key)
            except FieldDoesNotExist:
                labels.append(key)
                continue
            labels.append(str(getattr(field, "verbose_name", key)))
        return labels


@receiver(post_save, sender=Organization, dispatch_uid="ambassadors.organization_coaching_topics")
def organization_coaching_topics(
    sender: type[Organization], instance: Organization, created: bool, raw: bool, **kwargs: Any
) -> None:
    if created and not raw:
        from .services.coaching import coaching_topics_ensure_defaults

        coaching_topics_ensure_defaults(organization=instance)
