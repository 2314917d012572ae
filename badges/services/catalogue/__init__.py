"""The badge catalogue and its lifecycle: defaults, create, edit, activate, retire.

A badge is born a draft (its rule is version 1, not evaluated), is activated (evaluated from
then on, its history backfilled in the background), and may be retired (no longer evaluated;
the awards stay). Editing an *active* badge's rule never changes what is live: it writes
the badge's one draft ``BadgeVersion``, which the preview (``badges.services.preview``)
evaluates and ``badge_version_activate`` puts live. Presentation (names, texts, category,
image, position) is edited in place at any time.

Errors: bad input raises ``django.core.exceptions.ValidationError`` with a dict naming the
field (``name_fr``, ``tiers[1].threshold``, ``params.verbs`` for a rule parameter, ``__all__``
for none in particular); a step the badge's state does not allow (activating an active
badge) raises ``ambassadors.errors.DomainError``.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from ambassadors.models import Organization, Verb
from badges.defaults import DEFAULT_BADGES, DEFAULT_POINTS
from badges.models import Badge, BadgeStatus, BadgeVersion, PointRule

from .lifecycle import (
    badge_activate,
    badge_create,
    badge_retire,
    badge_update,
    badge_version_activate,
    badge_version_discard,
)
from .validation import CleanRule, clean_rule

__all__ = [
    "CleanRule",
    "badge_activate",
    "badge_create",
    "badge_retire",
    "badge_update",
    "badge_version_activate",
    "badge_version_discard",
    "badges_ensure_defaults",
    "clean_rule",
]


@transaction.atomic
def badges_ensure_defaults(*, organization: Organization) -> int:
    """Create the default badges (active, version 1) and the default points per verb the
    organization lacks; return how many badges were created.

    Idempotent and safe under concurrency: inserts skip existing rows. A badge the
    organization edited, retired or re-coded elsewhere is left alone, as is an edited point
    rule; only missing codes and verbs without points are filled in.
    """
    existing = set(Badge.objects.for_org(organization).values_list("code", flat=True))
    missing = [
        Badge(organization=organization, status=BadgeStatus.ACTIVE, version=1, **d.badge_fields())
        for d in DEFAULT_BADGES
        if d.code not in existing
    ]
    if missing:
        Badge.objects.bulk_create(missing, ignore_conflicts=True)
        now = timezone.now()
        # ignore_conflicts returns no keys on every database: read the rows back.
        created = Badge.objects.for_org(organization).filter(
            code__in=[badge.code for badge in missing], version=1
        )
        BadgeVersion.objects.bulk_create(
            [
                BadgeVersion(
                    organization=organization,
                    badge=badge,
                    number=1,
                    status=BadgeVersion.Status.ACTIVE,
                    kind=badge.kind,
                    params=badge.params,
                    tiers=badge.tiers,
                    revocable=badge.revocable,
                    created_at=now,
                    activated_at=now,
                )
                for badge in created
            ],
            ignore_conflicts=True,
        )
    verbs = dict(
        Verb.objects.for_org(organization)
        .filter(code__in=[p.verb for p in DEFAULT_POINTS])
        .values_list("code", "id")
    )
    with_rule = set(PointRule.objects.for_org(organization).values_list("verb_id", flat=True))
    rules = [
        PointRule(
            organization=organization,
            verb_id=verbs[p.verb],
            points=p.points,
            daily_cap=p.daily_cap,
        )
        for p in DEFAULT_POINTS
        if p.verb in verbs and verbs[p.verb] not in with_rule
    ]
    if rules:
        PointRule.objects.bulk_create(rules, ignore_conflicts=True)
    return len(missing)
