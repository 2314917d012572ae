"""The staff directory import: upsert agents by HR id from what HR exports.

Two phases, on purpose:

1. Read and plan (no transaction, nothing written): stream the rows, validate each one,
   compare it with the agent already stored (loaded once, as tuples), and keep only what
   must change. New units get placeholder ids. Progress is written to the import record
   in this phase, in autocommit, so that a poller sees it.
2. Write (one transaction): create the new units level by level, bulk-create the new
   agents, bulk-update the changed ones, mark the missing ones departed (``full``).

A dry run stops after phase 1: the report is the same, nothing is written. The number of
queries depends on the number of batches and tree levels, never on the number of rows.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import transaction
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django_q.tasks import async_task

from ambassadors.errors import DomainError
from ambassadors.models import Agent, DirectoryImport, Organization, OrgUnit, Site

from .tabular import NotATable, Table, open_table

BATCH_SIZE = 1000
PROGRESS_EVERY = 1000
MAX_ERRORS = 1000  # errors kept in the report; ``rejected`` still counts every bad row

ProgressCallback = Callable[[int, int], None]

# Column → accepted headers, French first. Headers are compared without case, accents,
# spaces or punctuation ("Date d'arrivée" == "date_arrivee" == "DATE ARRIVEE").
COLUMNS: dict[str, tuple[str, ...]] = {
    "hr_id": ("matricule", "hr_id", "id_rh", "matricule_agent", "employee_id", "staff_id"),
    "last_name": ("nom", "last_name", "nom_de_famille", "nom_usage", "lastname", "surname"),
    "first_name": ("prenom", "first_name", "firstname", "given_name"),
    "email": ("email", "courriel", "e_mail", "mail", "adresse_mail", "adresse_email"),
    "unit": ("service", "unit", "unite", "affectation", "org_unit"),
    "site": ("site", "lieu_de_travail", "lieu", "workplace"),
    "job_title": ("fonction", "job_title", "poste", "emploi", "title"),
    "arrival_date": ("date_arrivee", "arrival_date", "date_entree", "date_d_arrivee"),
    "departure_date": ("date_depart", "departure_date", "date_sortie", "date_de_depart"),
    "has_workstation": ("poste_informatique", "has_workstation", "workstation", "ordinateur"),
    "has_account": ("compte_intranet", "has_account", "intranet_account", "compte"),
}
REQUIRED = ("hr_id", "last_name", "first_name")
# The agent fields an import writes, in the order of the comparison tuples.
AGENT_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "unit_id",
    "site_id",
    "job_title",
    "arrival_date",
    "departure_date",
    "has_workstation",
    "has_account",
)
NEW_AGENT_DEFAULTS: tuple[Any, ...] = ("", "", "", None, None, "", None, None, True, True)
INDEX = {name: i for i, name in enumerate(AGENT_FIELDS)}
MAX_LENGTHS = {"hr_id": 40, "first_name": 100, "last_name": 100, "email": 254, "job_title": 200}
TRUE_WORDS = frozenset({"oui", "o", "1", "true", "vrai", "yes", "y"})
FALSE_WORDS = frozenset({"non", "n", "0", "false", "faux", "no"})
UNIT_SEPARATOR = ">"
_SPACES = re.compile(r"\s+")
_email_validator = EmailValidator()


@dataclass
class ImportResult:
    total_rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    departed: int = 0
    rejected: int = 0
    units_created: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    dry_run: bool = False
    notes: list[str] = field(default_factory=list)

    error_count: int = 0  # every row error found, including those not kept in ``errors``

    @property
    def errors_omitted(self) -> int:
        return self.error_count - len(self.errors)

    def add_error(self, line: int, column: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append({"line": line, "column": column, "message": message})


def normalise_header(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.strip().lstrip("\ufeff")).casefold()
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


_ALIAS_TO_COLUMN = {alias: column for column, aliases in COLUMNS.items() for alias in aliases}


def map_header(header: list[str]) -> dict[str, int]:
    """Column name → position in the row. Raises when a required column is missing."""
    positions: dict[str, int] = {}
    for position, text in enumerate(header):
        column = _ALIAS_TO_COLUMN.get(normalise_header(text))
        if column is None:
            continue
        if column in positions:
            raise DomainError(
                _("The columns “%(first)s” and “%(second)s” both hold the %(column)s.")
                % {"first": header[positions[column]], "second": text, "column": column},
                code="duplicate_column",
            )
        positions[column] = position
    if "hr_id" not in positions:
        shown = ", ".join(f"« {text} »" for text in header[:12] if text) or "—"
        raise NotATable(
            _(
                "No HR id column (“matricule”) in the first line: this does not look like the "
                "staff directory. Columns found: %(columns)s."
            )
            % {"columns": shown}
        )
    missing = [column for column in REQUIRED if column not in positions]
    if missing:
        raise DomainError(
            _("Required columns are missing: %(columns)s.")
            % {"columns": ", ".join(COLUMNS[column][0] for column in missing)},
            code="missing_columns",
        )
    return positions


def parse_date(text: str) -> dt.date:
    """DD/MM/YYYY or YYYY-MM-DD, nothing else (01/02/2024 is 1 February, French style)."""
    if "/" in text:
        parts = text.split("/")
        if len(parts) == 3 and len(parts[2]) == 4:
            day, month, year = parts
            if day.isdigit() and month.isdigit() and year.isdigit():
                return dt.date(int(year), int(month), int(day))
    elif "-" in text:
        parts = text.split("-")
        if len(parts) == 3 and len(parts[0]) == 4:
            year, month, day = parts
            if day.isdigit() and month.isdigit() and year.isdigit():
                return dt.date(int(year), int(month), int(day))
    raise ValueError(text)


def parse_bool(text: str) -> bool:
    word = text.casefold()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(text)


@dataclass
class _NewUnit:
    placeholder: int
    parent: int | None  # a real id, a placeholder (negative), or None for a root
    name: str
    code: str
    depth: int


class _UnitResolver:
    """Unit paths → unit ids, matching existing units by name under the same parent."""

    def __init__(self, organization: Organization) -> None:
        self.by_key: dict[tuple[int | None, str], int] = {}
        self.paths: dict[int, str] = {}
        self.codes: set[str] = set()
        rows = OrgUnit.objects.for_org(organization).values_list(
            "id", "parent_id", "name", "code", "path"
        )
        for unit_id, parent_id, name, code, path in rows.order_by("id"):
            self.by_key.setdefault((parent_id, _unit_key(name)), unit_id)
            self.paths[unit_id] = path
            self.codes.add(code.casefold())
        self.cache: dict[str, int] = {}
        self.new: list[_NewUnit] = []

    def resolve(self, raw: str, *, register: bool = True) -> int | None:
        """The id (negative for a unit still to create) of the unit at the end of ``raw``.

        With ``register=False`` the path is only checked (the row is rejected anyway).
        """
        cached = self.cache.get(raw)
        if cached is not None:
            return cached
        names = [_SPACES.sub(" ", part).strip() for part in raw.split(UNIT_SEPARATOR)]
        if any(not name for name in names):
            raise ValueError(_("A level of the service path is empty."))
        if any(len(name) > 200 for name in names):
            raise ValueError(_("A service name is longer than 200 characters."))
        if not register:
            return None
        parent: int | None = None
        for depth, name in enumerate(names):
            key = (parent, _unit_key(name))
            unit_id = self.by_key.get(key)
            if unit_id is None:
                unit_id = -(len(self.new) + 1)
                self.new.append(_NewUnit(unit_id, parent, name, self._new_code(name), depth))
                self.by_key[key] = unit_id
            parent = unit_id
        assert parent is not None
        self.cache[raw] = parent
        return parent

    def _new_code(self, name: str) -> str:
        base = (slugify(name).upper() or "SERVICE")[:50]
        code, n = base, 1
        while code.casefold() in self.codes:
            n += 1
            code = f"{base}-{n}"
        self.codes.add(code.casefold())
        return code

    def create(self, organization: Organization) -> dict[int, int]:
        """Create the new units, parents first; returns placeholder → real id."""
        real: dict[int, int] = {}
        for depth in sorted({unit.depth for unit in self.new}):
            level = [unit for unit in self.new if unit.depth == depth]
            objs = [
                OrgUnit(
                    organization=organization,
                    parent_id=real.get(unit.parent, unit.parent) if unit.parent else None,
                    name=unit.name,
                    code=unit.code,
                    depth=depth,
                )
                for unit in level
            ]
            # The materialised path needs the new ids: insert, then write the paths.
            OrgUnit.objects.bulk_create(objs, batch_size=BATCH_SIZE)
            for unit, obj in zip(level, objs, strict=True):
                real[unit.placeholder] = obj.pk
                parent_path = self.paths[obj.parent_id] if obj.parent_id else "/"
                obj.path = f"{parent_path}{obj.pk}/"
                self.paths[obj.pk] = obj.path
            OrgUnit.objects.bulk_update(objs, ["path"], batch_size=BATCH_SIZE)
        return real


def _unit_key(name: str) -> str:
    return _SPACES.sub(" ", name).strip().casefold()


def _site_lookup(organization: Organization) -> dict[str, int]:
    lookup: dict[str, int] = {}
    rows = Site.objects.for_org(organization).values_list("id", "code", "name").order_by("id")
    names = {name.strip().casefold(): site_id for site_id, _code, name in rows}
    codes = {code.strip().casefold(): site_id for site_id, code, _name in rows}
    lookup.update(names)
    lookup.update(codes)  # a code wins over another site's identical name
    return lookup


@dataclass
class _Plan:
    creates: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)
    updates: list[tuple[int, tuple[Any, ...]]] = field(default_factory=list)
    departures: list[int] = field(default_factory=list)


def directory_import(
    *,
    organization: Organization,
    source: str | os.PathLike[str] | IO[bytes],
    filename: str = "",
    full: bool = False,
    dry_run: bool = False,
    progress: ProgressCallback | None = None,
    record: DirectoryImport | None = None,
) -> ImportResult:
    """Import a staff directory file into ``organization``; see docs/directory-import.md."""
    if not filename and isinstance(source, str | os.PathLike):
        filename = os.path.basename(os.fspath(source))
    try:
        with open_table(source, filename) as table:
            result = _run(
                organization=organization,
                table=table,
                full=full,
                dry_run=dry_run,
                progress=progress,
                record=record,
            )
    except DomainError as exc:
        if record is not None:
            _finish_record(record, status=DirectoryImport.Status.FAILED, message=exc.message)
        raise
    except Exception:
        if record is not None:
            _finish_record(
                record,
                status=DirectoryImport.Status.FAILED,
                message=_("The import failed unexpectedly; nothing was written."),
            )
        raise
    if record is not None:
        _finish_record(record, status=DirectoryImport.Status.DONE, result=result)
    return result


def _run(
    *,
    organization: Organization,
    table: Table,
    full: bool,
    dry_run: bool,
    progress: ProgressCallback | None,
    record: DirectoryImport | None,
) -> ImportResult:
    positions = map_header(table.header)
    total = table.data_rows
    if record is not None:
        DirectoryImport.objects.filter(pk=record.pk).update(
            status=DirectoryImport.Status.RUNNING, total_rows=total, processed_rows=0
        )
    result = ImportResult(dry_run=dry_run)
    units = _UnitResolver(organization)
    sites = _site_lookup(organization)
    existing: dict[str, tuple[int, tuple[Any, ...]]] = {
        row[1]: (row[0], row[2:])
        for row in Agent.objects.for_org(organization)
        .values_list("id", "hr_id", *AGENT_FIELDS)
        .iterator(chunk_size=5000)
    }
    plan = _Plan()
    seen: dict[str, int] = {}  # HR id → line of its first occurrence
    good_rows = 0

    def on_progress(processed: int) -> None:
        if record is not None:
            DirectoryImport.objects.filter(pk=record.pk).update(
                processed_rows=processed, total_rows=max(total, processed)
            )
        if progress is not None:
            progress(processed, max(total, processed))

    for processed, (line, values) in enumerate(
        _rows_with_progress(table.rows(), on_progress), start=1
    ):
        result.total_rows = processed
        outcome = _plan_row(
            line=line,
            values=values,
            header=table.header,
            positions=positions,
            units=units,
            sites=sites,
            existing=existing,
            seen=seen,
            result=result,
        )
        if outcome is None:
            result.rejected += 1
            continue
        good_rows += 1
        hr_id, agent_id, values_tuple, changed = outcome
        if agent_id is None:
            plan.creates.append((hr_id, values_tuple))
        elif changed:
            plan.updates.append((agent_id, values_tuple))
        else:
            result.unchanged += 1
    on_progress(result.total_rows)

    if full:
        if good_rows == 0:
            result.notes.append(
                _("The file has no valid row: nobody was marked as departed.")
                if result.total_rows
                else _("The file has no data row: nobody was marked as departed.")
            )
        else:
            today = timezone.localdate()
            i_departure = INDEX["departure_date"]
            plan.departures = [
                agent_id
                for hr_id, (agent_id, values) in existing.items()
                if hr_id not in seen
                and (values[i_departure] is None or values[i_departure] > today)
            ]
    del existing, seen

    result.created = len(plan.creates)
    result.updated = len(plan.updates)
    result.departed = len(plan.departures)
    result.units_created = len(units.new)
    if not dry_run:
        _write(organization=organization, plan=plan, units=units)
    return result


def _rows_with_progress(
    rows: Iterator[tuple[int, list[str]]], on_progress: Callable[[int], None]
) -> Iterable[tuple[int, list[str]]]:
    for count, row in enumerate(rows, start=1):
        yield row
        if count % PROGRESS_EVERY == 0:
            on_progress(count)


def _plan_row(
    *,
    line: int,
    values: list[str],
    header: list[str],
    positions: dict[str, int],
    units: _UnitResolver,
    sites: dict[str, int],
    existing: dict[str, tuple[int, tuple[Any, ...]]],
    seen: dict[str, int],
    result: ImportResult,
) -> tuple[str, int | None, tuple[Any, ...], bool] | None:
    """Validate one row; returns (hr_id, existing id, new values, changed) or None if rejected."""
    ok = True

    if len(values) < len(header):
        values = values + [""] * (len(header) - len(values))

    def cell(column: str) -> str:
        return values[positions[column]].strip()

    def error(column: str, message: str) -> None:
        nonlocal ok
        ok = False
        result.add_error(line, header[positions[column]], message)

    hr_id = cell("hr_id")
    if not hr_id:
        error("hr_id", _("The HR id is missing."))
        return None
    if len(hr_id) > MAX_LENGTHS["hr_id"]:
        error("hr_id", _("The HR id is longer than 40 characters."))
        return None
    first_line = seen.get(hr_id)
    if first_line is not None:
        error(
            "hr_id",
            _("The HR id “%(hr_id)s” already appears on line %(line)s; this row is ignored.")
            % {"hr_id": hr_id, "line": first_line},
        )
        return None
    seen[hr_id] = line

    current = existing.get(hr_id)
    agent_id = current[0] if current else None
    new = list(current[1] if current else NEW_AGENT_DEFAULTS)

    for column in ("last_name", "first_name"):
        text = " ".join(cell(column).split())
        if not text:
            error(column, _("This column must not be empty."))
        elif len(text) > MAX_LENGTHS[column]:
            error(column, _("At most %(n)s characters.") % {"n": MAX_LENGTHS[column]})
        new[INDEX[column]] = text
    if "email" in positions:
        email = cell("email")
        if email:
            try:
                _email_validator(email)
            except ValidationError:
                error("email", _("“%(value)s” is not a valid e-mail address.") % {"value": email})
        new[INDEX["email"]] = email
    if "job_title" in positions:
        title = " ".join(cell("job_title").split())
        if len(title) > MAX_LENGTHS["job_title"]:
            error("job_title", _("At most %(n)s characters.") % {"n": MAX_LENGTHS["job_title"]})
        new[INDEX["job_title"]] = title
    if "site" in positions:
        text = cell("site")
        site_id = sites.get(text.casefold()) if text else None
        if text and site_id is None:
            error(
                "site",
                _("Unknown site “%(value)s”: sites are created in Relais, not by the import.")
                % {"value": text},
            )
        new[INDEX["site_id"]] = site_id
    for column in ("arrival_date", "departure_date"):
        if column in positions:
            text = cell(column)
            try:
                new[INDEX[column]] = parse_date(text) if text else None
            except ValueError:
                error(
                    column,
                    _("“%(value)s” is not a date: use DD/MM/YYYY or YYYY-MM-DD.") % {"value": text},
                )
    for column in ("has_workstation", "has_account"):
        if column in positions:
            text = cell(column)
            if text:  # blank keeps the stored value (True for a new agent)
                try:
                    new[INDEX[column]] = parse_bool(text)
                except ValueError:
                    error(
                        column,
                        _("“%(value)s” is not yes or no: use oui/non, 1/0, true/false.")
                        % {"value": text},
                    )
    if "unit" in positions:
        # Last, so that a row rejected for another reason creates no unit.
        path = cell("unit")
        try:
            new[INDEX["unit_id"]] = units.resolve(path, register=ok) if path else None
        except ValueError as exc:
            error("unit", str(exc))
    if not ok:
        return None
    values_tuple = tuple(new)
    changed = current is None or values_tuple != current[1]
    return hr_id, agent_id, values_tuple, changed


@transaction.atomic
def _write(*, organization: Organization, plan: _Plan, units: _UnitResolver) -> None:
    real_units = units.create(organization) if units.new else {}
    connection = transaction.get_connection()
    ops = connection.ops
    now = ops.adapt_datetimefield_value(timezone.now())
    i_unit = INDEX["unit_id"]
    date_positions = (INDEX["arrival_date"], INDEX["departure_date"])

    def db_values(values: tuple[Any, ...]) -> list[Any]:
        row = list(values)
        if row[i_unit] is not None and row[i_unit] < 0:
            row[i_unit] = real_units[row[i_unit]]
        for i in date_positions:
            row[i] = ops.adapt_datefield_value(row[i])
        return row

    # Measured on 50,000 new agents (bench/README.md): bulk_create spends ~20 s in the ORM's
    # per-value compilation, bulk_update's CASE WHEN is slower still. The values are
    # already validated, so they go in as they are: COPY on PostgreSQL (a multi-row INSERT
    # there spends its time in psycopg's client-side query parsing), multi-row INSERTs and
    # one prepared UPDATE on SQLite (in-process, no round trips to save).
    meta = Agent._meta
    quote = ops.quote_name
    column_of = {field.attname: field.column for field in meta.concrete_fields}
    columns: list[str] = [column_of[name] or name for name in AGENT_FIELDS]
    table = quote(meta.db_table)
    insert_columns = ["organization_id", "hr_id", *columns, "created_at", "updated_at"]
    creates = (
        [organization.pk, hr_id, *db_values(values), now, now] for hr_id, values in plan.creates
    )
    updates = ([agent_id, *db_values(values)] for agent_id, values in plan.updates)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            if plan.creates:
                _pg_copy(cursor, table, [quote(c) for c in insert_columns], creates)
            if plan.updates:
                _pg_update_from_copy(cursor, table, columns, updates, organization.pk, now)
        else:
            if plan.creates:
                _insert_rows(cursor, connection, table, [quote(c) for c in insert_columns], creates)
            if plan.updates:
                assignments = ", ".join(f"{quote(column)} = %s" for column in columns)
                cursor.executemany(
                    f"UPDATE {table} SET {assignments}, {quote('updated_at')} = %s "
                    f"WHERE {quote('id')} = %s AND {quote('organization_id')} = %s",
                    ([*row[1:], now, row[0], organization.pk] for row in updates),
                )
    today = timezone.localdate()
    for start in range(0, len(plan.departures), BATCH_SIZE):
        Agent.objects.for_org(organization).filter(
            pk__in=plan.departures[start : start + BATCH_SIZE]
        ).update(departure_date=today, updated_at=timezone.now())


def _insert_rows(
    cursor: Any, connection: Any, table: str, columns: list[str], rows: Iterable[list[Any]]
) -> None:
    """Multi-row INSERTs, as many rows per statement as the backend takes parameters for."""
    max_params = connection.features.max_query_params or 65535
    per_statement = max(1, min(BATCH_SIZE, max_params // len(columns)))
    placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
    insert = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
    batch: list[list[Any]] = []
    for row in [*rows, None]:
        if row is not None:
            batch.append(row)
        if batch and (row is None or len(batch) == per_statement):
            params = [value for values in batch for value in values]
            cursor.execute(insert + ", ".join([placeholders] * len(batch)), params)
            batch = []


def _pg_copy(cursor: Any, table: str, columns: list[str], rows: Iterable[list[Any]]) -> None:
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    # COPY goes to psycopg directly; debug_sql keeps it in connection.queries (query counts).
    log = cursor.debug_sql(sql) if hasattr(cursor, "debug_sql") else contextlib.nullcontext()
    with log, cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


def _pg_update_from_copy(
    cursor: Any,
    table: str,
    columns: list[str],
    rows: Iterable[list[Any]],
    organization_id: int,
    now: Any,
) -> None:
    """COPY the new values into a temporary table, then one UPDATE … FROM joins it."""
    meta = Agent._meta
    connection = transaction.get_connection()
    quote = connection.ops.quote_name
    types = {field.column: field.db_type(connection) for field in meta.concrete_fields}
    types["unit_id"] = types["site_id"] = "bigint"
    temp = quote("relais_directory_updates")
    definition = ", ".join(f"{quote(c)} {types[c]}" for c in columns)
    cursor.execute(f"CREATE TEMPORARY TABLE {temp} (id bigint, {definition}) ON COMMIT DROP")
    _pg_copy(cursor, temp, [quote("id"), *map(quote, columns)], rows)
    assignments = ", ".join(f"{quote(c)} = source.{quote(c)}" for c in columns)
    cursor.execute(
        f"UPDATE {table} SET {assignments}, {quote('updated_at')} = %s FROM {temp} AS source "
        f"WHERE {table}.{quote('id')} = source.{quote('id')} "
        f"AND {table}.{quote('organization_id')} = %s",
        [now, organization_id],
    )
    cursor.execute(f"DROP TABLE {temp}")


def _finish_record(
    record: DirectoryImport,
    *,
    status: str,
    result: ImportResult | None = None,
    message: str = "",
) -> None:
    record.status = status
    record.finished_at = timezone.now()
    fields = ["status", "finished_at", "message"]
    if result is not None:
        record.total_rows = record.processed_rows = result.total_rows
        record.created = result.created
        record.updated = result.updated
        record.unchanged = result.unchanged
        record.departed = result.departed
        record.rejected = result.rejected
        record.errors = result.errors
        message = " ".join(result.notes)
        fields += [
            "total_rows",
            "processed_rows",
            "created",
            "updated",
            "unchanged",
            "departed",
            "rejected",
            "errors",
        ]
    record.message = message
    record.save(update_fields=fields)


@dataclass
class Submitted:
    record: DirectoryImport
    queued: bool


def directory_import_submit(
    *,
    organization: Organization,
    upload: Any,
    filename: str,
    full: bool = False,
    dry_run: bool = False,
    created_by: Any = None,
) -> Submitted:
    """Record an import of an uploaded file, and run it now (small) or in a worker (large).

    The file is checked first: one that is not a directory table raises and leaves no
    record. Only a queued import keeps the file, for the worker; it is deleted once read
    (the export holds personal data that Relais needs no copy of).
    """
    with open_table(upload, filename) as table:
        map_header(table.header)
        data_rows = table.data_rows
    queued = data_rows > settings.DIRECTORY_IMPORT_ASYNC_ROWS
    record = DirectoryImport(
        organization=organization,
        filename=filename[:255],
        full=full,
        dry_run=dry_run,
        total_rows=data_rows,
        created_by=created_by,
    )
    if queued:
        record.file.save(filename or "directory.csv", upload, save=False)
    record.save()
    if queued:
        record_id = record.pk
        transaction.on_commit(
            lambda: async_task(
                "ambassadors.tasks.directory_import_task",
                record_id,
                task_name=f"import-{record_id}",
            )
        )
        return Submitted(record=record, queued=True)
    with contextlib.suppress(DomainError):  # the record says why; the caller reads it
        directory_import(
            organization=organization,
            source=upload,
            filename=filename,
            full=full,
            dry_run=dry_run,
            record=record,
        )
    record.refresh_from_db()
    return Submitted(record=record, queued=False)


def directory_import_run_queued(*, import_id: int) -> DirectoryImport | None:
    """Run a queued import once; a finished (or unknown) import is left alone."""
    claimed = DirectoryImport.objects.filter(
        pk=import_id,
        status__in=[DirectoryImport.Status.PENDING, DirectoryImport.Status.RUNNING],
    ).update(status=DirectoryImport.Status.RUNNING)
    if not claimed:
        return None
    record = DirectoryImport.objects.select_related("organization").get(pk=import_id)
    organization = record.organization
    try:
        with translation.override(organization.language):
            if not record.file:
                _finish_record(
                    record,
                    status=DirectoryImport.Status.FAILED,
                    message=_("The uploaded file is no longer available."),
                )
                return record
            with record.file.open("rb") as handle:
                directory_import(
                    organization=organization,
                    source=handle,
                    filename=record.filename,
                    full=record.full,
                    dry_run=record.dry_run,
                    record=record,
                )
    except DomainError:
        pass  # recorded on the import as failed, with its message
    finally:
        if record.file:
            record.file.delete(save=False)
            DirectoryImport.objects.filter(pk=record.pk).update(file="")
    record.refresh_from_db()
    return record
