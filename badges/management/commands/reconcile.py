"""``python manage.py reconcile [--organization SLUG]``: the engine's full path.

Re-derives every award and point line from the ledger (all organizations, or one), prints
what each organization needed, and ends with the line ``drift: N``, N being what had to be
corrected over all of them (0 when the delta path had kept everything right).
"""

from __future__ import annotations

import time
import traceback
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ambassadors.management.args import organization_by_slug
from ambassadors.models import Organization
from badges.services.engine import EvaluationReport, badges_reconcile


class Command(BaseCommand):
    help = (
        "Re-derive awards and points from the activity ledger, withdraw revocable badges no "
        "longer met, and report the drift found and corrected (last line: drift: N)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--organization", help="The organization's slug (default: every organization)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["organization"]:
            organizations = [organization_by_slug(options["organization"])]
        else:
            organizations = list(Organization.objects.order_by("slug"))
        total = 0
        failed: list[str] = []
        started = time.monotonic()
        for organization in organizations:
            with translation.override(organization.language):
                began = time.monotonic()
                try:
                    report = badges_reconcile(organization=organization)
                except Exception:
                    # One organization's failure (its transaction rolled back) must not
                    # leave the others unreconciled: say it, go on, fail at the end.
                    self.stderr.write(traceback.format_exc())
                    failed.append(organization.slug)
                    continue
                self.stdout.write(self._line(organization, report, time.monotonic() - began))
            total += report.drift
        done = len(organizations) - len(failed)
        self.stderr.write(
            ngettext(
                "%(n)d organization reconciled in %(seconds).1f s.",
                "%(n)d organizations reconciled in %(seconds).1f s.",
                done,
            )
            % {"n": done, "seconds": time.monotonic() - started}
        )
        self.stdout.write(f"drift: {total}")
        if failed:
            raise CommandError(
                _("Reconciliation failed for: %(slugs)s.") % {"slugs": ", ".join(failed)}
            )

    def _line(self, organization: Organization, report: EvaluationReport, seconds: float) -> str:
        return _(
            "%(slug)s: %(rules)d rules; awards: %(awarded)d new, %(reinstated)d reinstated, "
            "%(updated)d updated, %(revoked)d withdrawn; point lines: %(added)d added, "
            "%(removed)d removed; drift %(drift)d (%(seconds).1f s)."
        ) % {
            "slug": organization.slug,
            "rules": report.rules,
            "awarded": report.awarded,
            "reinstated": report.reinstated,
            "updated": report.updated,
            "revoked": report.revoked,
            "added": report.points_added,
            "removed": report.points_removed,
            "drift": report.drift,
            "seconds": seconds,
        }
