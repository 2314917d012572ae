"""``seed_demo`` writes a year of activity history, events and coaching, deterministically."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone, translation

from ambassadors.demo.history import LAUNCH_DAYS_AGO
from ambassadors.models import (
    Activity,
    AdoptionStage,
    Agent,
    AgentAdoption,
    CoachingSession,
    Event,
    EventAttendance,
    Organization,
)
from ambassadors.selectors_adoption import adoption_stage_counts


def seed(**options) -> str:
    out = StringIO()
    with translation.override("en"):
        call_command("seed_demo", stdout=out, **{"agents": 200, "seed": 1, **options})
    return out.getvalue()


def valmont() -> Organization:
    return Organization.objects.get(slug="valmont")


def history() -> list[tuple]:
    return sorted(
        Activity.objects.for_org(valmont()).values_list(
            "verb__code", "agent__hr_id", "occurred_at", "object_title", "source__code"
        )
    )


@pytest.fixture
def seeded(db) -> Organization:
    seed()
    return valmont()


def test_the_history_is_the_same_for_the_same_seed_and_differs_for_another(db):
    seed()
    first = history()
    events = sorted(Event.objects.values_list("title", "starts_at"))
    seed(reset=True)
    assert history() == first
    assert sorted(Event.objects.values_list("title", "starts_at")) == events
    seed(reset=True, seed=2)
    assert history() != first


def test_it_covers_every_verb_within_the_year_since_the_launch(seeded):
    counts = dict(
        Activity.objects.for_org(seeded).values_list("verb__code").annotate(n=Count("pk"))
    )
    assert set(counts) == {
        "first_login",
        "welcome_tour_completed",
        "profile_updated",
        "credentials_delivered",
        "news_published",
        "page_published",
        "document_published",
        "comment_posted",
        "coaching_given",
        "coaching_received",
        "event_attended",
        "training_completed",
    }
    earliest = timezone.localdate() - dt.timedelta(days=LAUNCH_DAYS_AGO + 25)
    occurred = Activity.objects.for_org(seeded).values_list("occurred_at", flat=True)
    assert min(occurred).date() >= earliest
    assert max(occurred) <= timezone.now()


def test_a_few_heavy_contributors_publish_most_and_a_long_tail_the_rest(seeded):
    per_agent = sorted(
        Activity.objects.for_org(seeded)
        .filter(verb__code__in=["news_published", "page_published", "document_published"])
        .values("agent")
        .annotate(n=Count("pk"))
        .values_list("n", flat=True),
        reverse=True,
    )
    top = sum(per_agent[:5])
    assert top > sum(per_agent) / 2
    assert len(per_agent) > 10


def test_credentials_go_to_agents_without_account_only(seeded):
    delivered = Agent.objects.for_org(seeded).filter(activities__verb__code="credentials_delivered")
    assert delivered.exists()
    assert not delivered.filter(has_account=True).exists()


def test_events_attendance_and_coaching_go_through_their_services(seeded):
    attendances = EventAttendance.objects.filter(event__organization=seeded)
    assert Event.objects.for_org(seeded).count() >= 8
    assert attendances.exists()
    # Every attendance wrote its ledger row, with the services' external id.
    assert Activity.objects.for_org(seeded).filter(verb__code="event_attended").count() == (
        attendances.count()
    )
    sessions = CoachingSession.objects.filter(organization=seeded)
    assert sessions.exists()
    assert Activity.objects.for_org(seeded).filter(verb__code="coaching_given").count() == (
        sessions.count()
    )


def test_the_adoption_read_model_is_filled_and_spread_over_the_stages(seeded):
    assert AgentAdoption.objects.filter(organization=seeded).count() == (
        Agent.objects.for_org(seeded).count()
    )
    counts = {c.stage: c.count for c in adoption_stage_counts(organization=seeded)}
    for stage in (
        AdoptionStage.NOT_REACHED,
        AdoptionStage.REACHED,
        AdoptionStage.ONBOARDED,
        AdoptionStage.ACTIVE,
        AdoptionStage.CONTRIBUTOR,
    ):
        assert counts[stage] > 0, stage


def test_no_history_seeds_the_directory_alone(db):
    output = seed(no_history=True)
    assert "History:" not in output
    assert not Activity.objects.for_org(valmont()).exists()
    assert not Event.objects.for_org(valmont()).exists()


def test_the_command_reports_the_history(db):
    output = seed()
    assert "History:" in output and "coaching sessions" in output
