"""Manual actions on awards, each logged in ``AwardLog``: a grant by hand (comms), a contest
of a missing award (the agent themself) and its answer (comms).

A grant is an award the engine never withdraws (``origin`` manual). It takes the engine's
per-organization turn first (``engine_lock``), so that it and an evaluation of the same
organization never write the same award at once.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from ambassadors.errors import DomainError, NotFound, PermissionDenied
from ambassadors.models import Agent, Organization
from ambassadors.permissions import Action, Actor
from badges.models import Award, AwardLog, Badge, BadgeStatus, Notification
from badges.services.engine import engine_lock
from badges.services.notifications import awards_notify

MAX_REASON = 500  # Award.reason
MAX_COMMENT = 2000


def _raise(errors: dict[str, list[str]]) -> None:
    if errors:
        first = next(iter(errors.values()))[0]
        raise DomainError(first, code="invalid", extra=errors)


def _check_scope(organization: Organization, agent: Agent, badge: Badge) -> None:
    # Another organization's object is not found, never forbidden.
    if agent.organization_id != organization.pk:
        raise NotFound(_("No such agent."), extra={"agent": [_("No such agent.")]})
    if badge.organization_id != organization.pk:
        raise NotFound(_("No such badge."), extra={"badge": [_("No such badge.")]})


def _required_text(
    errors: dict[str, list[str]], name: str, value: str, limit: int, missing: str
) -> str:
    text = (value or "").strip()
    if not text:
        errors.setdefault(name, []).append(missing)
    elif len(text) > limit:
        errors.setdefault(name, []).append(
            _("At most %(max)d characters.") % {"max": limit},
        )
    return text


def _check_active(errors: dict[str, list[str]], badge: Badge) -> None:
    if badge.status != BadgeStatus.ACTIVE:
        errors.setdefault("badge", []).append(_("This badge is not active."))


def _check_tier(errors: dict[str, list[str]], badge: Badge, tier: str) -> None:
    if badge.tier(tier) is None:
        names = ", ".join(t["tier"] for t in badge.tiers)
        errors.setdefault("tier", []).append(
            _("Choose one of this badge’s tiers: %(tiers)s.") % {"tiers": names}
        )


@transaction.atomic
def award_grant(
    *,
    organization: Organization,
    agent: Agent,
    badge: Badge,
    tier: str,
    reason: str,
    actor: Actor,
    now: dt.datetime | None = None,
) -> Award:
    """Grant a badge's tier by hand, with a reason shown to the agent; log it and notify
    after commit. A withdrawn award of that tier is reinstated as a grant."""
    _check_scope(organization, agent, badge)
    if not actor.can(Action.GRANT_BADGE, agent):
        raise PermissionDenied(_("Only comms can grant a badge by hand."))
    errors: dict[str, list[str]] = {}
    text = _required_text(
        errors, "reason", reason, MAX_REASON, _("Give a reason: the agent will see it.")
    )
    _check_active(errors, badge)
    _check_tier(errors, badge, tier)
    _raise(errors)

    now = now or timezone.now()
    engine_lock(organization, now)
    award = (
        Award.objects.for_org(organization)
        .select_for_update()
        .filter(agent=agent, badge=badge, tier=tier)
        .first()
    )
    if award is not None and award.revoked_at is None:
        raise DomainError(
            _("%(name)s already holds this badge at this tier.") % {"name": agent.full_name},
            code="already_held",
            extra={"tier": [_("Already held.")]},
        )
    spec = badge.tier(tier) or {}
    fields = {
        "origin": Award.Origin.MANUAL,
        "granted_by": actor.agent,
        "reason": text,
        "awarded_at": now,
        "recorded_at": now,
        "rule_version": badge.version,
        "points": spec.get("points", 0),
        "activity_ids": [],
        "revoked_at": None,
        "revoked_reason": "",
    }
    if award is None:
        award = Award.objects.create(
            organization=organization, agent=agent, badge=badge, tier=tier, **fields
        )
    else:
        for name, value in fields.items():
            setattr(award, name, value)
        award.save(update_fields=list(fields))
        # The award's notice exists from when it was first earned: the grant is news again.
        Notification.objects.for_org(organization).filter(
            award=award, kind=Notification.Kind.AWARDED
        ).update(created_at=now, read_at=None, emailed_at=None)
    AwardLog.objects.create(
        organization=organization,
        kind=AwardLog.Kind.GRANTED,
        agent=agent,
        badge=badge,
        tier=tier,
        author=actor.agent,
        comment=text,
        created_at=now,
    )
    award_id = award.pk
    transaction.on_commit(lambda: awards_notify(awarded=[award_id], revoked=[]))
    return award


@transaction.atomic
def award_contest(
    *,
    organization: Organization,
    agent: Agent,
    badge: Badge,
    comment: str,
    actor: Actor,
    tier: str = "",
    now: dt.datetime | None = None,
) -> AwardLog:
    """The agent says they should hold a badge (a tier of it, if they name one); comms
    answer. One open contest per agent and badge."""
    _check_scope(organization, agent, badge)
    if not actor.can(Action.CONTEST_AWARD, agent):
        raise PermissionDenied(_("Only the agent themself can contest a missing award."))
    errors: dict[str, list[str]] = {}
    text = _required_text(
        errors,
        "comment",
        comment,
        MAX_COMMENT,
        _("Say what you did that the badge should count."),
    )
    _check_active(errors, badge)
    if tier:
        _check_tier(errors, badge, tier)
    _raise(errors)

    # The agent's row serialises their contests: two quick submissions make one contest.
    Agent.objects.for_org(organization).select_for_update().filter(pk=agent.pk).first()
    held = set(
        Award.objects.for_org(organization)
        .filter(agent=agent, badge=badge, revoked_at__isnull=True)
        .values_list("tier", flat=True)
    )
    if (tier and tier in held) or (not tier and held >= {t["tier"] for t in badge.tiers}):
        raise DomainError(
            _("You already hold this badge."),
            code="already_held",
            extra={"tier" if tier else "badge": [_("Already held.")]},
        )
    if _open_contests(organization).filter(agent=agent, badge=badge).exists():
        raise DomainError(
            _("You already contested this badge; comms will answer."),
            code="already_contested",
            extra={"badge": [_("A contest of this badge is open.")]},
        )
    return AwardLog.objects.create(
        organization=organization,
        kind=AwardLog.Kind.CONTESTED,
        agent=agent,
        badge=badge,
        tier=tier,
        author=actor.agent,
        comment=text,
        status=AwardLog.Status.OPEN,
        created_at=now or timezone.now(),
    )


@transaction.atomic
def award_contest_answer(
    *,
    log: AwardLog,
    accept: bool,
    answer: str,
    actor: Actor,
    tier: str | None = None,
    now: dt.datetime | None = None,
) -> AwardLog:
    """Answer an open contest. Rejecting needs an answer; accepting with a tier grants it
    (a grant by hand, its reason the contest); accepting without one acknowledges it (the
    data were corrected and the engine will award it)."""
    organization = actor.organization
    if log.organization_id != organization.pk or log.kind != AwardLog.Kind.CONTESTED:
        raise NotFound(_("No such contest."))
    if not actor.can(Action.MANAGE_PROGRAMME):
        raise PermissionDenied(_("Only comms answer contests."))
    contest = (
        AwardLog.objects.for_org(organization)
        .select_for_update()
        .select_related("agent", "badge")
        .get(pk=log.pk)
    )
    if contest.status != AwardLog.Status.OPEN:
        raise DomainError(_("This contest has already been answered."), code="already_answered")
    errors: dict[str, list[str]] = {}
    text = (answer or "").strip()
    if not accept and not text:
        errors["answer"] = [_("Say why the contest is rejected: the agent will read it.")]
    elif len(text) > MAX_COMMENT:
        errors["answer"] = [_("At most %(max)d characters.") % {"max": MAX_COMMENT}]
    _raise(errors)

    now = now or timezone.now()
    if accept and tier:
        reason = _("Contest accepted: %(text)s") % {"text": text or contest.comment}
        if len(reason) > MAX_REASON:
            reason = reason[: MAX_REASON - 1] + "…"
        award_grant(
            organization=organization,
            agent=contest.agent,
            badge=contest.badge,
            tier=tier,
            reason=reason,
            actor=actor,
            now=now,
        )
    contest.status = AwardLog.Status.ACCEPTED if accept else AwardLog.Status.REJECTED
    contest.answer = text
    contest.answered_by = actor.agent
    contest.answered_at = now
    contest.save(update_fields=["status", "answer", "answered_by", "answered_at"])
    # The agent hears the answer in the app, accepted or not (an accepted grant also
    # brings its own award notice); once per contest, whatever retries happen.
    Notification.objects.bulk_create(
        [
            Notification(
                organization=organization,
                agent_id=contest.agent_id,
                kind=Notification.Kind.CONTEST_ANSWERED,
                log=contest,
                created_at=now,
            )
        ],
        ignore_conflicts=True,
    )
    return contest


def _open_contests(organization: Organization) -> QuerySet[AwardLog]:
    return AwardLog.objects.for_org(organization).filter(
        kind=AwardLog.Kind.CONTESTED, status=AwardLog.Status.OPEN
    )


def award_logs(
    *,
    organization: Organization,
    status: str | None = None,
    kind: str | None = None,
    agent: Agent | None = None,
) -> QuerySet[AwardLog]:
    """The log for the comms page, newest first: grants and contests, optionally only one
    status (``open`` for the contests waiting for an answer), one kind, one agent."""
    errors: dict[str, list[str]] = {}
    if status is not None and status not in AwardLog.Status.values:
        errors["status"] = [
            _("Choose one of: %(choices)s.") % {"choices": ", ".join(AwardLog.Status.values)}
        ]
    if kind is not None and kind not in AwardLog.Kind.values:
        errors["kind"] = [
            _("Choose one of: %(choices)s.") % {"choices": ", ".join(AwardLog.Kind.values)}
        ]
    _raise(errors)
    logs = AwardLog.objects.for_org(organization).select_related(
        "agent", "badge", "author", "answered_by"
    )
    if status is not None:
        logs = logs.filter(status=status)
    if kind is not None:
        logs = logs.filter(kind=kind)
    if agent is not None:
        logs = logs.filter(agent=agent)
    return logs.order_by("-created_at", "-pk")
