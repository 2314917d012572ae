"""Reads of the badges pages and API: rarity, awards with their activities, progress, points."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from badges.models import Award, Badge
from badges.selectors import (
    agent_awards,
    agent_points,
    agent_progress,
    award_activities,
    badge_catalogue,
    rule_text,
)
from badges.services.engine import badges_evaluate
from tests.factories import AgentFactory

from .helpers import NOW, at, badge, ingest, points

pytestmark = pytest.mark.django_db


@pytest.fixture
def plume(organization) -> Badge:
    return badge(
        organization,
        "plume",
        "activity_count",
        {"verbs": ["news_published"]},
        [("bronze", 1, 5), ("silver", 3, 10), ("gold", 10, 50)],
    )


def _award(organization, agent, item, tier, **extra) -> Award:
    return Award.objects.create(
        organization=organization,
        agent=agent,
        badge=item,
        tier=tier,
        awarded_at=NOW,
        rule_version=1,
        points=item.tier(tier)["points"],
        **extra,
    )


def test_rarity_counts_live_awards_of_present_agents_per_tier(organization, plume):
    holders = [AgentFactory(organization=organization) for _ in range(3)]
    others = [AgentFactory(organization=organization) for _ in range(5)]
    departed = AgentFactory(organization=organization, departure_date=dt.date(2020, 1, 1))
    for agent in holders:
        _award(organization, agent, plume, "bronze")
    _award(organization, holders[0], plume, "silver")
    _award(organization, others[0], plume, "bronze", revoked_at=NOW, revoked_reason="x")
    _award(organization, departed, plume, "gold")

    (entry,), agents = badge_catalogue(organization=organization)

    assert agents == 8  # the departed agent is not in the denominator
    assert entry.holders == 3
    assert entry.share == 37.5
    by_tier = {tier.tier: tier for tier in entry.tiers}
    assert (by_tier["bronze"].holders, by_tier["bronze"].share) == (3, 37.5)
    assert (by_tier["silver"].holders, by_tier["silver"].share) == (1, 12.5)
    assert (by_tier["gold"].holders, by_tier["gold"].threshold, by_tier["gold"].points) == (
        0,
        10,
        50,
    )


def test_an_agent_holding_two_tiers_counts_once_among_the_holders(organization, plume, agent):
    _award(organization, agent, plume, "bronze")
    _award(organization, agent, plume, "silver")
    (entry,), _agents = badge_catalogue(organization=organization)
    assert entry.holders == 1
    assert entry.share == 100.0


def test_the_catalogue_filters_by_category_and_leaves_out_drafts(organization, plume):
    badge(
        organization,
        "coach",
        "activity_count",
        {"verbs": ["coaching_given"]},
        [("bronze", 1, 5)],
        category="mentoring",
    )
    Badge.objects.filter(code="coach").update(status="draft")
    badge(
        organization,
        "pilier",
        "activity_count",
        {"verbs": ["comment_posted"]},
        [("bronze", 1, 5)],
        category="community",
    )

    def codes(**filters) -> list[str]:
        return [e.badge.code for e in badge_catalogue(organization=organization, **filters)[0]]

    assert codes() == ["pilier", "plume"]
    assert codes(category="community") == ["pilier"]
    assert codes(status="draft") == ["coach"]


def test_the_criteria_fall_back_on_the_rule_in_plain_words(organization, plume):
    with translation.override("en"):
        (entry,), _agents = badge_catalogue(organization=organization)
    assert entry.criteria == "1 / 3 / 10 of: news_published"


def test_a_rule_that_no_longer_validates_has_no_text_instead_of_an_error(organization, plume):
    plume.params = {"verbs": []}
    assert rule_text(plume) == ""


@pytest.mark.parametrize("count", [1, 20])
def test_the_catalogue_takes_two_queries_whatever_the_number_of_badges(
    organization, agent, count, django_assert_num_queries
):
    for index in range(count):
        item = badge(
            organization,
            f"b{index}",
            "activity_count",
            {"verbs": ["news_published"]},
            [("bronze", 1, 5), ("silver", 2, 5)],
        )
        _award(organization, agent, item, "bronze")
    with django_assert_num_queries(2):
        entries, _agents = badge_catalogue(organization=organization)
    assert len(entries) == count


def test_awards_come_with_the_activities_behind_them_in_their_order(organization, plume, agent):
    first = ingest(organization, agent, "news_published", at(9))
    ingest(organization, agent, "news_published", at(5))
    ingest(organization, agent, "news_published", at(2))
    badges_evaluate(organization=organization, now=NOW)

    items = award_activities(
        organization=organization, awards=agent_awards(organization=organization, agent=agent)
    )

    by_tier = {item.award.tier: item for item in items}
    assert set(by_tier) == {"bronze", "silver"}
    assert [a.external_id for a in by_tier["bronze"].activities] == [first]
    silver = by_tier["silver"].activities
    assert [a.occurred_at for a in silver] == [at(9), at(5), at(2)]
    assert silver[0].verb.code == "news_published"
    assert silver[0].object_title == "Une actualité"


@pytest.mark.parametrize("count", [1, 20])
def test_the_activities_of_every_award_take_one_query(
    organization, agent, count, django_assert_num_queries
):
    for index in range(count):
        badge(
            organization,
            f"b{index}",
            "activity_count",
            {"verbs": ["news_published"]},
            [("bronze", 1, 5)],
        )
    ingest(organization, agent, "news_published", at(3))
    badges_evaluate(organization=organization, now=NOW)
    awards = list(agent_awards(organization=organization, agent=agent))
    assert len(awards) == count
    with django_assert_num_queries(1):
        items = award_activities(organization=organization, awards=awards)
    assert all(len(item.activities) == 1 for item in items)


def test_withdrawn_awards_are_left_out_unless_asked_for(organization, plume, agent):
    _award(organization, agent, plume, "bronze", revoked_at=NOW, revoked_reason="Plus rempli.")
    assert list(agent_awards(organization=organization, agent=agent)) == []
    assert len(agent_awards(organization=organization, agent=agent, include_revoked=True)) == 1


def test_progress_says_how_far_the_next_tier_is(organization, plume, agent, in_english):
    for days in (9, 5):
        ingest(organization, agent, "news_published", at(days))
    badges_evaluate(organization=organization, now=NOW)

    (progress,) = agent_progress(organization=organization, agent=agent)

    assert progress.value == 2
    assert progress.held == ["bronze"]
    assert progress.next_tier is not None and progress.next_tier.tier == "silver"
    assert progress.threshold == 3
    assert progress.percent == 66
    assert progress.explanation == "2 of 3 activities"


def test_a_tier_held_by_hand_is_not_the_next_one(organization, plume, agent):
    _award(organization, agent, plume, "bronze", origin=Award.Origin.MANUAL)
    _award(organization, agent, plume, "silver", origin=Award.Origin.MANUAL)
    (progress,) = agent_progress(organization=organization, agent=agent)
    assert progress.value == 0
    assert progress.next_tier is not None and progress.next_tier.tier == "gold"


def test_progress_is_complete_when_every_tier_is_held(organization, agent):
    first = badge(
        organization,
        "premiere",
        "activity_count",
        {"verbs": ["news_published"]},
        [("bronze", 1, 5)],
    )
    _award(organization, agent, first, "bronze")
    (progress,) = agent_progress(organization=organization, agent=agent)
    assert progress.next_tier is None
    assert progress.percent == 100


def test_points_add_activities_and_live_badges_per_category(organization, plume, agent):
    points(organization, "news_published", 3)
    ingest(organization, agent, "news_published", at(4))
    ingest(organization, agent, "news_published", at(3))
    badges_evaluate(organization=organization, now=NOW)
    mentoring = badge(
        organization,
        "coach",
        "activity_count",
        {"verbs": ["coaching_given"]},
        [("bronze", 1, 7)],
        category="mentoring",
    )
    _award(organization, agent, mentoring, "bronze", revoked_at=NOW, revoked_reason="x")

    summary = agent_points(organization=organization, agent=agent)

    by_category = {row.category: row for row in summary.categories}
    assert (by_category["publishing"].activities, by_category["publishing"].badges) == (6, 5)
    assert by_category["mentoring"].total == 0  # the withdrawn badge brings nothing
    assert summary.total == 11
    assert [row.category for row in summary.categories] == [
        "onboarding",
        "publishing",
        "mentoring",
        "community",
    ]
