"""Writes on events: planning one, recording and removing attendance.

Attendance writes ``event_attended`` to the ledger through ``activities_ingest`` (source
``relais``), with the external id ``event:<event id>:attended:<agent id>``: recording the
same agent twice stores one activity. Removing an attendance retracts that activity. The
ledger never forgets an external id, retracted or not, so an agent removed then added again
gets a fresh one, ``event:<event id>:attended:<agent id>:2`` (then ``:3``...).

Capacity is a planning figure, not a gate: people who came did come. Recording more
attendees than the capacity keeps them all and returns a warning (``over_capacity``) that
the page and the API show.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q, Value
from django.db.models.functions import Concat, Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from ambassadors.errors import DomainError
from ambassadors.models import (
    Activity,
    ActivitySource,
    Agent,
    Event,
    EventAttendance,
    Organization,
    OrgUnit,
    Site,
)
from ambassadors.services.ledger import (
    activities_ingest,
    activities_retract,
    activity_source_resolve,
)

RELAIS_SOURCE = "relais"
ATTENDED_VERB = "event_attended"
MAX_LINES = 1000
_TITLE_MAX = Event._meta.get_field("title").max_length or 200


def attended_external_id(event_id: int, agent_id: int, attempt: int = 1) -> str:
    base = f"event:{event_id}:attended:{agent_id}"
    return base if attempt == 1 else f"{base}:{attempt}"


# -- Planning -----------------------------------------------------------------------------


@transaction.atomic
def event_create(
    *,
    organization: Organization,
    title: str,
    kind: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime | None = None,
    unit: OrgUnit | None = None,
    site: Site | None = None,
    mode: str = Event.Mode.IN_PERSON,
    capacity: int | None = None,
    organiser: Agent | None = None,
    notes: str = "",
) -> Event:
    """Plan an event; every problem is reported under its field's name."""
    errors: dict[str, list[str]] = {}
    title = (title or "").strip()
    if not title:
        errors["title"] = [_("Give the event a title.")]
    elif len(title) > _TITLE_MAX:
        errors["title"] = [
            _("The title is too long (%(max)d characters at most).") % {"max": _TITLE_MAX}
        ]
    if kind not in Event.Kind.values:
        errors["kind"] = [_("Unknown kind of event “%(kind)s”.") % {"kind": kind}]
    if mode not in Event.Mode.values:
        errors["mode"] = [_("Choose in person or remote.")]
    if starts_at is None or timezone.is_naive(starts_at):
        errors["starts_at"] = [_("Give the start date and time.")]
    ends_at = ends_at or (starts_at + dt.timedelta(hours=1) if starts_at else None)
    if ends_at is not None and starts_at is not None and ends_at < starts_at:
        errors["ends_at"] = [_("The event cannot end before it starts.")]
    if capacity is not None and capacity < 1:
        errors["capacity"] = [_("The capacity is at least 1, or empty for no limit.")]
    for name, related in (("unit", unit), ("site", site), ("organiser", organiser)):
        if related is not None and related.organization_id != organization.pk:
            errors[name] = [_("This belongs to another organization.")]
    if errors:
        first = next(iter(errors.values()))[0]
        raise DomainError(first, code="invalid", extra=errors)
    assert ends_at is not None
    return Event.objects.create(
        organization=organization,
        title=title,
        kind=kind,
        starts_at=starts_at,
        ends_at=ends_at,
        unit=unit,
        site=site,
        mode=mode,
        capacity=capacity,
        organiser=organiser,
        notes=(notes or "").strip(),
    )


def event_expected_agents(*, event: Event) -> list[Agent]:
    """The agents an event is for: present agents of its unit (and below) and/or its site
    (both given: those of the unit who work on the site). None given: nobody in particular."""
    if event.unit_id is None and event.site_id is None:
        return []
    agents = Agent.objects.for_org(event.organization_id).present(
        timezone.localdate(event.starts_at)
    )
    if event.unit_id is not None and event.unit is not None:
        agents = agents.filter(unit__path__startswith=event.unit.path)
    if event.site_id is not None:
        agents = agents.filter(site_id=event.site_id)
    return list(agents.select_related("unit").order_by("last_name", "first_name", "hr_id"))


# -- Attendance ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LineError:
    line: int
    text: str
    message: str


@dataclass
class AttendanceReport:
    added: list[Agent] = field(default_factory=list)
    already: list[Agent] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)
    attendees: int = 0
    capacity: int | None = None

    @property
    def over_capacity(self) -> int:
        if self.capacity is None:
            return 0
        return max(0, self.attendees - self.capacity)

    @property
    def warning(self) -> str:
        if not self.over_capacity:
            return ""
        return _(
            "%(attendees)d attendees for a capacity of %(capacity)d: all are recorded; "
            "check the room or plan another session."
        ) % {"attendees": self.attendees, "capacity": self.capacity}


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def attendance_resolve_lines(
    *, organization: Organization, lines: Sequence[str]
) -> tuple[list[Agent], list[LineError]]:
    """Agents named one per line, by HR id (alone, or first on the line) or by name
    ("First Last" or "Last First"); blank lines are skipped. One query."""
    if len(lines) > MAX_LINES:
        raise DomainError(
            _("At most %(max)d lines at a time, not %(count)d.")
            % {"max": MAX_LINES, "count": len(lines)},
            code="too_many_lines",
        )
    wanted = [(number, line.strip()) for number, line in enumerate(lines, start=1)]
    wanted = [(number, line) for number, line in wanted if line]
    if not wanted:
        return [], []
    hr_ids: set[str] = set()
    names: set[str] = set()
    for _number, line in wanted:
        first = line.split()[0]
        hr_ids |= {line, line.upper(), first, first.upper()}
        names.add(_normal(line))
    candidates = list(
        Agent.objects.for_org(organization)
        .annotate(
            first_last=Lower(Concat("first_name", Value(" "), "last_name")),
            last_first=Lower(Concat("last_name", Value(" "), "first_name")),
        )
        .filter(Q(hr_id__in=hr_ids) | Q(first_last__in=names) | Q(last_first__in=names))
        .select_related("unit")
    )
    by_hr_id = {agent.hr_id: agent for agent in candidates}
    by_name: dict[str, list[Agent]] = {}
    for candidate in candidates:
        full, reverse = candidate.full_name, f"{candidate.last_name} {candidate.first_name}"
        for name in {_normal(full), _normal(reverse)}:
            by_name.setdefault(name, []).append(candidate)

    found: list[Agent] = []
    errors: list[LineError] = []
    for number, line in wanted:
        first = line.split()[0]
        agent: Agent | None = (
            by_hr_id.get(line)
            or by_hr_id.get(line.upper())
            or by_hr_id.get(first)
            or by_hr_id.get(first.upper())
        )
        if agent is None:
            matches = by_name.get(_normal(line), [])
            if len(matches) == 1:
                agent = matches[0]
            elif matches:
                errors.append(
                    LineError(
                        number,
                        line,
                        _(
                            "Line %(line)d (“%(text)s”): %(count)d agents have this name; "
                            "give the HR id."
                        )
                        % {"line": number, "text": line[:80], "count": len(matches)},
                    )
                )
                continue
        if agent is None:
            errors.append(
                LineError(
                    number,
                    line,
                    _("Line %(line)d (“%(text)s”): no agent has this HR id or name.")
                    % {"line": number, "text": line[:80]},
                )
            )
            continue
        found.append(agent)
    return found, errors


def _relais_source(organization: Organization) -> ActivitySource:
    # Relais's own writes are trusted: the source exists even where API requests are signed.
    return activity_source_resolve(
        organization=organization, code=RELAIS_SOURCE, create=True, trusted=True
    )


@transaction.atomic
def attendance_record(
    *,
    event: Event,
    agents: Sequence[Agent] = (),
    lines: Sequence[str] = (),
    recorded_by: Agent | None = None,
    now: dt.datetime | None = None,
) -> AttendanceReport:
    """Record who attended: ``agents`` picked, and/or ``lines`` of HR ids or names.

    A line that names nobody is reported with its number; the good lines are kept. An agent
    already recorded is reported as such and changes nothing. Queries: a constant handful,
    whatever the number of agents.
    """
    now = now or timezone.now()
    organization = event.organization
    if event.starts_at > now:
        raise DomainError(
            _("“%(title)s” has not started yet: attendance is recorded once it has begun.")
            % {"title": event.title},
            code="event_not_started",
        )
    resolved, errors = attendance_resolve_lines(organization=organization, lines=lines)
    report = AttendanceReport(errors=errors, capacity=event.capacity)
    wanted: dict[int, Agent] = {}
    for agent in [*agents, *resolved]:
        if agent.organization_id != organization.pk:
            raise DomainError(_("This agent belongs to another organization."), code="not_found")
        wanted.setdefault(agent.pk, agent)

    recorded = set(EventAttendance.objects.filter(event=event).values_list("agent_id", flat=True))
    new = [agent for pk, agent in wanted.items() if pk not in recorded]
    report.already = [agent for pk, agent in wanted.items() if pk in recorded]
    report.attendees = len(recorded) + len(new)
    if not new:
        return report

    source = _relais_source(organization)
    prefix = f"event:{event.pk}:attended:"
    # Every external id this event ever used (removed attendances are retracted, kept).
    used = set(
        Activity.objects.filter(source=source, external_id__startswith=prefix).values_list(
            "external_id", flat=True
        )
    )
    rows = []
    for agent in new:
        attempt = 1
        while attended_external_id(event.pk, agent.pk, attempt) in used:
            attempt += 1
        rows.append(
            EventAttendance(
                organization=organization,
                event=event,
                agent=agent,
                external_id=attended_external_id(event.pk, agent.pk, attempt),
                recorded_at=now,
                recorded_by=recorded_by,
            )
        )
    EventAttendance.objects.bulk_create(rows)
    ingest = activities_ingest(
        organization=organization,
        source=source,
        now=now,
        items=[
            {
                "external_id": row.external_id,
                "verb": ATTENDED_VERB,
                "agent": row.agent.hr_id,
                "occurred_at": event.starts_at.isoformat(),
                "object": {"type": "event", "title": event.title[:200]},
            }
            for row in rows
        ],
    )
    if ingest.rejected:
        # The verb was disabled by the organization, most likely: say so, keep nothing.
        problems = [
            message
            for result in ingest.results
            for messages in result["errors"].values()
            for message in messages
        ]
        raise DomainError(
            _("The ledger refused the attendance: %(problems)s")
            % {"problems": " ".join(sorted(set(problems)))},
            code="ledger_refused",
        )
    report.added = new
    return report


@transaction.atomic
def attendance_remove(*, event: Event, agent: Agent, now: dt.datetime | None = None) -> bool:
    """Remove an agent's attendance and retract its ledger row; False if not recorded."""
    attendance = EventAttendance.objects.filter(event=event, agent=agent).first()
    if attendance is None:
        return False
    external_id = attendance.external_id
    attendance.delete()
    activities_retract(
        organization=event.organization,
        source_code=RELAIS_SOURCE,
        external_ids=[external_id],
        reason="attendance removed",
        now=now,
    )
    return True
