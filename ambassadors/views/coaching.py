"""Pages of the coaching log: log a session from a phone, my sessions, one session, confirm.

The form works without JavaScript: agents are found with a "Search" button that re-renders
the form with the matches as checkboxes; ``static/relais/coaching.js`` turns that into a
type-ahead over ``/api/v1/agents`` when it can.
"""

from __future__ import annotations

import zoneinfo
from typing import Any

import segno
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.decorators.http import require_http_methods

from ..errors import DomainError, NotFound
from ..errors import PermissionDenied as DomainPermissionDenied
from ..models import Agent, CoachingSession, CoachingTopic, Organization
from ..permissions import Action, Actor, actor_for_request
from ..selectors import agent_list
from ..selectors_coaching import (
    coaching_coaches,
    coaching_notes_visible,
    coaching_revisions,
    coaching_session_get,
    coaching_session_list,
    coaching_session_visible,
    coaching_topics,
)
from ..services.coaching import (
    SessionData,
    coaching_confirm_with_token,
    coaching_confirmation_token,
    coaching_edit_deadline,
    coaching_may_edit,
    coaching_participant_confirm,
    coaching_participant_for_token,
    coaching_session_create,
    coaching_session_update,
    coaching_topics_ensure_defaults,
)

SESSIONS_PER_PAGE = 25
SEARCH_RESULTS = 10
DURATIONS = (5, 10, 15, 30, 45, 60, 90, 120)
FIELD_LABELS = {
    "coach": gettext_lazy("Coach"),
    "agents": gettext_lazy("Coached agents"),
    "headcount": gettext_lazy("Anonymous head count"),
    "occurred_at": gettext_lazy("Date and time"),
    "duration_minutes": gettext_lazy("Duration"),
    "format": gettext_lazy("Format"),
    "place": gettext_lazy("Place"),
    "equipment": gettext_lazy("Equipment used"),
    "topics": gettext_lazy("Topics"),
    "autonomy_after": gettext_lazy("Autonomy after the session"),
    "follow_up_on": gettext_lazy("Follow-up on"),
    "notes": gettext_lazy("Notes"),
}


def _actor_or_404(request: HttpRequest) -> Actor:
    actor = actor_for_request(request)
    if actor is None:
        raise Http404("No organization for this request")
    return actor


def _tz(organization: Organization) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(organization.timezone)


class CoachingSessionForm(forms.Form):
    coach = forms.ModelChoiceField(queryset=Agent.objects.none(), required=False)
    agents = forms.ModelMultipleChoiceField(queryset=Agent.objects.none(), required=False)
    headcount = forms.IntegerField(required=False, min_value=1, max_value=1000)
    occurred_at = forms.DateTimeField(
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
    )
    duration_minutes = forms.IntegerField(min_value=1, max_value=480)
    format = forms.ChoiceField(choices=CoachingSession.Format.choices)
    place = forms.ChoiceField(choices=CoachingSession.Place.choices)
    equipment = forms.ChoiceField(
        choices=[("", "—"), *CoachingSession.Equipment.choices], required=False
    )
    topics = forms.ModelMultipleChoiceField(queryset=CoachingTopic.objects.none(), required=False)
    autonomy_after = forms.ChoiceField(
        choices=[("", "—"), *CoachingSession.Autonomy.choices], required=False
    )
    follow_up_on = forms.DateField(required=False, input_formats=["%Y-%m-%d"])
    notes = forms.CharField(required=False, max_length=5000)

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organization = organization
        agents = Agent.objects.for_org(organization).select_related("unit")
        self.fields["coach"].queryset = agents  # type: ignore[attr-defined]
        self.fields["agents"].queryset = agents  # type: ignore[attr-defined]
        self.fields["topics"].queryset = CoachingTopic.objects.for_org(  # type: ignore[attr-defined]
            organization
        )


def _initial(actor: Actor, request: HttpRequest) -> dict[str, Any]:
    now = timezone.localtime(timezone.now(), _tz(actor.organization))
    initial: dict[str, Any] = {
        "occurred_at": now.strftime("%Y-%m-%dT%H:%M"),
        "duration_minutes": 15,
        "format": CoachingSession.Format.INDIVIDUAL,
        "place": CoachingSession.Place.AGENT_WORKPLACE,
        "coach": actor.agent.pk if actor.agent else None,
        "agents": [],
        "topics": [],
    }
    agent_id = request.GET.get("agent", "")
    if agent_id.isdigit():
        initial["agents"] = [int(agent_id)]
    return initial


def _initial_from_session(session: CoachingSession) -> dict[str, Any]:
    local = timezone.localtime(session.occurred_at, _tz(session.organization))
    return {
        "coach": session.coach_id,
        "agents": [participant.agent_id for participant in session.participants.all()],
        "headcount": session.headcount,
        "occurred_at": local.strftime("%Y-%m-%dT%H:%M"),
        "duration_minutes": session.duration_minutes,
        "format": session.format,
        "place": session.place,
        "equipment": session.equipment,
        "topics": [topic.pk for topic in session.topics.all()],
        "autonomy_after": session.autonomy_after,
        "follow_up_on": session.follow_up_on.isoformat() if session.follow_up_on else "",
        "notes": session.notes,
    }


def _values(form: CoachingSessionForm) -> dict[str, Any]:
    """What the form shows: the submitted values when bound, else the initial ones."""
    if not form.is_bound:
        values = dict(form.initial)
    else:
        values = {name: form.data.get(name, "") for name in form.fields}
        posted: Any = form.data  # a QueryDict: several values per name
        values["agents"] = posted.getlist("agents")
        values["topics"] = posted.getlist("topics")
    values["agents"] = [str(v) for v in values.get("agents") or []]
    values["topics"] = [str(v) for v in values.get("topics") or []]
    for name in ("coach", "headcount", "duration_minutes"):
        values[name] = "" if values.get(name) is None else str(values[name])
    return values


def _render_form(
    request: HttpRequest,
    actor: Actor,
    form: CoachingSessionForm,
    *,
    session: CoachingSession | None = None,
    errors: dict[str, list[str]] | None = None,
    search: str = "",
    search_results: list[Agent] | None = None,
    status: int = 200,
) -> HttpResponse:
    organization = actor.organization
    topics = coaching_topics(organization=organization)
    if not topics:
        coaching_topics_ensure_defaults(organization=organization)
        topics = coaching_topics(organization=organization)
    values = _values(form)
    chosen_ids = [int(v) for v in values["agents"] if v.isdigit()]
    chosen = list(
        Agent.objects.for_org(organization).filter(pk__in=chosen_ids).select_related("unit")
    )
    chosen_ids_set = {agent.pk for agent in chosen}
    durations = list(DURATIONS)
    if values["duration_minutes"].isdigit() and int(values["duration_minutes"]) not in durations:
        durations.append(int(values["duration_minutes"]))
        durations.sort()
    errors = errors or {}
    error_list = [
        (name, FIELD_LABELS.get(name, name), message)
        for name, messages_ in errors.items()
        for message in messages_
    ]
    context = {
        "form": form,
        "values": values,
        "session": session,
        "errors": errors,
        "error_list": error_list,
        "topics": topics,
        "chosen": chosen,
        "search": search,
        "search_results": [a for a in (search_results or []) if a.pk not in chosen_ids_set],
        "searched": search_results is not None,
        "formats": CoachingSession.Format.choices,
        "places": CoachingSession.Place.choices,
        "equipments": CoachingSession.Equipment.choices,
        "autonomies": CoachingSession.Autonomy.choices,
        "durations": durations,
        "coaches": coaching_coaches(organization=organization) if actor.is_comms else [],
        "is_comms": actor.is_comms,
        "more_open": bool(
            set(errors)
            & {
                "occurred_at",
                "place",
                "equipment",
                "autonomy_after",
                "follow_up_on",
                "notes",
                "headcount",
            }
        ),
    }
    return render(request, "ambassadors/coaching/session_form.html", context, status=status)


def _form_errors(form: CoachingSessionForm) -> dict[str, list[str]]:
    return {name: [str(m) for m in messages_] for name, messages_ in form.errors.items()}


def _session_data(form: CoachingSessionForm, actor: Actor, coach_fallback: Agent | None) -> Any:
    data = form.cleaned_data
    coach = data.get("coach") if actor.is_comms else None
    coach = coach or coach_fallback
    if coach is None:
        return {"coach": [_("Choose the ambassador who gave the session.")]}
    occurred_at = data["occurred_at"]
    if timezone.is_naive(occurred_at):
        occurred_at = timezone.make_aware(occurred_at, _tz(actor.organization))
    return SessionData(
        coach=coach,
        agents=list(data["agents"]),
        headcount=data.get("headcount"),
        occurred_at=occurred_at,
        duration_minutes=data["duration_minutes"],
        format=data["format"],
        place=data["place"],
        equipment=data.get("equipment") or "",
        topics=list(data["topics"]),
        autonomy_after=data.get("autonomy_after") or "",
        follow_up_on=data.get("follow_up_on"),
        notes=data.get("notes") or "",
    )


def _search(request: HttpRequest, organization: Organization) -> tuple[str, list[Agent] | None]:
    if "find" not in request.POST:
        return "", None
    query = request.POST.get("q", "").strip()[:100]
    if not query:
        # Enter pressed in another field submits with the first button, "Search": save.
        return query, None
    return query, list(agent_list(organization=organization, search=query)[:SEARCH_RESULTS])


def _save(request: HttpRequest, actor: Actor, session: CoachingSession | None) -> HttpResponse:
    organization = actor.organization
    with timezone.override(_tz(organization)):
        form = CoachingSessionForm(request.POST, organization=organization)
        query, results = _search(request, organization)
        if results is not None:
            return _render_form(
                request, actor, form, session=session, search=query, search_results=results
            )
        if not form.is_valid():
            return _render_form(
                request, actor, form, session=session, errors=_form_errors(form), status=400
            )
        fallback = session.coach if session is not None else actor.agent
        data = _session_data(form, actor, fallback)
        if isinstance(data, dict):
            return _render_form(request, actor, form, session=session, errors=data, status=400)
        try:
            if session is None:
                saved = coaching_session_create(
                    organization=organization, data=data, actor=actor, user=request.user
                )
                messages.success(request, _("Session logged. Thank you!"))
            else:
                saved = coaching_session_update(
                    session=session, data=data, actor=actor, user=request.user
                )
                messages.success(request, _("Session updated."))
        except DomainError as exc:
            errors = exc.extra if isinstance(exc.extra, dict) else {"__all__": [exc.message]}
            status = 403 if isinstance(exc, DomainPermissionDenied) else 400
            return _render_form(request, actor, form, session=session, errors=errors, status=status)
    return redirect("coaching-detail", session_id=saved.pk)


@login_required
@require_http_methods(["GET", "POST"])
def session_new(request: HttpRequest) -> HttpResponse:
    actor = _actor_or_404(request)
    if not actor.can(Action.LOG_COACHING):
        raise DjangoPermissionDenied(_("Only ambassadors and the communication team log coaching."))
    if request.method == "POST":
        return _save(request, actor, None)
    form = CoachingSessionForm(initial=_initial(actor, request), organization=actor.organization)
    return _render_form(request, actor, form)


def _session_or_404(actor: Actor, session_id: int) -> CoachingSession:
    session = coaching_session_get(organization=actor.organization, session_id=session_id)
    if session is None or not coaching_session_visible(actor=actor, session=session):
        raise Http404("No such coaching session")
    return session


@login_required
@require_http_methods(["GET", "POST"])
def session_edit(request: HttpRequest, session_id: int) -> HttpResponse:
    actor = _actor_or_404(request)
    session = _session_or_404(actor, session_id)
    if not coaching_may_edit(actor=actor, session=session, now=timezone.now()):
        raise DjangoPermissionDenied(_("You can no longer change this session."))
    if request.method == "POST":
        return _save(request, actor, session)
    form = CoachingSessionForm(
        initial=_initial_from_session(session), organization=actor.organization
    )
    return _render_form(request, actor, form, session=session)


@login_required
def session_list(request: HttpRequest) -> HttpResponse:
    actor = _actor_or_404(request)
    if not actor.can(Action.LOG_COACHING):
        raise DjangoPermissionDenied(_("Only ambassadors and the communication team log coaching."))
    mine = request.GET.get("mine") == "1"
    sessions = coaching_session_list(organization=actor.organization, actor=actor, mine=mine)
    page = Paginator(sessions, SESSIONS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "ambassadors/coaching/session_list.html",
        {"page": page, "sessions": page.object_list, "mine": mine, "is_comms": actor.is_comms},
    )


def _qr_svg(url: str) -> str:
    # Inline SVG, drawn on the server: no image request, no JavaScript, prints well.
    return segno.make(url, error="m").svg_inline(scale=4, dark="#1b1b1f", light="#ffffff")


@login_required
def session_detail(request: HttpRequest, session_id: int) -> HttpResponse:
    actor = _actor_or_404(request)
    session = _session_or_404(actor, session_id)
    now = timezone.now()
    is_coach_or_comms = actor.is_comms or (
        actor.agent is not None and actor.agent.pk == session.coach_id
    )
    participants = []
    for participant in session.participants.all():
        row: dict[str, Any] = {"participant": participant, "agent": participant.agent}
        is_self = actor.agent is not None and actor.agent.pk == participant.agent_id
        row["can_confirm"] = (
            participant.confirmed_at is None
            and not (actor.agent is not None and actor.agent.pk == session.coach_id)
            and actor.can(Action.CONFIRM_COACHING, participant.agent)
        )
        row["is_self"] = is_self
        if is_coach_or_comms and participant.confirmed_at is None:
            link = request.build_absolute_uri(
                reverse(
                    "coaching-confirm-link",
                    kwargs={"token": coaching_confirmation_token(participant)},
                )
            )
            row["link"] = link
            row["qr"] = _qr_svg(link)
        participants.append(row)
    context = {
        "session": session,
        "participants": participants,
        "topics": list(session.topics.all()),
        "show_notes": coaching_notes_visible(actor=actor, session=session),
        "may_edit": coaching_may_edit(actor=actor, session=session, now=now),
        "edit_deadline": coaching_edit_deadline(session),
        "revisions": coaching_revisions(session=session) if is_coach_or_comms else [],
        "is_coach_or_comms": is_coach_or_comms,
    }
    with timezone.override(_tz(actor.organization)):
        return render(request, "ambassadors/coaching/session_detail.html", context)


@method_decorator(login_required, name="dispatch")
class SessionConfirmView(View):
    """The coached agent (from their home page) or their manager confirms: POST only."""

    def post(self, request: HttpRequest, session_id: int) -> HttpResponse:
        actor = _actor_or_404(request)
        session = _session_or_404(actor, session_id)
        agent_id = request.POST.get("agent", "")
        participant = next(
            (p for p in session.participants.all() if str(p.agent_id) == agent_id), None
        )
        if participant is None:
            raise Http404("No such coached agent")
        try:
            coaching_participant_confirm(participant=participant, actor=actor, user=request.user)
        except NotFound as exc:
            raise Http404(exc.message) from exc
        except DomainPermissionDenied as exc:
            raise DjangoPermissionDenied(exc.message) from exc
        when = timezone.localtime(session.occurred_at, _tz(actor.organization))
        messages.success(
            request,
            _("Session of %(date)s with %(coach)s confirmed for %(agent)s.")
            % {
                "date": when.strftime("%d/%m/%Y"),
                "coach": session.coach.full_name,
                "agent": participant.agent.full_name,
            },
        )
        if request.POST.get("next", "") == "home":
            return redirect("home")
        return redirect("coaching-detail", session_id=session.pk)


session_confirm = SessionConfirmView.as_view()


@login_required
@require_http_methods(["GET", "POST"])
def confirm_with_link(request: HttpRequest, token: str) -> HttpResponse:
    """The link or QR code: whoever holds the phone, signed in to the same organization,
    shows the agent what they confirm; the agent presses one button."""
    actor = _actor_or_404(request)
    try:
        participant = coaching_participant_for_token(organization=actor.organization, token=token)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    just_confirmed = False
    if request.method == "POST":
        participant = coaching_confirm_with_token(
            organization=actor.organization, token=token, user=request.user
        )
        just_confirmed = True
    session = participant.session
    with timezone.override(_tz(actor.organization)):
        return render(
            request,
            "ambassadors/coaching/confirm_link.html",
            {
                "participant": participant,
                "session": session,
                "topics": list(session.topics.all()),
                "just_confirmed": just_confirmed,
                "on_coach_phone": actor.agent is not None and actor.agent.pk == session.coach_id,
            },
        )
