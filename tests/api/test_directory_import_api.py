"""``/api/v1/directory/imports``: upload inline or queued, poll, list, and who may do it."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ambassadors.models import Agent, DirectoryImport
from api.models import Scope
from tests.ambassadors.test_directory_readers import csv_bytes, xlsx_bytes
from tests.conftest import login
from tests.factories import AgentFactory

from .conftest import bearer_client

URL = "/api/v1/directory/imports"
ROWS = [
    ["A001", "Lefèvre-Noël", "Hélène", "", "Culture > Musée", "", ""],
    ["A002", "Œuvray", "Françoise", "", "Culture > Musée", "Nulle part", ""],
    ["A003", "Martin", "Paul", "", "", "", ""],
]


pytestmark = pytest.mark.usefixtures("in_english")


@pytest.fixture
def writer(organization, make_token):
    return bearer_client(make_token(organization, f"{Scope.READ},{Scope.DIRECTORY_WRITE}"))


def upload(data: bytes, name: str = "annuaire.csv", **fields):
    return {"file": SimpleUploadedFile(name, data), **fields}


def test_a_small_file_is_imported_at_once(writer, organization, site):
    response = writer.post(URL, upload(csv_bytes(ROWS, encoding="cp1252")))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "done"
    assert (body["created"], body["rejected"], body["total_rows"]) == (2, 1, 3)
    assert body["errors"] == [
        {"line": 3, "column": "site", "message": body["errors"][0]["message"]}
    ]
    assert "Nulle part" in body["errors"][0]["message"]
    assert Agent.objects.for_org(organization).get(hr_id="A001").last_name == "Lefèvre-Noël"
    record = DirectoryImport.objects.for_org(organization).get(pk=body["id"])
    assert not record.file  # an inline import keeps no copy of the export


def test_an_xlsx_upload_with_dry_run_writes_nothing(writer, organization):
    data = xlsx_bytes([["A001", "Martin", "Paul", None, None, None, None]])
    response = writer.post(URL, upload(data, "annuaire.xlsx", dry_run="true"))
    assert response.status_code == 201
    assert (response.json()["created"], response.json()["dry_run"]) == (1, True)
    assert not Agent.objects.for_org(organization).exists()


def test_a_large_file_is_queued_then_run_by_the_task(
    writer, organization, settings, django_capture_on_commit_callbacks
):
    settings.DIRECTORY_IMPORT_ASYNC_ROWS = 2
    AgentFactory(organization=organization, hr_id="GONE")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = writer.post(URL, upload(csv_bytes(ROWS), full="true"))
    assert response.status_code == 202
    body = response.json()
    assert (body["status"], body["total_rows"], body["created"]) == ("pending", 3, 0)
    assert not Agent.objects.for_org(organization).filter(hr_id="A001").exists()
    assert len(callbacks) == 1

    callbacks[0]()  # Q_CLUSTER sync=True: the django-q2 task runs here
    polled = writer.get(f"{URL}/{body['id']}").json()
    assert polled["status"] == "done"
    assert (polled["created"], polled["rejected"], polled["departed"]) == (2, 1, 1)
    assert polled["processed_rows"] == 3
    assert polled["errors"][0]["line"] == 3
    record = DirectoryImport.objects.get(pk=body["id"])
    assert not record.file  # the worker deleted the export once read


def test_the_task_does_not_run_a_finished_import_again(writer, organization, settings):
    from ambassadors.tasks import directory_import_task

    settings.DIRECTORY_IMPORT_ASYNC_ROWS = 1
    response = writer.post(URL, upload(csv_bytes(ROWS)))
    import_id = response.json()["id"]
    assert directory_import_task(import_id) == "done"
    Agent.objects.for_org(organization).filter(hr_id="A001").update(first_name="Changé")
    assert directory_import_task(import_id) == "skipped"
    assert Agent.objects.for_org(organization).get(hr_id="A001").first_name == "Changé"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "not_a_table"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not_a_table"),
        (b"Name;Salary\r\nBob;12\r\n", "not_a_table"),
        (b"matricule;site\r\nA1;CTM\r\n", "missing_columns"),
    ],
    ids=["empty", "image", "no-hr-id", "no-names"],
)
def test_a_file_that_is_not_a_table_is_refused_and_leaves_no_record(
    writer, organization, data, code
):
    response = writer.post(URL, upload(data))
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert not DirectoryImport.objects.exists()


def test_a_missing_file_is_a_validation_error(writer):
    response = writer.post(URL, {"full": "true"})
    assert response.status_code == 400
    assert "file" in response.json()["errors"]


def test_a_read_only_token_cannot_import(api_client):
    response = api_client.post(URL, upload(csv_bytes(ROWS)))
    assert response.status_code == 403
    assert not DirectoryImport.objects.exists()


def test_comms_may_import_with_a_session_and_is_recorded_as_author(comms_client, comms):
    response = comms_client.post(URL, upload(csv_bytes(ROWS)))
    assert response.status_code == 201
    assert DirectoryImport.objects.get().created_by == comms.user


@pytest.mark.parametrize("who", ["manager", "ambassador", "agent"])
def test_other_roles_may_not_import(request, who):
    client = login(request.getfixturevalue(who))
    assert client.post(URL, upload(csv_bytes(ROWS))).status_code == 403
    assert client.get(URL).status_code == 403


def test_another_organizations_import_is_not_found(writer, outsider_client, organization):
    import_id = writer.post(URL, upload(csv_bytes(ROWS))).json()["id"]
    assert outsider_client.get(f"{URL}/{import_id}").status_code == 404
    assert outsider_client.get(URL).json()["count"] == 0
    assert writer.get(f"{URL}/{import_id}").status_code == 200


@pytest.mark.parametrize("n", [1, 20])
def test_the_list_is_paginated_in_constant_queries(
    writer, organization, make_token, django_assert_num_queries, n
):
    DirectoryImport.objects.bulk_create(
        DirectoryImport(organization=organization, filename=f"f{i}.csv") for i in range(n)
    )
    reader = bearer_client(make_token(organization, Scope.READ))
    reader.get(URL)  # warm the token's last_used_at write
    with django_assert_num_queries(3):  # token, count, page
        response = reader.get(URL)
    assert response.json()["count"] == n
    assert len(response.json()["results"]) == n
    assert "errors" not in response.json()["results"][0]


def test_the_schema_documents_the_import_endpoints(api_client):
    schema = api_client.get(reverse("api-schema"), {"format": "json"}).json()
    post = schema["paths"]["/api/v1/directory/imports"]["post"]
    assert {"201", "202", "400"} <= set(post["responses"])
    assert "multipart/form-data" in post["requestBody"]["content"]
    assert "get" in schema["paths"]["/api/v1/directory/imports/{import_id}"]
    status = schema["components"]["schemas"]["DirectoryImport"]["properties"]["status"]
    assert status == {"$ref": "#/components/schemas/DirectoryImportStatusEnum"}
