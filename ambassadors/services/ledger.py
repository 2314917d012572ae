"""Writes on the activity ledger: ingestion (the fast path) and retraction.

Ingestion takes up to thousands of items per call, so it validates in plain Python (a DRF
serializer costs ~50 µs per item; this costs a few), resolves every agent of the batch in one
query, and inserts the whole batch in one statement:

- PostgreSQL: binary ``COPY`` into a temporary staging table, then one ``INSERT ... SELECT``
  from it; first without ON CONFLICT (cheaper: no speculative insertion), and again with
  ``ON CONFLICT DO NOTHING RETURNING external_id`` only if a stored external id makes the
  first one fail;
- SQLite (3.35+ for RETURNING): ``INSERT ... SELECT`` reading the rows from one JSON
  parameter through ``json_each``, ``ON CONFLICT DO NOTHING RETURNING external_id``.

A fixed number of parameters whatever the batch size, so no batch hits a bound-parameter
limit (SQLite's 32,766, PostgreSQL's 65,535), and nothing is quoted value by value in Python.

The unique index on (source, external_id) makes replays and concurrent requests safe: a row
that is already there, or that another transaction inserts first, is not inserted again, and
its item is reported as a duplicate.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.validators import validate_slug
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ambassadors.errors import DomainError
from ambassadors.models import (
    Activity,
    ActivityRetraction,
    ActivitySource,
    Agent,
    Organization,
    Verb,
)
from ambassadors.signals import activities_recorded, activities_retracted, send_after_commit

MAX_ITEMS = 5000
DEFAULT_SOURCE = "intranet"
# An activity dated further ahead than this is refused: it is almost always local time sent
# with a wrong offset (10:00 Paris time sent as 10:00Z).
FUTURE_TOLERANCE = dt.timedelta(minutes=5)

_EXTERNAL_ID_MAX = Activity._meta.get_field("external_id").max_length or 200
_TYPE_MAX = Activity._meta.get_field("object_type").max_length or 40
_TITLE_MAX = Activity._meta.get_field("object_title").max_length or 200
_URL_MAX = Activity._meta.get_field("object_url").max_length or 500
_REASON_MAX = ActivityRetraction._meta.get_field("reason").max_length or 200
_SOURCE_CODE_MAX = ActivitySource._meta.get_field("code").max_length or 40


class Status:
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"
    RETRACTED = "retracted"
    ALREADY_RETRACTED = "already_retracted"
    NOT_FOUND = "not_found"


Errors = dict[str, list[str]]


@dataclass
class IngestReport:
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    results: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        # Shallow on purpose: dataclasses.asdict would deep-copy 5,000 result dicts.
        return dict(vars(self))


@dataclass
class RetractReport:
    retracted: int = 0
    already_retracted: int = 0
    not_found: int = 0
    rejected: int = 0
    results: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        # Shallow on purpose: dataclasses.asdict would deep-copy 5,000 result dicts.
        return dict(vars(self))


class UnknownSource(DomainError):
    code = "unknown_source"


# -- Sources ------------------------------------------------------------------------------


def _check_source_code(code: str) -> str:
    code = code.strip()
    try:
        validate_slug(code)
    except Exception as exc:
        raise DomainError(
            _("“%(code)s” is not a valid source code: use letters, digits, hyphens, underscores.")
            % {"code": code},
            code="invalid_source",
        ) from exc
    if len(code) > _SOURCE_CODE_MAX:
        raise DomainError(
            _("The source code is too long (%(max)d characters at most).")
            % {"max": _SOURCE_CODE_MAX},
            code="invalid_source",
        )
    return code


def activity_source_resolve(
    *, organization: Organization, code: str, create: bool = True, trusted: bool = False
) -> ActivitySource:
    """The organization's source ``code``, created on first use when ``create`` allows it.

    An organization that gave any of its sources a signing secret has chosen signed
    requests: there, a new source must be declared first (admin, or the CLI), otherwise a
    leaked token could sidestep the signature by naming a source that has none.
    ``trusted`` callers (the command line) are not API requests and may create one anyway.
    """
    code = _check_source_code(code)
    sources = ActivitySource.objects.for_org(organization)
    source = sources.filter(code=code).first()
    if source is not None:
        return source
    if not create:
        raise UnknownSource(
            _("Unknown activity source “%(code)s”.") % {"code": code}, extra={"source": code}
        )
    if not trusted and sources.exclude(signing_secret="").exists():
        raise UnknownSource(
            _(
                "Unknown activity source “%(code)s”: this organization signs its requests, so "
                "a new source must be declared by the communication team first."
            )
            % {"code": code},
            extra={"source": code},
        )
    source, _created = ActivitySource.objects.get_or_create(
        organization=organization, code=code, defaults={"name": code}
    )
    return source


# -- Ingestion ----------------------------------------------------------------------------


@dataclass(slots=True)
class _Valid:
    index: int
    external_id: str
    verb_id: int
    hr_id: str
    email: str
    occurred_at: dt.datetime
    object_type: str
    object_title: str
    object_url: str


def _add(errors: Errors, name: str, message: str) -> None:
    errors.setdefault(name, []).append(message)


def _text(
    item: dict[str, Any], name: str, errors: Errors, *, max_length: int, label: str
) -> str | None:
    """An optional text field, stripped: None when absent or invalid (error added)."""
    value = item.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        _add(errors, name, _("%(field)s must be a string.") % {"field": label})
        return None
    value = str(value).strip()
    if len(value) > max_length:
        _add(
            errors,
            name,
            _("%(field)s is too long (%(length)d characters, %(max)d at most).")
            % {"field": label, "length": len(value), "max": max_length},
        )
        return None
    return value


def _occurred_at(value: Any, errors: Errors, latest: dt.datetime) -> dt.datetime | None:
    if value is None or value == "":
        _add(errors, "occurred_at", _("The date and time (occurred_at) is required."))
        return None
    if not isinstance(value, str):
        _add(
            errors,
            "occurred_at",
            _("occurred_at must be an ISO 8601 string, e.g. 2026-03-02T09:30:00+01:00."),
        )
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        _add(
            errors,
            "occurred_at",
            _("“%(value)s” is not an ISO 8601 date and time, e.g. 2026-03-02T09:30:00+01:00.")
            % {"value": value[:40]},
        )
        return None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        _add(
            errors,
            "occurred_at",
            _("“%(value)s” has no UTC offset: add one, e.g. +01:00 or Z.") % {"value": value[:40]},
        )
        return None
    if parsed > latest:
        _add(errors, "occurred_at", _("“%(value)s” is in the future.") % {"value": value[:40]})
        return None
    return parsed


def _past_cutoff(latest: dt.datetime) -> str:
    """A date, as ISO text, two days before ``latest``: an ISO 8601 string that sorts before
    it names a local date (4-digit year first) at least two days back, so it is in the past
    whatever its UTC offset (under 24 hours). Comparing the text skips comparing two aware
    datetimes (1.6 µs each: a fifth of ``_fast``)."""
    return (latest - dt.timedelta(days=2)).date().isoformat()


def _fast(
    index: int,
    item: Any,
    verbs: dict[str, tuple[int, bool]],
    latest: dt.datetime,
    cutoff: str = "",
) -> _Valid | None:
    """The common case, a well-formed item, checked with as few operations as possible;
    None sends the item to ``_validate``, which says precisely what is wrong. ``cutoff``
    (``_past_cutoff(latest)``) is an optional shortcut for the future check."""
    if type(item) is not dict:
        return None
    external_id = item.get("external_id")
    verb = item.get("verb")
    occurred = item.get("occurred_at")
    hr_id = item.get("agent")
    email = item.get("agent_email")
    obj = item.get("object")
    hr_id = "" if hr_id is None else hr_id
    email = "" if email is None else email
    if (
        type(external_id) is not str
        or type(occurred) is not str
        or type(hr_id) is not str
        or type(email) is not str
    ):
        return None
    external_id = external_id.strip()
    hr_id = hr_id.strip()
    email = email.strip()
    if (
        not external_id
        or len(external_id) > _EXTERNAL_ID_MAX
        or not (hr_id or email)
        or len(hr_id) > 40
        or len(email) > 254
    ):
        return None
    known = verbs.get(verb) if type(verb) is str else None
    if known is None or not known[1]:
        return None
    try:
        occurred_at = dt.datetime.fromisoformat(occurred)
    except ValueError:
        return None
    if occurred_at.tzinfo is None or (occurred[:10] >= cutoff and occurred_at > latest):
        return None
    object_type = object_title = object_url = ""
    if obj is not None:
        if type(obj) is not dict:
            return None
        raw_type, raw_title, raw_url = obj.get("type"), obj.get("title"), obj.get("url")
        raw_type = "" if raw_type is None else raw_type
        raw_title = "" if raw_title is None else raw_title
        raw_url = "" if raw_url is None else raw_url
        if type(raw_type) is not str or type(raw_title) is not str or type(raw_url) is not str:
            return None
        object_type, object_title, object_url = raw_type, raw_title, raw_url
        object_type = object_type.strip()
        object_title = object_title.strip()
        object_url = object_url.strip()
        if (
            len(object_type) > _TYPE_MAX
            or len(object_title) > _TITLE_MAX
            or len(object_url) > _URL_MAX
            or (object_url and not object_url.startswith(("https://", "http://")))
        ):
            return None
    return _Valid(
        index,
        external_id,
        known[0],
        hr_id,
        email.lower(),
        occurred_at,
        object_type,
        object_title,
        object_url,
    )


def _validate(
    index: int, item: Any, verbs: dict[str, tuple[int, bool]], latest: dt.datetime
) -> _Valid | Errors:
    if not isinstance(item, dict):
        return {"non_field_errors": [_("Each activity must be a JSON object.")]}
    errors: Errors = {}

    external_id = _text(
        item, "external_id", errors, max_length=_EXTERNAL_ID_MAX, label="external_id"
    )
    if external_id == "" or (external_id is None and "external_id" not in errors):
        _add(errors, "external_id", _("The external id (external_id) is required."))

    verb_id = 0
    verb = item.get("verb")
    if verb is None or verb == "":
        _add(errors, "verb", _("The verb is required."))
    elif not isinstance(verb, str):
        _add(errors, "verb", _("verb must be a string."))
    else:
        known = verbs.get(verb.strip())
        if known is None:
            _add(errors, "verb", _("Unknown verb “%(verb)s”.") % {"verb": verb[:60]})
        elif not known[1]:
            _add(
                errors,
                "verb",
                _("The verb “%(verb)s” is disabled in this organization.") % {"verb": verb},
            )
        else:
            verb_id = known[0]

    hr_id = _text(item, "agent", errors, max_length=40, label="agent") or ""
    email = _text(item, "agent_email", errors, max_length=254, label="agent_email") or ""
    if not hr_id and not email and "agent" not in errors and "agent_email" not in errors:
        _add(errors, "agent", _("Give the agent's HR id (agent) or e-mail (agent_email)."))

    occurred_at = _occurred_at(item.get("occurred_at"), errors, latest)

    object_type = object_title = object_url = ""
    obj = item.get("object")
    if obj is not None:
        if not isinstance(obj, dict):
            _add(errors, "object", _("object must be a JSON object with type, title and url."))
        else:
            object_type = (
                _text(obj, "type", errors, max_length=_TYPE_MAX, label="object.type") or ""
            )
            object_title = (
                _text(obj, "title", errors, max_length=_TITLE_MAX, label="object.title") or ""
            )
            object_url = _text(obj, "url", errors, max_length=_URL_MAX, label="object.url") or ""
            if object_url and not object_url.lower().startswith(("https://", "http://")):
                _add(errors, "url", _("object.url must start with https:// or http://."))
            # Sub-field errors were filed under their own name: qualify them.
            for sub in ("type", "title", "url"):
                if sub in errors:
                    errors[f"object.{sub}"] = errors.pop(sub)

    if errors:
        return errors
    assert external_id is not None and occurred_at is not None
    return _Valid(
        index,
        external_id,
        verb_id,
        hr_id,
        email.lower(),
        occurred_at,
        object_type,
        object_title,
        object_url,
    )


def _vendor() -> str:
    if connection.vendor not in ("postgresql", "sqlite"):
        raise NotImplementedError(
            f"The ledger supports PostgreSQL and SQLite, not {connection.vendor}"
        )
    return connection.vendor


def _in_list(column: str, values: Sequence[Any]) -> tuple[str, Any]:
    """``column IN <values>`` as one JSON parameter, whatever the number of values (an array
    parameter would be quoted value by value in Python by psycopg's client-side binding)."""
    if _vendor() == "postgresql":
        return f"{column} IN (SELECT json_array_elements_text(%s::json))", json.dumps(list(values))
    return f"{column} IN (SELECT value FROM json_each(%s))", json.dumps(list(values))


AgentRow = tuple[int, str, str, int | None, int | None]


def _agents(
    organization: Organization, hr_ids: set[str], emails: set[str]
) -> tuple[dict[str, AgentRow], dict[str, list[AgentRow]]]:
    """Every agent the batch names, by HR id and by lower-cased e-mail: one query."""
    if not hr_ids and not emails:
        return {}, {}
    table = Agent._meta.db_table
    conditions, params = [], []
    if hr_ids:
        sql, param = _in_list("hr_id", list(hr_ids))
        conditions.append(sql)
        params.append(param)
    if emails:
        sql, param = _in_list("lower(email)", list(emails))
        conditions.append(f"(email <> '' AND {sql})")
        params.append(param)
    # The e-mails only when the batch names agents by e-mail (the usual batch does not).
    email = "lower(email)" if emails else "''"
    query = (
        f"SELECT id, hr_id, {email}, unit_id, site_id FROM {table} "
        f"WHERE organization_id = %s AND ({' OR '.join(conditions)})"
    )
    by_hr_id: dict[str, AgentRow] = {}
    by_email: dict[str, list[AgentRow]] = {}
    with connection.cursor() as cursor:
        cursor.execute(query, [organization.pk, *params])
        for row in cursor.fetchall():
            by_hr_id[row[1]] = row
            if row[2]:
                by_email.setdefault(row[2], []).append(row)
    return by_hr_id, by_email


def _key(item: Any) -> str | None:
    """An item's external id as it will be stored, when it has a usable one."""
    if type(item) is not dict:
        return None
    value = item.get("external_id")
    if type(value) is str:
        return value.strip() or None
    if type(value) is int:
        return str(value)
    return None


# Keys looked up first in a large batch; the whole batch only when one of them is stored.
_PROBE = 32


def _stored_probe(source: ActivitySource, keys: list[str | None]) -> tuple[set[str], bool]:
    """The batch's external ids already stored, and whether that answer covers every item.

    A replay (every id stored) must skip validation and the insert, so stored ids are looked
    up before anything else; but for a batch of new activities that lookup is wasted work
    (5,000 index probes; ON CONFLICT settles new rows anyway). So a large batch probes
    ``_PROBE`` ids spread over it first, and looks up the rest only when one is stored.
    When it does not, the caller must still look up the items it rejects (an item already
    stored is a duplicate, whatever it holds): see ``activities_ingest``.
    """
    present = [key for key in keys if key]
    if len(present) > _PROBE:
        step = len(present) / _PROBE
        if not _stored(source, {present[int(i * step)] for i in range(_PROBE)}):
            return set(), False
    return _stored(source, set(present)), True


def _stored(source: ActivitySource, external_ids: set[str]) -> set[str]:
    """Which of ``external_ids`` the source already has: one query on the unique index."""
    if not external_ids:
        return set()
    table = Activity._meta.db_table
    keys = sorted(external_ids)
    with connection.cursor() as cursor:
        if _vendor() == "postgresql":
            # One probe of the unique index per key, whatever the planner believes. For a
            # source its statistics do not know yet (a new integration, until the next
            # ANALYZE) it expects one row and would read every row of the source instead:
            # 516 ms against 0.3 ms for 32 keys after 90,000 rows on a 10-million-row table.
            cursor.execute(
                "SELECT k.key FROM json_array_elements_text(%s::json) AS k(key) "
                f"CROSS JOIN LATERAL (SELECT 1 FROM {table} a WHERE a.source_id = %s "
                "AND a.external_id = k.key LIMIT 1) AS hit",
                [json.dumps(keys), source.pk],
            )
        else:
            condition, param = _in_list("external_id", keys)
            cursor.execute(
                f"SELECT external_id FROM {table} WHERE source_id = %s AND {condition}",
                [source.pk, param],
            )
        return {row[0] for row in cursor.fetchall()}


_COLUMNS = (
    "organization_id, source_id, external_id, verb_id, agent_id, occurred_at, object_type, "
    "object_title, object_url, unit_id, site_id, created_at"
)


_PG_STAGE = "relais_activity_stage"
_PG_STAGE_TABLE = (
    f"CREATE TEMPORARY TABLE IF NOT EXISTS {_PG_STAGE} (external_id text, verb_id integer, "
    "agent_id bigint, occurred_at timestamptz, object_type text, object_title text, "
    "object_url text, unit_id bigint, site_id bigint) ON COMMIT DELETE ROWS"
)
_UNIQUE_VIOLATION = "23505"  # SQLSTATE
_PG_STAGE_TYPES = ["text", "int4", "int8", "timestamptz", "text", "text", "text", "int8", "int8"]


def _insert(
    organization: Organization,
    source: ActivitySource,
    rows: list[tuple[Any, ...]],
    now: dt.datetime,
    *,
    skip_stored: bool = True,
) -> set[str]:
    """Insert ``rows`` (external_id, verb_id, agent_id, occurred_at, type, title, url,
    unit_id, site_id), skipping external ids already stored; return those inserted.

    Without ``skip_stored`` (PostgreSQL only) the INSERT has no ON CONFLICT clause: a
    stored external id raises ``IntegrityError`` (unique violation), and every row is
    inserted otherwise. ON CONFLICT makes PostgreSQL insert each row speculatively (one more
    WAL record per row): 117 ms against 89 ms per 5,000 rows, measured."""
    table = Activity._meta.db_table
    conflict = "ON CONFLICT (source_id, external_id) DO NOTHING RETURNING external_id"
    with connection.cursor() as cursor:
        if _vendor() == "postgresql":
            # COPY into a temporary staging table, then one INSERT ... SELECT that skips
            # what is stored: measured 143 ms for 5,000 rows against 266 ms for an INSERT
            # unpacking one JSON parameter (the server's JSON casts cost more than the COPY).
            # The table is created in the same transaction when the connection is new (so a
            # transaction pooler is fine), and emptied by the INSERT itself: its rows must
            # not outlive this call even when an outer transaction keeps going.
            # Binary COPY: half the client's CPU of text COPY (7.6 ms against 16 ms per
            # 5,000 rows), and the server does not parse timestamps from text.
            cursor.execute(_PG_STAGE_TABLE)
            with cursor.cursor.copy(f"COPY {_PG_STAGE} FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(_PG_STAGE_TYPES)
                for row in rows:
                    copy.write_row(row)
            cursor.execute(
                f"WITH staged AS (DELETE FROM {_PG_STAGE} RETURNING *) "
                f"INSERT INTO {table} ({_COLUMNS}) "
                "SELECT %s, %s, external_id, verb_id, agent_id, occurred_at, object_type, "
                "object_title, object_url, unit_id, site_id, %s FROM staged "
                f"{conflict if skip_stored else ''}",
                [organization.pk, source.pk, now],
            )
            if not skip_stored:
                return {row[0] for row in rows}
        else:
            adapt = connection.ops.adapt_datetimefield_value
            payload = json.dumps([(r[0], r[1], r[2], adapt(r[3]), *r[4:]) for r in rows])
            picks = ", ".join(f"json_extract(value, '$[{i}]')" for i in range(9))
            # "WHERE true" lifts SQLite's parsing ambiguity between INSERT ... SELECT and
            # ON CONFLICT (documented in its upsert page).
            cursor.execute(
                f"INSERT INTO {table} ({_COLUMNS}) "
                f"SELECT %s, %s, {picks}, %s FROM json_each(%s) WHERE true {conflict}",
                [organization.pk, source.pk, adapt(now), payload],
            )
        return {row[0] for row in cursor.fetchall()}


def activities_ingest(
    *,
    organization: Organization,
    items: Iterable[Any],
    source_code: str = DEFAULT_SOURCE,
    source: ActivitySource | None = None,
    now: dt.datetime | None = None,
) -> IngestReport:
    """Store the valid items that are not stored yet; report on every item, in order.

    Queries per call, whatever the number of items: the source (unless given), the verbs,
    the external ids already stored (over ``_PROBE`` items: a probe of ``_PROBE`` of them,
    then all only when one is stored, otherwise those of the rejected items, if any), the
    agents, one INSERT. An item whose external id is already stored is a duplicate whatever
    else it holds: the stored row never changes.
    Subscribers of ``activities_recorded`` hear about the new rows
    once the transaction commits.
    """
    now = now or timezone.now()
    if source is None:
        source = activity_source_resolve(organization=organization, code=source_code)
    elif source.organization_id != organization.pk:
        raise DomainError(_("This source belongs to another organization."), code="invalid_source")
    verbs = {
        code: (pk, active)
        for code, pk, active in Verb.objects.for_org(organization).values_list(
            "code", "id", "is_active"
        )
    }
    latest = now + FUTURE_TOLERANCE
    cutoff = _past_cutoff(latest)

    items = list(items)
    keys = [_key(item) for item in items]
    stored, complete = _stored_probe(source, keys)

    results: list[dict[str, Any]] = []
    valid: list[_Valid] = []
    rejected: list[int] = []
    for index, item in enumerate(items):
        if stored and keys[index] in stored:
            # Already in the ledger: nothing to check, nothing will change. This is what
            # makes a replay cheap; ON CONFLICT below still covers a concurrent insert.
            results.append({"index": index, "status": Status.DUPLICATE, "errors": {}})
            continue
        outcome = _fast(index, item, verbs, latest, cutoff) or _validate(index, item, verbs, latest)
        if type(outcome) is _Valid:
            valid.append(outcome)
            results.append({"index": index, "status": Status.ACCEPTED, "errors": {}})
        else:
            rejected.append(index)
            results.append({"index": index, "status": Status.REJECTED, "errors": outcome})

    by_hr_id, by_email = _agents(
        organization,
        {item.hr_id for item in valid if item.hr_id},
        {item.email for item in valid if not item.hr_id},
    )

    rows: list[tuple[Any, ...]] = []
    pending: list[tuple[_Valid, AgentRow]] = []
    seen: set[str] = set()
    for item in valid:
        result = results[item.index]
        if item.hr_id:
            agent = by_hr_id.get(item.hr_id)
            if agent is None:
                result["status"] = Status.REJECTED
                result["errors"] = {
                    "agent": [_("Unknown agent (HR id “%(hr_id)s”).") % {"hr_id": item.hr_id}]
                }
                rejected.append(item.index)
                continue
        else:
            matches = by_email.get(item.email, [])
            if len(matches) != 1:
                result["status"] = Status.REJECTED
                message = (
                    _("No agent has the e-mail “%(email)s”.")
                    if not matches
                    else _("Several agents share the e-mail “%(email)s”: send the HR id.")
                )
                result["errors"] = {"agent_email": [message % {"email": item.email}]}
                rejected.append(item.index)
                continue
            agent = matches[0]
        if item.external_id in seen:
            result["status"] = Status.DUPLICATE
            continue
        seen.add(item.external_id)
        rows.append(
            (
                item.external_id,
                item.verb_id,
                agent[0],
                item.occurred_at,
                item.object_type,
                item.object_title,
                item.object_url,
                agent[3],
                agent[4],
            )
        )
        pending.append((item, agent))

    if not complete and rejected:
        # The probe skipped the lookup of stored ids: a rejected item may be a duplicate.
        late = _stored(source, {key for key in (keys[index] for index in rejected) if key})
        for index in rejected:
            if keys[index] in late:
                results[index]["status"] = Status.DUPLICATE
                results[index]["errors"] = {}

    # Only the INSERT runs in a transaction: on SQLite a transaction holds the database's
    # one write lock (settings: IMMEDIATE), and validating 5,000 items under it would
    # serialize the web workers for nothing. The reads above may race with a concurrent
    # write; ON CONFLICT settles it.
    #
    # On PostgreSQL the rows go in first without ON CONFLICT (see ``_insert``): none of
    # them was stored when looked up, so this fails only when the probe missed stored ids
    # or a concurrent request stored some meanwhile; then it is redone with ON CONFLICT.
    def store(skip_stored: bool) -> None:
        with transaction.atomic():
            inserted = (
                _insert(organization, source, rows, now, skip_stored=skip_stored) if rows else set()
            )
            agent_ids, verb_ids = _mark_duplicates(results, pending, inserted)
            if agent_ids:
                codes = {pk: code for code, (pk, _active) in verbs.items()}
                send_after_commit(
                    activities_recorded,
                    organization_id=organization.pk,
                    agent_ids=frozenset(agent_ids),
                    verb_codes=frozenset(codes[pk] for pk in verb_ids),
                    occurred_between=_span(
                        item.occurred_at for item, _agent in pending if item.external_id in inserted
                    ),
                )

    optimistic = _vendor() == "postgresql"
    try:
        store(skip_stored=not optimistic)
    except IntegrityError as exc:
        if not optimistic or getattr(exc.__cause__, "sqlstate", None) != _UNIQUE_VIOLATION:
            raise
        store(skip_stored=True)

    report = IngestReport(results=results)
    for result in results:
        if result["status"] == Status.ACCEPTED:
            report.accepted += 1
        elif result["status"] == Status.DUPLICATE:
            report.duplicates += 1
        else:
            report.rejected += 1
    return report


def _mark_duplicates(
    results: list[dict[str, Any]], pending: list[tuple[_Valid, AgentRow]], inserted: set[str]
) -> tuple[set[int], set[int]]:
    """Items not inserted were stored meanwhile; return the agents and verbs of the rest."""
    agent_ids: set[int] = set()
    verb_ids: set[int] = set()
    for item, agent in pending:
        if item.external_id in inserted:
            agent_ids.add(agent[0])
            verb_ids.add(item.verb_id)
        else:
            results[item.index]["status"] = Status.DUPLICATE
    return agent_ids, verb_ids


def _aware(value: Any) -> dt.datetime:
    """A datetime read by a raw query: aware on PostgreSQL, UTC text on SQLite."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if timezone.is_aware(value) else value.replace(tzinfo=dt.UTC)


def _span(times: Iterable[dt.datetime]) -> tuple[dt.datetime, dt.datetime] | None:
    listed = list(times)
    return (min(listed), max(listed)) if listed else None


# -- Retraction ---------------------------------------------------------------------------


@transaction.atomic
def activities_retract(
    *,
    organization: Organization,
    source_code: str = DEFAULT_SOURCE,
    external_ids: Sequence[Any],
    reason: str = "",
    now: dt.datetime | None = None,
) -> RetractReport:
    """Mark activities as retracted (content unpublished or deleted), once.

    Retracting again changes nothing and reports ``already_retracted``; an id never stored
    is ``not_found``. Subscribers of ``activities_retracted`` hear about the rows after commit.
    """
    now = now or timezone.now()
    reason = (reason or "").strip()
    if len(reason) > _REASON_MAX:
        raise DomainError(
            _("The reason is too long (%(length)d characters, %(max)d at most).")
            % {"length": len(reason), "max": _REASON_MAX},
            code="invalid",
            extra={"reason": [_("Too long.")]},
        )
    if len(external_ids) > MAX_ITEMS:
        raise DomainError(
            _("At most %(max)d external ids per request, not %(count)d.")
            % {"max": MAX_ITEMS, "count": len(external_ids)},
            code="too_many_items",
        )
    code = _check_source_code(source_code)
    source = ActivitySource.objects.for_org(organization).filter(code=code).first()

    results: list[dict[str, Any]] = []
    wanted: list[str] = []
    for value in external_ids:
        if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip():
            results.append(
                {
                    "external_id": value,
                    "status": Status.REJECTED,
                    "errors": {"external_id": [_("An external id must be a non-empty string.")]},
                }
            )
            continue
        external_id = str(value).strip()
        wanted.append(external_id)
        results.append({"external_id": external_id, "status": Status.NOT_FOUND, "errors": {}})

    retracted: dict[str, tuple[int, int]] = {}
    existing: set[str] = set()
    span: tuple[dt.datetime, dt.datetime] | None = None
    if source is not None and wanted:
        table = Activity._meta.db_table
        retractions = ActivityRetraction._meta.db_table
        condition, param = _in_list("external_id", sorted(set(wanted)))
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id, external_id, agent_id, verb_id, occurred_at FROM {table} "
                f"WHERE source_id = %s AND {condition}",
                [source.pk, param],
            )
            rows = cursor.fetchall()
            found = {row[0]: (row[1], row[2], row[3]) for row in rows}
            occurred = {row[0]: row[4] for row in rows}
            existing = {external_id for external_id, _agent, _verb in found.values()}
            if found:
                # The primary key (activity_id) makes a retraction happen once, also when
                # two requests race: only the rows actually inserted are returned.
                select = (
                    "SELECT CAST(value AS bigint), %s, %s FROM json_each(%s) WHERE true"
                    if _vendor() == "sqlite"
                    else "SELECT CAST(e AS bigint), %s, %s "
                    "FROM json_array_elements_text(%s::json) AS e"
                )
                cursor.execute(
                    f"INSERT INTO {retractions} (activity_id, retracted_at, reason) {select} "
                    "ON CONFLICT (activity_id) DO NOTHING RETURNING activity_id",
                    [
                        connection.ops.adapt_datetimefield_value(now),
                        reason,
                        json.dumps(sorted(found)),
                    ],
                )
                inserted_ids = [row[0] for row in cursor.fetchall()]
                retracted = {found[pk][0]: (found[pk][1], found[pk][2]) for pk in inserted_ids}
                span = _span(_aware(occurred[pk]) for pk in inserted_ids)

    report = RetractReport(results=results)
    reported: set[str] = set()
    for result in results:
        external_id = result["external_id"]
        if result["status"] == Status.REJECTED:
            report.rejected += 1
            continue
        if external_id in retracted and external_id not in reported:
            result["status"] = Status.RETRACTED
            report.retracted += 1
        elif external_id in existing or external_id in retracted:
            result["status"] = Status.ALREADY_RETRACTED
            report.already_retracted += 1
        else:
            report.not_found += 1
        reported.add(external_id)
    if retracted:
        verb_codes = dict(Verb.objects.for_org(organization).values_list("id", "code"))
        send_after_commit(
            activities_retracted,
            organization_id=organization.pk,
            agent_ids=frozenset(agent_id for agent_id, _verb in retracted.values()),
            verb_codes=frozenset(verb_codes[verb_id] for _agent, verb_id in retracted.values()),
            occurred_between=span,
        )
    return report


# -- CSV backfill -------------------------------------------------------------------------

CSV_COLUMNS = (
    "external_id",
    "verb",
    "agent",
    "agent_email",
    "occurred_at",
    "object_type",
    "object_title",
    "object_url",
)
CSV_REQUIRED = ("external_id", "verb", "occurred_at")


@dataclass
class TableIngestReport:
    """``IngestReport`` for a file: results carry the file's ``line`` instead of an index."""

    rows: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    results: list[dict[str, Any]] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        # Shallow on purpose: dataclasses.asdict would deep-copy 5,000 result dicts.
        return dict(vars(self))


def activities_ingest_table(
    *,
    organization: Organization,
    source: Any,
    source_code: str = "csv",
    filename: str = "",
    chunk: int = MAX_ITEMS,
    progress: Callable[[int, int], None] | None = None,
) -> TableIngestReport:
    """Stream a CSV or XLSX file (see docs/ingestion.md for the columns) into the ledger in
    chunks of ``chunk`` rows, each chunk its own transaction: a 2-million-line history is
    never held in memory, and what was ingested stays ingested if a later chunk fails.

    The command line is trusted: its source is created on first use even where the
    organization signs its API requests.
    """
    from ambassadors.services.tabular import NotATable, open_table

    activity_source = activity_source_resolve(
        organization=organization, code=source_code, create=True, trusted=True
    )
    report = TableIngestReport()
    with open_table(source, filename) as table:
        header = [name.strip().lower() for name in table.header]
        missing = [name for name in CSV_REQUIRED if name not in header]
        if "agent" not in header and "agent_email" not in header:
            missing.append("agent | agent_email")
        if missing:
            raise NotATable(
                _("Missing columns: %(missing)s. Expected: %(expected)s.")
                % {"missing": ", ".join(missing), "expected": ";".join(CSV_COLUMNS)},
                code="missing_columns",
            )
        report.ignored_columns = [name for name in header if name not in CSV_COLUMNS]
        position = {name: header.index(name) for name in CSV_COLUMNS if name in header}
        total = table.data_rows

        def cell(values: list[str], name: str) -> str | None:
            at = position.get(name)
            if at is None or at >= len(values):
                return None
            return values[at].strip() or None

        lines: list[int] = []
        items: list[dict[str, Any]] = []

        def flush() -> None:
            batch = activities_ingest(
                organization=organization, items=items, source=activity_source
            )
            report.accepted += batch.accepted
            report.duplicates += batch.duplicates
            report.rejected += batch.rejected
            for result in batch.results:
                errors = {
                    # Name the file's columns: object.title is the column object_title.
                    name.replace("object.", "object_"): messages
                    for name, messages in result["errors"].items()
                }
                report.results.append(
                    {"line": lines[result["index"]], "status": result["status"], "errors": errors}
                )
            lines.clear()
            items.clear()
            if progress is not None:
                progress(report.rows, max(total, report.rows))

        for line, values in table.rows():
            report.rows += 1
            obj = {
                "type": cell(values, "object_type"),
                "title": cell(values, "object_title"),
                "url": cell(values, "object_url"),
            }
            lines.append(line)
            items.append(
                {
                    "external_id": cell(values, "external_id"),
                    "verb": cell(values, "verb"),
                    "agent": cell(values, "agent"),
                    "agent_email": cell(values, "agent_email"),
                    "occurred_at": cell(values, "occurred_at"),
                    "object": obj if any(obj.values()) else None,
                }
            )
            if len(items) >= chunk:
                flush()
        if items:
            flush()
    return report
