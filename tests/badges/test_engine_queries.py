"""The delta path's query count does not grow with the ledger, nor with the agents touched."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ambassadors.services.ledger import activities_ingest
from badges.services.engine import badges_evaluate, badges_reconcile
from tests.factories import AgentFactory

from .helpers import NOW, badge, points

pytestmark = pytest.mark.django_db


def history(organization, agents, per_agent: int, offset: int) -> None:
    items = [
        {
            "external_id": f"h{offset}-{a.pk}-{n}",
            "verb": ["news_published", "comment_posted"][n % 2],
            "agent": a.hr_id,
            "occurred_at": (NOW - dt.timedelta(days=n + 1, minutes=offset)).isoformat(),
            "object": {"type": "news", "title": "Titre", "url": "https://i.fr/x"},
        }
        for a in agents
        for n in range(per_agent)
    ]
    activities_ingest(organization=organization, items=items, now=NOW)


def delta_queries(organization, agents) -> int:
    with CaptureQueriesContext(connection) as captured:
        badges_evaluate(
            organization=organization,
            agent_ids=[a.pk for a in agents],
            verb_codes=["news_published", "comment_posted"],
            now=NOW,
        )
    return len(captured)


def test_delta_query_count_is_the_same_for_a_small_and_a_large_ledger(organization, tree):
    badge(
        organization,
        "plume",
        "activity_count",
        {"verbs": ["news_published"]},
        [("bronze", 1, 5), ("silver", 5, 10), ("gold", 20, 20)],
    )
    badge(
        organization,
        "mois",
        "activity_count",
        {"verbs": ["comment_posted"], "window": {"type": "calendar", "period": "month"}},
        [("bronze", 2, 5)],
    )
    points(organization, "news_published", 10)
    points(organization, "comment_posted", 1, cap=3)
    few = [AgentFactory(organization=organization, unit=tree.voirie)]
    history(organization, few, per_agent=1, offset=0)
    badges_reconcile(organization=organization, now=NOW)
    small = delta_queries(organization, few)

    many = [AgentFactory(organization=organization, unit=tree.voirie) for _ in range(20)]
    history(organization, many + few, per_agent=40, offset=1)
    badges_reconcile(organization=organization, now=NOW)
    large = delta_queries(organization, many + few)
    assert small == large
    assert small < 25
