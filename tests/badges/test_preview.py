from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ambassadors.permissions import actor_for
from badges.models import Award, BadgeVersion, PointLine
from badges.services.catalogue import badge_create, badge_update
from badges.services.engine import badges_reconcile
from badges.services.preview import rule_preview
from tests.badges.helpers import NOW, at, badge, ingest
from tests.factories import AgentFactory

pytestmark = pytest.mark.django_db

PUBLISHING = ["news_published", "page_published"]


@pytest.fixture(autouse=True)
def no_default_catalogue(settings):
    settings.BADGES_DEFAULT_CATALOGUE = False


@pytest.fixture
def actor(organization, comms):
    return actor_for(organization, comms)


def tiers(*items):
    return [{"tier": t, "threshold": n, "points": p} for t, n, p in items]


@pytest.fixture
def plume(organization):
    return badge(
        organization,
        "plume",
        "activity_count",
        {"verbs": PUBLISHING},
        [("bronze", 2, 5), ("silver", 4, 10)],
    )


def publish(organization, agent, count):
    for n in range(count):
        ingest(organization, agent, "news_published", at(30 - n))


def draft_of(plume, actor, **changes):
    version = badge_update(badge=plume, data=changes, actor=actor)
    return BadgeVersion.objects.select_related("badge", "organization").get(pk=version.pk)


def test_it_shows_who_gains_which_tier_and_the_points_per_unit(
    organization, tree, plume, actor, agent, ambassador
):
    publish(organization, agent, 1)  # Espaces verts: nothing yet
    publish(organization, ambassador, 3)  # Propreté: bronze
    badges_reconcile(organization=organization, now=NOW)

    preview = rule_preview(
        version=draft_of(plume, actor, tiers=tiers(("bronze", 1, 5), ("silver", 3, 10))), now=NOW
    )

    assert [(r.agent.id, r.tier, r.points) for r in preview.gains] == [
        (agent.pk, "bronze", 5),
        (ambassador.pk, "silver", 10),
    ]
    assert preview.gains[0].earned_at == at(30)
    assert preview.losses == [] and preview.kept == []
    assert [(m.agent.id, m.from_tier, m.to_tier, m.is_up) for m in preview.moves] == [
        (ambassador.pk, "bronze", "silver", True)
    ]
    assert (preview.points_gained, preview.points_moved) == (15, 15)
    assert (preview.agents_gaining, preview.agents_losing) == (2, 0)
    assert [(u.name, u.gains, u.losses, u.points) for u in preview.units] == [
        ("Espaces verts", 1, 0, 5),
        ("Propreté", 1, 0, 10),
    ]


def test_a_revocable_rule_withdraws_the_tiers_no_longer_met(
    organization, plume, actor, agent, ambassador
):
    publish(organization, agent, 2)
    publish(organization, ambassador, 4)
    badges_reconcile(organization=organization, now=NOW)

    preview = rule_preview(
        version=draft_of(
            plume, actor, revocable=True, tiers=tiers(("bronze", 3, 5), ("silver", 5, 10))
        ),
        now=NOW,
    )

    assert sorted((r.agent.id, r.tier, r.points) for r in preview.losses) == sorted(
        [(agent.pk, "bronze", 5), (ambassador.pk, "silver", 10)]
    )
    assert preview.gains == [] and preview.kept == []
    assert [(m.agent.id, m.from_tier, m.to_tier) for m in preview.moves] == [
        (ambassador.pk, "silver", "bronze")
    ]
    assert preview.points_moved == -15
    assert {u.name: (u.losses, u.points) for u in preview.units} == {
        "Espaces verts": (1, -5),
        "Propreté": (1, -10),
    }


def test_a_permanent_rule_keeps_what_was_earned_under_the_earlier_version(
    organization, plume, actor, agent
):
    publish(organization, agent, 2)
    badges_reconcile(organization=organization, now=NOW)

    preview = rule_preview(
        version=draft_of(plume, actor, tiers=tiers(("bronze", 3, 5), ("silver", 5, 10))), now=NOW
    )

    assert [(r.agent.id, r.tier, r.manual) for r in preview.kept] == [(agent.pk, "bronze", False)]
    assert preview.losses == [] and preview.moves == []
    assert preview.points_moved == 0
    assert preview.is_empty


def test_changed_tier_points_move_the_points_of_awards_still_met(
    organization, plume, actor, agent, ambassador
):
    publish(organization, agent, 2)
    publish(organization, ambassador, 4)
    badges_reconcile(organization=organization, now=NOW)

    preview = rule_preview(
        version=draft_of(plume, actor, tiers=tiers(("bronze", 2, 8), ("silver", 4, 10))), now=NOW
    )

    assert [(c.agent.id, c.tier, c.old_points, c.new_points) for c in preview.points_changes] == [
        (agent.pk, "bronze", 5, 8),
        (ambassador.pk, "bronze", 5, 8),
    ]
    assert preview.gains == [] and preview.losses == []
    assert (preview.points_changed, preview.points_moved) == (6, 6)
    assert {u.name: u.points for u in preview.units} == {"Espaces verts": 3, "Propreté": 3}


def test_a_grant_by_hand_is_kept_whatever_the_rule(organization, plume, actor, agent, comms):
    Award.objects.create(
        organization=organization,
        agent=agent,
        badge=plume,
        tier="silver",
        awarded_at=at(1),
        rule_version=1,
        points=10,
        origin=Award.Origin.MANUAL,
        granted_by=comms,
        reason="Pilier de la rédaction",
    )

    preview = rule_preview(version=draft_of(plume, actor, revocable=True), now=NOW)

    assert [(r.agent.id, r.tier, r.manual) for r in preview.kept] == [(agent.pk, "silver", True)]
    assert preview.losses == []


def test_a_new_badge_preview_shows_everyone_who_would_earn_it(organization, actor, agent, tree):
    homeless = AgentFactory(organization=organization, unit=None)
    publish(organization, agent, 1)
    publish(organization, homeless, 1)
    created = badge_create(
        organization=organization,
        data={
            "code": "premiere",
            "name_fr": "Première",
            "category": "publishing",
            "kind": "activity_count",
            "params": {"verbs": PUBLISHING},
            "tiers": tiers(("bronze", 1, 3)),
        },
        actor=actor,
    )

    preview = rule_preview(version=BadgeVersion.objects.get(badge=created), now=NOW)

    assert {r.agent.id for r in preview.gains} == {agent.pk, homeless.pk}
    assert [(u.unit_id, u.gains) for u in preview.units] == [
        (tree.espaces_verts.pk, 1),
        (None, 1),
    ]


def test_the_preview_writes_nothing(organization, plume, actor, agent):
    publish(organization, agent, 3)
    badges_reconcile(organization=organization, now=NOW)
    draft = draft_of(plume, actor, revocable=True, tiers=tiers(("bronze", 5, 5)))
    awards = list(Award.objects.values_list("pk", "tier", "revoked_at", "points"))

    with CaptureQueriesContext(connection) as queries:
        rule_preview(version=draft, now=NOW)

    writes = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().split()[0].upper() in {"INSERT", "UPDATE", "DELETE", "CREATE"}
    ]
    assert writes == []
    assert list(Award.objects.values_list("pk", "tier", "revoked_at", "points")) == awards
    assert PointLine.objects.count() == 0


@pytest.mark.parametrize("count", [1, 20])
def test_the_preview_takes_the_same_queries_for_1_or_20_agents(
    organization, tree, plume, actor, count, django_assert_num_queries
):
    agents = AgentFactory.create_batch(count, organization=organization, unit=tree.voirie)
    for agent in agents:
        publish(organization, agent, 2)
    badges_reconcile(organization=organization, now=NOW)
    draft = draft_of(plume, actor, revocable=True, tiers=tiers(("bronze", 1, 6), ("silver", 2, 9)))

    # verbs, coaching source, coaching settings, the measure, the live awards, the agents
    with django_assert_num_queries(6):
        preview = rule_preview(version=draft, now=NOW)

    assert len(preview.gains) == count
    assert len(preview.points_changes) == count


def test_a_meta_badge_preview_reads_the_badges_held(organization, actor, agent, ambassador):
    badge(organization, "plume", "activity_count", {"verbs": PUBLISHING}, [("bronze", 1, 5)])
    badge(organization, "voix", "activity_count", {"verbs": ["comment_posted"]}, [("bronze", 1, 5)])
    publish(organization, agent, 1)
    publish(organization, ambassador, 1)
    ingest(organization, agent, "comment_posted", at(2))
    badges_reconcile(organization=organization, now=NOW)
    created = badge_create(
        organization=organization,
        data={
            "code": "complet",
            "name_fr": "Complet",
            "category": "community",
            "kind": "meta",
            "params": {"badges": ["plume", "voix"]},
            "tiers": tiers(("gold", 2, 20)),
        },
        actor=actor,
    )

    preview = rule_preview(version=BadgeVersion.objects.get(badge=created), now=NOW)

    assert [(r.agent.id, r.tier, r.points) for r in preview.gains] == [(agent.pk, "gold", 20)]
    assert preview.gains[0].earned_at == at(2)
