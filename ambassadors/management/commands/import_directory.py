"""``python manage.py import_directory FILE --organization SLUG [--full] [--dry-run]``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _

from ambassadors.errors import DomainError
from ambassadors.management.args import existing_file, organization_by_slug
from ambassadors.management.progress import Progress
from ambassadors.services.directory import ImportResult, directory_import


class Command(BaseCommand):
    help = (
        "Import the staff directory (CSV or XLSX) of an organization: agents are created or "
        "updated by HR id; see docs/directory-import.md for the columns."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The HR export: .csv (; or ,) or .xlsx")
        parser.add_argument("--organization", required=True, help="The organization's slug")
        parser.add_argument(
            "--full",
            action="store_true",
            help="The file is the whole staff: agents missing from it are marked departed",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would change; write nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        organization = organization_by_slug(options["organization"])
        path = existing_file(options["file"])
        progress = Progress(self.stderr)
        with translation.override(organization.language):
            try:
                result = directory_import(
                    organization=organization,
                    source=path,
                    filename=path.name,
                    full=options["full"],
                    dry_run=options["dry_run"],
                    progress=progress,
                )
            except DomainError as exc:
                progress.end()
                raise CommandError(f"{exc.message} [{exc.code}]") from exc
            progress.end()
            self._report(result)

    def _report(self, result: ImportResult) -> None:
        if result.dry_run:
            self.stdout.write(self.style.WARNING(_("Dry run: nothing was written.")))
        self.stdout.write(
            _(
                "%(total)s rows: %(created)s created, %(updated)s updated, "
                "%(unchanged)s unchanged, %(departed)s departed, %(rejected)s rejected; "
                "%(units)s new services."
            )
            % {
                "total": result.total_rows,
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "departed": result.departed,
                "rejected": result.rejected,
                "units": result.units_created,
            }
        )
        for note in result.notes:
            self.stdout.write(self.style.WARNING(note))
        for error in result.errors:
            self.stdout.write(
                _("line %(line)s, column “%(column)s”: %(message)s")
                % {"line": error["line"], "column": error["column"], "message": error["message"]}
            )
        if result.errors_omitted:
            self.stdout.write(
                _("… and %(n)s more errors, not shown.") % {"n": result.errors_omitted}
            )
