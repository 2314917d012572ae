from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from ambassadors.errors import DomainError
from ambassadors.services.organizations import organization_create


class Command(BaseCommand):
    help = "Create an empty organization (a collectivité): no unit, no agent yet."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="Short identifier used in commands, e.g. valmont")
        parser.add_argument("--name", required=True, help="Display name, e.g. “Ville de Valmont”")
        parser.add_argument("--timezone", default="Europe/Paris")
        parser.add_argument(
            "--language", default="fr", choices=[code for code, _label in settings.LANGUAGES]
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            organization = organization_create(
                slug=options["slug"],
                name=options["name"],
                timezone=options["timezone"],
                language=options["language"],
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            self.style.SUCCESS(
                _("Created organization “%(name)s” (%(slug)s).")
                % {"name": organization.name, "slug": organization.slug}
            )
        )
