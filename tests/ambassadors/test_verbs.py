"""The verb catalogue: defaults for every organization, idempotent, extensible."""

from __future__ import annotations

from ambassadors.models import Verb
from ambassadors.services.verbs import DEFAULT_VERBS, verbs_ensure_defaults
from tests.factories import OrganizationFactory

ISSUE_VERBS = {
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


def test_a_new_organization_gets_the_twelve_default_verbs(db):
    organization = OrganizationFactory()

    verbs = Verb.objects.for_org(organization)

    assert set(verbs.values_list("code", flat=True)) == ISSUE_VERBS
    assert verbs.get(code="coaching_given").category == Verb.Category.MENTORING
    assert verbs.get(code="news_published").label == "Actualité publiée"
    assert all(verb.is_active for verb in verbs)


def test_every_default_verb_has_a_known_category_and_a_french_label():
    assert {verb.code for verb in DEFAULT_VERBS} == ISSUE_VERBS
    assert {verb.category for verb in DEFAULT_VERBS} == set(Verb.Category.values)
    assert all(verb.label and verb.label != verb.code for verb in DEFAULT_VERBS)


def test_ensuring_defaults_again_creates_nothing_and_keeps_local_edits(organization):
    Verb.objects.for_org(organization).filter(code="comment_posted").update(
        label="Commentaire", is_active=False
    )
    Verb.objects.for_org(organization).filter(code="first_login").delete()

    created = verbs_ensure_defaults(organization=organization)
    again = verbs_ensure_defaults(organization=organization)

    assert (created, again) == (1, 0)
    assert Verb.objects.for_org(organization).count() == 12
    edited = Verb.objects.for_org(organization).get(code="comment_posted")
    assert (edited.label, edited.is_active) == ("Commentaire", False)


def test_catalogues_are_per_organization(organization, other_organization):
    Verb.objects.create(
        organization=organization, code="idea_submitted", category="community", label="Idée"
    )

    assert Verb.objects.for_org(organization).count() == 13
    assert Verb.objects.for_org(other_organization).count() == 12
