"""The events kind: events attended (the ledger) or organised (the events' own rows)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from ambassadors.models import Event
from ambassadors.services.events import (
    attendance_record,
    attendance_remove,
    attended_external_id,
    event_create,
)
from badges.models import Award
from badges.rules import Measure, TierSpec, get_kind
from badges.services.engine import badges_evaluate, engine_context, rule_of
from tests.factories import AgentFactory

from .helpers import NOW, activity_ids, at, badge, measure_of, rule_for

pytestmark = pytest.mark.django_db

KIND = get_kind("events")


def events_badge(organization, role=None, *tiers, code="evenements"):
    return badge(
        organization,
        code,
        "events",
        {} if role is None else {"role": role},
        list(tiers) or [("bronze", 1, 3), ("silver", 3, 10)],
        category="community",
    )


def event(organization, starts_at: dt.datetime, organiser=None) -> Event:
    return event_create(
        organization=organization,
        title="Démo de l’intranet",
        kind=Event.Kind.DEMO,
        starts_at=starts_at,
        organiser=organiser,
    )


def attend(agent, *starts: dt.datetime) -> list[Event]:
    found = []
    for starts_at in starts:
        held = event(agent.organization, starts_at)
        attendance_record(event=held, agents=[agent], now=NOW)
        found.append(held)
    return found


def attended_ids(agent, events: list[Event]) -> tuple[int, ...]:
    return activity_ids(agent.organization, *[attended_external_id(e.pk, agent.pk) for e in events])


# -- attended -----------------------------------------------------------------------------


def test_attended_events_count_from_the_ledger_at_each_events_start(organization, agent):
    held = attend(agent, at(30), at(20), at(10))
    result = measure_of(events_badge(organization))[agent.pk]
    assert result.value == 3
    assert result.earned["bronze"].at == at(30)
    assert result.earned["bronze"].activity_ids == attended_ids(agent, held[:1])
    assert result.earned["silver"].at == at(10)
    assert result.earned["silver"].activity_ids == attended_ids(agent, held)


def test_a_removed_attendance_no_longer_counts(organization, agent):
    first, _second = attend(agent, at(30), at(20))
    attendance_remove(event=first, agent=agent, now=NOW)
    result = measure_of(events_badge(organization))[agent.pk]
    assert result.value == 1
    assert result.earned["bronze"].at == at(20)


def test_only_attendees_meeting_a_threshold_earn_it_in_bulk(organization, tree):
    agents = [AgentFactory(organization=organization, unit=tree.voirie) for _ in range(4)]
    for count, someone in enumerate(agents):
        attend(someone, *[at(40 - 10 * n, hours=count) for n in range(count)])
    results = measure_of(events_badge(organization))
    assert {pk: m.value for pk, m in results.items()} == {
        agents[1].pk: 1,
        agents[2].pk: 2,
        agents[3].pk: 3,
    }
    assert set(results[agents[2].pk].earned) == {"bronze"}
    assert results[agents[2].pk].earned["bronze"].at == at(40, hours=2)
    assert results[agents[3].pk].earned["silver"].at == at(20, hours=3)


def test_only_the_attendees_asked_for_are_measured(organization, agent, ambassador):
    attend(agent, at(3))
    attend(ambassador, at(2))
    assert set(measure_of(events_badge(organization), agent_ids=[agent.pk])) == {agent.pk}


def test_another_organizations_attendance_is_never_counted(organization, outsider):
    attend(outsider, at(3))
    assert measure_of(events_badge(organization)) == {}


# -- organised ----------------------------------------------------------------------------


def test_organised_events_count_once_started_and_are_earned_at_their_start(
    organization, ambassador
):
    for starts_at in (at(30), at(20), at(5), NOW + dt.timedelta(days=2)):
        event(organization, starts_at, organiser=ambassador)
    event(organization, at(25))  # nobody organised it
    result = measure_of(events_badge(organization, "organised"))[ambassador.pk]
    assert result.value == 3
    assert result.earned["bronze"].at == at(30)
    assert result.earned["silver"].at == at(5)
    # Events are not ledger rows: no activity stands behind the award.
    assert result.earned["silver"].activity_ids == ()


def test_attending_is_not_organising(organization, ambassador, agent):
    held = event(organization, at(10), organiser=ambassador)
    attendance_record(event=held, agents=[agent, ambassador], now=NOW)
    results = measure_of(events_badge(organization, "organised"))
    assert set(results) == {ambassador.pk}
    assert results[ambassador.pk].value == 1


def test_only_organisers_meeting_a_threshold_earn_it_in_bulk(organization, tree):
    agents = [AgentFactory(organization=organization, unit=tree.voirie) for _ in range(4)]
    for count, someone in enumerate(agents):
        for n in range(count):
            event(organization, at(40 - 10 * n, hours=count), organiser=someone)
    results = measure_of(events_badge(organization, "organised"))
    assert {pk: m.value for pk, m in results.items()} == {
        agents[1].pk: 1,
        agents[2].pk: 2,
        agents[3].pk: 3,
    }
    assert results[agents[3].pk].earned["silver"].at == at(20, hours=3)
    assert set(results[agents[1].pk].earned) == {"bronze"}


def test_only_the_organisers_asked_for_are_measured(organization, agent, ambassador):
    event(organization, at(3), organiser=agent)
    event(organization, at(3), organiser=ambassador)
    definition = events_badge(organization, "organised")
    assert set(measure_of(definition, agent_ids=[ambassador.pk])) == {ambassador.pk}


def test_another_organizations_events_are_never_counted(organization, outsider):
    event(outsider.organization, at(3), organiser=outsider)
    definition = events_badge(organization, "organised")
    assert measure_of(definition) == {}
    assert measure_of(definition, agent_ids=[outsider.pk]) == {}


# -- words and parameters -----------------------------------------------------------------


def test_the_result_reads_as_events_attended_or_organised(in_english):
    attended = rule_for("events", {}, (1, 5))
    assert KIND.explain(attended, Measure(agent_id=1, value=2)) == "2 of 5 events attended"
    assert KIND.explain(attended, Measure(agent_id=1, value=6)) == "6 events attended"
    organised = rule_for("events", {"role": "organised"}, (1, 5))
    assert KIND.explain(organised, None) == "0 of 1 event organised"
    assert KIND.explain(organised, Measure(agent_id=1, value=5)) == "5 events organised"
    tiers = [TierSpec("bronze", 1, 0), TierSpec("silver", 5, 0)]
    assert KIND.describe({"role": "attended"}, tiers) == "Events attended: 1 / 5"
    assert KIND.describe({"role": "organised"}, tiers) == "Events organised: 1 / 5"


def test_the_result_reads_in_french_by_default():
    attended = rule_for("events", {}, (1, 5))
    with translation.override("fr"):
        text = KIND.explain(attended, Measure(agent_id=1, value=2))
    if text == "2 of 5 events attended":
        pytest.skip("the French catalogue does not have this message yet")
    assert text == "2 sur 5 événements suivis"


@pytest.mark.parametrize(
    ("params", "field"),
    [({"role": "attendee"}, "role"), ({"role": None}, "role"), ({"kind": "demo"}, "params")],
)
def test_bad_parameters_are_refused_naming_the_parameter(params, field):
    with pytest.raises(ValidationError) as error:
        KIND.clean_params(params)
    assert field in error.value.message_dict


def test_attendance_is_the_default_role_and_the_only_one_the_ledger_announces():
    attended = KIND.clean_params({})
    assert attended == {"role": "attended"}
    assert KIND.verbs(attended) == frozenset({"event_attended"})
    assert KIND.verbs(KIND.clean_params({"role": "organised"})) == frozenset()


# -- the engine and queries ---------------------------------------------------------------


def test_the_engine_awards_attendance_and_organisation(organization, agent, ambassador):
    attended = events_badge(organization, "attended", ("bronze", 2, 3))
    organised = events_badge(organization, "organised", ("bronze", 1, 10), code="organisateur")
    held = attend(agent, at(20), at(10))
    event(organization, at(15), organiser=ambassador)
    badges_evaluate(organization=organization, now=NOW)
    awards = {
        (a.badge_id, a.agent_id): a
        for a in Award.objects.for_org(organization).filter(badge__in=[attended, organised])
    }
    assert set(awards) == {(attended.pk, agent.pk), (organised.pk, ambassador.pk)}
    assert awards[(attended.pk, agent.pk)].awarded_at == at(10)
    assert awards[(attended.pk, agent.pk)].activity_ids == list(attended_ids(agent, held))
    assert awards[(organised.pk, ambassador.pk)].awarded_at == at(15)
    assert awards[(organised.pk, ambassador.pk)].activity_ids == []


@pytest.mark.parametrize("role", ["attended", "organised"])
@pytest.mark.parametrize("size", [1, 20])
def test_measuring_runs_one_query_whatever_the_number_of_agents(
    organization, tree, size, role, django_assert_num_queries
):
    agents = [AgentFactory(organization=organization, unit=tree.voirie) for _ in range(size)]
    held = event(organization, at(3))
    attendance_record(event=held, agents=agents, now=NOW)
    for someone in agents:
        event(organization, at(2), organiser=someone)
    ctx = engine_context(organization=organization, now=NOW)
    rule = rule_of(events_badge(organization, role))
    with django_assert_num_queries(1):
        results = KIND.measure(ctx, rule, [a.pk for a in agents])
    assert len(results) == size
