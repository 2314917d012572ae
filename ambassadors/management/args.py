"""What the import commands check before they start: the organization and the file."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from ambassadors.models import Organization


def organization_by_slug(slug: str) -> Organization:
    organization = Organization.objects.filter(slug=slug).first()
    if organization is None:
        raise CommandError(_("No organization with the slug “%(slug)s”.") % {"slug": slug})
    return organization


def existing_file(name: str) -> Path:
    path = Path(name)
    if not path.is_file():
        raise CommandError(_("No such file: %(path)s") % {"path": path})
    return path
