"""The staff directory import service: upserts, row errors, the unit tree, --full, dry runs."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.db import connection
from django.utils import timezone

from ambassadors.errors import DomainError
from ambassadors.models import Agent, DirectoryImport, OrgUnit
from ambassadors.services.directory import directory_import
from tests.factories import AgentFactory, SiteFactory

from .test_directory_readers import csv_bytes, xlsx_bytes

FULL_HEADER = [
    "Matricule",
    "Nom",
    "Prénom",
    "E-mail",
    "Service",
    "Site",
    "Fonction",
    "Date d'arrivée",
    "date_depart",
    "poste_informatique",
    "compte_intranet",
]
PATH = "Direction des services techniques > Voirie > Propreté"


pytestmark = pytest.mark.usefixtures("in_english")


def row(hr_id: str, **overrides: str) -> list[str]:
    values = {
        "last_name": "Lefèvre-Noël",
        "first_name": "Hélène",
        "email": "",
        "unit": "",
        "site": "",
        "job_title": "",
        "arrival": "",
        "departure": "",
        "workstation": "",
        "account": "",
    }
    values.update(overrides)
    return [hr_id, *values.values()]


def run(organization, rows, *, header=FULL_HEADER, encoding="utf-8", delimiter=";", **kwargs):
    data = csv_bytes(rows, header, encoding=encoding, delimiter=delimiter)
    return directory_import(
        organization=organization, source=io.BytesIO(data), filename="annuaire.csv", **kwargs
    )


def errors_of(result) -> list[tuple[int, str]]:
    return [(error["line"], error["column"]) for error in result.errors]


def test_it_creates_agents_with_every_documented_column(organization, site):
    result = run(
        organization,
        [
            row(
                "A001",
                email="helene.lefevre@ville-a.fr",
                unit=PATH,
                site="ctm",
                job_title="Agente de propreté",
                arrival="01/03/2021",
                departure="2030-12-31",
                workstation="non",
                account="Oui",
            )
        ],
    )
    assert (result.created, result.updated, result.unchanged, result.rejected) == (1, 0, 0, 0)
    agent = Agent.objects.for_org(organization).select_related("unit").get(hr_id="A001")
    assert (agent.last_name, agent.first_name) == ("Lefèvre-Noël", "Hélène")
    assert agent.email == "helene.lefevre@ville-a.fr"
    assert agent.unit is not None and agent.unit.name == "Propreté"
    assert agent.site == site
    assert agent.job_title == "Agente de propreté"
    assert agent.arrival_date == dt.date(2021, 3, 1)
    assert agent.departure_date == dt.date(2030, 12, 31)
    assert (agent.has_workstation, agent.has_account) == (False, True)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
@pytest.mark.parametrize("delimiter", [";", ","])
def test_accented_names_survive_every_encoding(organization, encoding, delimiter):
    rows = [row("A001"), row("A002", last_name="Œuvray", first_name="Françoise")]
    run(organization, rows, encoding=encoding, delimiter=delimiter)
    names = set(Agent.objects.for_org(organization).values_list("first_name", "last_name"))
    assert names == {("Hélène", "Lefèvre-Noël"), ("Françoise", "Œuvray")}


def test_it_imports_an_xlsx_workbook(organization, site):
    data = xlsx_bytes(
        [[1001, "Œuvray", "Françoise", None, PATH, "CTM", None, dt.datetime(2020, 9, 1)]],
        header=FULL_HEADER[:8],
    )
    result = directory_import(
        organization=organization, source=io.BytesIO(data), filename="annuaire.xlsx"
    )
    assert result.created == 1
    agent = Agent.objects.for_org(organization).get(hr_id="1001")
    assert agent.last_name == "Œuvray"
    assert agent.arrival_date == dt.date(2020, 9, 1)


def test_it_builds_the_unit_tree_from_paths_and_reuses_existing_units(organization, tree):
    run(
        organization,
        [
            row("A1", unit="Services techniques > Voirie > Propreté"),
            row("A2", unit="services techniques > VOIRIE > Nettoiement"),
            row("A3", unit="Direction générale > Ressources humaines"),
        ],
    )
    a1, a2, a3 = (
        Agent.objects.for_org(organization).select_related("unit").get(hr_id=hr_id)
        for hr_id in ("A1", "A2", "A3")
    )
    assert a1.unit == tree.proprete
    assert a2.unit is not None and a2.unit.parent == tree.voirie
    assert a2.unit.path == f"{tree.voirie.path}{a2.unit.pk}/"
    assert a2.unit.depth == 2
    assert a3.unit is not None and a3.unit.parent is not None
    assert a3.unit.parent.name == "Direction générale" and a3.unit.parent.parent is None
    assert a3.unit.parent.path == f"/{a3.unit.parent.pk}/"
    codes = list(OrgUnit.objects.for_org(organization).values_list("code", flat=True))
    assert len(codes) == len(set(codes)) == 5 + 3


def test_new_unit_codes_stay_unique_when_names_repeat(organization):
    run(organization, [row("A1", unit="Culture > Accueil"), row("A2", unit="Sports > Accueil")])
    accueils = OrgUnit.objects.for_org(organization).filter(name="Accueil")
    assert sorted(accueils.values_list("code", flat=True)) == ["ACCUEIL", "ACCUEIL-2"]


def test_it_counts_created_updated_and_unchanged_on_reimport(organization):
    rows = [row(f"A{i}") for i in range(5)]
    assert run(organization, rows).created == 5
    rows[1] = row("A1", job_title="Jardinier")
    rows[3] = row("A3", last_name="Noël")
    result = run(organization, [*rows, row("A9")])
    assert (result.created, result.updated, result.unchanged) == (1, 2, 3)
    assert Agent.objects.for_org(organization).get(hr_id="A1").job_title == "Jardinier"
    assert Agent.objects.for_org(organization).count() == 6


def test_blank_booleans_keep_the_stored_value_and_default_to_true(organization):
    AgentFactory(organization=organization, hr_id="A1", has_workstation=False, has_account=False)
    run(organization, [row("A1"), row("A2")])
    flags = dict(
        (hr_id, (ws, acc))
        for hr_id, ws, acc in Agent.objects.for_org(organization).values_list(
            "hr_id", "has_workstation", "has_account"
        )
    )
    assert flags == {"A1": (False, False), "A2": (True, True)}


def test_columns_absent_from_the_file_are_left_alone(organization, tree):
    AgentFactory(organization=organization, hr_id="A1", unit=tree.voirie, job_title="Chef")
    result = run(organization, [["A1", "Martin", "Paul"]], header=["matricule", "nom", "prenom"])
    assert result.updated == 1
    agent = Agent.objects.for_org(organization).get(hr_id="A1")
    assert (agent.unit_id, agent.job_title, agent.last_name) == (tree.voirie.pk, "Chef", "Martin")


@pytest.mark.parametrize(
    ("bad_row", "column", "fragment"),
    [
        (row(""), "Matricule", "HR id is missing"),
        (row("A9", site="Piscine"), "Site", "Unknown site “Piscine”"),
        (row("A9", arrival="2021/03/01"), "Date d'arrivée", "is not a date"),
        (row("A9", departure="31-12-2024"), "date_depart", "is not a date"),
        (row("A9", arrival="31/02/2024"), "Date d'arrivée", "is not a date"),
        (row("A9", workstation="peut-être"), "poste_informatique", "is not yes or no"),
        (row("A9", account="2"), "compte_intranet", "is not yes or no"),
        (row("A9", email="helene@"), "E-mail", "not a valid e-mail"),
        (row("A9", last_name=""), "Nom", "must not be empty"),
        (row("A9", unit="Culture >  > Musée"), "Service", "level of the service path is empty"),
    ],
    ids=[
        "missing-hr-id",
        "unknown-site",
        "bad-arrival",
        "bad-departure",
        "impossible-date",
        "bad-workstation",
        "bad-account",
        "bad-email",
        "empty-name",
        "empty-unit-level",
    ],
)
def test_it_reports_a_bad_row_with_line_and_column_and_imports_the_others(
    organization, site, bad_row, column, fragment
):
    result = run(organization, [row("A1"), bad_row, row("A2")])
    assert (result.created, result.rejected) == (2, 1)
    assert errors_of(result) == [(3, column)]
    assert fragment in result.errors[0]["message"]
    assert set(Agent.objects.for_org(organization).values_list("hr_id", flat=True)) == {"A1", "A2"}


def test_a_row_rejected_for_its_site_creates_no_unit(organization):
    result = run(organization, [row("A1", unit="Culture > Musée", site="Nulle part")])
    assert result.rejected == 1
    assert result.units_created == 0
    assert not OrgUnit.objects.for_org(organization).exists()


def test_it_reports_every_error_of_a_row(organization):
    result = run(organization, [row("A1", site="Nulle part", arrival="hier", account="?")])
    assert result.rejected == 1
    assert errors_of(result) == [(2, "Site"), (2, "Date d'arrivée"), (2, "compte_intranet")]


def test_a_duplicate_hr_id_is_reported_on_the_second_occurrence_with_the_first_line(organization):
    result = run(organization, [row("A1"), row("A2"), row("A1", first_name="Autre")])
    assert (result.created, result.rejected) == (2, 1)
    assert errors_of(result) == [(4, "Matricule")]
    assert "line 2" in result.errors[0]["message"]
    assert Agent.objects.for_org(organization).get(hr_id="A1").first_name == "Hélène"


def test_sites_are_matched_by_code_or_name_without_case(organization):
    depot = SiteFactory(organization=organization, code="DEP", name="Dépôt Nord")
    result = run(organization, [row("A1", site="dep"), row("A2", site="DÉPÔT NORD")])
    assert result.created == 2
    assert set(Agent.objects.for_org(organization).values_list("site_id", flat=True)) == {depot.pk}


def test_full_import_marks_missing_agents_departed_and_never_deletes(organization):
    gone = AgentFactory(organization=organization, hr_id="OLD")
    already = AgentFactory(
        organization=organization, hr_id="LEFT", departure_date=dt.date(2020, 1, 1)
    )
    stays = AgentFactory(organization=organization, hr_id="A1")
    result = run(organization, [row("A1"), row("A2", site="inconnu")], full=True)
    assert result.departed == 1
    gone.refresh_from_db()
    already.refresh_from_db()
    stays.refresh_from_db()
    assert gone.departure_date == timezone.localdate()
    assert already.departure_date == dt.date(2020, 1, 1)
    assert stays.departure_date is None
    assert Agent.objects.for_org(organization).count() == 3


def test_full_import_does_not_depart_an_agent_whose_row_was_rejected(organization):
    AgentFactory(organization=organization, hr_id="A1")
    AgentFactory(organization=organization, hr_id="A2")
    result = run(organization, [row("A1"), row("A2", arrival="demain")], full=True)
    assert (result.departed, result.rejected) == (0, 1)
    assert not Agent.objects.for_org(organization).filter(departure_date__isnull=False).exists()


def test_full_import_of_a_file_with_only_errors_departs_nobody(organization):
    AgentFactory.create_batch(3, organization=organization)
    result = run(organization, [row("", last_name="X"), row("B1", site="?")], full=True)
    assert (result.departed, result.rejected) == (0, 2)
    assert "nobody was marked as departed" in result.notes[0]
    assert not Agent.objects.for_org(organization).filter(departure_date__isnull=False).exists()


def test_full_import_never_touches_another_organization(organization, other_organization):
    outsider = AgentFactory(organization=other_organization, hr_id="A1")
    run(organization, [row("A1", first_name="Nouvelle")], full=True)
    outsider.refresh_from_db()
    assert outsider.departure_date is None
    assert outsider.first_name != "Nouvelle"
    assert Agent.objects.for_org(organization).get(hr_id="A1").first_name == "Nouvelle"


def test_a_dry_run_reports_the_same_and_writes_nothing(organization, tree):
    AgentFactory(organization=organization, hr_id="A1", job_title="Avant")
    AgentFactory(organization=organization, hr_id="OLD")
    rows = [row("A1", job_title="Après", unit="Culture > Musée"), row("A2"), row("A3", site="?")]
    before = list(Agent.objects.for_org(organization).order_by("pk").values())
    units_before = OrgUnit.objects.for_org(organization).count()
    dry = run(organization, rows, full=True, dry_run=True)
    assert list(Agent.objects.for_org(organization).order_by("pk").values()) == before
    assert OrgUnit.objects.for_org(organization).count() == units_before
    real = run(organization, rows, full=True)
    summary = ("created", "updated", "unchanged", "departed", "rejected", "units_created")
    assert [getattr(dry, name) for name in summary] == [getattr(real, name) for name in summary]
    assert (real.created, real.updated, real.departed, real.units_created) == (1, 1, 1, 1)
    assert dry.errors == real.errors


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "not_a_table"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "not_a_table"),
        (b"Name,Salary\r\nBob,12\r\n", "not_a_table"),
        (b"matricule;service\r\nA1;Culture\r\n", "missing_columns"),
    ],
    ids=["empty", "image", "no-hr-id-column", "no-name-columns"],
)
def test_a_file_that_is_not_a_directory_gets_one_error_and_changes_nothing(
    organization, data, code
):
    AgentFactory(organization=organization, hr_id="A1")
    record = DirectoryImport.objects.create(organization=organization, full=True)
    with pytest.raises(DomainError) as error:
        directory_import(
            organization=organization, source=io.BytesIO(data), full=True, record=record
        )
    assert error.value.code == code
    assert Agent.objects.for_org(organization).get().departure_date is None
    record.refresh_from_db()
    assert record.status == DirectoryImport.Status.FAILED
    assert record.message == error.value.message


def test_the_record_gets_the_counts_and_the_errors(organization):
    record = DirectoryImport.objects.create(organization=organization)
    seen: list[tuple[int, int]] = []
    run(
        organization,
        [row("A1"), row("A2", site="?")],
        record=record,
        progress=lambda *a: seen.append(a),
    )
    record.refresh_from_db()
    assert record.status == DirectoryImport.Status.DONE
    assert (record.total_rows, record.processed_rows, record.created, record.rejected) == (
        2,
        2,
        1,
        1,
    )
    assert record.errors == [{"line": 3, "column": "Site", "message": record.errors[0]["message"]}]
    assert record.finished_at is not None
    assert seen[-1] == (2, 2)


@pytest.mark.parametrize("n", [1, 20])
def test_query_count_does_not_grow_with_rows(organization, site, django_assert_num_queries, n):
    existing = [AgentFactory(organization=organization, hr_id=f"E{i}") for i in range(n)]
    rows = [row(f"N{i}", unit=PATH, site="CTM") for i in range(n)]
    rows += [row(agent.hr_id, job_title="Nouveau") for agent in existing]
    # 3 reads (sites, units, agents); units: 3 levels × (insert + path update); agents:
    # 1 insert + 1 update (PostgreSQL: COPY, and temporary table, COPY, UPDATE, DROP);
    # the savepoint pair of the write transaction.
    with django_assert_num_queries(13 if connection.vendor == "sqlite" else 16):
        result = run(organization, rows)
    assert (result.created, result.updated, result.units_created) == (n, n, 3)
