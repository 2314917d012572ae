"""Background work of the ambassadors app (django-q2). Tasks take ids and call one service."""

from __future__ import annotations

from ambassadors.services.directory import directory_import_run_queued


def directory_import_task(import_id: int) -> str:
    """Run a queued directory import. Idempotent: a finished import is not run again."""
    record = directory_import_run_queued(import_id=import_id)
    return "skipped" if record is None else record.status


def adoption_refresh_task(organization_id: int, agent_ids: list[int] | None) -> int:
    """Rebuild the adoption rows of the agents an ingestion touched (None: every agent, after
    a bulk load). Idempotent: it rewrites the rows from the ledger, so running it twice, or
    late, gives the same rows."""
    from ambassadors.services.adoption import adoption_recompute

    return adoption_recompute(organization=organization_id, agent_ids=agent_ids)
