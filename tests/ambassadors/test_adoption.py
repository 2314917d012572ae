"""The adoption stage per agent: derived from the ledger, kept in a read model, read at "now"."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from ambassadors.models import AdoptionStage, AgentAdoption
from ambassadors.receivers import adoption_deferred
from ambassadors.selectors_adoption import adoption_stage_counts, agent_adoption
from ambassadors.services.adoption import adoption_recompute
from ambassadors.services.ledger import activities_ingest, activities_retract
from badges.receivers import engine_deferred
from tests.factories import AgentFactory

NOW = timezone.now().replace(microsecond=0)


def ingest(organization, agent, verb, when, external_id=None):
    report = activities_ingest(
        organization=organization,
        items=[
            {
                "external_id": external_id or f"{verb}-{agent.pk}-{when.isoformat()}",
                "verb": verb,
                "agent": agent.hr_id,
                "occurred_at": when.isoformat(),
            }
        ],
    )
    assert report.accepted == 1, report.results
    return report


def stage(agent, now=None):
    return AgentAdoption.objects.get(agent=agent).stage_at(now or timezone.now())


@pytest.fixture
def record(organization, django_capture_on_commit_callbacks):
    """Ingest one activity and let the after-commit receivers run, as in production."""

    def run(agent, verb, when, external_id=None):
        with django_capture_on_commit_callbacks(execute=True):
            return ingest(organization, agent, verb, when, external_id)

    return run


def test_an_agent_without_activity_is_not_reached(agent):
    summary = agent_adoption(agent=agent)
    assert summary.stage is AdoptionStage.NOT_REACHED
    assert not AgentAdoption.objects.filter(agent=agent).exists()


def test_it_climbs_the_ladder_as_activity_arrives(field_agent, record):
    long_ago = NOW - dt.timedelta(days=200)
    record(field_agent, "coaching_received", long_ago)
    assert stage(field_agent) is AdoptionStage.REACHED
    record(field_agent, "credentials_delivered", long_ago + dt.timedelta(days=1))
    assert stage(field_agent) is AdoptionStage.CREDENTIALS_DELIVERED
    record(field_agent, "first_login", long_ago + dt.timedelta(days=2))
    assert stage(field_agent) is AdoptionStage.ONBOARDED
    record(field_agent, "comment_posted", NOW - dt.timedelta(days=3))
    assert stage(field_agent) is AdoptionStage.ACTIVE
    record(field_agent, "news_published", NOW - dt.timedelta(days=2))
    assert stage(field_agent) is AdoptionStage.CONTRIBUTOR


def test_attending_an_event_reaches_an_agent(agent, record):
    record(agent, "event_attended", NOW - dt.timedelta(days=40))
    row = AgentAdoption.objects.get(agent=agent)
    assert row.stage_at(NOW) is AdoptionStage.REACHED
    assert row.reached_verb == "event_attended"


def test_the_welcome_tour_onboards_an_agent(agent, record):
    record(agent, "welcome_tour_completed", NOW - dt.timedelta(days=60))
    row = AgentAdoption.objects.get(agent=agent)
    assert row.stage_at(NOW) is AdoptionStage.ONBOARDED
    assert row.onboarded_verb == "welcome_tour_completed"


def test_active_lapses_to_onboarded_31_days_later_without_a_job(agent, record):
    record(agent, "first_login", NOW - dt.timedelta(days=1))
    assert stage(agent, NOW) is AdoptionStage.ACTIVE
    assert stage(agent, NOW + dt.timedelta(days=29)) is AdoptionStage.ACTIVE
    assert stage(agent, NOW + dt.timedelta(days=31)) is AdoptionStage.ONBOARDED


def test_contributor_lapses_to_onboarded_after_90_days(agent, record):
    record(agent, "first_login", NOW - dt.timedelta(days=300))
    record(agent, "page_published", NOW - dt.timedelta(days=1))
    assert stage(agent, NOW) is AdoptionStage.CONTRIBUTOR
    assert stage(agent, NOW + dt.timedelta(days=60)) is AdoptionStage.CONTRIBUTOR
    assert stage(agent, NOW + dt.timedelta(days=95)) is AdoptionStage.ONBOARDED


def test_a_retraction_lowers_the_stage(
    organization, agent, record, django_capture_on_commit_callbacks
):
    record(agent, "first_login", NOW - dt.timedelta(days=300))
    record(agent, "news_published", NOW - dt.timedelta(days=5), external_id="news-1")
    assert stage(agent) is AdoptionStage.CONTRIBUTOR
    with django_capture_on_commit_callbacks(execute=True):
        activities_retract(organization=organization, external_ids=["news-1"])
    # The retracted news item counts neither as a publication nor as recent activity.
    assert stage(agent) is AdoptionStage.ONBOARDED
    assert AgentAdoption.objects.get(agent=agent).last_published_at is None


def test_retracting_the_only_activity_brings_the_agent_back_to_not_reached(
    organization, agent, record, django_capture_on_commit_callbacks
):
    record(agent, "coaching_received", NOW - dt.timedelta(days=5), external_id="c-1")
    assert stage(agent) is AdoptionStage.REACHED
    with django_capture_on_commit_callbacks(execute=True):
        activities_retract(organization=organization, external_ids=["c-1"])
    assert stage(agent) is AdoptionStage.NOT_REACHED


def test_the_deferred_block_skips_the_receiver_and_a_recompute_fills_the_model(
    organization, agent, django_capture_on_commit_callbacks
):
    with adoption_deferred(), django_capture_on_commit_callbacks(execute=True):
        ingest(organization, agent, "first_login", NOW - dt.timedelta(days=3))
    assert not AgentAdoption.objects.filter(agent=agent).exists()
    assert adoption_recompute(organization=organization) >= 1
    assert stage(agent) is AdoptionStage.ACTIVE


def test_recompute_ignores_agents_of_another_organization(organization, agent, outsider):
    ingest(organization, agent, "first_login", NOW - dt.timedelta(days=3))
    written = adoption_recompute(organization=organization, agent_ids=[agent.pk, outsider.pk])
    assert written == 1
    assert not AgentAdoption.objects.filter(agent=outsider).exists()


@pytest.mark.parametrize("count", [1, 20])
def test_recompute_costs_the_same_queries_for_1_or_20_agents(
    organization, tree, count, django_assert_num_queries
):
    agents = AgentFactory.create_batch(count, organization=organization, unit=tree.culture)
    activities_ingest(
        organization=organization,
        items=[
            {
                "external_id": f"login-{agent.pk}",
                "verb": "first_login",
                "agent": agent.hr_id,
                "occurred_at": (NOW - dt.timedelta(days=2)).isoformat(),
            }
            for agent in agents
        ],
    )
    # One aggregate over the ledger, one bulk upsert (plus the savepoint pair).
    with django_assert_num_queries(4):
        adoption_recompute(organization=organization, agent_ids=[a.pk for a in agents])
    assert AgentAdoption.objects.filter(agent__in=agents).count() == count


def _ingest_tours(organization, agents, callbacks_fixture):
    items = [
        {
            "external_id": f"tour-{agent.pk}",
            "verb": "welcome_tour_completed",
            "agent": agent.hr_id,
            "occurred_at": (NOW - dt.timedelta(days=2)).isoformat(),
        }
        for agent in agents
    ]
    with callbacks_fixture() as callbacks:
        activities_ingest(organization=organization, items=items)
    return callbacks


def test_the_receiver_costs_the_same_queries_for_1_or_20_agents(
    organization, tree, django_capture_on_commit_callbacks
):
    counts = []
    for size in (1, 20):
        agents = AgentFactory.create_batch(size, organization=organization, unit=tree.culture)
        callbacks = _ingest_tours(organization, agents, django_capture_on_commit_callbacks)
        # The adoption receiver alone: the engine's has its own query-count test.
        with engine_deferred(), CaptureQueriesContext(connection) as queries:
            for callback in callbacks:
                callback()
        counts.append(len(queries))
        assert AgentAdoption.objects.filter(agent__in=agents).count() == size
    assert counts[0] == counts[1]


def test_an_ingestion_only_queues_the_adoption_refresh(
    organization, tree, django_capture_on_commit_callbacks, monkeypatch
):
    from django_q.conf import Conf
    from django_q.models import OrmQ
    from django_q.signing import SignedPackage

    from ambassadors.tasks import adoption_refresh_task

    monkeypatch.setattr(Conf, "SYNC", False)
    monkeypatch.setattr(Conf, "ORM", "default")
    agents = AgentFactory.create_batch(3, organization=organization, unit=tree.culture)
    for callback in _ingest_tours(organization, agents, django_capture_on_commit_callbacks):
        callback()
    assert not AgentAdoption.objects.filter(agent__in=agents).exists()
    queued = [SignedPackage.loads(row.payload) for row in OrmQ.objects.all()]
    # The adoption refresh and the badge engine's delta each get a task; neither ran here.
    funcs = sorted(task["func"] for task in queued)
    assert funcs == ["ambassadors.tasks.adoption_refresh_task", "badges.tasks.badges_evaluate_task"]
    queued = [t for t in queued if t["func"] == "ambassadors.tasks.adoption_refresh_task"]
    # The worker's turn; twice, as a retried task would be.
    assert adoption_refresh_task(*queued[0]["args"]) == 3
    assert adoption_refresh_task(*queued[0]["args"]) == 3
    assert AgentAdoption.objects.filter(agent__in=agents, onboarded_at__isnull=False).count() == 3


def test_stage_counts_cover_the_unit_subtree_at_read_time(organization, tree, record):
    onboarded = AgentFactory(organization=organization, unit=tree.proprete)
    active = AgentFactory(organization=organization, unit=tree.voirie)
    AgentFactory(organization=organization, unit=tree.voirie)  # not reached
    elsewhere = AgentFactory(organization=organization, unit=tree.culture)
    record(onboarded, "first_login", NOW - dt.timedelta(days=100))
    record(active, "first_login", NOW - dt.timedelta(days=3))
    record(elsewhere, "news_published", NOW - dt.timedelta(days=3))
    counts = {
        c.stage: c.count for c in adoption_stage_counts(organization=organization, unit=tree.voirie)
    }
    assert counts == {
        AdoptionStage.NOT_REACHED: 1,
        AdoptionStage.REACHED: 0,
        AdoptionStage.CREDENTIALS_DELIVERED: 0,
        AdoptionStage.ONBOARDED: 1,
        AdoptionStage.ACTIVE: 1,
        AdoptionStage.CONTRIBUTOR: 0,
    }
    later = adoption_stage_counts(
        organization=organization, unit=tree.voirie, now=timezone.now() + dt.timedelta(days=31)
    )
    assert {c.stage: c.count for c in later}[AdoptionStage.ONBOARDED] == 2


def test_the_agent_summary_explains_the_stage_in_plain_words(agent, record):
    when = dt.datetime(2026, 3, 12, 10, 0, tzinfo=dt.UTC)
    record(agent, "first_login", when)
    with translation.override("en"):
        summary = agent_adoption(agent=agent, now=when + dt.timedelta(days=60))
    assert summary.stage is AdoptionStage.ONBOARDED
    assert summary.explanation == "first login on 03/12/2026"
    with translation.override("fr"):
        in_french = agent_adoption(agent=agent, now=when + dt.timedelta(days=60))
    assert in_french.explanation == "première connexion le 12/03/2026"
    current = [step for step in summary.steps if step.current]
    assert [step.stage for step in current] == [AdoptionStage.ONBOARDED]
    # An agent with an account skips the credentials step.
    assert AdoptionStage.CREDENTIALS_DELIVERED not in [step.stage for step in summary.steps]
