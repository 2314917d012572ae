from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from ambassadors.models import Organization
from api.models import ApiToken
from api.services import api_token_revoke


class Command(BaseCommand):
    help = "Revoke an API token, given its prefix (the first characters shown in the admin)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organization", required=True, help="Organization slug")
        parser.add_argument("prefix", help="The token's prefix, e.g. rls_AbCd1234")

    def handle(self, *args: Any, **options: Any) -> None:
        slug = options["organization"]
        organization = Organization.objects.filter(slug=slug).first()
        if organization is None:
            raise CommandError(_("No organization with the slug “%(slug)s”.") % {"slug": slug})
        prefix = options["prefix"]
        tokens = list(ApiToken.objects.for_org(organization).filter(key_prefix=prefix[:12]))
        if not tokens:
            raise CommandError(
                _("No token of %(slug)s starts with “%(prefix)s”.")
                % {"slug": slug, "prefix": prefix}
            )
        if len(tokens) > 1:
            raise CommandError(
                _("Several tokens of %(slug)s start with “%(prefix)s”; revoke it in the admin.")
                % {"slug": slug, "prefix": prefix}
            )
        token = api_token_revoke(token=tokens[0])
        self.stdout.write(
            self.style.SUCCESS(
                _("Revoked “%(name)s” (%(prefix)s…).")
                % {"name": token.name, "prefix": token.key_prefix}
            )
        )
