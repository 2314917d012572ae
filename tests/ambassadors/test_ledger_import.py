"""``manage.py import_activities``: CSV backfill with a per-line report."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from ambassadors.models import Activity, ActivitySource

HEADER = "external_id;verb;agent;agent_email;occurred_at;object_type;object_title;object_url\n"


pytestmark = pytest.mark.usefixtures("english_organization")


def write(tmp_path, text: str, encoding: str = "utf-8"):
    path = tmp_path / "historique.csv"
    path.write_bytes(text.encode(encoding))
    return path


def run(path, *args, organization="ville-a"):
    out, err = StringIO(), StringIO()
    call_command(
        "import_activities",
        str(path),
        "--organization",
        organization,
        *args,
        stdout=out,
        stderr=err,
    )
    return out.getvalue(), err.getvalue()


def test_it_imports_a_windows_1252_csv_and_reports_rejected_lines(tmp_path, organization, agent):
    path = write(
        tmp_path,
        HEADER
        + f"h-1;news_published;{agent.hr_id};;2025-05-02T09:00:00+02:00;news;Fête de la musique;"
        "https://intranet.ville-a.fr/fete\n"
        + f"h-2;news_liked;{agent.hr_id};;2025-05-02T09:00:00+02:00;;;\n"
        + "h-3;first_login;NOPE;;2025-05-02T09:00:00+02:00;;;\n"
        + f"h-4;first_login;{agent.hr_id};;2025-05-02;;;\n",
        encoding="cp1252",
    )

    out, err = run(path)

    assert "4 rows: 1 accepted, 0 duplicates (already stored), 3 rejected." in out
    assert "line 3, column “verb”: Unknown verb “news_liked”." in out
    assert "line 4, column “agent”" in out
    assert "line 5, column “occurred_at”" in out
    assert "4 / 4 rows read" in err
    activity = Activity.objects.get()
    assert activity.object_title == "Fête de la musique"
    assert activity.source.code == "csv"


def test_importing_the_same_file_twice_adds_nothing(tmp_path, organization, agent):
    path = write(
        tmp_path,
        HEADER
        + "".join(
            f"h-{n};comment_posted;{agent.hr_id};;2025-05-0{n}T09:00:00Z;;;\n" for n in range(1, 4)
        ),
    )
    run(path)

    out, _err = run(path, "--json")

    report = json.loads(out)
    assert (report["accepted"], report["duplicates"]) == (0, 3)
    assert [r["line"] for r in report["results"]] == [2, 3, 4]
    assert Activity.objects.count() == 3


def test_it_streams_in_chunks_and_keeps_line_numbers(tmp_path, organization, agent, monkeypatch):
    from ambassadors.services import ledger

    calls = []
    real = ledger.activities_ingest

    def spy(**kwargs):
        calls.append(len(kwargs["items"]))
        return real(**kwargs)

    monkeypatch.setattr(ledger, "activities_ingest", spy)
    rows = "".join(f"h-{n};first_login;{agent.hr_id};;2025-05-01T09:00:00Z;;;\n" for n in range(7))
    path = write(tmp_path, HEADER + rows + "bad;first_login;;;2025-05-01T09:00:00Z;;;\n")

    report = ledger.activities_ingest_table(organization=organization, source=path, chunk=3)

    assert calls == [3, 3, 2]
    assert report.accepted == 7
    assert report.results[-1]["line"] == 9
    assert report.results[-1]["errors"].keys() == {"agent"}


def test_a_long_title_is_reported_under_its_column_name(tmp_path, organization, agent):
    path = write(
        tmp_path,
        HEADER + f"h-1;news_published;{agent.hr_id};;2025-05-02T09:00:00Z;news;{'x' * 201};\n",
    )

    out, _err = run(path)

    assert "line 2, column “object_title”" in out


def test_it_uses_the_named_source_even_where_the_organization_signs(tmp_path, organization, agent):
    ActivitySource.objects.create(
        organization=organization, code="intranet", name="Intranet", signing_secret="k"
    )
    path = write(tmp_path, HEADER + f"h-1;first_login;{agent.hr_id};;2025-05-02T09:00:00Z;;;\n")

    run(path, "--source", "ametys-2019")

    assert Activity.objects.get().source.code == "ametys-2019"


def test_missing_columns_stop_the_import_with_a_clear_message(tmp_path, organization):
    path = write(tmp_path, "id;verb;when\n1;first_login;2025-05-02T09:00:00Z\n")

    with pytest.raises(CommandError, match="Missing columns: external_id, occurred_at"):
        run(path)


def test_an_unknown_organization_is_refused(tmp_path, organization):
    path = write(tmp_path, HEADER)

    with pytest.raises(CommandError, match="No organization"):
        run(path, organization="nowhere")
