"""Notices of awards: in-app rows, exactly once per award and kind."""

from __future__ import annotations

from badges.models import Award, BadgeVersion, Notification


def awards_notify(
    *,
    awarded: list[int],
    revoked: list[int],
    digest_version: BadgeVersion | None = None,
) -> int:
    """Create the in-app notices for these awards; return how many were new."""
    rows = []
    for award in Award.objects.filter(pk__in=awarded + revoked).only(
        "pk", "organization_id", "agent_id", "revoked_at", "revoked_reason"
    ):
        if award.revoked_at is not None and not award.revoked_reason:
            continue  # never a withdrawal without its reason
        kind = Notification.Kind.REVOKED if award.revoked_at else Notification.Kind.AWARDED
        rows.append(
            Notification(
                organization_id=award.organization_id,
                agent_id=award.agent_id,
                award=award,
                kind=kind,
            )
        )
    created = Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return len(created)
