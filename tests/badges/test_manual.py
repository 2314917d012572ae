"""Manual actions: a grant by hand (comms), a contest (the agent) and its answer (comms)."""

from __future__ import annotations

import pytest
from django.core import mail

from ambassadors.errors import DomainError, NotFound, PermissionDenied
from ambassadors.permissions import actor_for
from badges.models import Award, AwardLog, Badge, BadgeStatus, Notification
from badges.services.engine import badges_evaluate, badges_reconcile
from badges.services.manual import (
    award_contest,
    award_contest_answer,
    award_grant,
    award_logs,
)
from tests.factories import AgentFactory

from .helpers import NOW, at, badge, ingest, retract

pytestmark = pytest.mark.django_db


@pytest.fixture
def plume(organization) -> Badge:
    return badge(
        organization,
        "plume",
        "activity_count",
        {"verbs": ["news_published"]},
        [("bronze", 1, 5), ("silver", 3, 10)],
        revocable=True,
    )


def grant(organization, grantor, agent, item, tier="silver", reason="Animation du forum."):
    return award_grant(
        organization=organization,
        agent=agent,
        badge=item,
        tier=tier,
        reason=reason,
        actor=actor_for(organization, grantor),
        now=NOW,
    )


def contest(organization, agent, item, comment="J’ai publié trois actualités.", **kwargs):
    return award_contest(
        organization=organization,
        agent=agent,
        badge=item,
        comment=comment,
        actor=actor_for(organization, agent),
        now=NOW,
        **kwargs,
    )


# -- Grant --------------------------------------------------------------------------------


def test_comms_grant_a_badge_by_hand_logged_and_notified(
    organization, comms, agent, plume, django_capture_on_commit_callbacks
):
    agent.email = "agent@ville-a.fr"
    agent.save()
    with django_capture_on_commit_callbacks(execute=True):
        award = grant(organization, comms, agent, plume)
    assert award.is_live and award.origin == Award.Origin.MANUAL
    assert award.granted_by == comms and award.reason == "Animation du forum."
    assert award.points == 10 and award.rule_version == plume.version
    assert award.awarded_at == NOW
    log = AwardLog.objects.for_org(organization).get()
    assert (log.kind, log.agent, log.badge, log.tier, log.author) == (
        AwardLog.Kind.GRANTED,
        agent,
        plume,
        "silver",
        comms,
    )
    assert log.comment == "Animation du forum."
    notice = Notification.objects.for_org(organization).get()
    assert notice.award == award and notice.kind == Notification.Kind.AWARDED
    (message,) = mail.outbox
    assert "Animation du forum." in message.body


@pytest.mark.parametrize("who", ["manager", "ambassador", "agent"])
def test_only_comms_grant_a_badge(request, organization, field_agent, plume, who):
    grantor = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        grant(organization, grantor, field_agent, plume)
    assert not Award.objects.for_org(organization).exists()


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_grant_needs_a_reason(organization, comms, agent, plume, reason):
    with pytest.raises(DomainError) as error:
        grant(organization, comms, agent, plume, reason=reason)
    assert "reason" in error.value.extra
    assert not Award.objects.for_org(organization).exists()


def test_a_grant_names_a_tier_of_the_badge(organization, comms, agent, plume):
    with pytest.raises(DomainError) as error:
        grant(organization, comms, agent, plume, tier="gold")
    assert "tier" in error.value.extra


def test_an_inactive_badge_cannot_be_granted(organization, comms, agent, plume):
    plume.status = BadgeStatus.RETIRED
    plume.save()
    with pytest.raises(DomainError) as error:
        grant(organization, comms, agent, plume)
    assert "badge" in error.value.extra


def test_a_held_tier_cannot_be_granted_again(organization, comms, agent, plume):
    grant(organization, comms, agent, plume)
    with pytest.raises(DomainError) as error:
        grant(organization, comms, agent, plume)
    assert error.value.code == "already_held"
    assert AwardLog.objects.for_org(organization).count() == 1


def test_another_organizations_agent_or_badge_is_not_found(
    organization, other_organization, comms, agent, outsider, plume
):
    with pytest.raises(NotFound):
        grant(organization, comms, outsider, plume)
    theirs = badge(
        other_organization, "plume", "activity_count", {"verbs": ["x"]}, [("bronze", 1, 5)]
    )
    with pytest.raises(NotFound):
        grant(organization, comms, agent, theirs)
    # the other organization's comms cannot grant here either
    with pytest.raises(PermissionDenied):
        award_grant(
            organization=organization,
            agent=agent,
            badge=plume,
            tier="bronze",
            reason="Non.",
            actor=actor_for(other_organization, outsider),
        )


def test_reconcile_never_withdraws_a_grant(organization, comms, agent, plume):
    award = grant(organization, comms, agent, plume)
    report = badges_reconcile(organization=organization, now=NOW)
    award.refresh_from_db()
    assert award.is_live and award.origin == Award.Origin.MANUAL
    assert report.revoked == 0
    # earning it later by the data leaves the grant as granted
    for days in (3, 2, 1):
        ingest(organization, agent, "news_published", at(days))
    badges_reconcile(organization=organization, now=NOW)
    award.refresh_from_db()
    assert award.origin == Award.Origin.MANUAL and award.activity_ids == []


def test_a_grant_reinstates_a_withdrawn_award_and_announces_it_again(
    organization, comms, agent, plume, django_capture_on_commit_callbacks
):
    agent.email = "agent@ville-a.fr"
    agent.save()
    first = ingest(organization, agent, "news_published", at(5))
    with django_capture_on_commit_callbacks(execute=True):
        badges_evaluate(organization=organization, now=NOW)
    retract(organization, first)
    with django_capture_on_commit_callbacks(execute=True):
        badges_reconcile(organization=organization, now=NOW)
    earned = Award.objects.for_org(organization).get()
    assert earned.revoked_at is not None
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        award = grant(organization, comms, agent, plume, tier="bronze")
    assert award.pk == earned.pk and award.is_live
    assert award.origin == Award.Origin.MANUAL and award.revoked_reason == ""
    notice = Notification.objects.get(award=award, kind=Notification.Kind.AWARDED)
    assert notice.read_at is None and notice.created_at == NOW
    assert len(mail.outbox) == 1


# -- Contest ------------------------------------------------------------------------------


def test_an_agent_contests_a_missing_award(organization, agent, plume):
    log = contest(organization, agent, plume, tier="silver")
    assert (log.kind, log.status, log.author, log.agent, log.tier) == (
        AwardLog.Kind.CONTESTED,
        AwardLog.Status.OPEN,
        agent,
        agent,
        "silver",
    )
    assert log.comment == "J’ai publié trois actualités."


def test_only_the_agent_themself_contests(organization, comms, agent, plume):
    with pytest.raises(PermissionDenied):
        award_contest(
            organization=organization,
            agent=agent,
            badge=plume,
            comment="Pour lui.",
            actor=actor_for(organization, comms),
        )


def test_a_contest_needs_a_comment(organization, agent, plume):
    with pytest.raises(DomainError) as error:
        contest(organization, agent, plume, comment=" ")
    assert "comment" in error.value.extra


def test_one_open_contest_per_agent_and_badge(organization, agent, plume):
    contest(organization, agent, plume)
    with pytest.raises(DomainError) as error:
        contest(organization, agent, plume, comment="Encore.")
    assert error.value.code == "already_contested"
    assert AwardLog.objects.for_org(organization).count() == 1


def test_a_held_tier_cannot_be_contested(organization, comms, agent, plume):
    grant(organization, comms, agent, plume, tier="silver")
    with pytest.raises(DomainError) as error:
        contest(organization, agent, plume, tier="silver")
    assert error.value.code == "already_held"


def test_accepting_a_contest_with_a_tier_grants_it(
    organization, comms, agent, plume, django_capture_on_commit_callbacks
):
    log = contest(organization, agent, plume)
    with django_capture_on_commit_callbacks(execute=True):
        answered = award_contest_answer(
            log=log, accept=True, answer="", tier="bronze", actor=actor_for(organization, comms)
        )
    assert answered.status == AwardLog.Status.ACCEPTED
    assert answered.answered_by == comms and answered.answered_at is not None
    award = Award.objects.for_org(organization).get()
    assert award.origin == Award.Origin.MANUAL and award.tier == "bronze"
    assert "J’ai publié trois actualités." in award.reason
    assert Notification.objects.filter(award=award).exists()
    assert award_logs(organization=organization, kind=AwardLog.Kind.GRANTED).count() == 1


def test_rejecting_a_contest_needs_an_answer_and_happens_once(organization, comms, agent, plume):
    log = contest(organization, agent, plume)
    actor = actor_for(organization, comms)
    with pytest.raises(DomainError) as error:
        award_contest_answer(log=log, accept=False, answer="", actor=actor)
    assert "answer" in error.value.extra
    answered = award_contest_answer(log=log, accept=False, answer="Pas encore.", actor=actor)
    assert answered.status == AwardLog.Status.REJECTED and answered.answer == "Pas encore."
    assert not Award.objects.for_org(organization).exists()
    with pytest.raises(DomainError) as error:
        award_contest_answer(log=log, accept=True, answer="", actor=actor)
    assert error.value.code == "already_answered"
    # answered, the agent may contest again
    assert contest(organization, agent, plume, comment="Et maintenant ?").status == "open"


def test_only_comms_of_the_organization_answer_a_contest(
    organization, agent, manager, outsider, other_organization, plume
):
    log = contest(organization, agent, plume)
    with pytest.raises(PermissionDenied):
        award_contest_answer(
            log=log, accept=False, answer="Non.", actor=actor_for(organization, manager)
        )
    with pytest.raises(NotFound):
        award_contest_answer(
            log=log, accept=False, answer="Non.", actor=actor_for(other_organization, outsider)
        )
    log.refresh_from_db()
    assert log.status == AwardLog.Status.OPEN


# -- The log ------------------------------------------------------------------------------


def test_the_log_lists_open_contests_for_comms(organization, comms, agent, plume):
    grant(organization, comms, agent, plume)
    waiting = contest(organization, agent, plume, tier="bronze")
    assert list(award_logs(organization=organization, status="open")) == [waiting]
    assert award_logs(organization=organization).count() == 2
    with pytest.raises(DomainError) as error:
        award_logs(organization=organization, status="pending")
    assert "status" in error.value.extra


@pytest.mark.parametrize("count", [1, 20])
def test_the_log_is_one_query_for_one_entry_or_many(
    organization, tree, plume, count, django_assert_num_queries
):
    for _n in range(count):
        agent = AgentFactory(organization=organization, unit=tree.voirie)
        contest(organization, agent, plume)
    with django_assert_num_queries(1):
        rows = [
            (log.agent.full_name, log.badge.name, log.author, log.answered_by)
            for log in award_logs(organization=organization, status="open")
        ]
    assert len(rows) == count
