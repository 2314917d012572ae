"""Give the organizations that existed before the badges app its default catalogue.

New organizations get it at creation (``badges.signals``); this does the same once for the
others, with the models as they are at this migration.
"""

from django.db import migrations
from django.utils import timezone


def ensure_defaults(apps, schema_editor):
    from badges.defaults import DEFAULT_BADGES, DEFAULT_POINTS

    Organization = apps.get_model("ambassadors", "Organization")
    Verb = apps.get_model("ambassadors", "Verb")
    Badge = apps.get_model("badges", "Badge")
    BadgeVersion = apps.get_model("badges", "BadgeVersion")
    PointRule = apps.get_model("badges", "PointRule")
    now = timezone.now()
    for organization in Organization.objects.all():
        for default in DEFAULT_BADGES:
            badge, created = Badge.objects.get_or_create(
                organization=organization,
                code=default.code,
                defaults={**default.badge_fields(), "status": "active", "version": 1},
            )
            if created:
                BadgeVersion.objects.create(
                    organization=organization,
                    badge=badge,
                    number=1,
                    status="active",
                    kind=badge.kind,
                    params=badge.params,
                    tiers=badge.tiers,
                    revocable=badge.revocable,
                    created_at=now,
                    activated_at=now,
                )
        verbs = dict(Verb.objects.filter(organization=organization).values_list("code", "id"))
        for points in DEFAULT_POINTS:
            if points.verb in verbs:
                PointRule.objects.get_or_create(
                    verb_id=verbs[points.verb],
                    defaults={
                        "organization": organization,
                        "points": points.points,
                        "daily_cap": points.daily_cap,
                    },
                )


class Migration(migrations.Migration):
    dependencies = [
        ("badges", "0001_initial"),
        ("ambassadors", "0002_ledger_coaching_events_adoption"),
    ]

    operations = [migrations.RunPython(ensure_defaults, migrations.RunPython.noop)]
