"""The badges pages: catalogue, an agent's badges, and the communication team's pages."""

from __future__ import annotations

import json

import pytest

from ambassadors.permissions import actor_for
from badges.models import Award, AwardLog, Badge, BadgeStatus, BadgeVersion, Notification
from badges.services.engine import badges_evaluate
from badges.services.manual import award_contest
from tests.conftest import login
from tests.factories import AgentFactory

from .helpers import NOW, at, badge, ingest

pytestmark = pytest.mark.django_db


@pytest.fixture
def plume(organization) -> Badge:
    item = badge(
        organization,
        "plume",
        "activity_count",
        {"verbs": ["news_published"]},
        [("bronze", 1, 5), ("silver", 3, 10)],
    )
    BadgeVersion.objects.create(
        organization=organization,
        badge=item,
        number=1,
        status=BadgeVersion.Status.ACTIVE,
        kind=item.kind,
        params=item.params,
        tiers=item.tiers,
        revocable=item.revocable,
    )
    return item


def _earn(organization, agent, count: int) -> None:
    for i in range(count):
        ingest(organization, agent, "news_published", at(10 - i))
    badges_evaluate(organization=organization, now=NOW)


def _form(badge_: Badge, **overrides) -> dict[str, str]:
    """The edit form as the browser posts it, for ``badge_``'s current state."""
    by_tier = {t["tier"]: t for t in badge_.tiers}
    data = {
        "name_fr": badge_.name_fr,
        "name_en": badge_.name_en,
        "description_fr": badge_.description_fr,
        "description_en": badge_.description_en,
        "criteria_fr": badge_.criteria_fr,
        "criteria_en": badge_.criteria_en,
        "category": badge_.category,
        "position": str(badge_.position),
        "kind": badge_.kind,
        "params": json.dumps(badge_.params),
        "note": "",
    }
    for tier in ("bronze", "silver", "gold"):
        spec = by_tier.get(tier, {})
        data[f"tier_{tier}_threshold"] = str(spec.get("threshold", ""))
        data[f"tier_{tier}_points"] = str(spec.get("points", ""))
    if badge_.revocable:
        data["revocable"] = "on"
    data.update(overrides)
    return data


# -- Catalogue ------------------------------------------------------------------------------


def test_the_catalogue_shows_each_badge_with_its_tiers_and_rarity(
    organization, plume, agent, in_english
):
    _earn(organization, agent, 1)
    AgentFactory(organization=organization)
    response = login(agent).get("/badges/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<h2 class="badge-name">plume</h2>' in html
    assert "Held by 1 agent (50%)" in html
    assert "a share of the 2 agents present" in html
    assert "Achievement: kept once earned" in html
    assert 'src="/badges/plume/bronze.svg"' in html
    assert "<caption" in html and 'scope="row"' in html


def test_the_catalogue_speaks_french_by_default(organization, plume, agent):
    _earn(organization, agent, 1)
    html = login(agent).get("/badges/").content.decode()
    assert 'lang="fr"' in html
    assert "100\u202f%" in html


def test_the_catalogue_filters_by_category(organization, plume, agent):
    badge(
        organization,
        "coach",
        "activity_count",
        {"verbs": ["coaching_given"]},
        [("bronze", 1, 5)],
        category="mentoring",
    )
    html = login(agent).get("/badges/", {"category": "mentoring"}).content.decode()
    assert 'id="badge-coach"' in html
    assert 'id="badge-plume"' not in html
    html = login(agent).get("/badges/", {"category": "nope"}).content.decode()
    assert 'id="badge-coach"' in html and 'id="badge-plume"' in html


def test_only_comms_see_the_management_links(organization, plume, agent, comms_client):
    assert "/badges/manage/new/" not in login(agent).get("/badges/").content.decode()
    html = comms_client.get("/badges/").content.decode()
    assert "/badges/manage/new/" in html
    assert "/badges/plume/" in html


@pytest.mark.parametrize("count", [1, 20])
def test_the_catalogue_page_takes_the_same_queries_whatever_the_number_of_badges(
    organization, agent, count, django_assert_num_queries
):
    for index in range(count):
        item = badge(
            organization,
            f"b{index:02d}",
            "activity_count",
            {"verbs": ["news_published"]},
            [("bronze", 1, 5), ("silver", 2, 10)],
        )
        Award.objects.create(
            organization=organization,
            agent=agent,
            badge=item,
            tier="bronze",
            awarded_at=NOW,
            rule_version=1,
        )
    client = login(agent)
    # session, user, agent, roles, mandates, present agents, badges, unread notices
    with django_assert_num_queries(8):
        response = client.get("/badges/")
    assert response.status_code == 200


def test_a_badge_image_is_an_svg_that_browsers_may_cache(organization, plume, agent):
    client = login(agent)
    response = client.get("/badges/plume/silver.svg")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
    assert "max-age=3600" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]
    assert response.content.decode().lstrip().startswith("<svg")
    again = client.get("/badges/plume/silver.svg", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304
    assert client.get("/badges/plume/platinum.svg").status_code == 404
    assert client.get("/badges/inconnu/bronze.svg").status_code == 404


# -- An agent's badges ----------------------------------------------------------------------


def test_an_agent_sees_their_badges_activities_progress_and_points(
    organization, plume, agent, in_english
):
    _earn(organization, agent, 2)
    response = login(agent).get(f"/badges/agents/{agent.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Your badges</h1>" in html
    assert '<details class="evidence">' in html
    assert "The activity behind it" in html
    assert "Une actualité" in html
    assert "2 of 3 activities" in html
    assert '<progress max="3" value="2"' in html
    assert "Next: Silver, at 3" in html
    assert "5 points in all." in html


@pytest.mark.parametrize("who", ["comms", "manager"])
def test_comms_and_the_manager_of_the_unit_see_an_agents_badges(
    organization, tree, plume, who, request
):
    viewer = request.getfixturevalue(who)
    below = AgentFactory(organization=organization, unit=tree.proprete, last_name="Dessous")
    response = login(viewer).get(f"/badges/agents/{below.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Dessous" in html
    assert "I think I should have this badge" not in html  # only the agent contests


def test_others_get_404_on_an_agents_badges(organization, tree, plume, agent, manager, outsider):
    elsewhere = AgentFactory(organization=organization, unit=tree.culture)
    colleague = AgentFactory(organization=organization, unit=tree.espaces_verts)
    assert login(manager).get(f"/badges/agents/{elsewhere.pk}/").status_code == 404
    assert login(agent).get(f"/badges/agents/{colleague.pk}/").status_code == 404
    assert login(outsider).get(f"/badges/agents/{agent.pk}/").status_code == 404


def test_an_agent_contests_a_missing_badge(organization, plume, agent):
    client = login(agent)
    html = client.get(f"/badges/agents/{agent.pk}/").content.decode()
    assert 'name="comment"' in html
    response = client.post(
        f"/badges/agents/{agent.pk}/contest/",
        {"badge": "plume", "comment": "Trois actualités publiées en mai."},
    )
    assert response.status_code == 302
    log = AwardLog.objects.get()
    assert (log.kind, log.status, log.badge, log.agent) == ("contested", "open", plume, agent)


def test_a_contest_without_comment_names_the_field(organization, plume, agent):
    response = login(agent).post(
        f"/badges/agents/{agent.pk}/contest/", {"badge": "plume", "comment": ""}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert 'href="#field-comment"' in html
    assert 'id="comment-error"' in html
    assert not AwardLog.objects.exists()


def test_only_the_agent_themself_contests(organization, tree, plume, manager):
    below = AgentFactory(organization=organization, unit=tree.proprete)
    response = login(manager).post(
        f"/badges/agents/{below.pk}/contest/", {"badge": "plume", "comment": "Pour lui."}
    )
    assert response.status_code == 404
    assert not AwardLog.objects.exists()


def test_notifications_show_in_the_menu_and_are_marked_read(organization, plume, agent):
    _earn(organization, agent, 1)
    award = Award.objects.get()
    Notification.objects.create(
        organization=organization, agent=agent, award=award, kind=Notification.Kind.AWARDED
    )
    client = login(agent)
    html = client.get("/badges/").content.decode()
    assert '<span class="nav-count" aria-hidden="true">1</span>' in html
    page = client.get(f"/badges/agents/{agent.pk}/").content.decode()
    assert "is-unread" in page
    response = client.post("/badges/notifications/read/")
    assert response.status_code == 302
    assert Notification.objects.get().read_at is not None
    assert 'class="nav-count"' not in client.get("/badges/").content.decode()


def test_the_agent_page_links_to_the_badges(organization, agent, comms_client):
    html = comms_client.get(f"/agents/{agent.pk}/").content.decode()
    assert f'href="/badges/agents/{agent.pk}/"' in html
    assert f'href="/badges/agents/{agent.pk}/"' in login(agent).get("/").content.decode()


# -- Comms: edit, preview, activate ---------------------------------------------------------


def test_a_rule_change_goes_through_a_preview_before_it_is_live(
    organization, plume, agent, comms_client, in_english
):
    _earn(organization, agent, 2)
    response = comms_client.post("/badges/plume/", _form(plume, tier_silver_threshold="2"))
    assert response.status_code == 302
    assert response["Location"] == "/badges/plume/preview/"
    plume.refresh_from_db()
    assert plume.tier("silver")["threshold"] == 3  # not live yet
    draft = BadgeVersion.objects.get(status="draft")

    html = comms_client.get("/badges/plume/preview/").content.decode()
    assert "Who would gain" in html
    assert "Camille" in html  # the agent who reaches silver with 2
    assert 'action="/badges/plume/activate/"' in html

    response = comms_client.post("/badges/plume/activate/")
    assert response.status_code == 302
    plume.refresh_from_db()
    draft.refresh_from_db()
    assert plume.version == draft.number == 2
    assert plume.tier("silver")["threshold"] == 2
    assert draft.status == "active"


def test_a_pending_change_can_be_discarded(organization, plume, comms_client):
    comms_client.post("/badges/plume/", _form(plume, tier_silver_threshold="5"))
    assert comms_client.post("/badges/plume/discard/").status_code == 302
    assert BadgeVersion.objects.get(number=2).status == "discarded"
    plume.refresh_from_db()
    assert plume.version == 1


def test_a_presentation_change_is_saved_at_once(organization, plume, comms_client):
    response = comms_client.post("/badges/plume/", _form(plume, name_fr="Plume d’or"))
    assert response.status_code == 302
    assert response["Location"] == "/badges/plume/"
    plume.refresh_from_db()
    assert plume.name_fr == "Plume d’or"
    assert not BadgeVersion.objects.filter(status="draft").exists()


def test_bad_rule_input_names_the_field(organization, plume, comms_client, in_english):
    response = comms_client.post(
        "/badges/plume/", _form(plume, params="{verbs: ", tier_gold_threshold="x")
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert 'href="#field-params"' in html
    assert "Not valid JSON" in html
    assert 'href="#field-tier_gold_threshold"' in html
    response = comms_client.post("/badges/plume/", _form(plume, params='{"verbs": ["inconnu"]}'))
    assert response.status_code == 400
    assert "verbs : Unknown verbs for this organization: inconnu." in response.content.decode()
    response = comms_client.post("/badges/plume/", _form(plume, tier_silver_threshold="1"))
    html = response.content.decode()
    assert response.status_code == 400
    assert 'href="#field-tiers"' in html
    assert "Each tier needs a higher threshold than the one before." in html
    assert not BadgeVersion.objects.filter(status="draft").exists()


def test_comms_create_a_badge_as_a_draft(organization, comms_client):
    response = comms_client.post(
        "/badges/manage/new/",
        {
            "code": "",
            "name_fr": "Grand reporter",
            "category": "publishing",
            "position": "10",
            "kind": "activity_count",
            "params": '{"verbs": ["news_published"]}',
            "tier_bronze_threshold": "5",
            "tier_bronze_points": "10",
        },
    )
    assert response.status_code == 302
    created = Badge.objects.get(code="grand-reporter")
    assert created.status == BadgeStatus.DRAFT
    assert created.tiers == [{"tier": "bronze", "threshold": 5, "points": 10}]
    assert comms_client.get("/badges/grand-reporter/").status_code == 200


def test_the_edit_form_shows_an_example_per_rule_kind(organization, plume, comms_client):
    html = comms_client.get("/badges/plume/").content.decode()
    assert 'id="kinds-help"' in html
    assert "activity_count" in html and "streak" in html
    assert '<label for="id_params">' in html


def test_management_pages_are_refused_to_other_roles(organization, plume, agent, manager):
    for who in (agent, manager):
        client = login(who)
        assert client.get("/badges/plume/").status_code == 403
        assert client.get("/badges/plume/preview/").status_code == 403
        assert client.post("/badges/plume/activate/").status_code == 403
        assert client.get("/badges/manage/grant/").status_code == 403
        assert client.get("/badges/manage/contests/").status_code == 403


# -- Comms: grant by hand, contests ---------------------------------------------------------


def test_comms_find_an_agent_without_javascript_then_grant(organization, tree, plume, comms_client):
    target = AgentFactory(organization=organization, unit=tree.culture, last_name="Zéphyr")
    found = comms_client.post("/badges/manage/grant/", {"q": "Zéphyr", "find": "1"})
    assert f'name="agent" value="{target.pk}"' in found.content.decode()
    response = comms_client.post(
        "/badges/manage/grant/",
        {"agent": target.pk, "badge": "plume", "tier": "silver", "reason": "Forum animé."},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/badges/agents/{target.pk}/"
    award = Award.objects.get(agent=target)
    assert (award.tier, award.origin, award.reason) == ("silver", "manual", "Forum animé.")


def test_a_grant_without_reason_names_the_field(organization, plume, agent, comms_client):
    response = comms_client.post(
        "/badges/manage/grant/", {"agent": agent.pk, "badge": "plume", "tier": "bronze"}
    )
    assert response.status_code == 400
    assert 'href="#field-reason"' in response.content.decode()
    assert not Award.objects.exists()


def test_comms_answer_a_contest_by_granting_it(organization, plume, agent, comms_client):
    log = award_contest(
        organization=organization,
        agent=agent,
        badge=plume,
        comment="Trois actualités.",
        actor=actor_for(organization, agent),
    )
    html = comms_client.get("/badges/manage/contests/").content.decode()
    assert "Trois actualités." in html
    refused = comms_client.post(
        f"/badges/manage/contests/{log.pk}/answer/", {"decision": "reject", "answer": ""}
    )
    assert refused.status_code == 400
    assert f'href="#field-answer-{log.pk}"' in refused.content.decode()
    response = comms_client.post(
        f"/badges/manage/contests/{log.pk}/answer/",
        {"decision": "accept", "tier": "bronze", "answer": "Vérifié."},
    )
    assert response.status_code == 302
    log.refresh_from_db()
    assert log.status == "accepted"
    assert Award.objects.get(agent=agent).origin == "manual"


def test_the_pages_work_with_the_default_catalogue(organization, agent, comms_client, in_english):
    from badges.services.catalogue import badges_ensure_defaults

    badges_ensure_defaults(organization=organization)
    _earn(organization, agent, 1)
    catalogue = comms_client.get("/badges/")
    assert catalogue.status_code == 200
    assert 'id="badge-premiere-publication"' in catalogue.content.decode()
    assert 'id="badge-main-tendue"' in catalogue.content.decode()
    mine = login(agent).get(f"/badges/agents/{agent.pk}/")
    assert mine.status_code == 200
    assert "First publication" in mine.content.decode()
    for code in Badge.objects.for_org(organization).values_list("code", flat=True):
        assert comms_client.get(f"/badges/{code}/").status_code == 200
        assert comms_client.get(f"/badges/{code}/bronze.svg").status_code == 200


def test_a_draft_badge_is_activated_from_its_preview(organization, comms_client):
    comms_client.post(
        "/badges/manage/new/",
        {
            "code": "reporter",
            "name_fr": "Reporter",
            "category": "publishing",
            "kind": "activity_count",
            "params": '{"verbs": ["news_published"]}',
            "tier_bronze_threshold": "2",
        },
    )
    assert comms_client.get("/badges/reporter/preview/").status_code == 200
    response = comms_client.post("/badges/reporter/activate/")
    assert response.status_code == 302
    assert Badge.objects.get(code="reporter").status == BadgeStatus.ACTIVE


def test_an_uploaded_image_replaces_the_drawn_one(organization, plume, agent, comms_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    image = SimpleUploadedFile("plume.png", b"\x89PNG\r\n\x1a\n", content_type="image/png")
    response = comms_client.post("/badges/plume/", {**_form(plume), "image": image})
    assert response.status_code == 302
    plume.refresh_from_db()
    html = login(agent).get("/badges/").content.decode()
    assert f'src="{plume.image.url}"' in html
    assert "/badges/plume/bronze.svg" not in html


def test_comms_retire_a_badge_and_it_leaves_the_catalogue(organization, plume, agent, comms_client):
    assert comms_client.post("/badges/plume/retire/").status_code == 302
    plume.refresh_from_db()
    assert plume.status == BadgeStatus.RETIRED
    assert 'id="badge-plume"' not in login(agent).get("/badges/").content.decode()
    assert (
        'id="badge-plume"' in comms_client.get("/badges/", {"status": "retired"}).content.decode()
    )


def test_a_draft_that_no_longer_validates_is_explained_not_a_crash(
    organization, plume, comms_client, in_english
):
    comms_client.post("/badges/plume/", _form(plume, tier_silver_threshold="5"))
    BadgeVersion.objects.filter(status="draft").update(params={"verbs": []})
    response = comms_client.get("/badges/plume/preview/")
    assert response.status_code == 200
    assert "This rule is no longer valid" in response.content.decode()
    assert 'action="/badges/plume/activate/"' not in response.content.decode()
