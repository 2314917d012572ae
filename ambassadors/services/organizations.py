"""Writes on organizations (tenants)."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import transaction
from django.utils.translation import gettext as _

from ambassadors.errors import DomainError
from ambassadors.models import Organization


@transaction.atomic
def organization_create(
    *, slug: str, name: str, timezone: str = "Europe/Paris", language: str = "fr"
) -> Organization:
    """An empty organization: no unit, no agent, no role yet."""
    slug = slug.strip()
    name = name.strip()
    try:
        validate_slug(slug)
    except ValidationError as exc:
        raise DomainError(
            _(
                "“%(slug)s” is not a valid slug: use lowercase letters, digits, "
                "hyphens and underscores."
            )
            % {"slug": slug},
            code="invalid_slug",
            extra={"slug": [str(message) for message in exc.messages]},
        ) from exc
    if slug != slug.lower():
        raise DomainError(
            _("“%(slug)s” is not a valid slug: use lowercase letters only.") % {"slug": slug},
            code="invalid_slug",
        )
    max_length = Organization._meta.get_field("slug").max_length
    if max_length is not None and len(slug) > max_length:
        raise DomainError(
            _("The slug is too long (%(max)d characters at most).") % {"max": max_length},
            code="invalid_slug",
        )
    if not name:
        raise DomainError(_("The organization needs a name."), code="invalid_name")
    if timezone not in zoneinfo.available_timezones():
        raise DomainError(
            _("“%(timezone)s” is not a known time zone (for example Europe/Paris).")
            % {"timezone": timezone},
            code="invalid_timezone",
        )
    languages = [code for code, _label in settings.LANGUAGES]
    if language not in languages:
        raise DomainError(
            _("“%(language)s” is not an available language; choose one of: %(choices)s.")
            % {"language": language, "choices": ", ".join(languages)},
            code="invalid_language",
        )
    if Organization.objects.filter(slug=slug).exists():
        raise DomainError(
            _("An organization with the slug “%(slug)s” already exists.") % {"slug": slug},
            code="organization_exists",
        )
    organization = Organization(slug=slug, name=name, timezone=timezone, language=language)
    organization.full_clean()
    organization.save()
    return organization
