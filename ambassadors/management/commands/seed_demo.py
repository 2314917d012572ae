"""``manage.py seed_demo [--agents 2000] [--seed 1] [--reset]``: the Ville de Valmont demo."""

from __future__ import annotations

import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from ambassadors.demo import DEMO_PASSWORD, DemoSummary, demo_seed
from ambassadors.demo.history import HistorySummary, demo_history_write
from ambassadors.errors import DomainError


class Command(BaseCommand):
    help = (
        "Seed the demo collectivité (organization 'valmont'): org chart, sites, agents, roles, "
        "ambassadors and demo logins. Deterministic for a seed; reuses an existing demo."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--agents", type=int, default=2000, help="Number of agents.")
        parser.add_argument("--seed", type=int, default=1, help="Random seed.")
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete the demo organization and all its data first, then seed again.",
        )
        parser.add_argument(
            "--no-history",
            action="store_true",
            help="Skip the year of activity history, events and coaching sessions.",
        )

    def handle(self, *args: Any, agents: int, seed: int, reset: bool, **options: Any) -> None:
        started = time.perf_counter()
        try:
            summary = demo_seed(agents=agents, seed=seed, reset=reset)
            history = None
            if summary.created and not options.get("no_history"):
                history = demo_history_write(organization=summary.organization, seed=seed)
        except DomainError as error:
            raise CommandError(error.message) from error
        self._report(summary, time.perf_counter() - started)
        if history is not None:
            self._report_history(history)

    def _report_history(self, history: HistorySummary) -> None:
        self.stdout.write(
            _(
                "History: %(activities)d activities, %(events)d events (%(attendances)d "
                "attendances), %(sessions)d coaching sessions."
            )
            % {
                "activities": history.activities,
                "events": history.events,
                "attendances": history.attendances,
                "sessions": history.coaching_sessions,
            }
        )

    def _report(self, summary: DemoSummary, seconds: float) -> None:
        org = summary.organization
        if summary.created:
            self.stdout.write(
                self.style.SUCCESS(
                    _("Seeded the demo organization %(name)s (%(slug)s) in %(seconds).1f s.")
                    % {"name": org.name, "slug": org.slug, "seconds": seconds}
                )
            )
        else:
            self.stdout.write(
                self.style.WARNING(
                    _(
                        "The demo organization %(name)s (%(slug)s) already exists: nothing "
                        "changed. Use --reset to delete it and seed it again."
                    )
                    % {"name": org.name, "slug": org.slug}
                )
            )
        lines = [
            (_("Units"), summary.units),
            (_("Sites"), summary.sites),
            (_("Agents"), summary.agents),
            (_("Without workstation"), summary.without_workstation),
            (_("Without account"), summary.without_account),
            (_("Ambassadors"), summary.ambassadors),
            (_("Active ambassadors"), summary.active_ambassadors),
        ]
        for label, value in lines:
            self.stdout.write(f"  {label}: {value}")
        self.stdout.write(_("Demo logins (password: %(password)s):") % {"password": DEMO_PASSWORD})
        for login in summary.logins:
            self.stdout.write(f"  {login.username:<11} {login.description}")
