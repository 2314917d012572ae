"""Two workers evaluating one organization at once: each award, point line and notice exists
once. PostgreSQL only: it needs two real connections with row locks (CI runs it)."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections

from badges.models import Award, EngineSettings, Notification, PointLine
from badges.receivers import engine_deferred
from badges.services import engine
from badges.services.engine import badges_evaluate
from tests.factories import AgentFactory

from .helpers import NOW, at, badge, ingest, points

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs concurrent connections (PostgreSQL)"
    ),
]


def test_two_workers_on_the_same_agents_award_and_notify_once(organization, tree, monkeypatch):
    agents = [AgentFactory(organization=organization, unit=tree.voirie) for _ in range(5)]
    badge(
        organization,
        "plume",
        "activity_count",
        {"verbs": ["news_published"]},
        [("bronze", 1, 5), ("silver", 2, 10)],
    )
    points(organization, "news_published", 10)
    with engine_deferred():  # the workers below do the evaluation, not the ingestion
        for agent in agents:
            ingest(organization, agent, "news_published", at(3))
            ingest(organization, agent, "news_published", at(2))
    assert not Award.objects.for_org(organization).exists()
    ids = [a.pk for a in agents]
    # The organization has been evaluated before: the turn is taken on an existing row.
    EngineSettings.objects.get_or_create(organization=organization)
    # Widen the race: each worker pauses between reading the ledger and writing, so without
    # the per-organization turn both would write the same awards.
    real = engine.desired_awards

    def slow_desired(*args, **kwargs):
        result = real(*args, **kwargs)
        time.sleep(0.5)
        return result

    monkeypatch.setattr(engine, "desired_awards", slow_desired)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait(timeout=10)
            badges_evaluate(
                organization=organization,
                agent_ids=ids,
                verb_codes=["news_published"],
                now=NOW,
            )
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
    assert Award.objects.for_org(organization).count() == 10
    assert PointLine.objects.for_org(organization).count() == 10
    assert Notification.objects.for_org(organization).count() == 10
