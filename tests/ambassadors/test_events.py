"""Events: planning, attendance written once to the ledger, removal retracted, capacity."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from ambassadors.errors import DomainError
from ambassadors.models import (
    Activity,
    ActivityRetraction,
    AdoptionStage,
    AgentAdoption,
    Event,
    EventAttendance,
)
from ambassadors.services.events import (
    attendance_record,
    attendance_remove,
    attendance_resolve_lines,
    event_create,
    event_expected_agents,
)
from ambassadors.services.ledger import activity_source_resolve
from tests.factories import AgentFactory, OrgUnitFactory
from tests.queries import ledger_insert_extra

NOW = timezone.now().replace(microsecond=0)
QUERIES = 13


pytestmark = pytest.mark.usefixtures("in_english")


@pytest.fixture
def event(organization, tree, ambassador):
    return event_create(
        organization=organization,
        title="Démo de l’intranet au CTM",
        kind=Event.Kind.DEMO,
        starts_at=NOW - dt.timedelta(hours=2),
        ends_at=NOW - dt.timedelta(hours=1),
        unit=tree.proprete,
        capacity=3,
        organiser=ambassador,
    )


def attended(agent):
    return Activity.objects.filter(agent=agent, verb__code="event_attended")


def test_it_plans_an_event_with_an_hour_by_default(organization, tree):
    event = event_create(
        organization=organization, title="  Atelier  ", kind="workshop", starts_at=NOW
    )
    assert event.title == "Atelier"
    assert event.ends_at == NOW + dt.timedelta(hours=1)


def test_planning_reports_each_problem_under_its_field(organization, outsider):
    with pytest.raises(DomainError) as caught:
        event_create(
            organization=organization,
            title="",
            kind="party",
            starts_at=NOW,
            ends_at=NOW - dt.timedelta(hours=1),
            capacity=0,
            organiser=outsider,
        )
    assert set(caught.value.extra) == {"title", "kind", "ends_at", "capacity", "organiser"}


def test_attendance_writes_event_attended_once_whatever_the_repeats(event, field_agent, agent):
    report = attendance_record(event=event, agents=[field_agent, field_agent, agent])
    assert {a.pk for a in report.added} == {field_agent.pk, agent.pk}
    again = attendance_record(event=event, agents=[field_agent], lines=[agent.hr_id])
    assert again.added == []
    assert {a.pk for a in again.already} == {field_agent.pk, agent.pk}
    activity = attended(field_agent).get()
    assert activity.external_id == f"event:{event.pk}:attended:{field_agent.pk}"
    assert activity.occurred_at == event.starts_at
    assert activity.source.code == "relais"
    assert EventAttendance.objects.filter(event=event).count() == 2
    assert attended(agent).count() == 1


def test_removing_an_attendance_retracts_its_activity(event, field_agent):
    attendance_record(event=event, agents=[field_agent])
    assert attendance_remove(event=event, agent=field_agent)
    activity = attended(field_agent).get()
    assert ActivityRetraction.objects.filter(activity=activity).exists()
    assert not EventAttendance.objects.filter(event=event).exists()
    assert attendance_remove(event=event, agent=field_agent) is False


def test_an_agent_removed_then_added_again_gets_a_fresh_ledger_row(event, field_agent):
    attendance_record(event=event, agents=[field_agent])
    attendance_remove(event=event, agent=field_agent)
    attendance_record(event=event, agents=[field_agent])
    rows = {a.external_id: hasattr(a, "retraction") for a in attended(field_agent)}
    base = f"event:{event.pk}:attended:{field_agent.pk}"
    assert rows == {base: True, f"{base}:2": False}


def test_attendance_moves_the_adoption_stage_and_removal_moves_it_back(
    event, field_agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        attendance_record(event=event, agents=[field_agent])
    assert AgentAdoption.objects.get(agent=field_agent).stage_at(NOW) is AdoptionStage.REACHED
    with django_capture_on_commit_callbacks(execute=True):
        attendance_remove(event=event, agent=field_agent)
    assert AgentAdoption.objects.get(agent=field_agent).stage_at(NOW) is (AdoptionStage.NOT_REACHED)


def test_lines_that_name_nobody_are_reported_by_number_and_good_lines_kept(
    organization, event, field_agent, agent
):
    report = attendance_record(
        event=event,
        lines=[field_agent.hr_id, "", "Personne Inconnue", f"{agent.last_name} {agent.first_name}"],
    )
    assert {a.pk for a in report.added} == {field_agent.pk, agent.pk}
    assert [(error.line, error.text) for error in report.errors] == [(3, "Personne Inconnue")]
    assert "Line 3" in report.errors[0].message
    assert "Personne Inconnue" in report.errors[0].message
    assert EventAttendance.objects.filter(event=event).count() == 2


def test_a_name_shared_by_two_agents_asks_for_the_hr_id(organization, tree):
    AgentFactory.create_batch(
        2, organization=organization, unit=tree.culture, first_name="Léa", last_name="Durand"
    )
    found, errors = attendance_resolve_lines(organization=organization, lines=["durand  léa"])
    assert found == []
    assert "2 agents" in errors[0].message and "HR id" in errors[0].message


def test_an_hr_id_first_on_a_line_is_enough(organization, field_agent):
    found, errors = attendance_resolve_lines(
        organization=organization, lines=[f"{field_agent.hr_id.lower()} (signed)"]
    )
    assert found == [field_agent] and errors == []
    found, errors = attendance_resolve_lines(
        organization=organization, lines=[f"{field_agent.hr_id} Terrain"]
    )
    assert found == [field_agent] and errors == []


def test_lines_never_find_agents_of_another_organization(organization, outsider):
    found, errors = attendance_resolve_lines(organization=organization, lines=[outsider.hr_id])
    assert found == []
    assert len(errors) == 1


def test_over_capacity_keeps_everyone_and_warns(organization, event, tree):
    people = AgentFactory.create_batch(4, organization=organization, unit=tree.proprete)
    report = attendance_record(event=event, agents=people)
    assert len(report.added) == 4
    assert report.over_capacity == 1
    assert "capacity of 3" in report.warning
    assert EventAttendance.objects.filter(event=event).count() == 4


def test_within_capacity_there_is_no_warning(event, field_agent):
    report = attendance_record(event=event, agents=[field_agent])
    assert report.over_capacity == 0
    assert report.warning == ""


def test_attendance_before_the_event_starts_is_refused(organization, field_agent):
    future = event_create(
        organization=organization,
        title="Plus tard",
        kind="training",
        starts_at=NOW + dt.timedelta(days=2),
    )
    with pytest.raises(DomainError) as caught:
        attendance_record(event=future, agents=[field_agent])
    assert caught.value.code == "event_not_started"
    assert not EventAttendance.objects.exists()


def test_a_signed_organization_still_records_attendance(organization, event, field_agent):
    intranet = activity_source_resolve(organization=organization, code="intranet")
    intranet.signing_secret = "s3cret"
    intranet.save()
    attendance_record(event=event, agents=[field_agent])
    assert attended(field_agent).count() == 1


@pytest.mark.parametrize("count", [1, 20])
def test_recording_costs_the_same_queries_for_1_or_20_agents(
    organization, event, tree, count, django_assert_num_queries
):
    people = AgentFactory.create_batch(count, organization=organization, unit=tree.proprete)
    activity_source_resolve(organization=organization, code="relais")
    # savepoint pair, the lines' agents, attendances so far, the source, its external ids
    # for this event, the insert, then the ledger (verbs, stored ids, agents, savepoint pair,
    # insert; two statements on PostgreSQL, see tests/queries.py)
    with django_assert_num_queries(QUERIES + ledger_insert_extra()):
        attendance_record(event=event, lines=[p.hr_id for p in people])
    assert attended(people[-1]).count() == 1


def test_expected_agents_are_the_present_agents_of_the_unit_subtree_and_site(
    organization, tree, site, field_agent
):
    below = OrgUnitFactory(organization=organization, parent=tree.proprete)
    deeper = AgentFactory(organization=organization, unit=below, site=site, last_name="Aval")
    AgentFactory(organization=organization, unit=tree.proprete, last_name="Ailleurs")  # no site
    AgentFactory(
        organization=organization,
        unit=tree.proprete,
        site=site,
        departure_date=timezone.localdate() - dt.timedelta(days=10),
    )
    event = event_create(
        organization=organization,
        title="Tournée",
        kind="service_tour",
        starts_at=NOW,
        unit=tree.proprete,
        site=site,
    )
    assert event_expected_agents(event=event) == [deeper, field_agent]
