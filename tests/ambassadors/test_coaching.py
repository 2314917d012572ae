"""The coaching log's services: the rules against abuse, history, the ledger, confirmation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from ambassadors.errors import DomainError, NotFound, PermissionDenied
from ambassadors.models import (
    Activity,
    AmbassadorMandate,
    CoachingParticipant,
    CoachingSession,
    CoachingSessionRevision,
    CoachingTopic,
)
from ambassadors.permissions import actor_for
from ambassadors.services.coaching import (
    DEFAULT_TOPICS,
    SessionData,
    coaching_confirm_with_token,
    coaching_confirmation_token,
    coaching_participant_confirm,
    coaching_participant_for_token,
    coaching_session_create,
    coaching_session_update,
    coaching_topics_ensure_defaults,
)
from tests.factories import AgentFactory, MandateFactory, OrganizationFactory


def _data(coach, agents, **overrides) -> SessionData:
    values = {
        "coach": coach,
        "agents": agents,
        "occurred_at": timezone.now() - dt.timedelta(hours=1),
    }
    values.update(overrides)
    return SessionData(**values)


def _log(ambassador, agents, **overrides) -> CoachingSession:
    return coaching_session_create(
        organization=ambassador.organization,
        data=_data(ambassador, agents, **overrides),
        actor=actor_for(ambassador.organization, ambassador),
        user=ambassador.user,
    )


def _live_ledger(organization) -> dict[str, tuple[int, str]]:
    rows = (
        Activity.objects.for_org(organization)
        .filter(source__code="relais", retraction__isnull=True)
        .select_related("verb")
    )
    return {row.external_id: (row.agent_id, row.verb.code) for row in rows}


# -- topics -----------------------------------------------------------------------------------


def test_a_new_organization_gets_the_default_topics_in_french(db):
    organization = OrganizationFactory(slug="ville-topics")
    labels = set(CoachingTopic.objects.for_org(organization).values_list("label", flat=True))
    assert labels == {label for _code, label in DEFAULT_TOPICS}
    assert "Connexion et identifiants" in labels


def test_ensuring_default_topics_twice_creates_nothing_and_keeps_renamed_ones(organization):
    CoachingTopic.objects.for_org(organization).filter(code="login").update(label="Se connecter")
    assert coaching_topics_ensure_defaults(organization=organization) == 0
    CoachingTopic.objects.for_org(organization).filter(code="search").delete()
    assert coaching_topics_ensure_defaults(organization=organization) == 1
    assert CoachingTopic.objects.for_org(organization).get(code="login").label == "Se connecter"


# -- the rules --------------------------------------------------------------------------------


def test_an_ambassador_logs_a_session_with_topics_and_history(ambassador, field_agent):
    topic = CoachingTopic.objects.for_org(ambassador.organization).get(code="login")
    session = _log(ambassador, [field_agent], topics=[topic], notes="Mot de passe oublié")
    assert session.coach == ambassador
    assert list(session.agents.all()) == [field_agent]
    assert list(session.topics.all()) == [topic]
    revision = CoachingSessionRevision.objects.get(session=session)
    assert revision.kind == CoachingSessionRevision.Kind.CREATED
    assert revision.changed_by == ambassador.user
    assert revision.snapshot["agents"][0]["hr_id"] == field_agent.hr_id
    assert revision.snapshot["topics"] == ["login"]


def test_self_coaching_is_refused_naming_the_agents_field(ambassador, field_agent):
    with pytest.raises(DomainError) as caught:
        _log(ambassador, [field_agent, ambassador])
    assert "agents" in caught.value.extra
    assert ambassador.full_name in caught.value.extra["agents"][0]
    assert not CoachingSession.objects.exists()
    assert not Activity.objects.exists()


def test_a_session_in_the_future_is_refused_naming_occurred_at(ambassador, field_agent):
    with pytest.raises(DomainError) as caught:
        _log(ambassador, [field_agent], occurred_at=timezone.now() + dt.timedelta(days=1))
    assert list(caught.value.extra) == ["occurred_at"]
    assert not CoachingSession.objects.exists()


def test_a_clock_a_minute_ahead_is_not_the_future(ambassador, field_agent):
    session = _log(ambassador, [field_agent], occurred_at=timezone.now() + dt.timedelta(minutes=1))
    assert session.pk


@pytest.mark.parametrize(
    "status", [AmbassadorMandate.Status.CANDIDATE, AmbassadorMandate.Status.ALUMNI]
)
def test_a_coach_without_an_active_mandate_is_refused(organization, tree, comms, agent, status):
    former = AgentFactory(organization=organization, unit=tree.culture)
    MandateFactory(agent=former, units=[tree.culture], status=status)
    with pytest.raises(DomainError) as caught:
        coaching_session_create(
            organization=organization,
            data=_data(former, [agent]),
            actor=actor_for(organization, comms),
            user=comms.user,
        )
    assert "coach" in caught.value.extra
    assert former.full_name in caught.value.extra["coach"][0]


def test_a_plain_agent_cannot_log_coaching(agent, field_agent):
    with pytest.raises(PermissionDenied):
        coaching_session_create(
            organization=agent.organization,
            data=_data(agent, [field_agent]),
            actor=actor_for(agent.organization, agent),
        )


def test_an_ambassador_cannot_log_in_another_ambassadors_name(
    organization, tree, ambassador, agent
):
    other = AgentFactory(organization=organization, unit=tree.culture)
    MandateFactory(agent=other, units=[tree.culture])
    with pytest.raises(PermissionDenied) as caught:
        coaching_session_create(
            organization=organization,
            data=_data(other, [agent]),
            actor=actor_for(organization, ambassador),
        )
    assert "coach" in caught.value.extra


def test_comms_logs_a_session_for_an_ambassador(organization, comms, ambassador, agent):
    session = coaching_session_create(
        organization=organization,
        data=_data(ambassador, [agent]),
        actor=actor_for(organization, comms),
        user=comms.user,
    )
    assert session.coach == ambassador
    assert session.created_by == comms.user


def test_a_session_needs_an_agent_or_a_head_count(ambassador):
    with pytest.raises(DomainError) as caught:
        _log(ambassador, [])
    assert "agents" in caught.value.extra
    session = _log(ambassador, [], headcount=12, format=CoachingSession.Format.GROUP_DEMO)
    assert session.headcount == 12
    assert _live_ledger(ambassador.organization) == {
        f"coaching:{session.pk}:given": (ambassador.pk, "coaching_given")
    }


def test_an_agent_of_another_organization_is_refused(ambassador, outsider):
    with pytest.raises(DomainError) as caught:
        _log(ambassador, [outsider])
    assert "agents" in caught.value.extra


def test_invalid_choices_and_durations_name_their_fields(ambassador, field_agent):
    with pytest.raises(DomainError) as caught:
        _log(ambassador, [field_agent], format="karaoke", duration_minutes=0, place="moon")
    assert set(caught.value.extra) == {"format", "duration_minutes", "place"}


# -- the ledger -------------------------------------------------------------------------------


def test_saving_writes_given_and_received_to_the_ledger(ambassador, field_agent, agent):
    session = _log(ambassador, [field_agent, agent])
    assert _live_ledger(ambassador.organization) == {
        f"coaching:{session.pk}:given": (ambassador.pk, "coaching_given"),
        f"coaching:{session.pk}:received:{field_agent.pk}": (field_agent.pk, "coaching_received"),
        f"coaching:{session.pk}:received:{agent.pk}": (agent.pk, "coaching_received"),
    }
    row = Activity.objects.get(external_id=f"coaching:{session.pk}:given")
    assert row.occurred_at == session.occurred_at
    assert row.object_type == "coaching_session"


def test_editing_the_agents_retracts_and_adds_ledger_rows(ambassador, field_agent, agent):
    session = _log(ambassador, [field_agent])
    actor = actor_for(ambassador.organization, ambassador)
    coaching_session_update(
        session=session,
        data=_data(ambassador, [agent], occurred_at=session.occurred_at),
        actor=actor,
    )
    live = _live_ledger(ambassador.organization)
    assert live == {
        f"coaching:{session.pk}:given": (ambassador.pk, "coaching_given"),
        f"coaching:{session.pk}:received:{agent.pk}": (agent.pk, "coaching_received"),
    }
    removed = Activity.objects.get(external_id=f"coaching:{session.pk}:received:{field_agent.pk}")
    assert removed.retracted_at is not None
    # The agent comes back: the retracted row stays retracted, a new one is written.
    coaching_session_update(
        session=session,
        data=_data(ambassador, [agent, field_agent], occurred_at=session.occurred_at),
        actor=actor,
    )
    live = _live_ledger(ambassador.organization)
    received = sorted(agent_id for agent_id, verb in live.values() if verb == "coaching_received")
    assert received == sorted([agent.pk, field_agent.pk])
    assert [verb for _a, verb in live.values()].count("coaching_given") == 1


def test_moving_the_date_rewrites_the_ledger_rows_at_the_new_date(ambassador, field_agent):
    session = _log(ambassador, [field_agent])
    earlier = session.occurred_at - dt.timedelta(days=2)
    coaching_session_update(
        session=session,
        data=_data(ambassador, [field_agent], occurred_at=earlier),
        actor=actor_for(ambassador.organization, ambassador),
    )
    live_rows = Activity.objects.filter(source__code="relais", retraction__isnull=True)
    assert live_rows.count() == 2
    assert {row.occurred_at for row in live_rows} == {earlier}
    assert Activity.objects.filter(retraction__isnull=False).count() == 2


def test_a_refused_change_leaves_session_ledger_and_history_untouched(ambassador, field_agent):
    session = _log(ambassador, [field_agent])
    with pytest.raises(DomainError):
        coaching_session_update(
            session=session,
            data=_data(ambassador, [ambassador], occurred_at=session.occurred_at),
            actor=actor_for(ambassador.organization, ambassador),
        )
    assert list(session.agents.all()) == [field_agent]
    assert CoachingSessionRevision.objects.filter(session=session).count() == 1
    assert len(_live_ledger(ambassador.organization)) == 2


# -- editing and history ----------------------------------------------------------------------


def test_every_change_is_kept_in_history_with_the_fields_changed(ambassador, field_agent):
    session = _log(ambassador, [field_agent])
    actor = actor_for(ambassador.organization, ambassador)
    coaching_session_update(
        session=session,
        data=_data(ambassador, [field_agent], occurred_at=session.occurred_at, duration_minutes=45),
        actor=actor,
        user=ambassador.user,
    )
    coaching_session_update(
        session=session,
        data=_data(ambassador, [field_agent], occurred_at=session.occurred_at, duration_minutes=45),
        actor=actor,
    )  # no change: no new revision
    revisions = list(CoachingSessionRevision.objects.filter(session=session).order_by("number"))
    assert [r.number for r in revisions] == [1, 2]
    assert revisions[0].snapshot["duration_minutes"] == 15
    assert revisions[1].snapshot["duration_minutes"] == 45
    assert revisions[1].changed_fields == ["duration_minutes"]


def test_the_coach_cannot_edit_more_than_7_days_after_but_comms_can(ambassador, comms, field_agent):
    session = _log(ambassador, [field_agent], occurred_at=timezone.now() - dt.timedelta(days=3))
    later = timezone.now() + dt.timedelta(days=8)
    data = _data(ambassador, [field_agent], occurred_at=session.occurred_at, duration_minutes=30)
    with pytest.raises(PermissionDenied) as caught:
        coaching_session_update(
            session=session,
            data=data,
            actor=actor_for(ambassador.organization, ambassador),
            now=later,
        )
    assert caught.value.code == "edit_window_closed"
    assert "occurred_at" in caught.value.extra
    coaching_session_update(
        session=session, data=data, actor=actor_for(comms.organization, comms), now=later
    )
    session.refresh_from_db()
    assert session.duration_minutes == 30


def test_the_coach_can_edit_within_7_days(ambassador, field_agent):
    session = _log(ambassador, [field_agent], occurred_at=timezone.now() - dt.timedelta(days=1))
    coaching_session_update(
        session=session,
        data=_data(ambassador, [field_agent], occurred_at=session.occurred_at, notes="ok"),
        actor=actor_for(ambassador.organization, ambassador),
        now=timezone.now() + dt.timedelta(days=5),
    )
    session.refresh_from_db()
    assert session.notes == "ok"


def test_someone_else_cannot_edit_a_session(organization, tree, ambassador, field_agent, manager):
    session = _log(ambassador, [field_agent])
    other = AgentFactory(organization=organization, unit=tree.culture)
    MandateFactory(agent=other, units=[tree.culture])
    for person in (other, manager):
        with pytest.raises(PermissionDenied):
            coaching_session_update(
                session=session,
                data=_data(ambassador, [field_agent], occurred_at=session.occurred_at, notes="x"),
                actor=actor_for(organization, person),
            )


# -- confirmation -----------------------------------------------------------------------------


def _participant(session, agent) -> CoachingParticipant:
    return CoachingParticipant.objects.select_related("agent__unit", "session").get(
        session=session, agent=agent
    )


def test_the_coached_agent_confirms_their_own_session(ambassador, agent):
    session = _log(ambassador, [agent])
    participant = coaching_participant_confirm(
        participant=_participant(session, agent),
        actor=actor_for(agent.organization, agent),
        user=agent.user,
    )
    assert participant.confirmed_at is not None
    assert participant.confirmed_by == agent.user
    assert participant.confirmation_channel == CoachingParticipant.Channel.HOME


def test_the_manager_of_the_agents_service_confirms_for_them(ambassador, field_agent, manager):
    session = _log(ambassador, [field_agent])
    participant = coaching_participant_confirm(
        participant=_participant(session, field_agent),
        actor=actor_for(manager.organization, manager),
        user=manager.user,
    )
    assert participant.confirmation_channel == CoachingParticipant.Channel.MANAGER


def test_others_cannot_confirm(organization, ambassador, agent, field_agent, manager, comms):
    session = _log(ambassador, [agent, field_agent])
    # The manager manages Voirie, not Espaces verts; the coach never confirms; comms neither.
    for person, coached in (
        (manager, agent),
        (ambassador, agent),
        (comms, agent),
        (agent, field_agent),
    ):
        with pytest.raises(PermissionDenied):
            coaching_participant_confirm(
                participant=_participant(session, coached), actor=actor_for(organization, person)
            )
    assert not CoachingParticipant.objects.filter(confirmed_at__isnull=False).exists()


def test_the_link_token_confirms_and_a_tampered_one_is_not_found(ambassador, field_agent):
    session = _log(ambassador, [field_agent])
    participant = _participant(session, field_agent)
    token = coaching_confirmation_token(participant)
    for bad in (token + "x", token.replace(str(participant.pk), str(participant.pk + 1), 1)):
        with pytest.raises(NotFound):
            coaching_participant_for_token(organization=ambassador.organization, token=bad)
    confirmed = coaching_confirm_with_token(
        organization=ambassador.organization, token=token, user=ambassador.user
    )
    assert confirmed.confirmation_channel == CoachingParticipant.Channel.LINK
    first = confirmed.confirmed_at
    again = coaching_confirm_with_token(organization=ambassador.organization, token=token)
    assert again.confirmed_at == first


def test_a_link_of_another_organization_is_not_found(ambassador, field_agent, other_organization):
    session = _log(ambassador, [field_agent])
    token = coaching_confirmation_token(_participant(session, field_agent))
    with pytest.raises(NotFound):
        coaching_participant_for_token(organization=other_organization, token=token)


def test_a_new_nonce_revokes_the_link(ambassador, field_agent):
    session = _log(ambassador, [field_agent])
    participant = _participant(session, field_agent)
    token = coaching_confirmation_token(participant)
    CoachingParticipant.objects.filter(pk=participant.pk).update(confirmation_nonce="renewed")
    with pytest.raises(NotFound):
        coaching_participant_for_token(organization=ambassador.organization, token=token)
