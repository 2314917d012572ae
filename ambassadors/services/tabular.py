"""Readers for the tables HR actually exports: CSV (``;`` or ``,``, UTF-8 or Windows-1252) and XLSX.

A reader streams rows as ``(line, values)`` where ``line`` is the line of the file the row
starts on (the header is line 1), so that errors can point at it. Nothing here knows what
the columns mean; ``ambassadors.services.directory`` does.

Why two passes over a CSV: the encoding must be known before the first row is decoded, and
"try UTF-8, fall back to Windows-1252" is only reliable over the whole file (an export can be
pure ASCII for 40,000 lines and hold its first "é" on line 40,001). The first pass decodes
in chunks and keeps nothing; the second streams rows through ``csv.reader``.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from django.utils.translation import gettext as _

from ambassadors.errors import DomainError

CHUNK = 1 << 16
ZIP_MAGIC = b"PK\x03\x04"
DELIMITERS = (";", ",", "\t")
# Magic numbers of files people upload by mistake instead of the export.
BINARY_MAGICS = (
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF8",
    b"%PDF",
    b"\xd0\xcf\x11\xe0",  # legacy .xls / .doc (OLE2): not readable here, say so
    b"\x1f\x8b",
    b"BM",
)


class NotATable(DomainError):
    """The file as a whole cannot be read as a table: one error, nothing imported."""

    code = "not_a_table"


@dataclass
class Table:
    """An opened table: its header, a row count, and a way to stream its data rows."""

    header: list[str]
    kind: str  # "csv" or "xlsx"
    encoding: str = ""
    delimiter: str = ""
    data_rows: int = 0
    _rows: Iterator[tuple[int, list[str]]] | None = None
    _closers: list[Any] = field(default_factory=list)

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """Data rows as ``(line, values)``; entirely blank rows are skipped."""
        assert self._rows is not None
        return self._rows

    def close(self) -> None:
        for closer in self._closers:
            closer()
        self._closers.clear()

    def __enter__(self) -> Table:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_table(source: str | os.PathLike[str] | IO[bytes], filename: str = "") -> Table:
    """Open ``source`` (a path or a binary file object) as a table, or raise ``NotATable``."""
    stream, owned = _binary_stream(source)
    try:
        head = stream.read(8)
        stream.seek(0)
        if not head:
            raise NotATable(_("The file is empty."))
        if head.startswith(ZIP_MAGIC):
            table = _open_xlsx(stream, filename)
        else:
            if any(head.startswith(magic) for magic in BINARY_MAGICS):
                raise NotATable(
                    _("“%(name)s” is not a table: it looks like an image or a binary document.")
                    % {"name": filename or _("The file")}
                )
            table = _open_csv(stream, filename)
    except BaseException:
        if owned:
            stream.close()
        raise
    if owned:
        table._closers.append(stream.close)
    return table


def _binary_stream(source: str | os.PathLike[str] | IO[bytes]) -> tuple[IO[bytes], bool]:
    """A seekable binary stream over ``source`` and whether we opened it (and must close it)."""
    if isinstance(source, str | os.PathLike):
        return open(source, "rb"), True  # closed by Table.close
    temporary_path = getattr(source, "temporary_file_path", None)
    if callable(temporary_path):  # a large upload Django already spooled to disk
        return open(temporary_path(), "rb"), True
    # Django's File wrappers (uploads, FieldFile) proxy a real file object: read that one.
    stream: Any = source
    while not isinstance(stream, io.IOBase) and hasattr(stream, "file"):
        stream = stream.file
    if hasattr(stream, "seekable") and stream.seekable():
        stream.seek(0)
        return stream, False
    # A pipe or a socket: spool it so that it can be read twice (encoding pass, then rows).
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    shutil.copyfileobj(stream, spool)
    spool.seek(0)
    return spool, True  # type: ignore[return-value]


# -- CSV ----------------------------------------------------------------------------------


def detect_encoding(stream: IO[bytes]) -> tuple[str, int]:
    """The file's encoding ("utf-8-sig" or "cp1252") and its number of line breaks.

    Strict UTF-8 over the whole file first: Windows-1252 text with accents is practically
    never valid UTF-8, so a file that decodes is UTF-8. Otherwise strict Windows-1252, which
    rejects the five bytes it leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D).
    """
    stream.seek(0)
    newlines = 0
    utf8 = codecs.getincrementaldecoder("utf-8")("strict")
    offset = 0
    try:
        while chunk := stream.read(CHUNK):
            if b"\x00" in chunk:
                raise NotATable(_("The file holds binary data (NUL bytes): it is not a table."))
            newlines += chunk.count(b"\n")
            utf8.decode(chunk)
            offset += len(chunk)
        utf8.decode(b"", final=True)
        stream.seek(0)
        return "utf-8-sig", newlines
    except UnicodeDecodeError:
        pass
    stream.seek(0)
    cp1252 = codecs.getincrementaldecoder("cp1252")("strict")
    newlines = 0
    offset = 0
    while chunk := stream.read(CHUNK):
        if b"\x00" in chunk:
            raise NotATable(_("The file holds binary data (NUL bytes): it is not a table."))
        newlines += chunk.count(b"\n")
        try:
            cp1252.decode(chunk)
        except UnicodeDecodeError as exc:
            position = offset + exc.start
            stream.seek(0)
            line = stream.read(position).count(b"\n") + 1
            raise NotATable(
                _(
                    "The file is neither UTF-8 nor Windows-1252 text (byte 0x%(byte)02X on "
                    "line %(line)s): save it again as CSV UTF-8."
                )
                % {"byte": chunk[exc.start], "line": line},
                extra={"line": line},
            ) from exc
        offset += len(chunk)
    stream.seek(0)
    return "cp1252", newlines


def _sniff_delimiter(header_line: str) -> str:
    counts = {delimiter: header_line.count(delimiter) for delimiter in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ";"


def _open_csv(stream: IO[bytes], filename: str) -> Table:
    encoding, newlines = detect_encoding(stream)
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")
    # The wrapper must not close the caller's stream when it is garbage-collected.
    closers: list[Any] = [text.detach]
    header_line = text.readline()
    if not header_line.strip():
        text.detach()
        raise NotATable(_("The first line is empty: a header line is expected."))
    delimiter = _sniff_delimiter(header_line)
    header = next(csv.reader([header_line], delimiter=delimiter), [])
    header = [cell.strip() for cell in header]
    reader = csv.reader(text, delimiter=delimiter)

    def rows() -> Iterator[tuple[int, list[str]]]:
        last = 1  # lines consumed so far: the header
        for values in reader:
            line = last + 1
            last = reader.line_num + 1
            if any(value.strip() for value in values):
                yield line, values

    # The line-break count slightly overestimates the rows when quoted cells span lines; it
    # is used for the progress bar and the inline/queued decision only.
    data_rows = max(newlines - 1 + (0 if header_line.endswith("\n") else 1), 0)
    return Table(
        header=header,
        kind="csv",
        encoding=encoding,
        delimiter=delimiter,
        data_rows=data_rows,
        _rows=rows(),
        _closers=closers,
    )


# -- XLSX ---------------------------------------------------------------------------------


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a matricule typed as a number: 1234.0 → "1234"
    return str(value).strip()


def _open_xlsx(stream: IO[bytes], filename: str) -> Table:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = openpyxl.load_workbook(stream, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise NotATable(
            _("“%(name)s” is a ZIP file but not a readable XLSX workbook.")
            % {"name": filename or _("The file")}
        ) from exc
    sheet = workbook.worksheets[0] if workbook.worksheets else None
    if sheet is None:
        workbook.close()
        raise NotATable(_("The workbook has no sheet."))
    iterator = sheet.iter_rows(values_only=True)
    header: list[str] = []
    header_line = 0
    for header_line, values in enumerate(iterator, start=1):  # noqa: B007
        header = [_cell_text(value) for value in values]
        if any(header):
            break
    if not any(header):
        workbook.close()
        raise NotATable(_("The workbook's first sheet is empty."))
    while header and not header[-1]:
        header.pop()

    def rows() -> Iterator[tuple[int, list[str]]]:
        for line, values in enumerate(iterator, start=header_line + 1):
            cells = [_cell_text(value) for value in values]
            if any(cells):
                yield line, cells

    max_row = sheet.max_row if isinstance(sheet.max_row, int) else 0
    return Table(
        header=header,
        kind="xlsx",
        data_rows=max(max_row - header_line, 0),
        _rows=rows(),
        _closers=[workbook.close],
    )
