"""Receivers of the ledger's signals inside ``ambassadors``: the adoption read model.

Connected in ``AmbassadorsConfig.ready()``. Both signals are sent after commit with the
agents touched; the recomputation is set-based (a constant number of queries), so it runs
inline. ``adoption_deferred`` lets a bulk writer (the demo history) skip it and recompute
once at the end.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from .services.adoption import adoption_recompute
from .signals import activities_recorded, activities_retracted

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
    adoption_recompute(organization=organization_id, agent_ids=agent_ids)


def connect() -> None:
    activities_recorded.connect(
        adoption_on_activities, dispatch_uid="ambassadors.adoption.recorded"
    )
    activities_retracted.connect(
        adoption_on_activities, dispatch_uid="ambassadors.adoption.retracted"
    )
