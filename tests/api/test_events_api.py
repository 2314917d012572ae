"""``/api/v1/events`` and ``/api/v1/events/<id>/attendance``."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from ambassadors.models import Activity, Event
from ambassadors.services.events import attendance_record, event_create
from api.models import Scope
from tests.factories import AgentFactory

from .conftest import bearer_client


@pytest.fixture
def event(organization, tree):
    return event_create(
        organization=organization,
        title="Atelier publication",
        kind=Event.Kind.WORKSHOP,
        starts_at=timezone.now() - dt.timedelta(hours=1),
        unit=tree.proprete,
        capacity=2,
    )


@pytest.fixture
def coaching_client(organization, make_token):
    return bearer_client(make_token(organization, [Scope.READ, Scope.COACHING_WRITE]))


def test_it_lists_events_with_their_attendance(api_client, event, field_agent):
    attendance_record(event=event, agents=[field_agent])
    body = api_client.get("/api/v1/events").json()
    assert [(e["title"], e["attendees"], e["unit"]["code"]) for e in body["results"]] == [
        ("Atelier publication", 1, "PRO")
    ]


@pytest.mark.parametrize("count", [1, 20])
def test_the_list_takes_the_same_queries_whatever_the_size(
    api_client, organization, count, django_assert_num_queries
):
    for n in range(count):
        event_create(
            organization=organization, title=f"Démo {n}", kind="demo", starts_at=timezone.now()
        )
    # token, its last use, the count and the page
    with django_assert_num_queries(4):
        assert len(api_client.get("/api/v1/events").json()["results"]) == count


def test_it_records_attendance_with_per_line_errors(coaching_client, event, field_agent):
    response = coaching_client.post(
        f"/api/v1/events/{event.pk}/attendance",
        {"agents": [field_agent.hr_id, "NOBODY-1"]},
        content_type="application/json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["added"] == [field_agent.hr_id]
    assert [(e["line"], e["text"]) for e in body["errors"]] == [(2, "NOBODY-1")]
    assert Activity.objects.filter(agent=field_agent, verb__code="event_attended").count() == 1
    again = coaching_client.post(
        f"/api/v1/events/{event.pk}/attendance",
        {"agents": [field_agent.hr_id]},
        content_type="application/json",
    ).json()
    assert again["already"] == [field_agent.hr_id]
    assert Activity.objects.filter(agent=field_agent, verb__code="event_attended").count() == 1


def test_over_capacity_is_recorded_with_a_warning(coaching_client, organization, tree, event):
    people = AgentFactory.create_batch(3, organization=organization, unit=tree.proprete)
    body = coaching_client.post(
        f"/api/v1/events/{event.pk}/attendance",
        {"agents": [p.hr_id for p in people]},
        content_type="application/json",
    ).json()
    assert len(body["added"]) == 3
    assert body["over_capacity"] == 1
    assert body["warning"]


def test_a_read_token_cannot_record_attendance(api_client, event, field_agent):
    response = api_client.post(
        f"/api/v1/events/{event.pk}/attendance",
        {"agents": [field_agent.hr_id]},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_an_event_not_started_is_a_clear_400(coaching_client, organization, field_agent):
    later = event_create(
        organization=organization,
        title="Demain",
        kind="demo",
        starts_at=timezone.now() + dt.timedelta(days=1),
    )
    response = coaching_client.post(
        f"/api/v1/events/{later.pk}/attendance",
        {"agents": [field_agent.hr_id]},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "event_not_started"


def test_another_organizations_event_is_not_found(other_organization, make_token, event):
    client = bearer_client(make_token(other_organization, [Scope.READ, Scope.COACHING_WRITE]))
    response = client.post(
        f"/api/v1/events/{event.pk}/attendance", {"agents": []}, content_type="application/json"
    )
    assert response.status_code == 404
    assert client.get("/api/v1/events").json()["results"] == []
