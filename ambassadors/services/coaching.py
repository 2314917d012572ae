"""Writes of the coaching log: log and change a session, confirm it, the topic catalogue.

A session writes to the activity ledger in the same transaction: ``coaching_given`` for the
coach and ``coaching_received`` for each coached agent, under deterministic external ids
(``coaching:<session id>:given``, ``coaching:<session id>:received:<agent id>``). The ledger
is append-only, so a change is a retraction plus new rows; when a row must be rewritten with
other facts (another date, another coach, an agent coming back after being removed), the
session's ``ledger_version`` goes up and the new rows get fresh ids
(``coaching:<session id>:v2:given``...).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ambassadors.errors import DomainError, NotFound, PermissionDenied
from ambassadors.models import (
    Activity,
    Agent,
    AmbassadorMandate,
    CoachingParticipant,
    CoachingSession,
    CoachingSessionRevision,
    CoachingTopic,
    Organization,
)
from ambassadors.permissions import Action, Actor
from ambassadors.services.ledger import (
    activities_ingest,
    activities_retract,
    activity_source_resolve,
)
from ambassadors.signals import coaching_confirmed, send_after_commit

LEDGER_SOURCE = "relais"
EDIT_WINDOW = dt.timedelta(days=7)
# The form's "now" is rendered by the server and a phone's clock drifts: a few minutes ahead
# is not "in the future".
FUTURE_TOLERANCE = dt.timedelta(minutes=5)
MAX_DURATION_MINUTES = 8 * 60
MAX_HEADCOUNT = 1000
MAX_AGENTS = 100
MAX_NOTES = 5000
_SIGNING_SALT = "relais.coaching.confirm"

DEFAULT_TOPICS: tuple[tuple[str, str], ...] = (
    ("login", "Connexion et identifiants"),
    ("directory_profile", "Profil de l’annuaire"),
    ("find_document", "Trouver un document"),
    ("publish_news", "Publier une actualité"),
    ("mobile_app", "L’application mobile"),
    ("welcome_tour", "La visite guidée (Welcome Tour)"),
    ("search", "La recherche"),
    ("online_forms", "Les démarches en ligne"),
    ("notifications", "Notifications et abonnements"),
)


@dataclass(frozen=True)
class SessionData:
    """What a person or an integration says about a session, already resolved to objects of
    the organization (agents by id or HR id, topics by id or code)."""

    coach: Agent
    agents: Sequence[Agent]
    occurred_at: dt.datetime
    headcount: int | None = None
    duration_minutes: int = 15
    format: str = CoachingSession.Format.INDIVIDUAL
    place: str = CoachingSession.Place.AGENT_WORKPLACE
    equipment: str = ""
    topics: Sequence[CoachingTopic] = ()
    autonomy_after: str = ""
    follow_up_on: dt.date | None = None
    notes: str = ""


# -- Topics -------------------------------------------------------------------------------


@transaction.atomic
def coaching_topics_ensure_defaults(*, organization: Organization) -> int:
    """Create the default topics the organization lacks; return how many. Idempotent; a
    topic the organization renamed or deactivated is left as it is."""
    existing = set(CoachingTopic.objects.for_org(organization).values_list("code", flat=True))
    missing = [
        CoachingTopic(organization=organization, code=code, label=label, position=position)
        for position, (code, label) in enumerate(DEFAULT_TOPICS, start=1)
        if code not in existing
    ]
    if missing:
        CoachingTopic.objects.bulk_create(missing, ignore_conflicts=True)
    return len(missing)


# -- Validation ---------------------------------------------------------------------------


def _add(errors: dict[str, list[str]], name: str, message: str) -> None:
    errors.setdefault(name, []).append(message)


def _raise(errors: dict[str, list[str]]) -> None:
    if errors:
        first = next(iter(errors.values()))[0]
        raise DomainError(first, code="invalid", extra=errors)


def coach_has_active_mandate(*, organization: Organization, coach: Agent) -> bool:
    today = timezone.localdate()
    return (
        AmbassadorMandate.objects.for_org(organization)
        .filter(agent=coach, status=AmbassadorMandate.Status.ACTIVE)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .exists()
    )


def _validate(*, organization: Organization, data: SessionData, now: dt.datetime) -> list[Agent]:
    """Check every rule; raise one DomainError naming each faulty field. Returns the coached
    agents without duplicates, in the order given."""
    errors: dict[str, list[str]] = {}
    coach = data.coach
    if coach.organization_id != organization.pk:
        _add(errors, "coach", _("The coach belongs to another organization."))
    elif not coach_has_active_mandate(organization=organization, coach=coach):
        _add(
            errors,
            "coach",
            _("%(name)s holds no active ambassador mandate: only ambassadors log coaching.")
            % {"name": coach.full_name},
        )

    agents: list[Agent] = []
    for agent in data.agents:
        if agent.organization_id != organization.pk:
            _add(errors, "agents", _("An agent belongs to another organization."))
        elif all(agent.pk != kept.pk for kept in agents):
            agents.append(agent)
    if any(agent.pk == coach.pk for agent in agents):
        _add(
            errors,
            "agents",
            _("%(name)s is the coach: an ambassador cannot log coaching given to themselves.")
            % {"name": coach.full_name},
        )
    if len(agents) > MAX_AGENTS:
        _add(errors, "agents", _("At most %(max)d coached agents.") % {"max": MAX_AGENTS})
    if data.headcount is not None and not 1 <= data.headcount <= MAX_HEADCOUNT:
        _add(
            errors,
            "headcount",
            _("The head count must be between 1 and %(max)d.") % {"max": MAX_HEADCOUNT},
        )
    if not agents and data.headcount is None and "agents" not in errors:
        _add(
            errors,
            "agents",
            _("Name at least one coached agent, or give a head count for a group demo."),
        )

    occurred_at = data.occurred_at
    if timezone.is_naive(occurred_at):
        _add(errors, "occurred_at", _("The date and time has no time zone."))
    elif occurred_at > now + FUTURE_TOLERANCE:
        _add(
            errors,
            "occurred_at",
            _("The session cannot be in the future: log it once it has taken place."),
        )
    if not 1 <= data.duration_minutes <= MAX_DURATION_MINUTES:
        _add(
            errors,
            "duration_minutes",
            _("The duration must be between 1 and %(max)d minutes.")
            % {"max": MAX_DURATION_MINUTES},
        )
    for name, choices in (
        ("format", CoachingSession.Format),
        ("place", CoachingSession.Place),
        ("equipment", CoachingSession.Equipment),
        ("autonomy_after", CoachingSession.Autonomy),
    ):
        value = getattr(data, name)
        optional = name in ("equipment", "autonomy_after")
        if not (value in choices.values or (optional and value == "")):
            _add(
                errors,
                name,
                _("“%(value)s” is not one of: %(choices)s.")
                % {"value": value, "choices": ", ".join(choices.values)},
            )
    if any(topic.organization_id != organization.pk for topic in data.topics):
        _add(errors, "topics", _("A topic belongs to another organization."))
    if (
        data.follow_up_on is not None
        and not timezone.is_naive(occurred_at)
        and data.follow_up_on < timezone.localtime(occurred_at).date()
    ):
        _add(errors, "follow_up_on", _("The follow-up date is before the session."))
    if len(data.notes) > MAX_NOTES:
        _add(
            errors,
            "notes",
            _("The notes are too long (%(max)d characters at most).") % {"max": MAX_NOTES},
        )
    _raise(errors)
    return agents


def _check_may_log(*, actor: Actor | None, coach: Agent) -> None:
    if actor is None:
        return  # an integration's token: its ``coaching:write`` scope was checked
    if not actor.can(Action.LOG_COACHING):
        raise PermissionDenied(_("Only ambassadors and the communication team log coaching."))
    if not actor.is_comms and (actor.agent is None or actor.agent.pk != coach.pk):
        raise PermissionDenied(
            _("You can only log the sessions you gave yourself."),
            extra={"coach": [_("You can only log the sessions you gave yourself.")]},
        )


def coaching_edit_deadline(session: CoachingSession) -> dt.datetime:
    """Until when the coach may change the session without the communication team."""
    return max(session.occurred_at, session.created_at) + EDIT_WINDOW


def coaching_may_edit(*, actor: Actor, session: CoachingSession, now: dt.datetime) -> bool:
    if actor.organization.pk != session.organization_id:
        return False
    if actor.can(Action.EDIT_OLD_COACHING):
        return True
    is_coach = actor.agent is not None and actor.agent.pk == session.coach_id
    return is_coach and actor.can(Action.LOG_COACHING) and now <= coaching_edit_deadline(session)


# -- Snapshots and the ledger -------------------------------------------------------------


def _snapshot(session: CoachingSession, agents: Sequence[Agent], topics: Sequence[Any]) -> dict:
    return {
        "coach": {
            "id": session.coach.pk,
            "hr_id": session.coach.hr_id,
            "name": session.coach.full_name,
        },
        "agents": [
            {"id": agent.pk, "hr_id": agent.hr_id, "name": agent.full_name}
            for agent in sorted(agents, key=lambda a: a.pk)
        ],
        "headcount": session.headcount,
        "occurred_at": session.occurred_at.isoformat(),
        "duration_minutes": session.duration_minutes,
        "format": session.format,
        "place": session.place,
        "equipment": session.equipment,
        "topics": sorted(topic.code for topic in topics),
        "autonomy_after": session.autonomy_after,
        "follow_up_on": session.follow_up_on.isoformat() if session.follow_up_on else None,
        "notes": session.notes,
    }


def _record_revision(
    *,
    session: CoachingSession,
    snapshot: dict,
    previous: dict | None,
    user: Any,
    actor: Actor | None,
) -> CoachingSessionRevision:
    changed = sorted(
        key for key in snapshot if previous is None or previous.get(key) != snapshot[key]
    )
    number = (
        CoachingSessionRevision.objects.filter(session=session)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
        or 0
    ) + 1
    if actor is not None and actor.agent is not None:
        label = actor.agent.full_name
    elif user is not None and getattr(user, "is_authenticated", False):
        label = user.get_username()
    else:
        label = _("API integration")
    return CoachingSessionRevision.objects.create(
        organization_id=session.organization_id,
        session=session,
        number=number,
        kind=(
            CoachingSessionRevision.Kind.CREATED
            if previous is None
            else CoachingSessionRevision.Kind.UPDATED
        ),
        snapshot=snapshot,
        changed_fields=[] if previous is None else changed,
        changed_by=user if getattr(user, "is_authenticated", False) else None,
        changed_by_label=label[:200],
    )


def _ledger_keys(session: CoachingSession, version: int, agents: Sequence[Agent]) -> dict:
    base = f"coaching:{session.pk}" if version == 1 else f"coaching:{session.pk}:v{version}"
    keys: dict[str, tuple[Agent, str]] = {f"{base}:given": (session.coach, "coaching_given")}
    for agent in agents:
        keys[f"{base}:received:{agent.pk}"] = (agent, "coaching_received")
    return keys


def _ledger_sync(
    *,
    organization: Organization,
    session: CoachingSession,
    agents: Sequence[Agent],
    now: dt.datetime,
) -> None:
    """Make the session's live ledger rows say what the session says, in this transaction."""
    source = activity_source_resolve(organization=organization, code=LEDGER_SOURCE, trusted=True)
    stored = {
        row.external_id: row
        for row in Activity.objects.for_org(organization)
        .filter(source=source, external_id__startswith=f"coaching:{session.pk}:")
        .select_related("retraction")
        .only("external_id", "agent_id", "occurred_at", "retraction__retracted_at")
    }
    version = session.ledger_version

    def conflicts(keys: dict[str, tuple[Agent, str]]) -> bool:
        for key, (agent, _verb) in keys.items():
            row = stored.get(key)
            if row is not None and (
                row.retracted_at is not None
                or row.agent_id != agent.pk
                or row.occurred_at != session.occurred_at
            ):
                return True
        return False

    wanted = _ledger_keys(session, version, agents)
    while conflicts(wanted):
        version += 1
        wanted = _ledger_keys(session, version, agents)
    if version != session.ledger_version:
        session.ledger_version = version
        CoachingSession.objects.filter(pk=session.pk).update(ledger_version=version)

    stale = [key for key, row in stored.items() if key not in wanted and row.retracted_at is None]
    if stale:
        activities_retract(
            organization=organization,
            source_code=LEDGER_SOURCE,
            external_ids=stale,
            reason="coaching session changed",
            now=now,
        )
    title = session.get_format_display()
    items = [
        {
            "external_id": key,
            "verb": verb,
            "agent": agent.hr_id,
            "occurred_at": session.occurred_at.isoformat(),
            "object": {"type": "coaching_session", "title": str(title)[:200]},
        }
        for key, (agent, verb) in wanted.items()
        if key not in stored
    ]
    if items:
        report = activities_ingest(organization=organization, items=items, source=source, now=now)
        if report.rejected:
            rejected = [r for r in report.results if r["status"] == "rejected"]
            raise DomainError(
                _("The activity ledger refused the session: %(errors)s")
                % {"errors": rejected[0]["errors"]},
                code="ledger_rejected",
            )


# -- Create and update --------------------------------------------------------------------


def _apply(session: CoachingSession, data: SessionData) -> None:
    session.coach = data.coach
    session.headcount = data.headcount
    session.occurred_at = data.occurred_at
    session.duration_minutes = data.duration_minutes
    session.format = data.format
    session.place = data.place
    session.equipment = data.equipment
    session.autonomy_after = data.autonomy_after
    session.follow_up_on = data.follow_up_on
    session.notes = data.notes


@transaction.atomic
def coaching_session_create(
    *,
    organization: Organization,
    data: SessionData,
    actor: Actor | None,
    user: Any = None,
    now: dt.datetime | None = None,
) -> CoachingSession:
    """Log a session. ``actor`` is the person logging it, or None for an integration's token
    (whose scope the API checked); ``user`` is recorded as its author."""
    now = now or timezone.now()
    _check_may_log(actor=actor, coach=data.coach)
    agents = _validate(organization=organization, data=data, now=now)
    session = CoachingSession(
        organization=organization,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    _apply(session, data)
    session.save()
    CoachingParticipant.objects.bulk_create(
        [
            CoachingParticipant(organization=organization, session=session, agent=agent)
            for agent in agents
        ]
    )
    session.topics.set(data.topics)
    _record_revision(
        session=session,
        snapshot=_snapshot(session, agents, data.topics),
        previous=None,
        user=user,
        actor=actor,
    )
    _ledger_sync(organization=organization, session=session, agents=agents, now=now)
    return session


@transaction.atomic
def coaching_session_update(
    *,
    session: CoachingSession,
    data: SessionData,
    actor: Actor,
    user: Any = None,
    now: dt.datetime | None = None,
) -> CoachingSession:
    """Change a session: the coach within 7 days, the communication team at any time. Each
    change is kept as a revision; the ledger follows."""
    now = now or timezone.now()
    organization = actor.organization
    if session.organization_id != organization.pk:
        raise NotFound(_("No such coaching session."))
    # Lock the row: two edits at once would both read the same revision number.
    session = CoachingSession.objects.select_for_update().select_related("coach").get(pk=session.pk)
    if not coaching_may_edit(actor=actor, session=session, now=now):
        is_coach = actor.agent is not None and actor.agent.pk == session.coach_id
        if is_coach:
            message = _(
                "This session was held or logged more than 7 days ago: only the communication "
                "team can change it now."
            )
            raise PermissionDenied(
                message, code="edit_window_closed", extra={"occurred_at": [message]}
            )
        raise PermissionDenied(_("Only the coach or the communication team can change it."))
    if not actor.is_comms and data.coach.pk != session.coach_id:
        raise PermissionDenied(
            _("Only the communication team can give a session to another coach."),
            extra={"coach": [_("Only the communication team can change the coach.")]},
        )
    agents = _validate(organization=organization, data=data, now=now)
    old_agents = list(session.agents.all())
    previous = _snapshot(session, old_agents, list(session.topics.all()))
    _apply(session, data)
    snapshot = _snapshot(session, agents, data.topics)
    if snapshot == previous:
        return session
    session.save()
    old_ids = {agent.pk for agent in old_agents}
    new_ids = {agent.pk for agent in agents}
    CoachingParticipant.objects.filter(session=session, agent_id__in=old_ids - new_ids).delete()
    CoachingParticipant.objects.bulk_create(
        [
            CoachingParticipant(organization=organization, session=session, agent=agent)
            for agent in agents
            if agent.pk not in old_ids
        ]
    )
    session.topics.set(data.topics)
    _record_revision(session=session, snapshot=snapshot, previous=previous, user=user, actor=actor)
    _ledger_sync(organization=organization, session=session, agents=agents, now=now)
    return session


# -- Confirmation -------------------------------------------------------------------------


def coaching_confirmation_token(participant: CoachingParticipant) -> str:
    """The signed token of the confirmation link (and QR code) for one coached agent."""
    return signing.Signer(salt=_SIGNING_SALT).sign(
        f"{participant.pk}.{participant.confirmation_nonce}"
    )


def coaching_participant_for_token(
    *, organization: Organization, token: str
) -> CoachingParticipant:
    """The coached agent a link stands for; NotFound for a forged, revoked or foreign one."""
    try:
        value = signing.Signer(salt=_SIGNING_SALT).unsign(token)
        pk_text, nonce = value.split(".", 1)
        pk = int(pk_text)
    except (signing.BadSignature, ValueError) as exc:
        raise NotFound(_("This confirmation link is not valid.")) from exc
    participant = (
        CoachingParticipant.objects.for_org(organization)
        .select_related("agent", "session", "session__coach")
        .filter(pk=pk)
        .first()
    )
    if participant is None or not secrets.compare_digest(participant.confirmation_nonce, nonce):
        raise NotFound(_("This confirmation link is not valid."))
    return participant


def _confirm(
    participant: CoachingParticipant, *, user: Any, channel: str, now: dt.datetime
) -> CoachingParticipant:
    if participant.confirmed_at is not None:
        return participant  # confirming twice changes nothing
    participant.confirmed_at = now
    participant.confirmed_by = user if getattr(user, "is_authenticated", False) else None
    participant.confirmation_channel = channel
    participant.save(update_fields=["confirmed_at", "confirmed_by", "confirmation_channel"])
    session = participant.session
    send_after_commit(
        coaching_confirmed,
        organization_id=participant.organization_id,
        agent_ids=frozenset({session.coach_id, participant.agent_id}),
        verb_codes=frozenset({"coaching_given", "coaching_received"}),
    )
    return participant


@transaction.atomic
def coaching_participant_confirm(
    *,
    participant: CoachingParticipant,
    actor: Actor,
    user: Any = None,
    now: dt.datetime | None = None,
) -> CoachingParticipant:
    """The coached agent confirms from their home page, or their manager for them."""
    now = now or timezone.now()
    if participant.organization_id != actor.organization.pk:
        raise NotFound(_("No such coaching session."))
    agent = participant.agent
    if actor.agent is not None and actor.agent.pk == participant.session.coach_id:
        raise PermissionDenied(_("The coach cannot confirm their own session."))
    if not actor.can(Action.CONFIRM_COACHING, agent):
        raise PermissionDenied(
            _("Only %(name)s, or their manager, can confirm this session.")
            % {"name": agent.full_name}
        )
    is_self = actor.agent is not None and actor.agent.pk == agent.pk
    channel = CoachingParticipant.Channel.HOME if is_self else CoachingParticipant.Channel.MANAGER
    return _confirm(participant, user=user, channel=channel, now=now)


@transaction.atomic
def coaching_confirm_with_token(
    *,
    organization: Organization,
    token: str,
    user: Any = None,
    now: dt.datetime | None = None,
) -> CoachingParticipant:
    """The coached agent confirms with the link or QR code, possibly on a colleague's phone:
    the signed token stands for them."""
    participant = coaching_participant_for_token(organization=organization, token=token)
    return _confirm(
        participant, user=user, channel=CoachingParticipant.Channel.LINK, now=now or timezone.now()
    )
