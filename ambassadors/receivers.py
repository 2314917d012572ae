"""Receivers of the ledger's signals inside ``ambassadors``: the adoption read model.

Connected in ``AmbassadorsConfig.ready()``. Both signals are sent after commit with the
agents touched; the receiver queues one django-q2 task for them, so an ingestion request
pays one enqueue, not an aggregate over the touched agents' history (which grows with the
ledger). The recomputation is set-based and idempotent. ``adoption_deferred`` lets a bulk
writer (the demo history) skip it and recompute once at the end.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django_q.tasks import async_task

from .signals import activities_recorded, activities_retracted, ledger_bulk_written

_deferred: ContextVar[bool] = ContextVar("relais_adoption_deferred", default=False)


@contextmanager
def adoption_deferred() -> Iterator[None]:
    """Skip the per-ingestion recomputation inside this block; the caller recomputes."""
    token = _deferred.set(True)
    try:
        yield
    finally:
        _deferred.reset(token)


def adoption_on_activities(
    sender: Any, *, organization_id: int, agent_ids: frozenset[int], **kwargs: Any
) -> None:
    if _deferred.get():
        return
    async_task(
        "ambassadors.tasks.adoption_refresh_task",
        organization_id,
        sorted(agent_ids),
        task_name=f"adoption-{organization_id}",
        q_options={"group": "adoption"},
    )


def adoption_on_bulk(sender: Any, *, organization_id: int, **kwargs: Any) -> None:
    """A bulk load of history (``ledger_bulk``) refreshes every agent's row once."""
    if _deferred.get():
        return
    async_task(
        "ambassadors.tasks.adoption_refresh_task",
        organization_id,
        None,
        task_name=f"adoption-{organization_id}",
        q_options={"group": "adoption"},
    )


def connect() -> None:
    ledger_bulk_written.connect(adoption_on_bulk, dispatch_uid="ambassadors.adoption.bulk")
    activities_recorded.connect(
        adoption_on_activities, dispatch_uid="ambassadors.adoption.recorded"
    )
    activities_retracted.connect(
        adoption_on_activities, dispatch_uid="ambassadors.adoption.retracted"
    )
