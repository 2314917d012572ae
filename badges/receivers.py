"""The engine's subscription to the ledger: a delta evaluation per ingestion.

Connected in ``BadgesConfig.ready()``. The ledger's signals come after commit with the
organization, the agents touched and the verbs; the receiver queues one django-q2 task with
those ids. The task is idempotent (the engine derives its state from the ledger), so a task
run twice, late or beside another changes nothing more. ``engine_deferred`` lets a bulk
writer (the demo history, a benchmark's loader) skip it and reconcile once at the end.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django_q.tasks import async_task

from ambassadors.signals import (
    activities_recorded,
    activities_retracted,
    coaching_confirmed,
    ledger_bulk_written,
)

_deferred: ContextVar[bool] = ContextVar("relais_engine_deferred", default=False)


@contextmanager
def engine_deferred() -> Iterator[None]:
    """Skip the per-ingestion evaluation inside this block; the caller reconciles."""
    token = _deferred.set(True)
    try:
        yield
    finally:
        _deferred.reset(token)


def evaluate_on_activities(
    sender: Any,
    *,
    organization_id: int,
    agent_ids: frozenset[int],
    verb_codes: frozenset[str],
    occurred_between: tuple[dt.datetime, dt.datetime] | None = None,
    **kwargs: Any,
) -> None:
    if _deferred.get():
        return
    span = None if occurred_between is None else [t.isoformat() for t in occurred_between]
    async_task(
        "badges.tasks.badges_evaluate_task",
        organization_id,
        sorted(agent_ids),
        sorted(verb_codes),
        span,
        task_name=f"badges-{organization_id}",
        q_options={"group": "badges"},
    )


def reconcile_on_bulk(sender: Any, *, organization_id: int, **kwargs: Any) -> None:
    """A bulk write (the demo history, a backfill) gets one full pass, in the background,
    which records what that history earned without a notice (or e-mail) per award."""
    if _deferred.get():
        return
    async_task(
        "badges.tasks.badges_reconcile_task",
        organization_id,
        notify=False,
        task_name=f"badges-reconcile-{organization_id}",
        q_options={"group": "badges"},
    )


def connect() -> None:
    ledger_bulk_written.connect(reconcile_on_bulk, dispatch_uid="badges.engine.bulk")
    for signal, name in (
        (activities_recorded, "recorded"),
        (activities_retracted, "retracted"),
        (coaching_confirmed, "confirmed"),
    ):
        signal.connect(evaluate_on_activities, dispatch_uid=f"badges.engine.{name}")
