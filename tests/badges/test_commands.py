from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_q.models import Schedule

from badges.models import Award, Badge, EngineSettings
from badges.services.catalogue import badges_ensure_defaults
from tests.badges.helpers import at, badge, ingest
from tests.factories import AgentFactory, OrganizationFactory, OrgUnitFactory

pytestmark = pytest.mark.django_db

PUBLISHING = ["news_published", "page_published"]


@pytest.fixture(autouse=True)
def no_default_catalogue(settings):
    settings.BADGES_DEFAULT_CATALOGUE = False


def run(*args: str) -> list[str]:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue().splitlines()


@pytest.fixture
def plume(organization):
    return badge(
        organization,
        "plume",
        "activity_count",
        {"verbs": PUBLISHING},
        [("bronze", 1, 5), ("silver", 2, 10)],
    )


def test_reconcile_ends_with_the_drift_and_finds_none_the_second_time(
    english_organization, plume, agent
):
    ingest(english_organization, agent, "news_published", at(3))
    ingest(english_organization, agent, "page_published", at(2))

    first = run("reconcile")
    second = run("reconcile")

    assert first[-1] == "drift: 2"
    assert "ville-a" in first[0] and "2 new" in first[0]
    assert second[-1] == "drift: 0"
    assert EngineSettings.objects.get(organization=english_organization).last_drift == 0


def test_reconcile_corrects_an_award_deleted_behind_its_back(organization, plume, agent):
    ingest(organization, agent, "news_published", at(3))
    ingest(organization, agent, "page_published", at(2))
    run("reconcile")
    Award.objects.filter(badge=plume, tier="silver").delete()

    assert run("reconcile")[-1] == "drift: 1"
    assert Award.objects.filter(badge=plume, tier="silver").exists()
    assert run("reconcile")[-1] == "drift: 0"


def test_reconcile_of_one_organization_leaves_the_others(
    organization, other_organization, plume, agent
):
    unit = OrgUnitFactory(organization=other_organization)
    other_agent = AgentFactory(organization=other_organization, unit=unit)
    other_plume = badge(
        other_organization, "plume", "activity_count", {"verbs": PUBLISHING}, [("bronze", 1, 5)]
    )
    ingest(organization, agent, "news_published", at(3))
    ingest(other_organization, other_agent, "news_published", at(3))

    lines = run("reconcile", "--organization", "ville-a")

    assert lines[-1] == "drift: 1"
    assert len(lines) == 2 and "ville-b" not in lines[0]
    assert Award.objects.filter(badge=plume).count() == 1
    assert not Award.objects.filter(badge=other_plume).exists()


def test_reconcile_refuses_an_unknown_organization(organization, in_english):
    with pytest.raises(CommandError, match="nowhere"):
        run("reconcile", "--organization", "nowhere")


def test_reconcile_runs_the_whole_default_catalogue():
    organization = OrganizationFactory(slug="ville-c")
    badges_ensure_defaults(organization=organization)
    unit = OrgUnitFactory(organization=organization)
    agent = AgentFactory(organization=organization, unit=unit)
    for days, verb in enumerate(
        ["news_published", "welcome_tour_completed", "comment_posted", "page_published"]
    ):
        ingest(organization, agent, verb, at(days * 8))

    first = run("reconcile", "--organization", "ville-c")

    assert int(first[-1].removeprefix("drift: ")) > 0
    codes = set(Award.objects.filter(agent=agent).values_list("badge__code", flat=True))
    assert {"premiere-publication", "bienvenue"} <= codes
    assert run("reconcile", "--organization", "ville-c")[-1] == "drift: 0"
    assert Badge.objects.for_org(organization).count() >= 12


# -- setup_schedules --------------------------------------------------------------------------


def nightly() -> Schedule:
    return Schedule.objects.get(name="badges-nightly-reconcile")


def test_setup_schedules_twice_leaves_one_nightly_reconcile(in_english):
    first = run("setup_schedules")
    second = run("setup_schedules")

    assert Schedule.objects.count() == 1
    schedule = nightly()
    assert schedule.func == "badges.tasks.badges_reconcile_task"
    assert schedule.schedule_type == Schedule.DAILY and schedule.repeats == -1
    local = timezone.localtime(schedule.next_run)
    assert (local.hour, local.minute) == (2, 30)
    assert schedule.next_run > timezone.now()
    assert schedule.next_run - timezone.now() <= dt.timedelta(days=1)
    assert first[0].startswith("Created badges-nightly-reconcile")
    assert second[0].startswith("Unchanged badges-nightly-reconcile")


def test_setup_schedules_repairs_a_schedule_edited_by_hand(in_english):
    run("setup_schedules")
    Schedule.objects.filter(name="badges-nightly-reconcile").update(
        schedule_type=Schedule.HOURLY, next_run=timezone.now() + dt.timedelta(minutes=7)
    )
    Schedule.objects.create(name="badges-nightly-reconcile", func="somewhere.else")

    lines = run("setup_schedules")

    assert Schedule.objects.count() == 1
    schedule = nightly()
    assert schedule.schedule_type == Schedule.DAILY
    assert schedule.func == "badges.tasks.badges_reconcile_task"
    assert timezone.localtime(schedule.next_run).time() == dt.time(2, 30)
    assert lines[0].startswith("Updated badges-nightly-reconcile")


def test_the_nightly_task_reconciles_every_organization(organization, plume, agent):
    from badges.tasks import badges_reconcile_task

    ingest(organization, agent, "news_published", at(3))
    assert badges_reconcile_task() == {"drift": {"ville-a": 1}}
    assert badges_reconcile_task() == {"drift": {"ville-a": 0}}
