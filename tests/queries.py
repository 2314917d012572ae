"""Query counts that differ by database, for the query-count tests."""

from __future__ import annotations

from django.db import connection


def ledger_insert_extra() -> int:
    """On PostgreSQL the ledger's insert is two statements (create the staging table if
    missing, then INSERT ... SELECT); the COPY between them goes through the driver's copy
    protocol, which Django does not count. On SQLite it is one statement."""
    return 1 if connection.vendor == "postgresql" else 0
