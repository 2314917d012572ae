"""A bulk load of history (the demo's year, an intranet backfill inside ``ledger_bulk``)
gets one full pass after commit, which records its awards without a notice per award."""

from __future__ import annotations

import pytest
from django.core import mail

from ambassadors.signals import ledger_bulk
from badges.models import Award, Notification, PointLine

from .helpers import at, badge, ingest, points

pytestmark = pytest.mark.django_db


def test_history_loaded_in_bulk_is_awarded_once_at_the_end_without_notices(
    organization, agent, django_capture_on_commit_callbacks
):
    agent.email = "agent@example.org"
    agent.save()
    badge(
        organization, "plume", "activity_count", {"verbs": ["news_published"]}, [("bronze", 2, 5)]
    )
    points(organization, "news_published", 10)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        ledger_bulk(organization.pk),
    ):
        ingest(organization, agent, "news_published", at(30))
        ingest(organization, agent, "news_published", at(20))
        assert not Award.objects.exists()
    # One callback, the bulk signal: the per-ingestion ones were held back.
    assert len(callbacks) == 1
    assert list(Award.objects.values_list("badge__code", "tier")) == [("plume", "bronze")]
    assert PointLine.objects.count() == 2
    assert not Notification.objects.exists()
    assert mail.outbox == []


def test_an_ordinary_ingestion_notifies_the_award(
    organization, agent, django_capture_on_commit_callbacks
):
    badge(
        organization, "plume", "activity_count", {"verbs": ["news_published"]}, [("bronze", 1, 5)]
    )
    with django_capture_on_commit_callbacks(execute=True):
        ingest(organization, agent, "news_published", at(3))
    assert Award.objects.count() == 1
    assert Notification.objects.filter(kind="awarded").count() == 1
