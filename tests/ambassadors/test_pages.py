from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from ambassadors.models import AmbassadorMandate, Role
from tests.conftest import PASSWORD, login
from tests.factories import AgentFactory, MandateFactory, OrgUnitFactory, RoleFactory


def _page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# --- login, logout, layout ------------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_the_login_page(db):
    response = Client().get(reverse("org-chart"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_login_page_has_labelled_fields_and_is_in_french_by_default(db):
    html = _page(Client(), reverse("login"))
    assert '<html lang="fr">' in html
    assert "Se connecter" in html
    assert '<label for="id_username">' in html
    assert '<label for="id_password">' in html
    assert 'href="#main"' in html


def test_a_wrong_password_shows_an_error_tied_to_the_fields(comms):
    response = Client().post(reverse("login"), {"username": "comms", "password": "nope"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'role="alert"' in html
    assert 'aria-invalid="true"' in html
    assert 'aria-describedby="login-errors"' in html


def test_logging_in_leads_home_and_logging_out_takes_a_post(comms):
    client = Client()
    response = client.post(reverse("login"), {"username": "comms", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.get(reverse("logout")).status_code == 405
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_layout_names_the_organization_and_has_landmarks(comms_client):
    html = _page(comms_client, reverse("home"))
    assert "Ville A" in html
    for landmark in ("<header", "<nav", '<main id="main"', "<footer"):
        assert landmark in html
    assert 'action="/i18n/setlang/"' in html
    assert "<title>Accueil · Ville A · Relais</title>" in html


def test_choosing_english_renders_the_pages_in_english(comms_client):
    assert "Organigramme" in _page(comms_client, reverse("org-chart"))
    response = comms_client.post(
        reverse("set_language"), {"language": "en", "next": reverse("org-chart")}
    )
    assert response.status_code == 302
    html = _page(comms_client, reverse("org-chart"))
    assert '<html lang="en">' in html
    assert "Org chart" in html
    assert "Organigramme" not in html


# --- home per role -------------------------------------------------------------------------


def test_comms_home_shows_the_programme_overview(comms_client, organization, tree, field_agent):
    MandateFactory(agent=field_agent, units=[tree.proprete], status=AmbassadorMandate.Status.PAUSED)
    html = _page(comms_client, reverse("home"))
    assert "Le programme" in html
    assert "Ambassadeurs par statut de mandat" in html
    assert "<dt>En pause</dt><dd>1</dd>" in html
    assert "<dt>Services</dt><dd>5</dd>" in html
    assert "<dt>Agents</dt><dd>2</dd>" in html  # comms and the field agent
    assert "<dt>Sans poste de travail</dt><dd>1</dd>" in html
    assert reverse("org-chart") in html


def test_staff_comms_home_links_to_the_admin_and_the_imports(comms_client, comms):
    imports = reverse("admin:ambassadors_directoryimport_changelist")
    assert imports not in _page(comms_client, reverse("home"))
    comms.user.is_staff = True
    comms.user.save()
    html = _page(comms_client, reverse("home"))
    assert reverse("admin:ambassadors_directoryimport_changelist") in html


def test_manager_home_shows_their_units_with_the_subtree_headcount(manager, tree, field_agent):
    AgentFactory(organization=tree.voirie.organization, unit=tree.espaces_verts)
    html = _page(login(manager), reverse("home"))
    assert "Les services que vous encadrez" in html
    assert "Voirie" in html
    assert "Propreté" in html
    assert "Espaces verts</a>" not in html.split('id="managed-title"')[1].split("</section>")[0]
    # manager in Voirie + field agent in Propreté below it
    assert "2 avec les sous-services" in html
    assert "Le programme" not in html


def test_ambassador_home_shows_the_units_covered_and_their_headcount(ambassador, field_agent):
    html = _page(login(ambassador), reverse("home"))
    section = html.split('id="covered-title"')[1].split("</section>")[0]
    assert "Propreté" in section
    assert "2 agents" in section


def test_agent_home_shows_their_record_and_the_people_to_ask(agent, ambassador, organization, tree):
    MandateFactory(agent=ambassador, units=[tree.espaces_verts])
    helper = AgentFactory(organization=organization, unit=tree.culture, last_name="Ressource")
    RoleFactory(agent=helper, kind=Role.Kind.RESOURCE_PERSON, units=[tree.direction])
    elsewhere = AgentFactory(organization=organization, unit=tree.culture, last_name="Loin")
    RoleFactory(agent=elsewhere, kind=Role.Kind.RESOURCE_PERSON, units=[tree.culture])
    html = _page(login(agent), reverse("home"))
    assert agent.hr_id in html
    assert "Services techniques › " in html
    assert "Relais" in html.split("Ambassadeurs de votre service")[1]
    assert "Ressource" in html.split("Personnes-ressources")[1]
    assert "Loin" not in html
    assert "Le programme" not in html
    assert "Les services que vous encadrez" not in html


def test_an_agent_with_several_roles_sees_the_sections_of_each(comms, tree):
    RoleFactory(agent=comms, kind=Role.Kind.MANAGER, units=[tree.culture])
    MandateFactory(agent=comms, units=[tree.voirie])
    html = _page(login(comms), reverse("home"))
    for title in ("programme-title", "managed-title", "covered-title", "me-title"):
        assert f'id="{title}"' in html


def test_a_user_without_organization_gets_a_clear_page_with_the_admin_link(db):
    user = get_user_model().objects.create_superuser("root", "root@example.org", PASSWORD)
    client = Client()
    client.force_login(user)
    html = _page(client, reverse("home"))
    assert "n’est rattaché à aucune organisation" in html
    assert reverse("admin:index") in html
    assert client.get(reverse("org-chart")).status_code == 404


# --- org chart, unit, agent ---------------------------------------------------------------


def test_org_chart_lists_every_unit_nested_with_headcounts(comms_client, tree, field_agent):
    html = _page(comms_client, reverse("org-chart"))
    assert "<details" in html
    assert html.index("Services techniques") < html.index("Voirie") < html.index("Propreté")
    assert reverse("unit-detail", args=[tree.proprete.pk]) in html
    assert '<span class="counts">1 agent</span>' in html  # Propreté
    assert '<span class="counts">0 agent · 1 avec les sous-services</span>' in html  # Voirie


def _tree_of(organization, units: int) -> None:
    parent = None
    for n in range(units):
        unit = OrgUnitFactory(organization=organization, parent=parent if n % 3 else None)
        AgentFactory(organization=organization, unit=unit)
        parent = unit


@pytest.mark.parametrize("units", [1, 20])
def test_org_chart_takes_the_same_queries_whatever_the_size(
    comms_client, organization, django_assert_num_queries, units
):
    _tree_of(organization, units)
    # session, user, organization, user's agent, roles (+units), mandates, tree (2)
    with django_assert_num_queries(9):
        html = _page(comms_client, reverse("org-chart"))
    assert html.count('class="tree-link"') == units + 5


def test_unit_page_lists_children_and_agents_of_its_subtree(comms_client, tree, field_agent):
    html = _page(comms_client, reverse("unit-detail", args=[tree.voirie.pk]))
    assert "Propreté" in html
    assert field_agent.hr_id in html
    assert reverse("agent-detail", args=[field_agent.pk]) in html
    assert 'aria-current="page"' in html


def test_unit_page_search_filters_by_name_or_hr_id(comms_client, organization, tree):
    AgentFactory(organization=organization, unit=tree.voirie, last_name="Dupont")
    other = AgentFactory(organization=organization, unit=tree.voirie, last_name="Durand")
    html = _page(comms_client, reverse("unit-detail", args=[tree.voirie.pk]) + "?q=dupont")
    assert "Dupont" in html and "Durand" not in html
    html = _page(comms_client, reverse("unit-detail", args=[tree.voirie.pk]) + f"?q={other.hr_id}")
    assert "Durand" in html and "Dupont" not in html


def test_unit_page_paginates_agents(comms_client, organization, tree):
    AgentFactory.create_batch(30, organization=organization, unit=tree.voirie)
    url = reverse("unit-detail", args=[tree.voirie.pk])
    assert _page(comms_client, url).count("<tr>") == 25 + 1  # and the header row
    html = _page(comms_client, url + "?page=2")
    assert html.count("<tr>") == 5 + 1
    assert "Page 2 sur 2" in html


@pytest.mark.parametrize("agents", [1, 20])
def test_unit_page_takes_the_same_queries_whatever_the_number_of_agents(
    comms_client, organization, tree, django_assert_num_queries, agents
):
    AgentFactory.create_batch(agents, organization=organization, unit=tree.proprete)
    # session, user, organization, user's agent, roles (+units), mandates: 7
    # then the unit, the tree (2), its ancestors, the adoption stage counts, the count and
    # the page of agents
    with django_assert_num_queries(14):
        html = _page(comms_client, reverse("unit-detail", args=[tree.voirie.pk]))
    assert html.count("<tr>") == agents + 1


def test_a_manager_sees_on_a_unit_page_only_the_agents_of_their_subtree(manager, tree):
    organization = tree.direction.organization
    AgentFactory(organization=organization, unit=tree.proprete, last_name="Dessous")
    AgentFactory(organization=organization, unit=tree.espaces_verts, last_name="Acote")
    html = _page(login(manager), reverse("unit-detail", args=[tree.direction.pk]))
    assert "Dessous" in html
    assert "Acote" not in html
    assert "Seuls les agents que votre rôle vous permet de voir" in html


def test_a_plain_agent_sees_the_unit_but_no_colleague(agent, tree):
    AgentFactory(organization=tree.direction.organization, unit=tree.espaces_verts, last_name="Co")
    html = _page(login(agent), reverse("unit-detail", args=[tree.espaces_verts.pk]))
    assert "<table" not in html
    assert "Aucun agent à afficher ici." in html


def test_agent_page_shows_identity_path_site_and_roles(comms_client, ambassador, tree, site):
    ambassador.site = site
    ambassador.job_title = "Agent de propreté"
    ambassador.has_account = False
    ambassador.save()
    html = _page(comms_client, reverse("agent-detail", args=[ambassador.pk]))
    assert ambassador.hr_id in html
    assert "Agent de propreté" in html
    assert "Centre technique municipal" in html
    assert "Pas de compte" in html
    crumbs = html.split('class="breadcrumb"')[1].split("</nav>")[0]
    assert crumbs.index("Services techniques") < crumbs.index("Voirie") < crumbs.index("Propreté")
    assert "Ambassadeur" in html and "Actif" in html


@pytest.mark.parametrize("roles", [1, 3])
def test_agent_page_takes_a_fixed_number_of_queries(
    comms_client, field_agent, tree, django_assert_num_queries, roles
):
    kinds = [Role.Kind.MANAGER, Role.Kind.RESOURCE_PERSON, Role.Kind.COMMS][:roles]
    for kind in kinds:
        RoleFactory(agent=field_agent, kind=kind, units=[tree.culture, tree.voirie])
        MandateFactory(agent=field_agent, units=[tree.voirie, tree.proprete, tree.culture])
    # auth and actor (7), the agent, its unit, its ancestors, its site,
    # roles (+units), mandates (+units), the adoption stage
    with django_assert_num_queries(16):
        html = _page(comms_client, reverse("agent-detail", args=[field_agent.pk]))
    assert html.count('class="card-item"') == 2 * roles


@pytest.mark.parametrize(
    ("viewer", "target", "status"),
    [
        ("manager", "field_agent", 200),
        ("manager", "agent", 404),
        ("ambassador", "field_agent", 200),
        ("ambassador", "agent", 404),
        ("agent", "agent", 200),
        ("agent", "field_agent", 404),
        ("comms", "agent", 200),
    ],
)
def test_agent_page_is_404_beyond_the_viewers_reach(request, viewer, target, status):
    viewer_agent = request.getfixturevalue(viewer)
    target_agent = request.getfixturevalue(target)
    response = login(viewer_agent).get(reverse("agent-detail", args=[target_agent.pk]))
    assert response.status_code == status


@pytest.mark.parametrize("url_name", ["unit-detail", "agent-detail"])
def test_pages_of_another_organization_are_404(outsider_client, comms, url_name):
    target = comms.unit_id if url_name == "unit-detail" else comms.pk
    assert outsider_client.get(reverse(url_name, args=[target])).status_code == 404


@pytest.mark.parametrize("people", [1, 20])
def test_home_takes_the_same_queries_whatever_the_number_of_people_listed(
    comms, organization, tree, django_assert_num_queries, people
):
    RoleFactory(agent=comms, kind=Role.Kind.MANAGER, units=[tree.direction])
    MandateFactory(agent=comms, units=[tree.voirie])
    for n in range(people):
        helper = AgentFactory(organization=organization, unit=tree.voirie, last_name=f"Aide{n}")
        MandateFactory(agent=helper, units=[tree.culture])
        RoleFactory(agent=helper, kind=Role.Kind.RESOURCE_PERSON, units=[tree.culture])
    client = login(comms)
    # auth and actor (8), programme overview (4), tree (2), me, ambassadors, resource
    # persons (Culture is a root: no ancestor to load), coaching sessions to confirm (mine,
    # my teams')
    with django_assert_num_queries(19):
        html = _page(client, reverse("home"))
    assert html.count("Aide") == 2 * people


def test_agent_home_leaves_out_ambassadors_whose_running_mandate_is_elsewhere(
    agent, organization, tree
):
    other = AgentFactory(organization=organization, unit=tree.culture, last_name="Ailleurs")
    MandateFactory(agent=other, units=[tree.culture])  # active, elsewhere
    MandateFactory(  # covers the agent's unit, but ended
        agent=other,
        units=[tree.espaces_verts],
        start_date=date(2020, 1, 1),
        end_date=date(2020, 12, 31),
    )
    html = _page(login(agent), reverse("home"))
    assert "Ailleurs" not in html
    assert "Aucun ambassadeur ne couvre encore votre service." in html
