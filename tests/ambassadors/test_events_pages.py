"""Event pages: the list, planning, recording attendance from a list, the sign-in sheet."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from ambassadors.models import Event, EventAttendance
from ambassadors.services.events import attendance_record, event_create
from tests.conftest import login
from tests.factories import AgentFactory


@pytest.fixture
def event(organization, tree, site, ambassador):
    return event_create(
        organization=organization,
        title="Tournée des services au CTM",
        kind=Event.Kind.SERVICE_TOUR,
        starts_at=timezone.now() - dt.timedelta(hours=1),
        unit=tree.proprete,
        site=site,
        capacity=1,
        organiser=ambassador,
    )


def test_the_list_shows_upcoming_and_past_events(comms_client, event, organization):
    event_create(
        organization=organization,
        title="Formation à venir",
        kind="training",
        starts_at=timezone.now() + dt.timedelta(days=3),
    )
    html = comms_client.get(reverse("event-list")).content.decode()
    assert "Tournée des services au CTM" in html
    assert "Formation à venir" in html


@pytest.mark.parametrize("who", ["manager", "agent"])
def test_people_who_neither_coach_nor_run_the_programme_get_404(request, who, event):
    client = login(request.getfixturevalue(who))
    assert client.get(reverse("event-list")).status_code == 404
    assert client.get(reverse("event-detail", args=[event.pk])).status_code == 404


def test_an_ambassador_plans_an_event_and_becomes_its_organiser(ambassador, tree):
    client = login(ambassador)
    response = client.post(
        reverse("event-new"),
        {
            "title": "Démo au dépôt",
            "kind": "demo",
            "mode": "in_person",
            "starts_at": "2026-04-02T09:30",
            "ends_at": "2026-04-02T10:30",
            "unit": tree.proprete.pk,
            "capacity": "12",
        },
    )
    event = Event.objects.get(title="Démo au dépôt")
    assert response.status_code == 302
    assert response.url == reverse("event-detail", args=[event.pk])
    assert event.organiser == ambassador
    assert event.capacity == 12


def test_planning_with_an_end_before_the_start_names_the_field(comms_client):
    response = comms_client.post(
        reverse("event-new"),
        {
            "title": "À l’envers",
            "kind": "demo",
            "mode": "remote",
            "starts_at": "2026-04-02T10:30",
            "ends_at": "2026-04-02T09:30",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "L’événement ne peut pas se terminer avant d’avoir commencé." in html
    assert not Event.objects.exists()


def test_attendance_from_ticks_and_lines_keeps_good_lines_and_names_bad_ones(
    comms_client, event, field_agent, agent
):
    response = comms_client.post(
        reverse("event-detail", args=[event.pk]),
        {"agents": [str(field_agent.pk)], "lines": f"{agent.hr_id}\nZZZ-INCONNU\n"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Ligne 2 (« ZZZ-INCONNU »)" in html
    # The failing line stays in the box, to correct it; the good ones are recorded.
    assert ">ZZZ-INCONNU</textarea>" in html
    assert set(EventAttendance.objects.values_list("agent_id", flat=True)) == {
        field_agent.pk,
        agent.pk,
    }
    assert "capacité de 1" in html


def test_removing_an_attendee_from_the_page(comms_client, event, field_agent):
    attendance_record(event=event, agents=[field_agent])
    response = comms_client.post(
        reverse("event-detail", args=[event.pk]), {"remove": str(field_agent.pk)}
    )
    assert response.status_code == 302
    assert not EventAttendance.objects.exists()


def test_the_sign_in_sheet_lists_the_expected_agents_with_a_signature_column(
    comms_client, event, organization, tree, site, field_agent
):
    elsewhere = AgentFactory(organization=organization, unit=tree.culture, last_name="Absent")
    response = comms_client.get(reverse("event-sign-in-sheet", args=[event.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Tournée des services au CTM" in html
    assert field_agent.hr_id in html and field_agent.last_name in html
    assert elsewhere.last_name not in html
    assert "Signature" in html
    assert html.count('class="sheet-blank"') == 8
    assert html.count('<td class="sheet-signature"></td>') == 9


@pytest.mark.parametrize("count", [1, 20])
def test_the_event_page_takes_the_same_queries_whatever_the_attendance(
    comms_client, event, organization, tree, site, count, django_assert_num_queries
):
    people = AgentFactory.create_batch(
        count, organization=organization, unit=tree.proprete, site=site
    )
    attendance_record(event=event, agents=people[: count // 2 + 1])
    # session, user and agent, roles (+units), mandates: 6; the event, the attendances, the
    # expected agents
    with django_assert_num_queries(10):
        response = comms_client.get(reverse("event-detail", args=[event.pk]))
    assert response.status_code == 200
