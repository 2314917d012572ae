"""Signals other apps subscribe to, so that ``ambassadors`` never imports them.

``activities_recorded`` is sent once per ingestion that stored at least one new activity,
after the transaction commits (never on rollback), with keyword arguments:

- ``organization_id``: int
- ``agent_ids``: frozenset[int], the agents who got new activity
- ``verb_codes``: frozenset[str], the verbs of the new activity

``activities_retracted`` is sent the same way when activities are retracted, with the same
arguments describing the retracted rows. ``coaching_confirmed`` is sent the same way when a
coached agent's session is confirmed (no ledger row changes, but mentoring badges that
require confirmation may), with the coach and the agent as ``agent_ids`` and the coaching
verbs as ``verb_codes``. The gamification engine subscribes to all three.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import Signal, receiver

from .models import Organization

activities_recorded = Signal()
activities_retracted = Signal()
coaching_confirmed = Signal()


def send_after_commit(
    signal: Signal, *, organization_id: int, agent_ids: frozenset[int], verb_codes: frozenset[str]
) -> None:
    from .models import Activity

    def send() -> None:
        signal.send(
            sender=Activity,
            organization_id=organization_id,
            agent_ids=agent_ids,
            verb_codes=verb_codes,
        )

    transaction.on_commit(send)


@receiver(post_save, sender=Organization, dispatch_uid="ambassadors.organization_default_verbs")
def organization_default_verbs(
    sender: type[Organization], instance: Organization, created: bool, raw: bool, **kwargs: Any
) -> None:
    if created and not raw:
        from .services.verbs import verbs_ensure_defaults

        verbs_ensure_defaults(organization=instance)
