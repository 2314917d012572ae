"""The engine's state is a function of the ledger: whatever happened on the way (ingests in
any order, duplicates, retractions, delta evaluations in between), a full reconcile leaves
exactly what one reconcile of the final ledger gives, and a second reconcile changes nothing.
Each delta, given what the ledger's signals carried since the one before, is exact on its own.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ambassadors.models import Activity, Agent
from ambassadors.services.ledger import activities_ingest, activities_retract
from badges.models import Award, PointLine
from badges.rules import kinds
from badges.services import engine
from badges.services.engine import badges_evaluate, badges_reconcile
from tests.factories import AgentFactory

from .helpers import NOW, badge, points

pytestmark = pytest.mark.django_db

_runs = itertools.count()
VERBS = ["news_published", "comment_posted", "page_published", "first_login"]
POOL_SIZE = 14


def pool(hr_ids: list[str]) -> list[dict]:
    """Items spread over three weeks and a month boundary, several on one day (daily caps)."""
    items = []
    for n in range(POOL_SIZE):
        day = dt.datetime(2026, 5, 25, 9, 0, tzinfo=dt.UTC) + dt.timedelta(days=(n * 5) % 19)
        items.append(
            {
                "external_id": f"p{n}",
                "verb": VERBS[n % len(VERBS)],
                "agent": hr_ids[n % len(hr_ids)],
                "occurred_at": (day + dt.timedelta(hours=n % 4)).isoformat(),
                "object": {"type": "news", "title": f"Titre {n}", "url": f"https://i.fr/{n}"},
            }
        )
    return items


@pytest.fixture
def setup(organization, tree):
    agents = [AgentFactory(organization=organization, unit=tree.voirie) for _ in range(3)]
    badge(
        organization,
        "plume",
        "activity_count",
        {"verbs": ["news_published", "page_published"]},
        [("bronze", 1, 5), ("silver", 3, 10), ("gold", 5, 20)],
    )
    badge(
        organization,
        "mois-fort",
        "activity_count",
        {
            "verbs": ["news_published", "comment_posted"],
            "window": {"type": "calendar", "period": "month"},
        },
        [("bronze", 2, 5)],
    )
    badge(
        organization,
        "pilier",
        "activity_count",
        {"verbs": VERBS, "window": {"type": "rolling", "days": 10}},
        [("bronze", 2, 5)],
        revocable=True,
    )
    registered = kinds()
    if "first_time" in registered:
        badge(
            organization,
            "premiere",
            "first_time",
            {"verbs": ["news_published"]},
            [("bronze", 1, 3)],
        )
    if "streak" in registered:
        badge(organization, "regulier", "streak", {"verbs": VERBS}, [("bronze", 2, 5)])
    if "meta" in registered:
        badge(
            organization,
            "accompli",
            "meta",
            {"badges": ["plume", "mois-fort", "pilier"]},
            [("gold", 2, 30)],
        )
    points(organization, "news_published", 10)
    points(organization, "comment_posted", 1, cap=2)
    points(organization, "page_published", 5, cap=1)
    return [a.hr_id for a in agents]


def state(organization) -> tuple[set, set]:
    awards = set(
        Award.objects.for_org(organization)
        .filter(revoked_at__isnull=True)
        .values_list("agent_id", "badge__code", "tier", "awarded_at", "rule_version", "points")
    )
    evidence = {
        (a.agent_id, a.badge_id, a.tier, tuple(a.activity_ids))
        for a in Award.objects.for_org(organization).filter(revoked_at__isnull=True)
    }
    lines = set(
        PointLine.objects.for_org(organization).values_list(
            "activity_id", "agent_id", "points", "category", "occurred_at"
        )
    )
    return awards | evidence, lines


operation = st.one_of(
    st.tuples(st.just("ingest"), st.lists(st.integers(0, POOL_SIZE - 1), min_size=1, max_size=6)),
    st.tuples(st.just("retract"), st.lists(st.integers(0, POOL_SIZE - 1), min_size=1, max_size=2)),
    st.tuples(st.just("delta"), st.just([])),
)


@settings(
    max_examples=35, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(operations=st.lists(operation, max_size=10))
def test_any_history_then_reconcile_equals_one_reconcile_of_the_final_ledger(
    organization, setup, operations, monkeypatch
):
    # Deltas take the large-batch path too (the agents' rows copied first, on PostgreSQL).
    monkeypatch.setattr(engine, "SCOPE_TABLE_MIN", 1)
    source = f"src-{next(_runs)}"
    items = pool(setup)
    Award.objects.for_org(organization).delete()
    PointLine.objects.for_org(organization).delete()
    Activity.objects.for_org(organization).delete()
    agent_of = dict(
        Agent.objects.for_org(organization).filter(hr_id__in=setup).values_list("hr_id", "pk")
    )
    # What the ledger's signal would carry to the delta task: the agents and verbs touched
    # since the last delta (a delta never sees more than that).
    touched_agents: set[int] = set()
    touched_verbs: set[str] = set()
    touched_times: set[dt.datetime] = set()
    for kind, indexes in operations:
        for i in indexes:
            touched_agents.add(agent_of[items[i]["agent"]])
            touched_verbs.add(items[i]["verb"])
            touched_times.add(dt.datetime.fromisoformat(items[i]["occurred_at"]))
        if kind == "ingest":
            batch = [items[i] for i in indexes]  # repeats inside a batch are duplicates
            activities_ingest(organization=organization, items=batch, source_code=source, now=NOW)
        elif kind == "retract":
            activities_retract(
                organization=organization,
                source_code=source,
                external_ids=[items[i]["external_id"] for i in indexes],
                now=NOW,
            )
        else:
            badges_evaluate(
                organization=organization,
                agent_ids=sorted(touched_agents),
                verb_codes=sorted(touched_verbs),
                now=NOW,
                notify=False,
                occurred_between=(
                    (min(touched_times), max(touched_times)) if touched_times else None
                ),
            )
            touched_agents.clear()
            touched_verbs.clear()
            touched_times.clear()
            # The delta alone was exact: a full pass finds nothing to correct.
            assert badges_reconcile(organization=organization, now=NOW).drift == 0

    badges_reconcile(organization=organization, now=NOW)
    after_history = state(organization)
    assert badges_reconcile(organization=organization, now=NOW).drift == 0
    assert state(organization) == after_history

    Award.objects.for_org(organization).delete()
    PointLine.objects.for_org(organization).delete()
    badges_reconcile(organization=organization, now=NOW)
    assert state(organization) == after_history
