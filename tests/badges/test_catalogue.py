from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from ambassadors.errors import DomainError, NotFound, PermissionDenied
from ambassadors.models import Verb
from ambassadors.permissions import actor_for
from badges import tasks
from badges.defaults import DEFAULT_BADGE_CODES, DEFAULT_BADGES, DEFAULT_POINTS
from badges.models import Award, Badge, BadgeStatus, BadgeVersion, PointRule
from badges.services import engine
from badges.services.catalogue import (
    badge_activate,
    badge_create,
    badge_retire,
    badge_update,
    badge_version_activate,
    badge_version_discard,
    badges_ensure_defaults,
    clean_rule,
)
from badges.services.engine import badges_evaluate, badges_reconcile
from tests.badges.helpers import NOW, at, badge, ingest
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

PUBLISHING = ["news_published", "page_published"]


@pytest.fixture(autouse=True)
def no_default_catalogue(settings):
    """These tests build their own badges; the catalogue tests turn the defaults back on."""
    settings.BADGES_DEFAULT_CATALOGUE = False


@pytest.fixture
def with_catalogue(settings):
    settings.BADGES_DEFAULT_CATALOGUE = True


@pytest.fixture
def actor(organization, comms):
    return actor_for(organization, comms)


def data(**overrides):
    values = {
        "code": "plume-test",
        "name_fr": "Plume d’essai",
        "name_en": "Test quill",
        "category": "publishing",
        "kind": "activity_count",
        "params": {"verbs": PUBLISHING},
        "tiers": [
            {"tier": "bronze", "threshold": 2, "points": 5},
            {"tier": "silver", "threshold": 4, "points": 10},
        ],
        "revocable": False,
    }
    values.update(overrides)
    return values


def errors_of(excinfo) -> dict[str, list[str]]:
    return excinfo.value.message_dict


# -- The default catalogue -----------------------------------------------------------------


def test_a_new_organization_gets_the_default_catalogue_live(with_catalogue):
    # Through the post_save receiver BadgesConfig.ready() connects (badges.signals).
    organization = OrganizationFactory(slug="ville-neuve")

    badges = Badge.objects.for_org(organization)
    assert set(badges.values_list("code", flat=True)) == DEFAULT_BADGE_CODES
    assert set(badges.values_list("status", flat=True)) == {BadgeStatus.ACTIVE}
    versions = BadgeVersion.objects.for_org(organization)
    assert versions.count() == len(DEFAULT_BADGES)
    assert set(versions.values_list("number", "status")) == {(1, "active")}
    comments = PointRule.objects.for_org(organization).get(verb__code="comment_posted")
    assert (comments.points, comments.daily_cap) == (1, 10)
    assert PointRule.objects.for_org(organization).count() == len(DEFAULT_POINTS)


def test_the_setting_turns_the_default_catalogue_off():
    organization = OrganizationFactory(slug="ville-neuve")
    assert not Badge.objects.for_org(organization).exists()
    assert not PointRule.objects.for_org(organization).exists()


def test_the_default_catalogue_has_the_badges_the_programme_names():
    by_code = {b.code: b for b in DEFAULT_BADGES}
    assert 12 <= len(by_code) <= 18
    assert {b.category for b in DEFAULT_BADGES} == set(Verb.Category.values)
    first = by_code["premiere-publication"]
    assert first.kind == "first_time"
    assert set(first.params["verbs"]) == {"news_published", "page_published", "document_published"}
    hand = by_code["main-tendue"]
    assert hand.kind == "coached_without_equipment"
    assert [t["threshold"] for t in hand.tiers] == [1]
    assert all(b.name_fr and b.name_en and b.criteria_fr and b.criteria_en for b in DEFAULT_BADGES)
    assert [b.code for b in DEFAULT_BADGES if b.revocable] == ["pilier"]


def test_every_default_badge_validates_with_its_kind(organization):
    badges_ensure_defaults(organization=organization)  # meta-badges name the others
    failures = {}
    for default in DEFAULT_BADGES:
        errors: dict[str, list[str]] = {}
        clean_rule(
            organization,
            kind=default.kind,
            params=default.params,
            tiers=default.tiers,
            revocable=default.revocable,
            code=default.code,
            errors=errors,
        )
        if errors:
            failures[default.code] = errors
    assert failures == {}


def test_ensuring_the_defaults_again_fills_gaps_and_leaves_edits_alone(organization):
    assert badges_ensure_defaults(organization=organization) == len(DEFAULT_BADGES)
    plume = Badge.objects.for_org(organization).get(code="plume")
    plume.name_fr = "Plume d’or"
    plume.tiers = [{"tier": "bronze", "threshold": 3, "points": 1}]
    plume.save()
    Badge.objects.for_org(organization).filter(code="pilier").delete()
    rule = PointRule.objects.for_org(organization).get(verb__code="news_published")
    rule.points = 42
    rule.save()

    assert badges_ensure_defaults(organization=organization) == 1

    plume.refresh_from_db()
    assert plume.name_fr == "Plume d’or"
    assert plume.tiers == [{"tier": "bronze", "threshold": 3, "points": 1}]
    assert Badge.objects.for_org(organization).filter(code="pilier").exists()
    assert BadgeVersion.objects.filter(badge=plume).count() == 1
    assert PointRule.objects.get(pk=rule.pk).points == 42
    assert badges_ensure_defaults(organization=organization) == 0


def test_the_defaults_of_one_organization_do_not_touch_another(organization, other_organization):
    badges_ensure_defaults(organization=organization)
    assert not Badge.objects.for_org(other_organization).exists()
    assert not PointRule.objects.for_org(other_organization).exists()


# -- Create ---------------------------------------------------------------------------------


def test_a_created_badge_is_a_draft_with_its_first_version(organization, actor, comms):
    created = badge_create(organization=organization, data=data(), actor=actor)

    assert created.status == BadgeStatus.DRAFT
    assert created.version == 1
    assert created.params["verbs"] == PUBLISHING
    assert created.params["window"] == {"type": "all_time"}  # cleaned, defaults filled in
    version = BadgeVersion.objects.get(badge=created)
    assert (version.number, version.status, version.created_by) == (1, "draft", comms)
    assert version.tiers == created.tiers


def test_criteria_left_blank_are_written_from_the_rule_in_both_languages(organization, actor):
    created = badge_create(organization=organization, data=data(), actor=actor)

    assert "2 / 4" in created.criteria_fr and "news_published" in created.criteria_fr
    assert "2 / 4" in created.criteria_en and "news_published" in created.criteria_en


def test_criteria_given_are_kept(organization, actor):
    created = badge_create(
        organization=organization,
        data=data(criteria_fr="Publier deux fois.", criteria_en="Publish twice."),
        actor=actor,
    )
    assert (created.criteria_fr, created.criteria_en) == ("Publier deux fois.", "Publish twice.")


def test_a_code_left_out_comes_from_the_french_name(organization, actor):
    values = data()
    del values["code"]
    assert badge_create(organization=organization, data=values, actor=actor).code == "plume-dessai"


def test_invalid_presentation_fields_are_named(organization, actor):
    with pytest.raises(ValidationError) as excinfo:
        badge_create(
            organization=organization,
            data=data(code="Pas un code!", name_fr="  ", category="sport", position=-1),
            actor=actor,
        )
    assert set(errors_of(excinfo)) == {"code", "name_fr", "category", "position"}


def test_an_unknown_kind_is_named(organization, actor):
    with pytest.raises(ValidationError) as excinfo:
        badge_create(organization=organization, data=data(kind="astrologie"), actor=actor)
    assert set(errors_of(excinfo)) == {"kind"}


def test_rule_errors_name_the_parameter_and_the_tier(organization, actor):
    with pytest.raises(ValidationError) as excinfo:
        badge_create(
            organization=organization,
            data=data(
                params={"verbs": PUBLISHING, "window": {"type": "rolling", "days": 0}},
                tiers=[{"tier": "bronze", "threshold": 0, "points": 5}],
            ),
            actor=actor,
        )
    assert set(errors_of(excinfo)) == {"params.window.days", "tiers[0].threshold"}


def test_verbs_the_organization_does_not_have_are_named(organization, actor):
    with pytest.raises(ValidationError) as excinfo:
        badge_create(
            organization=organization,
            data=data(params={"verbs": ["news_published", "podcast_published"]}),
            actor=actor,
        )
    assert list(errors_of(excinfo)) == ["params.verbs"]
    assert "podcast_published" in errors_of(excinfo)["params.verbs"][0]


def test_a_rolling_window_on_a_permanent_badge_is_refused_on_revocable(organization, actor):
    with pytest.raises(ValidationError) as excinfo:
        badge_create(
            organization=organization,
            data=data(params={"verbs": PUBLISHING, "window": {"type": "rolling", "days": 90}}),
            actor=actor,
        )
    assert list(errors_of(excinfo)) == ["revocable"]


def test_a_code_already_taken_is_named(organization, actor):
    badge_create(organization=organization, data=data(), actor=actor)
    with pytest.raises(ValidationError) as excinfo:
        badge_create(organization=organization, data=data(name_fr="Autre"), actor=actor)
    assert list(errors_of(excinfo)) == ["code"]


def test_the_same_code_is_free_in_another_organization(organization, actor, outsider):
    badge_create(organization=organization, data=data(), actor=actor)
    other = badge_create(
        organization=outsider.organization,
        data=data(),
        actor=actor_for(outsider.organization, outsider),
    )
    assert other.organization == outsider.organization


def test_a_meta_badge_names_existing_badges_other_than_itself(organization, actor):
    # Needs the meta kind registered.
    badge(organization, "plume", "activity_count", {"verbs": PUBLISHING}, [("bronze", 1, 5)])
    with pytest.raises(ValidationError) as excinfo:
        badge_create(
            organization=organization,
            data=data(
                code="accompli",
                kind="meta",
                params={"badges": ["plume", "accompli", "fantome"]},
                tiers=[{"tier": "gold", "threshold": 4, "points": 5}],
            ),
            actor=actor,
        )
    errors = errors_of(excinfo)
    assert set(errors) == {"params.badges", "tiers"}
    assert any("fantome" in message for message in errors["params.badges"])


def test_only_comms_manage_badges(organization, agent, ambassador, manager):
    for person in (agent, ambassador, manager):
        with pytest.raises(PermissionDenied):
            badge_create(
                organization=organization, data=data(), actor=actor_for(organization, person)
            )
    assert not Badge.objects.for_org(organization).exists()


def test_another_organizations_badge_is_not_found(organization, actor, outsider):
    foreign = badge(
        outsider.organization, "plume", "activity_count", {"verbs": PUBLISHING}, [("bronze", 1, 5)]
    )
    with pytest.raises(NotFound):
        badge_update(badge=foreign, data={"name_fr": "Piraté"}, actor=actor)
    with pytest.raises(NotFound):
        badge_retire(badge=foreign, actor=actor)
    foreign.refresh_from_db()
    assert (foreign.name_fr, foreign.status) == ("plume", "active")


# -- Edit -----------------------------------------------------------------------------------


@pytest.fixture
def live(organization):
    return badge(
        organization,
        "plume",
        "activity_count",
        {"verbs": PUBLISHING},
        [("bronze", 2, 5), ("silver", 4, 10)],
    )


def test_presentation_edits_of_a_live_badge_apply_at_once(live, actor):
    result = badge_update(
        badge=live,
        data={"name_fr": "Grande plume", "position": 3, "category": "community"},
        actor=actor,
    )
    live.refresh_from_db()
    assert result is None
    assert (live.name_fr, live.position, live.category) == ("Grande plume", 3, "community")
    assert not BadgeVersion.objects.filter(badge=live).exists()


def test_a_rule_edit_of_a_live_badge_writes_a_draft_and_leaves_the_live_rule(
    organization, live, actor, agent
):
    for days in (9, 8, 7):
        ingest(organization, agent, "news_published", at(days))
    draft = badge_update(
        badge=live,
        data={"tiers": [{"tier": "bronze", "threshold": 1, "points": 5}], "note": "plus facile"},
        actor=actor,
    )

    assert (draft.number, draft.status, draft.note) == (2, "draft", "plus facile")
    assert draft.tiers == [{"tier": "bronze", "threshold": 1, "points": 5}]
    live.refresh_from_db()
    assert live.version == 1
    assert [t["threshold"] for t in live.tiers] == [2, 4]
    badges_reconcile(organization=organization, now=NOW)
    award = Award.objects.get(badge=live)
    assert (award.tier, award.rule_version, award.points) == ("bronze", 1, 5)


def test_a_second_rule_edit_updates_the_one_draft(live, actor):
    first = badge_update(
        badge=live, data={"tiers": [{"tier": "bronze", "threshold": 1, "points": 5}]}, actor=actor
    )
    second = badge_update(badge=live, data={"revocable": True}, actor=actor)

    assert second.pk == first.pk
    assert BadgeVersion.objects.filter(badge=live, status="draft").count() == 1
    # the second edit builds on the draft, not on the live rule
    assert second.tiers == [{"tier": "bronze", "threshold": 1, "points": 5}]
    assert second.revocable is True


def test_the_pending_rule_sent_back_with_a_presentation_edit_writes_nothing(live, actor):
    draft = badge_update(badge=live, data={"revocable": True, "note": "statut"}, actor=actor)
    pending = {name: getattr(draft, name) for name in ("kind", "params", "tiers", "revocable")}

    result = badge_update(
        badge=live, data={"name_fr": "Plume vive", "note": "", **pending}, actor=actor
    )

    assert result is None
    again = BadgeVersion.objects.get(pk=draft.pk)
    assert (again.status, again.note, again.created_at) == ("draft", "statut", draft.created_at)
    live.refresh_from_db()
    assert (live.name_fr, live.revocable) == ("Plume vive", False)


def test_a_rule_edited_back_to_the_live_one_discards_the_draft(live, actor):
    draft = badge_update(badge=live, data={"revocable": True}, actor=actor)
    assert badge_update(badge=live, data={"revocable": False}, actor=actor) is None
    draft.refresh_from_db()
    assert draft.status == "discarded"


def test_a_draft_badge_rule_is_edited_in_place(organization, actor):
    created = badge_create(organization=organization, data=data(), actor=actor)
    generated = created.criteria_en

    result = badge_update(
        badge=created, data={"tiers": [{"tier": "gold", "threshold": 7, "points": 50}]}, actor=actor
    )

    created.refresh_from_db()
    assert result is None
    assert (created.version, created.tiers[0]["threshold"]) == (1, 7)
    version = BadgeVersion.objects.get(badge=created)
    assert (version.number, version.status, version.tiers) == (1, "draft", created.tiers)
    # generated criteria follow the rule
    assert created.criteria_en != generated and "7" in created.criteria_en


def test_an_invalid_rule_edit_changes_nothing(live, actor):
    with pytest.raises(ValidationError) as excinfo:
        badge_update(badge=live, data={"name_fr": "Nouveau", "params": {"verbs": []}}, actor=actor)
    assert list(errors_of(excinfo)) == ["params.verbs"]
    live.refresh_from_db()
    assert live.name_fr == "plume"
    assert not BadgeVersion.objects.filter(badge=live).exists()


def test_a_badge_code_does_not_change(live, actor):
    with pytest.raises(ValidationError) as excinfo:
        badge_update(badge=live, data={"code": "autre"}, actor=actor)
    assert list(errors_of(excinfo)) == ["code"]


# -- Activate, discard, retire ---------------------------------------------------------------


@pytest.fixture
def spy_evaluate(monkeypatch):
    calls = []
    original = engine.badges_evaluate

    def spy(**kwargs):
        calls.append(kwargs)
        return original(**kwargs)

    monkeypatch.setattr(engine, "badges_evaluate", spy)
    return calls


def test_activating_a_version_puts_it_live_and_backfills_history(
    organization, live, actor, agent, spy_evaluate, django_capture_on_commit_callbacks
):
    for days in (30, 20):
        ingest(organization, agent, "news_published", at(days))
    badges_reconcile(organization=organization, now=NOW)
    bronze = Award.objects.get(badge=live)
    draft = badge_update(
        badge=live,
        data={
            "tiers": [
                {"tier": "bronze", "threshold": 1, "points": 7},
                {"tier": "silver", "threshold": 2, "points": 12},
            ]
        },
        actor=actor,
    )
    assert not Award.objects.filter(badge=live, tier="silver").exists()
    spy_evaluate.clear()

    with django_capture_on_commit_callbacks(execute=True):
        badge_version_activate(
            version=draft,
            actor=actor,
        )

    live.refresh_from_db()
    draft.refresh_from_db()
    assert live.version == 2 and draft.status == "active" and draft.activated_at is not None
    assert [t["threshold"] for t in live.tiers] == [1, 2]
    silver = Award.objects.get(badge=live, tier="silver")
    assert (silver.rule_version, silver.points, silver.awarded_at) == (2, 12, at(20))
    bronze.refresh_from_db()
    assert (bronze.rule_version, bronze.points, bronze.awarded_at) == (2, 7, at(30))
    assert len(spy_evaluate) == 1
    assert spy_evaluate[0]["badge_ids"] == [live.pk]
    assert spy_evaluate[0]["digest_version"].pk == draft.pk


def test_activating_a_version_supersedes_the_previous_one(organization, actor):
    created = badge_create(organization=organization, data=data(), actor=actor)
    badge_activate(badge=created, actor=actor)
    draft = badge_update(badge=created, data={"revocable": True}, actor=actor)
    badge_version_activate(version=draft, actor=actor)

    statuses = dict(BadgeVersion.objects.filter(badge=created).values_list("number", "status"))
    assert statuses == {1: "superseded", 2: "active"}


def test_the_backfill_task_is_idempotent(organization, live, agent, actor):
    ingest(organization, agent, "news_published", at(3))
    ingest(organization, agent, "page_published", at(2))
    draft = badge_update(badge=live, data={"revocable": True}, actor=actor)
    badge_version_activate(version=draft, actor=actor)

    assert tasks.badge_backfill_task(draft.pk)["awarded"] == 1
    assert tasks.badge_backfill_task(draft.pk)["drift"] == 0


def test_activating_a_draft_badge_puts_it_live_and_backfills(
    organization, actor, agent, spy_evaluate, django_capture_on_commit_callbacks
):
    ingest(organization, agent, "page_published", at(5))
    ingest(organization, agent, "news_published", at(4))
    created = badge_create(organization=organization, data=data(), actor=actor)
    badges_reconcile(organization=organization, now=NOW)
    assert not Award.objects.filter(badge=created).exists()  # a draft is not evaluated
    spy_evaluate.clear()

    with django_capture_on_commit_callbacks(execute=True):
        badge_activate(badge=created, actor=actor)

    created.refresh_from_db()
    version = BadgeVersion.objects.get(badge=created)
    assert (created.status, version.status) == ("active", "active")
    award = Award.objects.get(badge=created)
    assert (award.tier, award.awarded_at, award.rule_version) == ("bronze", at(4), 1)
    assert spy_evaluate[0]["digest_version"].pk == version.pk


def test_a_draft_badge_whose_verb_disappeared_is_not_activated(organization, actor):
    created = badge_create(organization=organization, data=data(), actor=actor)
    Verb.objects.for_org(organization).filter(code="page_published").delete()

    with pytest.raises(DomainError) as excinfo:
        badge_activate(badge=created, actor=actor)
    assert excinfo.value.code == "invalid_rule"
    assert "params.verbs" in excinfo.value.extra
    created.refresh_from_db()
    assert created.status == "draft"


def test_only_a_draft_version_of_a_live_badge_is_activated(organization, live, actor):
    draft = badge_update(badge=live, data={"revocable": True}, actor=actor)
    badge_version_activate(version=draft, actor=actor)
    with pytest.raises(DomainError):
        badge_version_activate(version=draft, actor=actor)
    with pytest.raises(DomainError):
        badge_activate(badge=live, actor=actor)


def test_a_discarded_draft_leaves_the_live_rule_and_the_next_takes_a_new_number(live, actor):
    first = badge_update(badge=live, data={"revocable": True}, actor=actor)
    badge_version_discard(version=first, actor=actor)
    live.refresh_from_db()
    assert live.revocable is False and live.version == 1

    second = badge_update(badge=live, data={"revocable": True}, actor=actor)
    assert (first.number, second.number) == (2, 3)
    badge_version_activate(version=second, actor=actor)
    live.refresh_from_db()
    assert (live.version, live.revocable) == (3, True)


def test_a_retired_badge_is_no_longer_evaluated_and_keeps_its_awards(
    organization, live, actor, agent
):
    ingest(organization, agent, "news_published", at(9))
    ingest(organization, agent, "news_published", at(8))
    badges_reconcile(organization=organization, now=NOW)
    draft = badge_update(badge=live, data={"revocable": True}, actor=actor)

    badge_retire(badge=live, actor=actor)
    ingest(organization, agent, "news_published", at(7))
    ingest(organization, agent, "news_published", at(6))
    report = badges_evaluate(organization=organization, now=NOW)

    draft.refresh_from_db()
    assert draft.status == "discarded"
    assert report.rules == 0
    assert list(Award.objects.filter(badge=live).values_list("tier", "revoked_at")) == [
        ("bronze", None)
    ]
    with pytest.raises(ValidationError):
        badge_update(badge=live, data={"revocable": True}, actor=actor)
    with pytest.raises(DomainError):
        badge_retire(badge=live, actor=actor)
