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


def test_a_csv_backfill_gets_one_pass_for_badges_and_adoption_at_the_end(
    tmp_path, organization, agent, django_capture_on_commit_callbacks
):
    from io import StringIO

    from django.core.management import call_command

    from ambassadors.models import AgentAdoption

    badge(
        organization, "plume", "activity_count", {"verbs": ["news_published"]}, [("bronze", 2, 5)]
    )
    path = tmp_path / "historique.csv"
    path.write_text(
        "external_id;verb;agent;agent_email;occurred_at;object_type;object_title;object_url\n"
        f"h-1;news_published;{agent.hr_id};;2025-05-02T09:00:00Z;news;Un;https://i.fr/1\n"
        f"h-2;news_published;{agent.hr_id};;2025-05-03T09:00:00Z;news;Deux;https://i.fr/2\n"
        f"h-3;first_login;{agent.hr_id};;2025-05-01T09:00:00Z;;;\n",
        encoding="utf-8",
    )
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        call_command(
            "import_activities",
            str(path),
            "--organization",
            organization.slug,
            stdout=StringIO(),
            stderr=StringIO(),
        )
    assert len(callbacks) == 1  # the bulk signal, not one per chunk
    assert Award.objects.filter(agent=agent, badge__code="plume").count() == 1
    assert not Notification.objects.exists()
    adoption = AgentAdoption.objects.get(agent=agent)
    assert adoption.last_published_at is not None
