"""Each agent's adoption stage: a read model derived from the activity ledger.

The row keeps timestamps only; the stage itself is computed from them and "now" at read
time (``AgentAdoption.stage_at``), so that "active" lapses after 30 days without a job.
``ambassadors.services.adoption`` rewrites the rows of the agents new activity touches.
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Agent, Organization, OrgScopedManager

__all__ = ["ACTIVE_DAYS", "CONTRIBUTOR_DAYS", "AdoptionStage", "AgentAdoption"]

ACTIVE_DAYS = 30
CONTRIBUTOR_DAYS = 90


class AdoptionStage(models.TextChoices):
    """In ladder order: each stage is above the ones before it."""

    NOT_REACHED = "not_reached", _("Not reached")
    REACHED = "reached", _("Reached")
    CREDENTIALS_DELIVERED = "credentials_delivered", _("Credentials delivered")
    ONBOARDED = "onboarded", _("Onboarded")
    ACTIVE = "active", _("Active")
    CONTRIBUTOR = "contributor", _("Contributor")

    @classmethod
    def ladder(cls) -> list[AdoptionStage]:
        return list(cls)


class AgentAdoption(models.Model):
    agent = models.OneToOneField(
        Agent,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="adoption",
        verbose_name=_("agent"),
    )
    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # reads go through the agent (and its unit path), never the org alone
        verbose_name=_("organization"),
    )
    reached_at = models.DateTimeField(_("reached"), null=True, blank=True)
    # Which verb gave reached_at / onboarded_at, for the plain-words explanation.
    reached_verb = models.CharField(max_length=40, blank=True)
    credentials_delivered_at = models.DateTimeField(
        _("credentials delivered"), null=True, blank=True
    )
    onboarded_at = models.DateTimeField(_("onboarded"), null=True, blank=True)
    onboarded_verb = models.CharField(max_length=40, blank=True)
    last_activity_at = models.DateTimeField(_("last activity"), null=True, blank=True)
    last_published_at = models.DateTimeField(_("last publication"), null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = OrgScopedManager()

    class Meta:
        verbose_name = _("agent adoption")
        verbose_name_plural = _("agent adoptions")

    def __str__(self) -> str:
        return f"{self.agent_id}: {self.stage_at(timezone.now())}"

    def stage_at(self, now: dt.datetime) -> AdoptionStage:
        if self.last_published_at and self.last_published_at >= now - dt.timedelta(
            days=CONTRIBUTOR_DAYS
        ):
            return AdoptionStage.CONTRIBUTOR
        if self.onboarded_at:
            if self.last_activity_at and self.last_activity_at >= now - dt.timedelta(
                days=ACTIVE_DAYS
            ):
                return AdoptionStage.ACTIVE
            return AdoptionStage.ONBOARDED
        if self.credentials_delivered_at:
            return AdoptionStage.CREDENTIALS_DELIVERED
        if self.reached_at:
            return AdoptionStage.REACHED
        return AdoptionStage.NOT_REACHED
