"""The file readers: encodings, delimiters, XLSX, and files that are not tables at all.

The ``csv_bytes`` / ``xlsx_bytes`` builders are shared with the other directory tests.
"""

from __future__ import annotations

import io

import openpyxl
import pytest

from ambassadors.services.tabular import NotATable, open_table

HEADER = ["matricule", "nom", "prenom", "email", "service", "site", "fonction"]
ACCENTED = [
    ["A001", "Lefèvre-Noël", "Hélène", "", "", "", "Agente d’accueil"],
    ["A002", "Œuvray", "Françoise", "", "", "", "Cheffe de bassin"],
]


pytestmark = pytest.mark.usefixtures("in_english")


def csv_bytes(
    rows: list[list[str]],
    header: list[str] | None = None,
    *,
    delimiter: str = ";",
    encoding: str = "utf-8",
) -> bytes:
    lines = [delimiter.join(header or HEADER)] + [delimiter.join(row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def xlsx_bytes(rows: list[list[object]], header: list[str] | None = None) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(header or HEADER)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def read_all(data: bytes) -> tuple[list[str], list[tuple[int, list[str]]], str]:
    with open_table(io.BytesIO(data), "annuaire.csv") as table:
        return table.header, list(table.rows()), table.encoding


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
@pytest.mark.parametrize("delimiter", [";", ","])
def test_it_keeps_accented_names_in_every_encoding_and_delimiter(encoding, delimiter):
    header, rows, detected = read_all(csv_bytes(ACCENTED, delimiter=delimiter, encoding=encoding))
    assert header == HEADER
    assert rows[0] == (2, ["A001", "Lefèvre-Noël", "Hélène", "", "", "", "Agente d’accueil"])
    assert rows[1][1][1:3] == ["Œuvray", "Françoise"]
    assert detected == ("cp1252" if encoding == "cp1252" else "utf-8-sig")


def test_it_detects_windows_1252_when_the_only_accent_is_far_down_the_file():
    rows = [[f"A{i:05d}", "Martin", "Paul", "", "", "", ""] for i in range(20_000)]
    rows.append(["Z99999", "Noël", "Zoé", "", "", "", ""])
    _header, read, detected = read_all(csv_bytes(rows, encoding="cp1252"))
    assert detected == "cp1252"
    assert read[-1][1][1:3] == ["Noël", "Zoé"]


def test_it_refuses_bytes_undefined_in_windows_1252_with_the_line():
    data = csv_bytes([["A001", "Martin", "Paul", "", "", "", ""]]) + b"A002;Bad\x81name;X;;;;\r\n"
    with pytest.raises(NotATable) as error:
        read_all(data)
    assert error.value.code == "not_a_table"
    assert "0x81" in error.value.message
    assert error.value.extra == {"line": 3}


def test_line_numbers_count_the_header_and_skip_blank_lines():
    data = b'matricule;nom;prenom\r\nA1;X;Y\r\n;;\r\n\r\nA2;"Multi\nline";Z\r\nA3;W;V\r\n'
    _header, rows, _enc = read_all(data)
    assert [line for line, _values in rows] == [2, 5, 7]


def test_it_reads_the_first_sheet_of_a_workbook_with_dates_and_numbers():
    import datetime as dt

    data = xlsx_bytes(
        [[1234, "Lefèvre-Noël", "Hélène", None, None, None, dt.datetime(2021, 3, 1)]],
        header=[*HEADER[:6], "date_arrivee"],
    )
    with open_table(io.BytesIO(data), "annuaire.xlsx") as table:
        rows = list(table.rows())
        assert table.kind == "xlsx"
        assert table.data_rows == 1
    assert rows == [(2, ["1234", "Lefèvre-Noël", "Hélène", "", "", "", "2021-03-01"])]


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image"),
        (b"%PDF-1.7 ...", "image or a binary"),
        (b"PK\x03\x04 not really a workbook", "XLSX"),
        (bytes(range(256)) * 4, "NUL"),
        (b"\r\n\r\nmatricule;nom\r\n", "first line"),
    ],
    ids=["empty", "png", "pdf", "broken-zip", "binary-junk", "blank-first-line"],
)
def test_files_that_are_not_tables_get_one_clear_error(data, fragment):
    with pytest.raises(NotATable) as error:
        read_all(data)
    assert error.value.code == "not_a_table"
    assert fragment in error.value.message


def test_it_reads_from_a_path(tmp_path):
    path = tmp_path / "annuaire.csv"
    path.write_bytes(csv_bytes(ACCENTED, encoding="cp1252"))
    with open_table(path) as table:
        assert [values[1] for _line, values in table.rows()] == ["Lefèvre-Noël", "Œuvray"]
