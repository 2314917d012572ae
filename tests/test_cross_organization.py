"""Organization B never reaches organization A's data, through any URL of the project.

The URLs are not listed by hand: they are walked from the resolver, so a new page or
endpoint is covered the day it is added. A URL whose parameters this file cannot fill
(a new kwarg name) fails ``test_every_url_parameter_names_an_object_of_organization_a``
until it is added to ``OBJECT_FOR_URL`` or ``OBJECT_FOR_KWARG`` below.

Organization A holds objects whose names appear nowhere else (the ``MARKERS``); the cast
of organization B is ``outsider`` (comms there, signed in with a session) and a token of B
with every scope. For every URL with object parameters, B gets 404 whatever the method;
for every URL without, A's markers never appear in B's responses, even when B passes A's
ids as query parameters. Controls check that A itself does reach the same URLs, so the
refusals come from the scoping and not from a broken URL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.resolvers import RegexPattern, RoutePattern

from ambassadors.models import Agent, DirectoryImport, Organization, OrgUnit, Role, Site
from api.models import ApiToken, Scope
from api.services import api_token_create
from tests.factories import AgentFactory, MandateFactory, OrgUnitFactory, RoleFactory, SiteFactory

PROJECT_APPS = ("ambassadors", "badges", "api")
# Not tenant data: Django's admin (staff only, its own permission system), language
# switching, static and media files, and the API's schema and docs (the same for everyone).
SKIPPED_PREFIXES = ("admin/", "i18n/", "static/", "media/", "api/v1/schema/", "api/v1/docs/")
METHODS = ("get", "post", "put", "patch", "delete")

MARKERS = {
    "agent_hr_id": "ZQX-A-0001",
    "agent_last_name": "Quixotérie",
    "unit_name": "Zygomorphe Service A",
    "unit_code": "ZYGO-A",
    "site_name": "Xylophage Dépôt A",
    "import_filename": "annuaire-secret-ville-a.csv",
    "token_name": "Intranet secret A",
}


@dataclass
class OrganizationA:
    organization: Organization
    unit: OrgUnit
    child_unit: OrgUnit
    site: Site
    agent: Agent
    role: Role
    mandate: Any
    directory_import: DirectoryImport
    token: ApiToken
    raw_token: str


Resolve = Callable[[OrganizationA], Any]

# (URL name, kwarg) → the value to put in the URL: for names like ``pk`` that mean
# different objects on different URLs.
OBJECT_FOR_URL: dict[tuple[str, str], Resolve] = {
    ("agent-detail", "pk"): lambda a: a.agent.pk,
    ("unit-detail", "pk"): lambda a: a.unit.pk,
    ("coaching-confirm-link", "token"): lambda a: _coaching_token_of(a),
}


def _event_of(a: OrganizationA) -> Any:
    from django.utils import timezone

    from ambassadors.models import Event

    event, _created = Event.objects.get_or_create(
        organization=a.organization,
        title="Démo A",
        defaults={"starts_at": timezone.now(), "ends_at": timezone.now(), "unit": a.unit},
    )
    return event


def _coaching_session_of(a: OrganizationA) -> Any:
    """A session of organization A coaching A's marked agent (created once per test)."""
    from datetime import timedelta

    from django.utils import timezone

    from ambassadors.models import CoachingSession
    from ambassadors.services.coaching import SessionData, coaching_session_create

    session = CoachingSession.objects.for_org(a.organization).first()
    if session is None:
        coach = AgentFactory(organization=a.organization, unit=a.unit)
        MandateFactory(agent=coach, units=[a.unit])
        session = coaching_session_create(
            organization=a.organization,
            data=SessionData(
                coach=coach,
                agents=[a.agent],
                occurred_at=timezone.now() - timedelta(hours=1),
                notes=MARKERS["agent_last_name"],
            ),
            actor=None,
        )
    return session


def _coaching_token_of(a: OrganizationA) -> str:
    from ambassadors.services.coaching import coaching_confirmation_token

    return coaching_confirmation_token(_coaching_session_of(a).participants.get())


def _badge_of(a: OrganizationA) -> Any:
    """A badge of organization A whose code organization B does not have."""
    from badges.models import Badge, BadgeStatus

    badge, _created = Badge.objects.get_or_create(
        organization=a.organization,
        code="badge-a-seulement",
        defaults={
            "name_fr": "Badge A",
            "category": "publishing",
            "kind": "activity_count",
            "params": {"verbs": ["news_published"]},
            "tiers": [{"tier": "bronze", "threshold": 1, "points": 5}],
            "status": BadgeStatus.ACTIVE,
        },
    )
    return badge


def _contest_of(a: OrganizationA) -> Any:
    from badges.models import AwardLog

    log, _created = AwardLog.objects.get_or_create(
        organization=a.organization,
        kind=AwardLog.Kind.CONTESTED,
        agent=a.agent,
        badge=_badge_of(a),
        defaults={"comment": "Il me manque ce badge.", "status": AwardLog.Status.OPEN},
    )
    return log


# kwarg → value, for names that mean the same object on every URL.
OBJECT_FOR_KWARG: dict[str, Resolve] = {
    "session_id": lambda a: _coaching_session_of(a).pk,
    "event_id": lambda a: _event_of(a).pk,
    "agent_id": lambda a: a.agent.pk,
    "unit_id": lambda a: a.unit.pk,
    "site_id": lambda a: a.site.pk,
    "import_id": lambda a: a.directory_import.pk,
    "directory_import_id": lambda a: a.directory_import.pk,
    "role_id": lambda a: a.role.pk,
    "mandate_id": lambda a: a.mandate.pk,
    "token_id": lambda a: a.token.pk,
    "organization_slug": lambda a: a.organization.slug,
    "code": lambda a: _badge_of(a).code,
    "tier": lambda a: "bronze",
    "contest_id": lambda a: _contest_of(a).pk,
}
# Query parameters through which a list might be pointed at one object.
QUERY_PARAMS: dict[str, Resolve] = {
    "unit": lambda a: a.unit.pk,
    "unit_id": lambda a: a.unit.pk,
    "agent": lambda a: a.agent.pk,
    "agent_id": lambda a: a.agent.pk,
    "site": lambda a: a.site.pk,
    "site_id": lambda a: a.site.pk,
    "import": lambda a: a.directory_import.pk,
    "search": lambda a: MARKERS["agent_hr_id"],
    "q": lambda a: MARKERS["agent_last_name"],
}


@dataclass(frozen=True)
class Route:
    name: str
    pattern: str
    kwargs: tuple[str, ...]
    callback: Any

    @property
    def is_api(self) -> bool:
        return self.view_class is not None and hasattr(self.view_class, "authentication_classes")

    @property
    def view_class(self) -> Any:
        return getattr(self.callback, "view_class", None) or getattr(self.callback, "cls", None)

    def allows(self, method: str) -> bool | None:
        """Whether the view handles ``method``; None for a function view (unknown)."""
        if self.view_class is None:
            return None
        return hasattr(self.view_class, method)

    def values(self, a: OrganizationA) -> dict[str, Any]:
        return {kwarg: resolver_for(self, kwarg)(a) for kwarg in self.kwargs}  # type: ignore[misc]

    def url(self, a: OrganizationA) -> str:
        return reverse(self.name, kwargs=self.values(a))


def _pattern_kwargs(pattern: Any) -> list[str]:
    if isinstance(pattern, RoutePattern):
        return list(pattern.converters)
    if isinstance(pattern, RegexPattern):
        return list(pattern.regex.groupindex)
    return []


def _module(callback: Any) -> str:
    view = getattr(callback, "view_class", None) or getattr(callback, "cls", None) or callback
    return getattr(view, "__module__", "") or ""


def walk(
    resolver: URLResolver, prefix: str = "", namespace: str = "", kwargs: tuple[str, ...] = ()
) -> Iterator[Route]:
    for entry in resolver.url_patterns:
        pattern = prefix + str(entry.pattern)
        names = (*kwargs, *_pattern_kwargs(entry.pattern))
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}{entry.namespace}:"
            yield from walk(entry, pattern, inner, names)
        elif isinstance(entry, URLPattern):
            yield Route(
                name=f"{namespace}{entry.name}" if entry.name else "",
                pattern=pattern.lstrip("^"),
                kwargs=names,
                callback=entry.callback,
            )


def project_routes() -> list[Route]:
    return [
        route
        for route in walk(get_resolver())
        if not route.pattern.startswith(SKIPPED_PREFIXES)
        and _module(route.callback).split(".")[0] in PROJECT_APPS
    ]


def resolver_for(route: Route, kwarg: str) -> Resolve | None:
    return OBJECT_FOR_URL.get((route.name, kwarg)) or OBJECT_FOR_KWARG.get(kwarg)


ROUTES = project_routes()
OBJECT_ROUTES = [route for route in ROUTES if route.kwargs]
LIST_ROUTES = [route for route in ROUTES if not route.kwargs]


def _ids(routes: list[Route]) -> list[str]:
    return [route.name or route.pattern for route in routes]


def _require_mapped(route: Route) -> None:
    unmapped = [kwarg for kwarg in route.kwargs if resolver_for(route, kwarg) is None]
    if unmapped:
        pytest.fail(
            f"URL {route.pattern!r} (name {route.name!r}) takes {unmapped}, which "
            "tests/test_cross_organization.py cannot fill: add the kwarg to OBJECT_FOR_KWARG, "
            "or (url name, kwarg) to OBJECT_FOR_URL, pointing at an object of organization A."
        )


@pytest.fixture
def org_a(organization, comms) -> OrganizationA:
    unit = OrgUnitFactory(
        organization=organization, code=MARKERS["unit_code"], name=MARKERS["unit_name"]
    )
    child_unit = OrgUnitFactory(organization=organization, parent=unit, name="Sous-service A")
    site = SiteFactory(organization=organization, name=MARKERS["site_name"])
    agent = AgentFactory(
        organization=organization,
        unit=child_unit,
        site=site,
        hr_id=MARKERS["agent_hr_id"],
        last_name=MARKERS["agent_last_name"],
    )
    role = RoleFactory(agent=agent, kind=Role.Kind.RESOURCE_PERSON, units=[unit], site=site)
    mandate = MandateFactory(agent=agent, units=[unit])
    directory_import = DirectoryImport.objects.create(
        organization=organization,
        filename=MARKERS["import_filename"],
        status=DirectoryImport.Status.DONE,
        errors=[{"line": 2, "column": "matricule", "message": MARKERS["agent_hr_id"]}],
    )
    created = api_token_create(
        organization=organization, name=MARKERS["token_name"], scopes=Scope.values
    )
    return OrganizationA(
        organization=organization,
        unit=unit,
        child_unit=child_unit,
        site=site,
        agent=agent,
        role=role,
        mandate=mandate,
        directory_import=directory_import,
        token=created.token,
        raw_token=created.raw,
    )


@pytest.fixture
def b_token_client(other_organization, outsider) -> Client:
    raw = api_token_create(organization=other_organization, name="b", scopes=Scope.values).raw
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


@pytest.fixture
def a_token_client(org_a) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {org_a.raw_token}")


def _send(client: Client, method: str, url: str) -> Any:
    return client.generic(method.upper(), url, data="{}", content_type="application/json")


def _leaks(response: Any, params: dict[str, Any] | None = None) -> list[str]:
    """A's markers in a response, except those B typed itself (a search box echoes them)."""
    content = response.content.decode(errors="replace")
    typed = {str(value) for value in (params or {}).values()}
    return [key for key, marker in MARKERS.items() if marker in content and marker not in typed]


def test_the_walk_finds_the_projects_pages_and_endpoints():
    names = {route.name for route in ROUTES}
    # A walk that found nothing would make every test below pass vacuously.
    assert {"api-agents", "api-agent", "api-units", "api-unit"} <= names
    assert all(not route.pattern.startswith(SKIPPED_PREFIXES) for route in ROUTES)
    assert OBJECT_ROUTES
    assert LIST_ROUTES


def test_every_project_url_is_named():
    unnamed = [route.pattern for route in ROUTES if not route.name]
    assert not unnamed, (
        f"Name these URLs so that the cross-organization test can build them: {unnamed}"
    )


def test_every_url_parameter_names_an_object_of_organization_a():
    unmapped = [
        (route.name, route.pattern, kwarg)
        for route in OBJECT_ROUTES
        for kwarg in route.kwargs
        if resolver_for(route, kwarg) is None
    ]
    assert not unmapped, (
        "These URL parameters have no object of organization A in "
        "tests/test_cross_organization.py (add them to OBJECT_FOR_KWARG, or to OBJECT_FOR_URL "
        f"keyed by (url name, kwarg)): {unmapped}"
    )


@pytest.mark.parametrize("route", OBJECT_ROUTES, ids=_ids(OBJECT_ROUTES))
def test_a_person_of_another_organization_gets_404_on_every_method(
    route, org_a, comms_client, outsider_client
):
    _require_mapped(route)
    url = route.url(org_a)
    if route.allows("get") is not False:
        control = comms_client.get(url)
        assert control.status_code == 200, f"A's comms cannot GET {url} ({control.status_code})"
    for method in METHODS:
        response = _send(outsider_client, method, url)
        allowed = route.allows(method)
        expected = {404} if allowed or (allowed is None and method == "get") else {404, 405}
        assert response.status_code in expected, (
            f"{method.upper()} {url} as a person of organization B: {response.status_code}, "
            f"expected {sorted(expected)}"
        )
        assert not _leaks(response), f"{method.upper()} {url} shows A's {_leaks(response)}"
        if route.is_api and response.status_code == 404:
            assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("route", OBJECT_ROUTES, ids=_ids(OBJECT_ROUTES))
def test_a_token_of_another_organization_gets_404_on_every_method(
    route, org_a, a_token_client, b_token_client
):
    _require_mapped(route)
    url = route.url(org_a)
    if not route.is_api:
        # Pages take no token: B's token is an anonymous visitor there, sent to the login.
        response = b_token_client.get(url)
        assert response.status_code in (302, 404), f"GET {url} with B's token: {response}"
        assert not _leaks(response)
        return
    if route.allows("get"):
        control = a_token_client.get(url)
        assert control.status_code == 200, f"A's token cannot GET {url} ({control.status_code})"
    for method in METHODS:
        response = _send(b_token_client, method, url)
        expected = {404} if route.allows(method) else {405}
        assert response.status_code in expected, (
            f"{method.upper()} {url} with a token of organization B holding every scope: "
            f"{response.status_code}, expected {sorted(expected)}"
        )
        assert not _leaks(response), f"{method.upper()} {url} shows A's {_leaks(response)}"
        if response.status_code == 404:
            assert response.json()["code"] == "not_found"


def _list_requests(a: OrganizationA) -> list[dict[str, Any]]:
    return [{}] + [{param: value(a)} for param, value in QUERY_PARAMS.items()]


@pytest.mark.parametrize("route", LIST_ROUTES, ids=_ids(LIST_ROUTES))
def test_lists_never_show_another_organizations_objects(
    route, org_a, outsider_client, b_token_client
):
    url = reverse(route.name)
    clients = {"B's comms": outsider_client}
    if route.is_api:
        clients["B's token"] = b_token_client
    for who, client in clients.items():
        for params in _list_requests(org_a):
            response = client.get(url, params)
            assert response.status_code < 500, f"GET {url} {params} as {who}: server error"
            leaks = _leaks(response, params)
            assert not leaks, f"GET {url} {params} as {who} shows organization A's {leaks}"


# What organization A itself sees in its lists: the control that makes the list test above
# able to fail (a marker nobody can see proves nothing). Lists absent from the URLconf are
# skipped; lists not named here are still checked above, without a control.
VISIBLE_TO_A = {
    "api-agents": {"agent_hr_id", "agent_last_name", "site_name"},
    "api-units": {"unit_name", "unit_code"},
    "api-directory-imports": {"import_filename"},
    "org-chart": {"unit_name"},
}


def test_organization_a_sees_its_markers_in_its_own_lists(org_a, comms_client, a_token_client):
    routes = {route.name: route for route in LIST_ROUTES}
    assert {"api-agents", "api-units"} <= set(routes)
    for name, expected in VISIBLE_TO_A.items():
        if name not in routes:
            continue
        url = reverse(name)
        client = a_token_client if routes[name].is_api else comms_client
        response = client.get(url, {"page_size": 500} if routes[name].is_api else {})
        assert response.status_code == 200, f"GET {url} as organization A: {response}"
        missing = expected - set(_leaks(response))
        assert not missing, f"GET {url} as organization A does not show {missing}"


def test_a_unit_of_another_organization_in_a_query_is_an_error_not_its_agents(
    org_a, outsider_client, b_token_client
):
    for client in (outsider_client, b_token_client):
        response = client.get("/api/v1/agents", {"unit": org_a.unit.pk})
        assert response.status_code == 400
        assert response.json()["code"] == "invalid"
        assert "unit" in response.json()["errors"]
        assert not _leaks(response)


def test_a_token_of_organization_a_works_only_in_organization_a(org_a, outsider, b_token_client):
    a_client = Client(HTTP_AUTHORIZATION=f"Bearer {org_a.raw_token}")
    assert a_client.get(f"/api/v1/agents/{org_a.agent.pk}").status_code == 200
    assert a_client.get(f"/api/v1/agents/{outsider.pk}").status_code == 404
    assert b_token_client.get(f"/api/v1/agents/{outsider.pk}").status_code == 200
