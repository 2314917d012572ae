"""The coaching log's pages: log from a phone form, lists, detail, confirmation, privacy."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from ambassadors.models import CoachingParticipant, CoachingSession, CoachingTopic
from ambassadors.permissions import actor_for
from ambassadors.services.coaching import (
    SessionData,
    coaching_confirmation_token,
    coaching_session_create,
)
from tests.conftest import login
from tests.factories import AgentFactory, MandateFactory, UserFactory

SECRET_NOTE = "Tremble devant la souris"


def _session(ambassador, agents, **extra) -> CoachingSession:
    return coaching_session_create(
        organization=ambassador.organization,
        data=SessionData(
            coach=ambassador,
            agents=agents,
            occurred_at=timezone.now() - dt.timedelta(hours=2),
            notes=SECRET_NOTE,
            **extra,
        ),
        actor=actor_for(ambassador.organization, ambassador),
        user=ambassador.user,
    )


def _post_data(**overrides):
    data = {
        "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "duration_minutes": "15",
        "format": "individual",
        "place": "agent_workplace",
        "save": "1",
    }
    data.update(overrides)
    return data


def test_the_new_session_form_has_sensible_defaults(ambassador):
    response = login(ambassador).get("/coaching/new/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="format" value="individual" checked' in html
    assert 'name="place" value="agent_workplace" checked' in html
    assert 'name="duration_minutes" value="15" checked' in html
    assert timezone.localtime().strftime("%Y-%m-%dT") in html
    assert "Connexion et identifiants" in html


def test_an_ambassador_logs_a_session_through_the_form(ambassador, field_agent, organization):
    topic = CoachingTopic.objects.for_org(organization).get(code="login")
    response = login(ambassador).post(
        "/coaching/new/", _post_data(agents=[field_agent.pk], topics=[topic.pk])
    )
    session = CoachingSession.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/coaching/{session.pk}/"
    assert session.coach == ambassador
    assert list(session.agents.all()) == [field_agent]
    assert list(session.topics.all()) == [topic]


def test_errors_are_tied_to_their_fields(ambassador):
    response = login(ambassador).post("/coaching/new/", _post_data(agents=[ambassador.pk]))
    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="agents-error"' in html
    assert 'aria-describedby="agents-error"' in html
    assert 'href="#field-agents"' in html
    assert not CoachingSession.objects.exists()


def test_a_future_date_is_refused_on_the_date_field(ambassador, field_agent):
    tomorrow = timezone.localtime() + dt.timedelta(days=1)
    response = login(ambassador).post(
        "/coaching/new/",
        _post_data(agents=[field_agent.pk], occurred_at=tomorrow.strftime("%Y-%m-%dT%H:%M")),
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert 'aria-describedby="occurred_at-error"' in html
    assert '<details class="more" open>' in html


def test_without_javascript_the_search_button_lists_matching_agents(ambassador, field_agent):
    response = login(ambassador).post(
        "/coaching/new/", _post_data(q=field_agent.hr_id, find="1", save="")
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert f'name="agents" value="{field_agent.pk}"' in html
    assert not CoachingSession.objects.exists()


def test_a_plain_agent_cannot_open_the_form(agent):
    assert login(agent).get("/coaching/new/").status_code == 403
    assert login(agent).post("/coaching/new/", _post_data()).status_code == 403


def test_my_sessions_lists_only_mine_and_comms_sees_all(
    organization, tree, ambassador, comms, field_agent
):
    other = AgentFactory(organization=organization, unit=tree.culture, last_name="Autrecoach")
    MandateFactory(agent=other, units=[tree.culture])
    mine = _session(ambassador, [field_agent])
    theirs = _session(other, [field_agent])
    html = login(ambassador).get("/coaching/").content.decode()
    assert f"/coaching/{mine.pk}/" in html
    assert f"/coaching/{theirs.pk}/" not in html
    html = login(comms).get("/coaching/").content.decode()
    assert f"/coaching/{mine.pk}/" in html and f"/coaching/{theirs.pk}/" in html


@pytest.mark.parametrize("rows", [1, 20])
def test_the_list_page_takes_the_same_queries_for_1_or_20_sessions(
    ambassador, organization, tree, rows, django_assert_num_queries
):
    topic = CoachingTopic.objects.for_org(organization).first()
    for _ in range(rows):
        coached = AgentFactory(organization=organization, unit=tree.culture)
        _session(ambassador, [coached], topics=[topic])
    client = login(ambassador)
    # session, user, agent (middleware), roles, mandates and their units, the page's count,
    # sessions with their coaches, participants with their agents, topics.
    with django_assert_num_queries(11):
        response = client.get("/coaching/")
    assert response.content.decode().count('class="session-item"') == rows


def test_notes_are_shown_to_the_coach_and_comms_only(
    ambassador, comms, field_agent, manager, agent
):
    session = _session(ambassador, [field_agent, agent])
    url = f"/coaching/{session.pk}/"
    assert SECRET_NOTE in login(ambassador).get(url).content.decode()
    assert SECRET_NOTE in login(comms).get(url).content.decode()
    for person in (manager, agent):
        response = login(person).get(url)
        assert response.status_code == 200
        assert SECRET_NOTE not in response.content.decode()


def test_a_session_is_404_for_who_has_nothing_to_do_with_it(
    organization, tree, ambassador, field_agent
):
    session = _session(ambassador, [field_agent])
    stranger = AgentFactory(
        organization=organization,
        unit=tree.culture,
        user=UserFactory(username="stranger"),
    )
    assert login(stranger).get(f"/coaching/{session.pk}/").status_code == 404


def test_the_coach_sees_a_qr_code_and_link_per_unconfirmed_agent(ambassador, field_agent):
    session = _session(ambassador, [field_agent])
    html = login(ambassador).get(f"/coaching/{session.pk}/").content.decode()
    token = coaching_confirmation_token(session.participants.get())
    assert f"/coaching/confirm/{token}/" in html
    assert "<svg" in html


def test_the_agent_confirms_from_their_home_page(ambassador, agent):
    session = _session(ambassador, [agent])
    client = login(agent)
    home = client.get("/").content.decode()
    assert "Sessions to confirm" in home or "Sessions à confirmer" in home
    assert f'action="/coaching/{session.pk}/confirm/"' in home
    response = client.post(f"/coaching/{session.pk}/confirm/", {"agent": agent.pk, "next": "home"})
    assert response.status_code == 302 and response["Location"] == "/"
    participant = CoachingParticipant.objects.get()
    assert participant.confirmation_channel == CoachingParticipant.Channel.HOME
    assert f'action="/coaching/{session.pk}/confirm/"' not in client.get("/").content.decode()


def test_the_manager_confirms_from_their_home_page(ambassador, field_agent, manager):
    session = _session(ambassador, [field_agent])
    client = login(manager)
    assert field_agent.full_name in client.get("/").content.decode()
    client.post(f"/coaching/{session.pk}/confirm/", {"agent": field_agent.pk})
    assert CoachingParticipant.objects.get().confirmation_channel == "manager"


def test_confirming_for_someone_else_is_refused(ambassador, agent, field_agent):
    session = _session(ambassador, [agent, field_agent])
    response = login(agent).post(f"/coaching/{session.pk}/confirm/", {"agent": field_agent.pk})
    assert response.status_code == 403
    response = login(ambassador).post(f"/coaching/{session.pk}/confirm/", {"agent": agent.pk})
    assert response.status_code == 403
    assert not CoachingParticipant.objects.filter(confirmed_at__isnull=False).exists()


def test_the_link_shows_what_is_confirmed_and_one_button_confirms(ambassador, field_agent):
    session = _session(ambassador, [field_agent])
    url = f"/coaching/confirm/{coaching_confirmation_token(session.participants.get())}/"
    client = login(ambassador)
    page = client.get(url).content.decode()
    assert field_agent.full_name in page and ambassador.full_name in page
    assert SECRET_NOTE not in page
    response = client.post(url)
    assert response.status_code == 200
    assert CoachingParticipant.objects.get().confirmation_channel == "link"


def test_the_link_needs_a_signed_in_person_and_a_valid_token(ambassador, field_agent, client):
    session = _session(ambassador, [field_agent])
    url = f"/coaching/confirm/{coaching_confirmation_token(session.participants.get())}/"
    assert client.get(url).status_code == 302  # to the login page
    assert login(ambassador).get(url[:-2] + "x/").status_code == 404


def test_the_coach_cannot_edit_after_7_days(ambassador, field_agent, comms):
    session = _session(ambassador, [field_agent])
    CoachingSession.objects.filter(pk=session.pk).update(
        occurred_at=timezone.now() - dt.timedelta(days=9),
        created_at=timezone.now() - dt.timedelta(days=9),
    )
    assert login(ambassador).get(f"/coaching/{session.pk}/edit/").status_code == 403
    assert login(comms).get(f"/coaching/{session.pk}/edit/").status_code == 200


def test_editing_through_the_form_keeps_history(ambassador, field_agent, agent):
    session = _session(ambassador, [field_agent])
    client = login(ambassador)
    response = client.post(
        f"/coaching/{session.pk}/edit/",
        _post_data(
            agents=[agent.pk],
            occurred_at=timezone.localtime(session.occurred_at).strftime("%Y-%m-%dT%H:%M"),
        ),
    )
    assert response.status_code == 302
    assert list(session.agents.all()) == [agent]
    assert session.revisions.count() == 2
