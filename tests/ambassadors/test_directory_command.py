"""``manage.py import_directory``: counts, errors by line and column, exit status, progress."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from ambassadors.models import Agent
from ambassadors.services import directory

from .test_directory_readers import csv_bytes

ROWS = [
    ["A001", "Lefèvre-Noël", "Hélène", "", "Culture > Musée", "", ""],
    ["A002", "Œuvray", "Françoise", "", "", "Piscine", ""],
]


pytestmark = pytest.mark.usefixtures("english_organization")


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_directory", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_prints_the_counts_and_each_rejected_row_and_succeeds(tmp_path, organization):
    path = tmp_path / "annuaire.csv"
    path.write_bytes(csv_bytes(ROWS, encoding="cp1252"))
    out, _err = run(str(path), "--organization", "ville-a")
    assert "1 created" in out and "1 rejected" in out
    assert "line 3, column “site”: Unknown site “Piscine”" in out
    assert Agent.objects.for_org(organization).get().last_name == "Lefèvre-Noël"


def test_a_file_that_is_not_a_table_fails_with_a_non_zero_exit(tmp_path, organization):
    path = tmp_path / "photo.csv"
    path.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00")
    with pytest.raises(CommandError) as error:
        run(str(path), "--organization", "ville-a")
    assert "not_a_table" in str(error.value)
    assert not Agent.objects.exists()


def test_an_unknown_organization_fails(tmp_path, organization):
    path = tmp_path / "annuaire.csv"
    path.write_bytes(csv_bytes(ROWS))
    with pytest.raises(CommandError, match="nowhere"):
        run(str(path), "--organization", "nowhere")


def test_dry_run_says_so_and_writes_nothing(tmp_path, organization):
    path = tmp_path / "annuaire.csv"
    path.write_bytes(csv_bytes(ROWS))
    out, _err = run(str(path), "--organization", "ville-a", "--dry-run")
    assert "Dry run" in out and "1 created" in out
    assert not Agent.objects.exists()


def test_without_a_terminal_progress_is_printed_as_lines(tmp_path, organization, monkeypatch):
    monkeypatch.setattr(directory, "PROGRESS_EVERY", 10)
    rows = [[f"A{i:03d}", "Martin", "Paul", "", "", "", ""] for i in range(35)]
    path = tmp_path / "annuaire.csv"
    path.write_bytes(csv_bytes(rows))
    _out, err = run(str(path), "--organization", "ville-a", "--full")
    assert err.count("35 / 35 rows read") == 1
    assert "\r" not in err
