"""Events (demos, trainings, workshops, the *tournée des services*) and their attendance."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Agent, Organization, OrgScopedManager, OrgUnit, Site

__all__ = ["Event", "EventAttendance"]


class Event(models.Model):
    """A demo, a training, a workshop or a tour of the services, planned for a unit or site."""

    class Kind(models.TextChoices):
        DEMO = "demo", _("Demo")
        TRAINING = "training", _("Training")
        WORKSHOP = "workshop", _("Workshop")
        SERVICE_TOUR = "service_tour", _("Tour of the services")
        OTHER = "other", _("Other")

    class Mode(models.TextChoices):
        IN_PERSON = "in_person", _("In person")
        REMOTE = "remote", _("Remote")

    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="events",
        verbose_name=_("organization"),
    )
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.DEMO)
    # Units and sites are rarely deleted; an event outlives the reorganisation of its target.
    unit = models.ForeignKey(
        OrgUnit,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("service"),
    )
    site = models.ForeignKey(
        Site,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("site"),
    )
    mode = models.CharField(
        _("in person or remote"), max_length=12, choices=Mode.choices, default=Mode.IN_PERSON
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    capacity = models.PositiveIntegerField(
        _("capacity"), null=True, blank=True, help_text=_("Leave empty for no limit.")
    )
    organiser = models.ForeignKey(
        Agent,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="organised_events",
        verbose_name=_("organiser"),
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = OrgScopedManager()

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["-starts_at"]
        indexes = [
            # The events list: WHERE organization_id = ? ORDER BY starts_at.
            models.Index(fields=["organization", "starts_at"], name="event_org_starts_at"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gte=F("starts_at")), name="event_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_started(self) -> bool:
        return self.starts_at <= timezone.now()


class EventAttendance(models.Model):
    """One agent attended one event. Writes ``event_attended`` to the ledger."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("organization")
    )
    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="attendances", verbose_name=_("event")
    )
    agent = models.ForeignKey(
        Agent, on_delete=models.CASCADE, related_name="attendances", verbose_name=_("agent")
    )
    # The ledger row this attendance wrote (see services/events.py on re-adding an agent).
    external_id = models.CharField(max_length=200, editable=False)
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    recorded_by = models.ForeignKey(
        Agent,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )

    objects = OrgScopedManager()

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendances")
        constraints = [
            models.UniqueConstraint(fields=["event", "agent"], name="attendance_event_agent"),
        ]

    def __str__(self) -> str:
        return f"{self.agent_id} @ {self.event_id}"
