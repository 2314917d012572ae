"""Background work of the ambassadors app (django-q2). Tasks take ids and call one service."""

from __future__ import annotations

from ambassadors.services.directory import directory_import_run_queued


def directory_import_task(import_id: int) -> str:
    """Run a queued directory import. Idempotent: a finished import is not run again."""
    record = directory_import_run_queued(import_id=import_id)
    return "skipped" if record is None else record.status
