"""``python manage.py import_activities FILE --organization SLUG [--source csv] [--json]``."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _

from ambassadors.errors import DomainError
from ambassadors.management.args import existing_file, organization_by_slug
from ambassadors.management.progress import Progress
from ambassadors.services.ledger import (
    CSV_COLUMNS,
    TableIngestReport,
    activities_ingest_table,
)
from ambassadors.signals import ledger_bulk

ERRORS_SHOWN = 1000


class Command(BaseCommand):
    help = (
        "Backfill the activity ledger from the intranet's history (CSV or XLSX), in chunks "
        "of 5,000 rows. Columns: " + ";".join(CSV_COLUMNS) + ". See docs/ingestion.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "file", help="The export: .csv (; or ,, UTF-8 or Windows-1252) or .xlsx"
        )
        parser.add_argument("--organization", required=True, help="The organization's slug")
        parser.add_argument(
            "--source",
            default="csv",
            help="Source code the activities are recorded under (default: csv); a re-import "
            "under the same source skips rows already stored",
        )
        parser.add_argument(
            "--json",
            action="store_true",
            help="Print the full report as JSON (every row: line, status, errors)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        organization = organization_by_slug(options["organization"])
        path = existing_file(options["file"])
        progress = Progress(self.stderr)
        # A backfill of history: subscribers (adoption, badges) get one full pass once it
        # is in, not one per chunk; badges it earns are recorded without a notice each.
        with translation.override(organization.language), ledger_bulk(organization.pk):
            try:
                report = activities_ingest_table(
                    organization=organization,
                    source=path,
                    source_code=options["source"],
                    filename=path.name,
                    progress=progress,
                )
            except DomainError as exc:
                progress.end()
                raise CommandError(f"{exc.message} [{exc.code}]") from exc
            progress.end()
            if options["json"]:
                self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False))
            else:
                self._report(report)

    def _report(self, report: TableIngestReport) -> None:
        self.stdout.write(
            _(
                "%(rows)s rows: %(accepted)s accepted, %(duplicates)s duplicates "
                "(already stored), %(rejected)s rejected."
            )
            % {
                "rows": report.rows,
                "accepted": report.accepted,
                "duplicates": report.duplicates,
                "rejected": report.rejected,
            }
        )
        if report.ignored_columns:
            self.stdout.write(
                self.style.WARNING(
                    _("Ignored columns: %(columns)s.")
                    % {"columns": ", ".join(report.ignored_columns)}
                )
            )
        shown = 0
        for result in report.results:
            if result["status"] != "rejected":
                continue
            if shown == ERRORS_SHOWN:
                self.stdout.write(
                    _("… and %(n)s more rejected rows, not shown (use --json).")
                    % {"n": report.rejected - shown}
                )
                break
            shown += 1
            for name, messages in result["errors"].items():
                for message in messages:
                    self.stdout.write(
                        _("line %(line)s, column “%(column)s”: %(message)s")
                        % {"line": result["line"], "column": name, "message": message}
                    )
