"""Notices of awards: in-app and e-mail, each exactly once, in the organization's language."""

from __future__ import annotations

import datetime as dt
import logging
import threading

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection, connections
from django.utils import translation

from badges.models import Award, Badge, BadgeVersion, Notification, Tier
from badges.services.engine import badges_evaluate
from badges.services.notifications import (
    awards_notify,
    notifications_email,
    notifications_mark_read,
    notifications_unread,
)
from tests.factories import AgentFactory

from .helpers import NOW, at, badge, ingest, retract

pytestmark = pytest.mark.django_db

# 23:30 UTC on the 14th is already the 15th in Paris: e-mails show the organization's day.
LATE_EVENING = dt.datetime(2026, 6, 14, 23, 30, tzinfo=dt.UTC)


def plume(organization, tiers=(("bronze", 1, 5), ("silver", 3, 10))) -> Badge:
    item = badge(organization, "plume", "activity_count", {"verbs": ["news_published"]}, tiers)
    item.name_fr, item.name_en = "Plume", "Quill"
    item.criteria_fr = "Publier des actualités."
    item.criteria_en = "Publish news."
    item.save()
    return item


def award(agent, item: Badge, tier="bronze", **fields) -> Award:
    return Award.objects.create(
        organization=agent.organization,
        agent=agent,
        badge=item,
        tier=tier,
        awarded_at=fields.pop("awarded_at", LATE_EVENING),
        rule_version=item.version,
        points=5,
        **fields,
    )


def french_subject(name: str, tier: Tier) -> str:
    """The subject as the French catalogue has it (English until it is translated)."""
    with translation.override("fr"):
        return translation.gettext("New badge: %(name)s (%(tier)s)") % {
            "name": name,
            "tier": tier.label,
        }


def with_email(agent, address="camille@ville-a.fr"):
    agent.email = address
    agent.save()
    return agent


@pytest.fixture
def notify(django_capture_on_commit_callbacks):
    """``awards_notify`` with its after-commit e-mail queue run, as after a real commit."""

    def run(**kwargs) -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return awards_notify(**kwargs)

    return run


# -- In-app -------------------------------------------------------------------------------


def test_each_award_gets_one_notice_however_often_it_is_notified(organization, agent, notify):
    item = plume(organization)
    ids = [award(agent, item, "bronze").pk, award(agent, item, "silver").pk]
    assert notify(awarded=ids, revoked=[]) == 2
    assert notify(awarded=ids, revoked=[]) == 0
    assert notify(awarded=ids[:1], revoked=[]) == 0
    notices = Notification.objects.for_org(organization)
    assert sorted(notices.values_list("award_id", flat=True)) == sorted(ids)
    assert set(notices.values_list("kind", flat=True)) == {Notification.Kind.AWARDED}


def test_a_withdrawal_without_a_reason_gets_no_notice(organization, agent, notify):
    agent = with_email(agent)
    silent = award(agent, plume(organization), revoked_at=NOW, revoked_reason="")
    assert notify(awarded=[], revoked=[silent.pk]) == 0
    assert not Notification.objects.for_org(organization).exists()
    assert mail.outbox == []


def test_a_withdrawal_notice_and_its_email_show_the_reason(organization, agent, notify):
    agent = with_email(agent)
    withdrawn = award(
        agent, plume(organization), revoked_at=NOW, revoked_reason="Activités retirées."
    )
    assert notify(awarded=[], revoked=[withdrawn.pk]) == 1
    notice = Notification.objects.for_org(organization).get()
    assert notice.kind == Notification.Kind.REVOKED and notice.award_id == withdrawn.pk
    (message,) = mail.outbox
    assert "Plume" in message.subject
    assert "Activités retirées." in message.body
    assert "Activités retirées." in message.alternatives[0][0]


def test_an_award_withdrawn_before_its_notice_is_not_announced(organization, agent, notify):
    gone = award(agent, plume(organization), revoked_at=NOW, revoked_reason="Plus atteint.")
    assert notify(awarded=[gone.pk], revoked=[]) == 0
    assert not Notification.objects.for_org(organization).exists()


def test_unread_notices_are_the_agents_own_and_marking_read_is_scoped(
    organization, agent, comms, notify
):
    item = plume(organization)
    mine = award(agent, item, "bronze")
    theirs = award(comms, item, "bronze")
    notify(awarded=[mine.pk, theirs.pk], revoked=[])
    (notice,) = notifications_unread(agent=agent)
    assert notice.award == mine and notice.award.badge == item
    other = Notification.objects.get(agent=comms)
    assert notifications_mark_read(agent=agent, ids=[other.pk]) == 0
    assert notifications_mark_read(agent=agent, ids=[notice.pk]) == 1
    assert list(notifications_unread(agent=agent)) == []
    assert notifications_mark_read(agent=agent) == 0
    assert [n.pk for n in notifications_unread(agent=comms)] == [other.pk]


@pytest.mark.parametrize("count", [1, 20])
def test_notifying_costs_the_same_queries_for_one_award_or_many(
    organization, tree, count, django_assert_num_queries, notify
):
    item = plume(organization)
    agents = [AgentFactory(organization=organization, unit=tree.voirie) for _ in range(count)]
    ids = [award(a, item).pk for a in agents]
    # Savepoint, awards, existing notices, insert, unsent notices, release.
    with django_assert_num_queries(6):
        notify(awarded=ids, revoked=[])
    assert Notification.objects.for_org(organization).count() == count


# -- E-mail -------------------------------------------------------------------------------


def test_an_award_is_emailed_once_when_notified_twice(organization, agent, notify):
    agent = with_email(agent)
    ids = [award(agent, plume(organization)).pk]
    notify(awarded=ids, revoked=[])
    notify(awarded=ids, revoked=[])
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["camille@ville-a.fr"]
    assert Notification.objects.get().emailed_at is not None


def test_no_email_for_an_agent_without_an_address(organization, agent, notify):
    assert agent.email == ""
    notify(awarded=[award(agent, plume(organization)).pk], revoked=[])
    assert Notification.objects.for_org(organization).count() == 1
    assert mail.outbox == []


def test_the_email_has_subject_text_and_html_in_french_by_default(
    organization, agent, notify, settings
):
    settings.SITE_URL = "https://relais.ville-a.fr/"
    agent = with_email(agent)
    notify(awarded=[award(agent, plume(organization), "silver").pk], revoked=[])
    (message,) = mail.outbox
    assert message.subject == french_subject("Plume", Tier.SILVER)
    assert "\n" not in message.subject
    assert "15 juin 2026" in message.body
    assert "Publier des actualités." in message.body
    link = f"https://relais.ville-a.fr/badges/agents/{agent.pk}/"
    assert link in message.body
    ((html, mimetype),) = message.alternatives
    assert mimetype == "text/html"
    assert f'href="{link}"' in html and "15 juin 2026" in html and "Plume" in html
    assert message.extra_headers["Content-Language"] == "fr"


def test_the_email_speaks_the_organizations_language_not_the_callers(
    english_organization, agent, notify
):
    agent = with_email(agent)
    item = plume(english_organization)
    with translation.override("fr"):
        notify(awarded=[award(agent, item, "silver").pk], revoked=[])
    (message,) = mail.outbox
    assert message.subject == "New badge: Quill (Silver)"
    assert "You have earned a new badge: “Quill”." in message.body
    assert "Earned on: June 15, 2026" in message.body
    assert "Criteria: Publish news." in message.body
    assert "Quill" in message.alternatives[0][0]


def test_a_single_tier_badge_is_named_without_its_tier(english_organization, agent, notify):
    agent = with_email(agent)
    item = plume(english_organization, tiers=(("bronze", 1, 5),))
    notify(awarded=[award(agent, item, "bronze").pk], revoked=[])
    (message,) = mail.outbox
    assert message.subject == "New badge: Quill"
    assert "Bronze" not in message.body and "Bronze" not in message.alternatives[0][0]


def test_a_grant_by_hand_shows_its_reason(english_organization, agent, comms, notify):
    agent = with_email(agent)
    item = plume(english_organization)
    granted = award(
        agent, item, origin=Award.Origin.MANUAL, granted_by=comms, reason="Forum animation."
    )
    notify(awarded=[granted.pk], revoked=[])
    (message,) = mail.outbox
    assert "You have been granted a new badge: “Quill”." in message.body
    assert "Reason: Forum animation." in message.body


class FailingBackend(EmailBackend):
    def send_messages(self, messages):
        raise ConnectionRefusedError("mail server down")


def test_a_failed_send_is_logged_released_and_sent_by_the_next_call(
    organization, agent, notify, settings, caplog
):
    agent = with_email(agent)
    ids = [award(agent, plume(organization)).pk]
    settings.EMAIL_BACKEND = f"{__name__}.FailingBackend"
    with caplog.at_level(logging.ERROR, logger="badges.services.notifications"):
        assert notify(awarded=ids, revoked=[]) == 1
    assert "could not be sent" in caplog.text
    assert Notification.objects.get().emailed_at is None
    assert mail.outbox == []
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert notify(awarded=ids, revoked=[]) == 0
    assert len(mail.outbox) == 1


class UnreachableBackend(EmailBackend):
    def open(self):
        raise TimeoutError("mail server unreachable")


def test_an_unreachable_mail_server_claims_nothing_and_never_reaches_the_caller(
    organization, agent, notify, settings, caplog
):
    agent = with_email(agent)
    ids = [award(agent, plume(organization)).pk]
    settings.EMAIL_BACKEND = f"{__name__}.UnreachableBackend"
    with caplog.at_level(logging.ERROR, logger="badges.services.notifications"):
        assert notify(awarded=ids, revoked=[]) == 1
    assert "no connection to the mail server" in caplog.text
    assert Notification.objects.get().emailed_at is None


class SecondWorkerBackend(EmailBackend):
    """While the first worker sends its first e-mail, a second worker runs on the same ids."""

    ids: list[int] = []
    ran = False

    def send_messages(self, messages):
        if not SecondWorkerBackend.ran:
            SecondWorkerBackend.ran = True
            notifications_email(notification_ids=SecondWorkerBackend.ids)
        return super().send_messages(messages)


def test_two_workers_sending_the_same_notices_send_each_once(organization, tree, settings):
    agents = [
        with_email(AgentFactory(organization=organization, unit=tree.voirie), f"a{n}@ville-a.fr")
        for n in range(3)
    ]
    item = plume(organization)
    awards_notify(awarded=[award(a, item).pk for a in agents], revoked=[])  # queue not run
    ids = list(Notification.objects.for_org(organization).values_list("pk", flat=True))
    SecondWorkerBackend.ids, SecondWorkerBackend.ran = ids, False
    settings.EMAIL_BACKEND = f"{__name__}.SecondWorkerBackend"
    first = notifications_email(notification_ids=ids)
    assert sorted(m.to[0] for m in mail.outbox) == [
        "a0@ville-a.fr",
        "a1@ville-a.fr",
        "a2@ville-a.fr",
    ]
    # the second worker sent the two the first had not claimed yet
    assert first == 1
    assert notifications_email(notification_ids=ids) == 0
    assert len(mail.outbox) == 3


# -- Digest -------------------------------------------------------------------------------


def backfill_version(item: Badge) -> BadgeVersion:
    return BadgeVersion.objects.create(
        organization=item.organization,
        badge=item,
        number=2,
        status=BadgeVersion.Status.ACTIVE,
        kind=item.kind,
        params=item.params,
        tiers=item.tiers,
    )


def test_history_from_a_rule_change_is_one_digest_and_one_email_per_agent(
    english_organization, tree, notify
):
    organization = english_organization
    agents = [
        with_email(AgentFactory(organization=organization, unit=tree.voirie), f"a{n}@ville-a.fr")
        for n in range(2)
    ]
    item = plume(organization, tiers=(("bronze", 1, 5), ("silver", 2, 10), ("gold", 3, 20)))
    version = backfill_version(item)
    ids = {a.pk: [award(a, item, tier).pk for tier in ("bronze", "silver", "gold")] for a in agents}
    all_ids = [pk for pks in ids.values() for pk in pks]
    assert notify(awarded=all_ids, revoked=[], digest_version=version) == 2
    assert notify(awarded=all_ids, revoked=[], digest_version=version) == 0
    digests = Notification.objects.for_org(organization)
    assert digests.count() == 2
    for notice in digests:
        assert notice.kind == Notification.Kind.DIGEST and notice.version == version
        assert notice.award is None and notice.award_ids == sorted(ids[notice.agent_id])
    assert len(mail.outbox) == 2
    message = mail.outbox[0]
    assert message.subject == "3 badges earned from your history"
    for tier in ("Bronze", "Silver", "Gold"):
        assert f"“Quill” ({tier}), earned on June 15, 2026" in message.body
        assert f"“Quill” ({tier}), earned on June 15, 2026" in message.alternatives[0][0]
    assert "The rules of the badge “Quill” have changed" in message.body


@pytest.mark.parametrize("count", [1, 20])
def test_a_digest_costs_the_same_queries_for_one_agent_or_many(
    organization, tree, count, django_assert_num_queries, notify
):
    item = plume(organization)
    version = backfill_version(item)
    agents = [AgentFactory(organization=organization, unit=tree.voirie) for _ in range(count)]
    ids = [award(a, item, tier).pk for a in agents for tier in ("bronze", "silver")]
    with django_assert_num_queries(6):
        notify(awarded=ids, revoked=[], digest_version=version)
    assert Notification.objects.for_org(organization).count() == count


# -- Through the engine -------------------------------------------------------------------


def test_the_engine_notifies_each_new_award_once_in_app_and_by_email(
    organization, agent, django_capture_on_commit_callbacks
):
    agent = with_email(agent)
    plume(organization)
    for days in (10, 5, 2):
        ingest(organization, agent, "news_published", at(days))
    for _run in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            badges_evaluate(organization=organization, now=NOW)
    awards = Award.objects.for_org(organization)
    assert awards.count() == 2
    notices = Notification.objects.for_org(organization)
    assert sorted(notices.values_list("award_id", flat=True)) == sorted(a.pk for a in awards)
    assert len(mail.outbox) == 2
    assert {m.subject for m in mail.outbox} == {
        french_subject("Plume", Tier.BRONZE),
        french_subject("Plume", Tier.SILVER),
    }


def test_a_reinstated_award_keeps_its_first_notice(
    organization, agent, django_capture_on_commit_callbacks
):
    plume(organization)
    first = ingest(organization, agent, "news_published", at(10))
    with django_capture_on_commit_callbacks(execute=True):
        badges_evaluate(organization=organization, now=NOW)
    retract(organization, first)
    with django_capture_on_commit_callbacks(execute=True):
        badges_evaluate(organization=organization, now=NOW)
    ingest(organization, agent, "news_published", at(3))
    with django_capture_on_commit_callbacks(execute=True):
        badges_evaluate(organization=organization, now=NOW)
    assert Award.objects.for_org(organization).get().revoked_at is None
    kinds = sorted(Notification.objects.for_org(organization).values_list("kind", flat=True))
    assert kinds == [Notification.Kind.AWARDED, Notification.Kind.REVOKED]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs concurrent connections (PostgreSQL)"
)
def test_two_workers_notifying_the_same_awards_make_one_notice_and_one_email_each(
    organization, tree
):
    agents = [
        with_email(AgentFactory(organization=organization, unit=tree.voirie), f"a{n}@ville-a.fr")
        for n in range(5)
    ]
    item = plume(organization)
    ids = [award(a, item).pk for a in agents]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait(timeout=10)
            awards_notify(awarded=ids, revoked=[])
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert Notification.objects.for_org(organization).count() == 5
    assert sorted(m.to[0] for m in mail.outbox) == sorted(a.email for a in agents)
