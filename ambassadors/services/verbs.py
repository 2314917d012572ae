"""The verb catalogue: the defaults every organization gets, extensible per organization."""

from __future__ import annotations

from typing import NamedTuple

from django.db import transaction

from ambassadors.models import Organization, Verb


class DefaultVerb(NamedTuple):
    code: str
    category: str
    label: str  # French: stored per organization as data, editable there


Category = Verb.Category

# Adding a verb here gives it to every organization created afterwards, and to existing
# ones the next time ``verbs_ensure_defaults`` runs for them (see CONTRIBUTING.md).
DEFAULT_VERBS: tuple[DefaultVerb, ...] = (
    DefaultVerb("first_login", Category.ONBOARDING, "Première connexion"),
    DefaultVerb("welcome_tour_completed", Category.ONBOARDING, "Visite guidée terminée"),
    DefaultVerb("profile_updated", Category.ONBOARDING, "Profil de l’annuaire mis à jour"),
    DefaultVerb("credentials_delivered", Category.ONBOARDING, "Identifiants remis"),
    DefaultVerb("news_published", Category.PUBLISHING, "Actualité publiée"),
    DefaultVerb("page_published", Category.PUBLISHING, "Page publiée"),
    DefaultVerb("document_published", Category.PUBLISHING, "Document publié"),
    DefaultVerb("comment_posted", Category.COMMUNITY, "Commentaire publié"),
    DefaultVerb("coaching_given", Category.MENTORING, "Accompagnement donné"),
    DefaultVerb("coaching_received", Category.MENTORING, "Accompagnement reçu"),
    DefaultVerb("event_attended", Category.COMMUNITY, "Participation à un événement"),
    DefaultVerb("training_completed", Category.ONBOARDING, "Formation suivie"),
)

DEFAULT_VERB_CODES = frozenset(verb.code for verb in DEFAULT_VERBS)


@transaction.atomic
def verbs_ensure_defaults(*, organization: Organization) -> int:
    """Create the default verbs the organization lacks; return how many were created.

    Idempotent, and safe under concurrency: one INSERT that skips existing codes. A verb the
    organization edited (label, category) or deactivated is left as it is.
    """
    existing = set(Verb.objects.for_org(organization).values_list("code", flat=True))
    missing = [
        Verb(
            organization=organization,
            code=verb.code,
            category=verb.category,
            label=verb.label,
        )
        for verb in DEFAULT_VERBS
        if verb.code not in existing
    ]
    if missing:
        Verb.objects.bulk_create(missing, ignore_conflicts=True)
    return len(missing)
