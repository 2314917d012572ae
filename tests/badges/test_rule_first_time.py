"""The first_time kind: the first activity of given verbs."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from badges.models import Award
from badges.rules import Measure, TierSpec, get_kind
from badges.services.engine import badges_evaluate, badges_reconcile, engine_context, rule_of
from tests.factories import AgentFactory

from .helpers import (
    NOW,
    activity_ids,
    at,
    badge,
    coach,
    given_id,
    ingest,
    measure_of,
    retract,
    rule_for,
)

pytestmark = pytest.mark.django_db

KIND = get_kind("first_time")
PUBLISHING = ["document_published", "news_published", "page_published"]


def first_publication(organization, verbs=PUBLISHING, code="premiere-publication"):
    return badge(organization, code, "first_time", {"verbs": verbs}, [("bronze", 1, 10)])


def test_it_is_earned_at_the_first_activity_of_any_of_its_verbs(organization, agent):
    ingest(organization, agent, "comment_posted", at(40))
    first = ingest(organization, agent, "page_published", at(30))
    ingest(organization, agent, "news_published", at(20))
    ingest(organization, agent, "document_published", at(10))
    result = measure_of(first_publication(organization))[agent.pk]
    assert result.value == 1
    assert result.earned["bronze"].at == at(30)
    assert result.earned["bronze"].activity_ids == activity_ids(organization, first)


def test_a_retracted_first_hands_the_badge_to_the_next(organization, agent):
    first = ingest(organization, agent, "news_published", at(30))
    second = ingest(organization, agent, "news_published", at(20))
    retract(organization, first)
    result = measure_of(first_publication(organization))[agent.pk]
    assert result.earned["bronze"].at == at(20)
    assert result.earned["bronze"].activity_ids == activity_ids(organization, second)


def test_activities_after_now_do_not_count(organization, agent):
    ingest(organization, agent, "news_published", NOW + dt.timedelta(hours=2))
    assert measure_of(first_publication(organization)) == {}


def test_a_first_coaching_session_given(organization, ambassador, agent):
    session = coach(organization, ambassador, [agent], at(12))
    coach(organization, ambassador, [agent], at(2))
    results = measure_of(first_publication(organization, ["coaching_given"], code="premier"))
    assert set(results) == {ambassador.pk}
    assert results[ambassador.pk].earned["bronze"].at == at(12)
    assert results[ambassador.pk].earned["bronze"].activity_ids == (given_id(session),)


def test_only_agents_who_did_it_earn_it_in_bulk(organization, tree):
    agents = [AgentFactory(organization=organization, unit=tree.voirie) for _ in range(3)]
    ingest(organization, agents[1], "news_published", at(20))
    ingest(organization, agents[2], "page_published", at(8))
    ingest(organization, agents[2], "page_published", at(4))
    results = measure_of(first_publication(organization))
    assert {pk: (m.value, m.earned["bronze"].at) for pk, m in results.items()} == {
        agents[1].pk: (1, at(20)),
        agents[2].pk: (1, at(8)),
    }


def test_only_the_agents_asked_for_are_measured(organization, agent, ambassador):
    ingest(organization, agent, "news_published", at(3))
    ingest(organization, ambassador, "news_published", at(3))
    results = measure_of(first_publication(organization), agent_ids=[ambassador.pk])
    assert set(results) == {ambassador.pk}


def test_another_organizations_activity_is_never_counted(organization, outsider):
    ingest(outsider.organization, outsider, "news_published", at(3))
    definition = first_publication(organization)
    assert measure_of(definition) == {}
    assert measure_of(definition, agent_ids=[outsider.pk]) == {}


# -- words and parameters -----------------------------------------------------------------


def test_the_result_reads_achieved_or_not_yet(in_english):
    rule = rule_for("first_time", {"verbs": ["news_published"]}, (1,))
    assert KIND.explain(rule, Measure(agent_id=1, value=1)) == "Achieved"
    assert KIND.explain(rule, None) == "Not yet"
    assert (
        KIND.describe({"verbs": ["news_published", "page_published"]}, [TierSpec("bronze", 1, 0)])
        == "A first activity among: news_published, page_published"
    )


def test_the_result_reads_in_french_by_default():
    rule = rule_for("first_time", {"verbs": ["news_published"]}, (1,))
    with translation.override("fr"):
        text = KIND.explain(rule, None)
    if text == "Not yet":
        pytest.skip("the French catalogue does not have this message yet")
    assert text == "Pas encore"


@pytest.mark.parametrize(
    ("params", "field"),
    [({}, "verbs"), ({"verbs": []}, "verbs"), ({"verbs": ["x"], "window": {}}, "params")],
)
def test_bad_parameters_are_refused_naming_the_parameter(params, field):
    with pytest.raises(ValidationError) as error:
        KIND.clean_params(params)
    assert field in error.value.message_dict


@pytest.mark.parametrize(
    "tiers",
    [
        [TierSpec("bronze", 2, 0)],
        [TierSpec("bronze", 1, 0), TierSpec("silver", 2, 0)],
    ],
)
def test_a_first_has_one_tier_of_threshold_one(tiers, in_english):
    params = KIND.clean_params({"verbs": ["news_published"]})
    assert KIND.check_rule(params, False, tiers=tiers) == {
        "tiers": ["A first has a single tier, with threshold 1."]
    }


def test_one_tier_of_threshold_one_is_accepted():
    params = KIND.clean_params({"verbs": ["news_published"]})
    assert KIND.check_rule(params, False, tiers=[TierSpec("gold", 1, 30)]) == {}
    assert KIND.verbs(params) == frozenset({"news_published"})


# -- the engine and queries ---------------------------------------------------------------


def test_the_engine_awards_the_first_and_moves_it_when_the_first_is_retracted(organization, agent):
    definition = first_publication(organization)
    first = ingest(organization, agent, "news_published", at(30))
    second = ingest(organization, agent, "page_published", at(20))
    badges_evaluate(organization=organization, now=NOW)
    award = Award.objects.for_org(organization).get(badge=definition)
    assert (award.agent_id, award.awarded_at, award.points) == (agent.pk, at(30), 10)
    assert award.activity_ids == list(activity_ids(organization, first))
    retract(organization, first)
    badges_reconcile(organization=organization, now=NOW)
    award.refresh_from_db()
    assert (award.awarded_at, award.revoked_at) == (at(20), None)
    assert award.activity_ids == list(activity_ids(organization, second))


@pytest.mark.parametrize("size", [1, 20])
def test_measuring_runs_one_query_whatever_the_number_of_agents(
    organization, tree, size, django_assert_num_queries
):
    agents = [AgentFactory(organization=organization, unit=tree.voirie) for _ in range(size)]
    for someone in agents:
        ingest(organization, someone, "news_published", at(3))
        ingest(organization, someone, "news_published", at(2))
    ctx = engine_context(organization=organization, now=NOW)
    rule = rule_of(first_publication(organization))
    with django_assert_num_queries(1):
        results = KIND.measure(ctx, rule, [a.pk for a in agents])
    assert {m.value for m in results.values()} == {1}
    assert len(results) == size
