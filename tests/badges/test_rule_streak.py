"""The streak kind: activity in consecutive local weeks."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from badges.models import Award
from badges.rules import Measure, TierSpec, get_kind
from badges.services.engine import badges_evaluate, engine_context, rule_of
from tests.factories import AgentFactory

from .helpers import NOW, activity_ids, badge, ingest, measure_of, retract, rule_for

pytestmark = pytest.mark.django_db

KIND = get_kind("streak")
UTC = dt.UTC
MONDAY = NOW.replace(hour=0, minute=0)  # NOW is a Monday


def week(n: int, day: int = 0, hour: int = 10) -> dt.datetime:
    """``day`` days after the Monday ``n`` weeks before this one, at ``hour`` UTC."""
    return MONDAY - dt.timedelta(weeks=n) + dt.timedelta(days=day, hours=hour)


def regular(organization, *tiers, revocable=False, code="regulier"):
    return badge(
        organization,
        code,
        "streak",
        {"verbs": ["news_published", "comment_posted"]},
        list(tiers) or [("bronze", 2, 5), ("silver", 3, 10), ("gold", 4, 20)],
        revocable=revocable,
    )


def post(organization, agent, *whens: dt.datetime) -> list[str]:
    return [ingest(organization, agent, "news_published", when) for when in whens]


# -- the longest streak (permanent) -------------------------------------------------------


def test_the_longest_streak_counts_and_each_tier_is_earned_in_the_week_that_reached_it(
    organization, agent
):
    post(organization, agent, week(10), week(9, day=2), week(9, day=1), week(8))
    # a week without activity, then four weeks in a row
    keys = post(organization, agent, week(6), week(5), week(5, day=3), week(4), week(3))
    result = measure_of(regular(organization))[agent.pk]
    assert result.value == 4
    # The first streak reached two weeks in week -9, at its first activity (Tuesday).
    assert result.earned["bronze"].at == week(9, day=1)
    assert result.earned["silver"].at == week(8)
    assert result.earned["gold"].at == week(3)
    # One activity per week of the streak: the first of each.
    assert result.earned["gold"].activity_ids == activity_ids(
        organization, keys[0], keys[1], keys[3], keys[4]
    )


def test_activity_in_one_week_only_is_a_streak_of_one(organization, agent):
    post(organization, agent, week(4), week(4, day=1), week(4, day=6))
    result = measure_of(regular(organization))[agent.pk]
    assert result.value == 1
    assert result.earned == {}


def test_a_permanent_streak_is_kept_after_it_ends(organization, agent):
    post(organization, agent, week(30), week(29))
    result = measure_of(regular(organization))[agent.pk]
    assert result.value == 2
    assert result.earned["bronze"].at == week(29)


def test_any_of_the_verbs_keeps_the_streak_going_but_others_do_not(organization, agent):
    ingest(organization, agent, "news_published", week(3))
    ingest(organization, agent, "comment_posted", week(2))
    ingest(organization, agent, "page_published", week(1))
    assert measure_of(regular(organization))[agent.pk].value == 2


def test_weeks_follow_each_other_across_a_new_year_and_a_change_of_time(organization, agent):
    post(
        organization,
        agent,
        dt.datetime(2025, 12, 23, 10, tzinfo=UTC),
        dt.datetime(2025, 12, 30, 10, tzinfo=UTC),
        dt.datetime(2026, 1, 6, 10, tzinfo=UTC),
        dt.datetime(2026, 3, 24, 10, tzinfo=UTC),  # Paris changes time on 29 March
        dt.datetime(2026, 3, 31, 10, tzinfo=UTC),
    )
    result = measure_of(regular(organization))[agent.pk]
    assert result.value == 3
    assert result.earned["silver"].at == dt.datetime(2026, 1, 6, 10, tzinfo=UTC)


def test_a_week_is_the_organizations_local_monday_to_sunday(organization, agent):
    assert organization.timezone == "Europe/Paris"
    # Sunday 22:30 UTC is Monday 00:30 in Paris: the next local week.
    sunday_night = week(3, day=6, hour=22) + dt.timedelta(minutes=30)
    post(organization, agent, week(3), sunday_night)
    result = measure_of(regular(organization))[agent.pk]
    assert result.value == 2
    assert result.earned["bronze"].at == sunday_night


def test_a_sunday_afternoon_and_the_next_monday_are_two_weeks(organization, agent):
    post(organization, agent, week(3, day=6, hour=14), week(2))
    assert measure_of(regular(organization))[agent.pk].value == 2


def test_retracted_and_future_activities_do_not_count(organization, agent):
    _first, second, _third = post(organization, agent, week(3), week(2), week(1))
    retract(organization, second)
    post(organization, agent, NOW + dt.timedelta(hours=3))
    result = measure_of(regular(organization))[agent.pk]
    assert result.value == 1
    assert result.earned == {}


# -- the current streak (revocable) -------------------------------------------------------


def test_a_revocable_streak_is_the_current_one(organization, agent):
    post(organization, agent, *[week(n) for n in range(12, 6, -1)])  # six weeks, long ago
    post(organization, agent, week(3), week(2, day=4), week(2, day=2), week(1))
    result = measure_of(regular(organization, revocable=True))[agent.pk]
    assert result.value == 3
    assert result.earned["bronze"].at == week(2, day=2)
    assert result.earned["silver"].at == week(1)
    assert "gold" not in result.earned


def test_a_current_streak_may_have_no_activity_yet_this_week(organization, agent):
    post(organization, agent, week(2), week(1))
    assert measure_of(regular(organization, revocable=True))[agent.pk].value == 2


def test_a_current_streak_includes_this_week(organization, agent):
    post(organization, agent, week(1), NOW - dt.timedelta(hours=1))
    result = measure_of(regular(organization, revocable=True))[agent.pk]
    assert result.value == 2
    assert result.earned["bronze"].at == NOW - dt.timedelta(hours=1)


def test_a_streak_that_ended_before_last_week_is_not_current(organization, agent):
    post(organization, agent, week(5), week(4), week(3), week(2))
    assert measure_of(regular(organization, revocable=True)) == {}


# -- agents -------------------------------------------------------------------------------


def test_only_agents_meeting_a_threshold_earn_it_in_bulk(organization, tree):
    agents = [AgentFactory(organization=organization, unit=tree.voirie) for _ in range(4)]
    for length, someone in enumerate(agents):
        post(organization, someone, *[week(10 - n, hour=8 + length) for n in range(length)])
    results = measure_of(regular(organization))
    assert {pk: m.value for pk, m in results.items()} == {
        agents[1].pk: 1,
        agents[2].pk: 2,
        agents[3].pk: 3,
    }
    assert set(results[agents[2].pk].earned) == {"bronze"}
    assert results[agents[2].pk].earned["bronze"].at == week(9, hour=10)
    assert results[agents[3].pk].earned["silver"].at == week(8, hour=11)


def test_only_the_agents_asked_for_are_measured(organization, agent, ambassador):
    post(organization, agent, week(2), week(1))
    post(organization, ambassador, week(2), week(1))
    assert set(measure_of(regular(organization), agent_ids=[agent.pk])) == {agent.pk}


def test_another_organizations_activity_is_never_counted(organization, outsider):
    post(outsider.organization, outsider, week(2), week(1))
    definition = regular(organization)
    assert measure_of(definition) == {}
    assert measure_of(definition, agent_ids=[outsider.pk]) == {}


# -- words --------------------------------------------------------------------------------


def test_the_result_reads_as_weeks_in_a_row(in_english):
    permanent = rule_for("streak", {"verbs": ["news_published"]}, (4, 8))
    assert (
        KIND.explain(permanent, Measure(agent_id=1, value=5))
        == "Longest streak: 5 of 8 weeks in a row"
    )
    assert (
        KIND.explain(permanent, Measure(agent_id=1, value=9)) == "Longest streak: 9 weeks in a row"
    )
    current = rule_for("streak", {"verbs": ["news_published"]}, (1, 4), revocable=True)
    assert KIND.explain(current, None) == "Current streak: 0 of 1 week in a row"
    assert (
        KIND.describe({"verbs": ["comment_posted", "news_published"]}, [TierSpec("bronze", 4, 0)])
        == "Weeks in a row with activity (comment_posted, news_published): 4"
    )


def test_the_result_reads_in_french_by_default():
    permanent = rule_for("streak", {"verbs": ["news_published"]}, (4, 8))
    with translation.override("fr"):
        text = KIND.explain(permanent, Measure(agent_id=1, value=5))
    if text == "Longest streak: 5 of 8 weeks in a row":
        pytest.skip("the French catalogue does not have this message yet")
    assert text == "Plus longue série : 5 sur 8 semaines d’affilée"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "verbs"),
        ({"verbs": []}, "verbs"),
        ({"verbs": [3]}, "verbs"),
        ({"verbs": ["news_published"], "days": 7}, "params"),
    ],
)
def test_bad_parameters_are_refused_naming_the_parameter(params, field):
    with pytest.raises(ValidationError) as error:
        KIND.clean_params(params)
    assert field in error.value.message_dict


def test_the_verbs_that_can_change_it_are_its_own():
    params = KIND.clean_params({"verbs": ["news_published", "comment_posted"]})
    assert params == {"verbs": ["comment_posted", "news_published"]}
    assert KIND.verbs(params) == frozenset({"news_published", "comment_posted"})


# -- the engine and queries ---------------------------------------------------------------


def test_the_engine_awards_a_current_streak_and_withdraws_it_when_it_lapses(organization, agent):
    definition = regular(organization, ("bronze", 2, 5), revocable=True)
    post(organization, agent, week(2), week(1, day=3))
    badges_evaluate(organization=organization, now=NOW)
    award = Award.objects.for_org(organization).get(badge=definition)
    assert (award.agent_id, award.awarded_at, award.revoked_at) == (
        agent.pk,
        week(1, day=3),
        None,
    )
    later = NOW + dt.timedelta(weeks=2)
    badges_evaluate(organization=organization, now=later)
    award.refresh_from_db()
    assert award.revoked_at == later


@pytest.mark.parametrize("revocable", [False, True])
@pytest.mark.parametrize("size", [1, 20])
def test_measuring_runs_one_query_whatever_the_number_of_agents(
    organization, tree, size, revocable, django_assert_num_queries
):
    agents = [AgentFactory(organization=organization, unit=tree.voirie) for _ in range(size)]
    for someone in agents:
        post(organization, someone, week(2), week(1))
    ctx = engine_context(organization=organization, now=NOW)
    rule = rule_of(regular(organization, revocable=revocable))
    with django_assert_num_queries(1):
        results = KIND.measure(ctx, rule, [a.pk for a in agents])
    assert len(results) == size
