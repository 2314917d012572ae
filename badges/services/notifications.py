"""Notices of awards: in-app rows and e-mails, each exactly once.

In-app: one ``Notification`` per (award, kind), or one digest per (agent, badge version) for
the history a rule activation backfilled. The unique constraints decide, with
``bulk_create(ignore_conflicts=True)``: a second call, or a second worker racing the first,
inserts nothing. A re-earned award (withdrawn, then met again) keeps its first notice.

E-mail: queued as a django-q2 task after commit, so that neither the engine's pass nor a
page waits on the mail server. The task claims each notice with one conditional UPDATE
(``emailed_at`` from NULL to now) right before sending it: the worker that claims sends, any
other sees the claim and skips. A failed send gives the claim back and is logged; a later
call for the same awards queues it again. Claims are per notice rather than per batch so
that a worker dying mid-batch leaves the unsent notices unclaimed.

A withdrawal is notified only with its reason, and the notice shows it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django_q.tasks import async_task

from ambassadors.models import Agent
from badges.models import Award, Badge, BadgeVersion, Notification, Tier

logger = logging.getLogger(__name__)

# Notices per e-mail task: a backfill of thousands of agents becomes many short tasks, each
# well inside the cluster's timeout.
EMAIL_BATCH = 200


# -- In-app -------------------------------------------------------------------------------


@transaction.atomic
def awards_notify(
    *,
    awarded: list[int],
    revoked: list[int],
    digest_version: BadgeVersion | None = None,
) -> int:
    """Create the notices for these awards (ids from the engine or a grant, after commit);
    queue their e-mails. Return how many notices are new.

    An award is announced only while it is live, a withdrawal only while it stands and has
    a reason. With ``digest_version`` the awards make one digest per agent instead; an
    agent's digest for a version is written once (a version is backfilled once).
    """
    by_org: dict[int, list[Award]] = defaultdict(list)
    for award in Award.objects.filter(pk__in=[*awarded, *revoked]).only(
        "pk", "organization_id", "agent_id", "revoked_at", "revoked_reason"
    ):
        by_org[award.organization_id].append(award)
    return sum(
        _notify(organization_id, awards, set(awarded), set(revoked), digest_version)
        for organization_id, awards in by_org.items()
    )


def _notify(
    organization_id: int,
    awards: list[Award],
    awarded: set[int],
    revoked: set[int],
    version: BadgeVersion | None,
) -> int:
    if version is not None and version.organization_id != organization_id:
        version = None
    rows: list[Notification] = []
    digests: dict[int, list[int]] = defaultdict(list)
    for award in awards:
        if award.revoked_at is None and award.pk in awarded:
            if version is not None:
                digests[award.agent_id].append(award.pk)
                continue
            kind = Notification.Kind.AWARDED
        elif award.revoked_at is not None and award.pk in revoked:
            if not award.revoked_reason:
                continue  # never a withdrawal without its reason shown
            kind = Notification.Kind.REVOKED
        else:
            continue  # moved on since: a later pass withdrew or reinstated it
        rows.append(
            Notification(
                organization_id=organization_id,
                agent_id=award.agent_id,
                award=award,
                kind=kind,
            )
        )
    rows += [
        Notification(
            organization_id=organization_id,
            agent_id=agent_id,
            kind=Notification.Kind.DIGEST,
            version=version,
            award_ids=sorted(ids),
        )
        for agent_id, ids in digests.items()
    ]
    if not rows:
        return 0
    matching = _matching(organization_id, rows, version)
    existing = set(matching.values_list("kind", "award_id", "agent_id"))
    new = [row for row in rows if _key(row) not in existing]
    # Still ignore_conflicts: a second worker may insert the same rows between the read
    # above and this insert; the constraints keep one.
    Notification.objects.bulk_create(new, batch_size=2000, ignore_conflicts=True)
    pending = list(
        matching.filter(emailed_at__isnull=True)
        .exclude(agent__email="")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for start in range(0, len(pending), EMAIL_BATCH):
        _queue_email(organization_id, pending[start : start + EMAIL_BATCH])
    return len(new)


def _key(row: Notification) -> tuple[str, int | None, int]:
    if row.kind == Notification.Kind.DIGEST:
        return (row.kind, None, row.agent_id)
    return (row.kind, row.award_id, row.agent_id)


def _queue_email(organization_id: int, ids: list[int]) -> None:
    transaction.on_commit(
        lambda: async_task(
            "badges.tasks.notifications_email_task",
            ids,
            task_name=f"notify-{organization_id}-{ids[0]}",
            q_options={"group": "notifications"},
        )
    )


def _matching(
    organization_id: int, rows: list[Notification], version: BadgeVersion | None
) -> QuerySet[Notification]:
    """The stored notices that these (maybe not inserted) rows stand for."""
    query = Q(pk__in=[])
    by_kind: dict[str, list[int]] = defaultdict(list)
    digest_agents: list[int] = []
    for row in rows:
        if row.kind == Notification.Kind.DIGEST:
            digest_agents.append(row.agent_id)
        else:
            by_kind[row.kind].append(row.award_id)  # type: ignore[arg-type]
    for kind, award_ids in by_kind.items():
        query |= Q(kind=kind, award_id__in=award_ids)
    if digest_agents and version is not None:
        query |= Q(kind=Notification.Kind.DIGEST, version=version, agent_id__in=digest_agents)
    return Notification.objects.for_org(organization_id).filter(query)


def notifications_unread(*, agent: Agent) -> QuerySet[Notification]:
    """The agent's unread notices, newest first, with the badge each is about."""
    return (
        Notification.objects.for_org(agent.organization_id)
        .filter(agent=agent, read_at__isnull=True)
        .select_related("award__badge", "version__badge")
        .order_by("-created_at", "-pk")
    )


@transaction.atomic
def notifications_mark_read(
    *, agent: Agent, ids: Sequence[int] | None = None, now: dt.datetime | None = None
) -> int:
    """Mark the agent's notices read (these ids, or all); return how many changed. Ids of
    notices that are not the agent's are ignored."""
    notices = Notification.objects.for_org(agent.organization_id).filter(
        agent=agent, read_at__isnull=True
    )
    if ids is not None:
        notices = notices.filter(pk__in=list(ids))
    return notices.update(read_at=now or timezone.now())


# -- E-mail -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AwardLine:
    """One badge as an e-mail shows it."""

    name: str
    tier: str  # empty for a single-tier badge
    criteria: str
    earned_on: dt.datetime
    reason: str = ""  # a grant's reason, or a withdrawal's
    withdrawn_on: dt.datetime | None = None


def agent_badges_url(agent_id: int) -> str:
    """Absolute: an e-mail has no request to build it from, hence ``SITE_URL``."""
    path = reverse("badge-agent", kwargs={"agent_id": agent_id})
    return settings.SITE_URL.rstrip("/") + path


def _line(award: Award, badge: Badge) -> AwardLine:
    """Call under the recipient's language: names and tiers are translated on the spot."""
    return AwardLine(
        name=badge.name,
        tier=str(Tier(award.tier).label) if len(badge.tiers) > 1 else "",
        criteria=badge.criteria,
        earned_on=award.awarded_at,
        reason=award.revoked_reason if award.revoked_at else award.reason,
        withdrawn_on=award.revoked_at,
    )


def _render(template: str, context: dict[str, Any]) -> tuple[str, str, str]:
    subject = render_to_string(f"badges/email/{template}_subject.txt", context)
    text = render_to_string(f"badges/email/{template}_body.txt", context)
    html = render_to_string(f"badges/email/{template}_body.html", context)
    # A header must be one line, whatever the template's whitespace.
    return " ".join(subject.split()), text, html


def _message(notice: Notification, digest_awards: list[Award]) -> EmailMultiAlternatives:
    organization = notice.organization
    agent = notice.agent
    context: dict[str, Any] = {
        "agent": agent,
        "organization": organization,
        "badges_url": agent_badges_url(agent.pk),
    }
    with translation.override(organization.language), timezone.override(organization.timezone):
        if notice.kind == Notification.Kind.DIGEST:
            lines = [_line(award, award.badge) for award in digest_awards]
            context["lines"] = lines
            context["count"] = len(lines)
            context["changed_badge"] = notice.version.badge.name if notice.version else ""
            template = "digest"
        else:
            award = notice.award
            assert award is not None
            context["line"] = _line(award, award.badge)
            context["granted"] = award.origin == Award.Origin.MANUAL
            template = "award" if notice.kind == Notification.Kind.AWARDED else "revoked"
        subject, text, html = _render(template, context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[agent.email],
        headers={"Auto-Submitted": "auto-generated", "Content-Language": organization.language},
    )
    message.attach_alternative(html, "text/html")
    return message


def _still_true(notice: Notification, digest_awards: list[Award]) -> bool:
    """Whether the notice still says something true when its e-mail is about to go."""
    if notice.kind == Notification.Kind.DIGEST:
        return bool(digest_awards)
    award = notice.award
    if award is None:
        return False
    if notice.kind == Notification.Kind.AWARDED:
        return award.revoked_at is None
    return award.revoked_at is not None and bool(award.revoked_reason)


def notifications_email(*, notification_ids: Sequence[int], now: dt.datetime | None = None) -> int:
    """Send the e-mails these notices still owe; return how many went. Never raises for a
    notice: a failure is logged and the notice stays unsent for a later attempt."""
    notices = list(
        Notification.objects.filter(pk__in=list(notification_ids), emailed_at__isnull=True)
        .exclude(agent__email="")
        .select_related("organization", "agent", "award__badge", "version__badge")
        .order_by("pk")
    )
    if not notices:
        return 0
    digest_ids = {
        award_id
        for notice in notices
        if notice.kind == Notification.Kind.DIGEST
        for award_id in notice.award_ids
    }
    # A digest lists the live awards among its ids that are its own agent's (so of its
    # organization), earliest first; a withdrawn one is left out.
    by_agent: dict[int, list[Award]] = defaultdict(list)
    if digest_ids:
        for award in (
            Award.objects.filter(pk__in=sorted(digest_ids), revoked_at__isnull=True)
            .select_related("badge")
            .order_by("awarded_at", "pk")
        ):
            by_agent[award.agent_id].append(award)
    connection = get_connection()
    try:
        connection.open()  # one connection for the batch
    except Exception:
        logger.exception("Notifications %s: no connection to the mail server", notification_ids)
        return 0  # nothing claimed: a later call sends them
    try:
        return _send(notices, by_agent, connection, now)
    finally:
        connection.close()


def _send(
    notices: list[Notification],
    by_agent: dict[int, list[Award]],
    connection: BaseEmailBackend,
    now: dt.datetime | None,
) -> int:
    sent = 0
    for notice in notices:
        ids = set(notice.award_ids)
        own = [award for award in by_agent.get(notice.agent_id, []) if award.pk in ids]
        if not _still_true(notice, own):
            continue
        try:
            message = _message(notice, own)
        except Exception:
            logger.exception("Notification %s: the e-mail could not be rendered", notice.pk)
            continue
        claimed_at = now or timezone.now()
        claimed = Notification.objects.filter(pk=notice.pk, emailed_at__isnull=True).update(
            emailed_at=claimed_at
        )
        if claimed != 1:
            continue  # another worker has it
        message.connection = connection
        try:
            message.send()
        except Exception:
            logger.exception("Notification %s: the e-mail could not be sent", notice.pk)
            Notification.objects.filter(pk=notice.pk, emailed_at=claimed_at).update(emailed_at=None)
            continue
        sent += 1
    return sent
