from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from ambassadors.models import DirectoryImport, Site
from tests.conftest import login
from tests.factories import AgentFactory, OrgUnitFactory, SiteFactory

MODELS = ["organization", "orgunit", "site", "agent", "role", "ambassadormandate"]


@pytest.fixture
def staff_comms_client(comms) -> Client:
    comms.user.is_staff = True
    comms.user.save()
    comms.user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="ambassadors")
    )
    return login(comms)


@pytest.fixture
def superuser_client(db) -> Client:
    user = get_user_model().objects.create_superuser("root", "root@example.org", "x")
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def two_organizations(organization, other_organization, tree):
    AgentFactory(organization=organization, unit=tree.voirie, last_name="Dedans")
    other_unit = OrgUnitFactory(organization=other_organization, name="Direction ailleurs")
    outsider = AgentFactory(organization=other_organization, unit=other_unit, last_name="Dehors")
    DirectoryImport.objects.create(organization=organization, filename="annuaire-a.csv")
    DirectoryImport.objects.create(organization=other_organization, filename="annuaire-b.csv")
    return outsider


@pytest.mark.parametrize("model", [*MODELS, "directoryimport"])
def test_every_changelist_opens_for_the_comms_team(staff_comms_client, two_organizations, model):
    response = staff_comms_client.get(reverse(f"admin:ambassadors_{model}_changelist"))
    assert response.status_code == 200


def test_staff_comms_see_only_their_organization(staff_comms_client, two_organizations):
    html = staff_comms_client.get(reverse("admin:ambassadors_agent_changelist")).content.decode()
    assert "Dedans" in html
    assert "Dehors" not in html
    html = staff_comms_client.get(
        reverse("admin:ambassadors_directoryimport_changelist")
    ).content.decode()
    assert "annuaire-a.csv" in html
    assert "annuaire-b.csv" not in html
    html = staff_comms_client.get(
        reverse("admin:ambassadors_organization_changelist")
    ).content.decode()
    assert "Ville A" in html
    assert "Ville B" not in html


def test_staff_comms_cannot_open_a_row_of_another_organization(
    staff_comms_client, two_organizations
):
    url = reverse("admin:ambassadors_agent_change", args=[two_organizations.pk])
    response = staff_comms_client.get(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")


def test_a_superuser_sees_every_organization(superuser_client, two_organizations):
    html = superuser_client.get(reverse("admin:ambassadors_agent_changelist")).content.decode()
    assert "Dedans" in html
    assert "Dehors" in html


def test_unit_autocomplete_offers_only_the_units_of_the_organization(
    staff_comms_client, two_organizations
):
    response = staff_comms_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "ambassadors",
            "model_name": "agent",
            "field_name": "unit",
            "term": "Direction",
        },
    )
    names = [result["text"] for result in response.json()["results"]]
    assert "Services techniques" not in names  # the term does not match it
    assert "Direction ailleurs" not in names
    response = staff_comms_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "ambassadors", "model_name": "agent", "field_name": "unit", "term": "e"},
    )
    names = {result["text"] for result in response.json()["results"]}
    # "Direction ailleurs" of the other organization matches "e" too, and is left out.
    assert names == {"Services techniques", "Voirie", "Propreté", "Espaces verts", "Culture"}


def test_a_site_added_by_staff_comms_belongs_to_their_organization(
    staff_comms_client, organization
):
    response = staff_comms_client.post(
        reverse("admin:ambassadors_site_add"),
        {"code": "DEP", "name": "Dépôt", "address": ""},
    )
    assert response.status_code == 302
    assert Site.objects.get(code="DEP").organization == organization


def test_directory_imports_are_read_only(staff_comms_client, two_organizations, organization):
    own = DirectoryImport.objects.for_org(organization).get()
    assert (
        staff_comms_client.get(reverse("admin:ambassadors_directoryimport_add")).status_code == 403
    )
    response = staff_comms_client.post(
        reverse("admin:ambassadors_directoryimport_change", args=[own.pk]),
        {"filename": "changed.csv"},
    )
    assert response.status_code == 403
    own.refresh_from_db()
    assert own.filename == "annuaire-a.csv"


def test_the_unit_filter_lists_only_the_units_of_the_organization(
    staff_comms_client, two_organizations, organization
):
    SiteFactory(organization=organization, name="Hôtel de ville")
    html = staff_comms_client.get(reverse("admin:ambassadors_agent_changelist")).content.decode()
    assert "Hôtel de ville" in html
    assert "Direction ailleurs" not in html
