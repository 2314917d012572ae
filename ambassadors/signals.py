"""Signals other apps subscribe to, so that ``ambassadors`` never imports them.

``activities_recorded`` is sent once per ingestion that stored at least one new activity,
after the transaction commits (never on rollback), with keyword arguments:

- ``organization_id``: int
- ``agent_ids``: frozenset[int], the agents who got new activity
- ``verb_codes``: frozenset[str], the verbs of the new activity
- ``occurred_between``: (earliest, latest) ``occurred_at`` of those rows, or None when
  unknown: a subscriber may limit its work to the days they fall on

``activities_retracted`` is sent the same way when activities are retracted, with the same
arguments describing the retracted rows. ``coaching_confirmed`` is sent the same way when a
coached agent's session is confirmed (no ledger row changes, but mentoring badges that
require confirmation may), with the coach and the agent as ``agent_ids`` and the coaching
verbs as ``verb_codes``. The gamification engine subscribes to all three.

``ledger_bulk_written`` (keyword ``organization_id``) replaces them for a bulk writer (the
demo history, a backfill) inside ``ledger_bulk(organization_id)``: the per-write signals are
not sent, and this one is sent once after the block's writes commit, so subscribers do one
full pass instead of thousands of small ones.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import Signal, receiver

from .models import Organization

activities_recorded = Signal()
activities_retracted = Signal()
coaching_confirmed = Signal()
ledger_bulk_written = Signal()

_bulk: ContextVar[bool] = ContextVar("relais_ledger_bulk", default=False)


@contextmanager
def ledger_bulk(organization_id: int) -> Iterator[None]:
    """Hold the per-write signals back; send ``ledger_bulk_written`` once, after commit."""
    token = _bulk.set(True)
    try:
        yield
    finally:
        _bulk.reset(token)
    transaction.on_commit(
        lambda: ledger_bulk_written.send(sender=Organization, organization_id=organization_id)
    )


def send_after_commit(
    signal: Signal,
    *,
    organization_id: int,
    agent_ids: frozenset[int],
    verb_codes: frozenset[str],
    occurred_between: tuple[datetime.datetime, datetime.datetime] | None = None,
) -> None:
    from .models import Activity

    if _bulk.get():
        return

    def send() -> None:
        signal.send(
            sender=Activity,
            organization_id=organization_id,
            agent_ids=agent_ids,
            verb_codes=verb_codes,
            occurred_between=occurred_between,
        )

    transaction.on_commit(send)


@receiver(post_save, sender=Organization, dispatch_uid="ambassadors.organization_default_verbs")
def organization_default_verbs(
    sender: type[Organization], instance: Organization, created: bool, raw: bool, **kwargs: Any
) -> None:
    if created and not raw:
        from .services.verbs import verbs_ensure_defaults

        verbs_ensure_defaults(organization=instance)
