"""The OpenAPI schema is valid and warning-free; its docs page works offline."""

from __future__ import annotations

import re
from io import StringIO

import yaml
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.test import Client


def test_the_schema_is_valid_and_drf_spectacular_has_no_warning(db, tmp_path):
    target = tmp_path / "schema.yaml"
    # --fail-on-warn turns any warning or error of drf-spectacular into a failure.
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(target), stderr=StringIO()
    )
    schema = yaml.safe_load(target.read_text(encoding="utf-8"))
    assert {
        "/api/v1/agents",
        "/api/v1/agents/{agent_id}",
        "/api/v1/units",
        "/api/v1/units/{unit_id}",
    } <= set(schema["paths"])


def test_the_schema_documents_bearer_tokens_errors_and_pagination(db):
    response = Client().get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "rls_... API token",
    }
    agents = schema["paths"]["/api/v1/agents"]["get"]
    assert {p["name"] for p in agents["parameters"]} == {"search", "unit", "page", "page_size"}
    assert set(agents["responses"]) == {"200", "400", "401", "403", "404"}
    error_ref = {"$ref": "#/components/schemas/Error"}
    assert agents["responses"]["404"]["content"]["application/json"]["schema"] == error_ref
    page = schema["components"]["schemas"]["PaginatedAgentList"]
    assert set(page["properties"]) == {"count", "next", "previous", "results"}
    agent = schema["components"]["schemas"]["Agent"]
    assert {
        "id",
        "hr_id",
        "first_name",
        "last_name",
        "unit",
        "site",
        "has_workstation",
        "has_account",
    } <= set(agent["properties"])
    unit = schema["components"]["schemas"]["Unit"]
    assert unit["properties"]["children"]["items"] == {"$ref": "#/components/schemas/Unit"}


def test_the_docs_page_loads_only_local_assets(db):
    response = Client().get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert not re.search(r"https?://", html), "the docs page must not reach the internet"
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(asset.endswith("swagger-ui-bundle.js") for asset in assets)
    for asset in assets:
        assert asset.startswith("/static/"), asset
        assert finders.find(asset.removeprefix("/static/")), f"{asset} is not a local file"
