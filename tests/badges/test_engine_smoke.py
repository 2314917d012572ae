from __future__ import annotations

import datetime as dt

import pytest

from badges.models import Award, Badge, PointLine
from badges.services.engine import badges_evaluate, badges_reconcile
from tests.factories import AgentFactory

from .helpers import NOW, at, badge, ingest, points, retract

pytestmark = pytest.mark.django_db


def test_count_badge_tiers_are_earned_at_the_qualifying_activity(organization, agent):
    badge(
        organization,
        "plume",
        "activity_count",
        {"verbs": ["news_published", "page_published"]},
        [("bronze", 1, 5), ("silver", 3, 10)],
    )
    ingest(organization, agent, "news_published", at(10))
    ingest(organization, agent, "page_published", at(5))
    third = ingest(organization, agent, "news_published", at(2))
    report = badges_evaluate(organization=organization, now=NOW)
    awards = {a.tier: a for a in Award.objects.for_org(organization)}
    assert set(awards) == {"bronze", "silver"}
    assert awards["bronze"].awarded_at == at(10)
    assert awards["silver"].awarded_at == at(2)
    assert len(awards["silver"].activity_ids) == 3
    assert report.awarded == 2
    assert badges_reconcile(organization=organization, now=NOW).drift == 0
    retract(organization, third)
    report = badges_reconcile(organization=organization, now=NOW)
    assert report.revoked == 1
    assert Award.objects.get(tier="silver").revoked_at is not None


def test_points_respect_the_daily_cap_and_retractions(organization, agent):
    points(organization, "comment_posted", 2, cap=2)
    day = dt.datetime(2026, 6, 10, 9, 0, tzinfo=dt.UTC)
    keys = [
        ingest(organization, agent, "comment_posted", day + dt.timedelta(hours=i)) for i in range(4)
    ]
    badges_evaluate(organization=organization, now=NOW)
    assert PointLine.objects.for_org(organization).count() == 2
    retract(organization, keys[0])
    report = badges_reconcile(organization=organization, now=NOW)
    # the first is gone, the third now counts in its place
    assert report.points_removed == 1 and report.points_added == 1
    assert sum(PointLine.objects.values_list("points", flat=True)) == 4


def test_a_badge_with_an_unknown_kind_is_skipped_and_the_others_evaluated(
    organization, agent, caplog
):
    badge(
        organization, "plume", "activity_count", {"verbs": ["news_published"]}, [("bronze", 1, 5)]
    )
    broken = badge(
        organization, "casse", "activity_count", {"verbs": ["news_published"]}, [("bronze", 1, 5)]
    )
    Badge.objects.filter(pk=broken.pk).update(kind="removed_kind")
    ingest(organization, agent, "news_published", at(1))
    badges_evaluate(organization=organization, now=NOW)
    assert list(Award.objects.values_list("badge__code", flat=True)) == ["plume"]
    assert "casse" in caplog.text


def test_reconcile_rewrites_only_the_agents_whose_points_drifted(organization, tree, agent):
    other = AgentFactory(organization=organization, unit=tree.voirie)
    points(organization, "news_published", 10)
    for when in (at(3), at(2)):
        ingest(organization, agent, "news_published", when)
        ingest(organization, other, "news_published", when)
    assert badges_reconcile(organization=organization, now=NOW).points_added == 4
    PointLine.objects.filter(agent=agent).first().delete()
    PointLine.objects.filter(agent=other).update(points=3)
    report = badges_reconcile(organization=organization, now=NOW)
    assert (report.points_added, report.points_removed) == (3, 2)
    assert sorted(PointLine.objects.values_list("agent_id", "points")) == sorted(
        [(agent.pk, 10), (agent.pk, 10), (other.pk, 10), (other.pk, 10)]
    )
    assert badges_reconcile(organization=organization, now=NOW).drift == 0


def test_a_delta_rewrites_the_points_of_the_days_it_touched(organization, agent):
    points(organization, "comment_posted", 1, cap=1)
    day = dt.datetime(2026, 6, 10, 9, 0, tzinfo=dt.UTC)
    ingest(organization, agent, "comment_posted", day)
    badges_reconcile(organization=organization, now=NOW)
    # An earlier comment the same day arrives late: it takes the day's only counted place.
    ingest(organization, agent, "comment_posted", day - dt.timedelta(hours=1))
    report = badges_evaluate(
        organization=organization,
        agent_ids=[agent.pk],
        verb_codes=["comment_posted"],
        now=NOW,
        occurred_between=(day - dt.timedelta(hours=1), day - dt.timedelta(hours=1)),
    )
    assert (report.points_added, report.points_removed) == (1, 1)
    line = PointLine.objects.get()
    assert line.occurred_at == day - dt.timedelta(hours=1)
