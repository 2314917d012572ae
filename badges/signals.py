"""Receivers on other apps' models (connected by importing this module in ``BadgesConfig``).

A new organization gets the default badge catalogue and points per verb, as it gets the
default verbs (``ambassadors.signals.organization_default_verbs``). ``BADGES_DEFAULT_CATALOGUE``
= False in the settings turns this off: tests of the engine that build their own badges
start from an empty catalogue.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver

from ambassadors.models import Organization


@receiver(post_save, sender=Organization, dispatch_uid="badges.organization_default_catalogue")
def organization_default_catalogue(
    sender: type[Organization], instance: Organization, created: bool, raw: bool, **kwargs: Any
) -> None:
    if not created or raw or not getattr(settings, "BADGES_DEFAULT_CATALOGUE", True):
        return
    from ambassadors.services.verbs import verbs_ensure_defaults
    from badges.services.catalogue import badges_ensure_defaults

    # The points name verbs: make sure they exist whatever order receivers run in.
    verbs_ensure_defaults(organization=instance)
    badges_ensure_defaults(organization=instance)
