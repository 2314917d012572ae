from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from ambassadors.errors import DomainError
from ambassadors.models import Organization
from api.models import Scope
from api.services import api_token_create


class Command(BaseCommand):
    help = (
        "Create an API token for one organization and print it once. "
        f"Scopes: {', '.join(Scope.values)}."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organization", required=True, help="Organization slug")
        parser.add_argument("--name", required=True, help="What the token is for, e.g. intranet")
        parser.add_argument(
            "--scopes",
            required=True,
            help=f"Comma-separated, among: {', '.join(Scope.values)}",
        )
        parser.add_argument("--expires-in-days", type=int, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        slug = options["organization"]
        organization = Organization.objects.filter(slug=slug).first()
        if organization is None:
            raise CommandError(_("No organization with the slug “%(slug)s”.") % {"slug": slug})
        try:
            created = api_token_create(
                organization=organization,
                name=options["name"],
                scopes=options["scopes"],
                expires_in_days=options["expires_in_days"],
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        token = created.token
        expiry = token.expires_at.isoformat(timespec="minutes") if token.expires_at else _("never")
        self.stderr.write(
            _(
                "Token “%(name)s” for %(slug)s, scopes %(scopes)s, expires %(expiry)s. "
                "Copy it now: it is stored hashed and will not be shown again."
            )
            % {
                "name": token.name,
                "slug": organization.slug,
                "scopes": ", ".join(token.scopes),
                "expiry": expiry,
            }
        )
        # Alone on stdout so that scripts can capture it: TOKEN=$(manage.py create_api_token ...)
        self.stdout.write(created.raw)
