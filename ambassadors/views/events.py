"""Event pages: the list, planning one, its detail with the attendance form, the sign-in sheet.

Planning events and recording attendance is the ambassadors' and comms' work: the pages
check ``Action.LOG_COACHING`` (comms and active ambassadors, whole organization) and answer
404 to anyone else, like the other pages do.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from ..errors import DomainError
from ..models import Agent, Event, EventAttendance, OrgUnit, Site
from ..permissions import Action, Actor, actor_for_request
from ..services.events import (
    attendance_record,
    attendance_remove,
    event_create,
    event_expected_agents,
)

SIGN_IN_BLANK_ROWS = 8


def _actor(request: HttpRequest) -> Actor:
    actor = actor_for_request(request)
    if actor is None or not actor.can(Action.LOG_COACHING):
        raise Http404("Not allowed")
    return actor


class EventForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=Event.Kind.choices)
    mode = forms.ChoiceField(
        label=gettext_lazy("In person or remote"),
        choices=Event.Mode.choices,
        widget=forms.RadioSelect,
        initial=Event.Mode.IN_PERSON,
    )
    starts_at = forms.DateTimeField(
        label=gettext_lazy("Starts at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    ends_at = forms.DateTimeField(
        label=gettext_lazy("Ends at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    unit = forms.ModelChoiceField(
        label=gettext_lazy("For the service"), queryset=OrgUnit.objects.none(), required=False
    )
    site = forms.ModelChoiceField(
        label=gettext_lazy("At the site"), queryset=Site.objects.none(), required=False
    )
    capacity = forms.IntegerField(
        label=gettext_lazy("Capacity"),
        min_value=1,
        required=False,
        help_text=gettext_lazy("Leave empty for no limit."),
    )
    notes = forms.CharField(label=gettext_lazy("Notes"), widget=forms.Textarea, required=False)

    def __init__(self, *args: Any, organization: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unit_field = self.fields["unit"]
        site_field = self.fields["site"]
        assert isinstance(unit_field, forms.ModelChoiceField)
        assert isinstance(site_field, forms.ModelChoiceField)
        unit_field.queryset = OrgUnit.objects.for_org(organization).only("id", "name", "path")
        site_field.queryset = Site.objects.for_org(organization).only("id", "name")


@login_required
def event_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    now = timezone.now()
    events = (
        Event.objects.for_org(actor.organization)
        .select_related("unit", "site", "organiser")
        .annotate(attendees=Count("attendances"))
    )
    return render(
        request,
        "ambassadors/events/event_list.html",
        {
            "upcoming": list(events.filter(ends_at__gte=now).order_by("starts_at")[:50]),
            "past": list(events.filter(ends_at__lt=now).order_by("-starts_at")[:50]),
        },
    )


@login_required
def event_new(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    form = EventForm(request.POST or None, organization=actor.organization)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            event = event_create(
                organization=actor.organization,
                title=data["title"],
                kind=data["kind"],
                mode=data["mode"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                unit=data["unit"],
                site=data["site"],
                capacity=data["capacity"],
                organiser=actor.agent,
                notes=data["notes"],
            )
        except DomainError as error:
            for name, problems in (error.extra or {}).items():
                for problem in problems:
                    form.add_error(name if name in form.fields else None, problem)
        else:
            messages.success(request, _("The event is planned."))
            return redirect("event-detail", event_id=event.pk)
    return render(request, "ambassadors/events/event_form.html", {"form": form})


def _event(actor: Actor, event_id: int) -> Event:
    return get_object_or_404(
        Event.objects.for_org(actor.organization).select_related(
            "unit", "site", "organiser", "organization"
        ),
        pk=event_id,
    )


@login_required
def event_detail(request: HttpRequest, event_id: int) -> HttpResponse:
    actor = _actor(request)
    event = _event(actor, event_id)
    report = None
    if request.method == "POST":
        if "remove" in request.POST:
            agent = Agent.objects.for_org(actor.organization).filter(
                pk=request.POST.get("remove", "").strip() or 0
            )
            removed = agent.first()
            if removed is not None and attendance_remove(event=event, agent=removed):
                messages.success(
                    request,
                    _("%(name)s is no longer recorded as present.") % {"name": removed.full_name},
                )
            return redirect("event-detail", event_id=event.pk)
        picked = Agent.objects.for_org(actor.organization).filter(
            pk__in=[value for value in request.POST.getlist("agents") if value.isdigit()]
        )
        lines = request.POST.get("lines", "").splitlines()
        try:
            report = attendance_record(
                event=event, agents=list(picked), lines=lines, recorded_by=actor.agent
            )
        except DomainError as error:
            messages.error(request, error.message)
            return redirect("event-detail", event_id=event.pk)
        _announce(request, report)
        if not report.errors:
            return redirect("event-detail", event_id=event.pk)
    attendances = list(
        EventAttendance.objects.filter(event=event)
        .select_related("agent__unit")
        .order_by("agent__last_name", "agent__first_name")
    )
    present = {attendance.agent_id for attendance in attendances}
    expected = event_expected_agents(event=event)
    return render(
        request,
        "ambassadors/events/event_detail.html",
        {
            "event": event,
            "attendances": attendances,
            "expected_absent": [agent for agent in expected if agent.pk not in present],
            "expected_count": len(expected),
            "report": report,
            "lines": "\n".join(error.text for error in report.errors) if report else "",
            "over_capacity": event.capacity is not None and len(attendances) > event.capacity,
            "started": event.starts_at <= timezone.now(),
        },
    )


def _announce(request: HttpRequest, report: Any) -> None:
    if report.added:
        messages.success(
            request,
            ngettext(
                "%(count)d attendance recorded.",
                "%(count)d attendances recorded.",
                len(report.added),
            )
            % {"count": len(report.added)},
        )
    if report.already:
        messages.info(
            request,
            _("Already recorded: %(names)s.")
            % {"names": ", ".join(agent.full_name for agent in report.already)},
        )
    if report.warning:
        messages.warning(request, report.warning)


@login_required
def event_sign_in_sheet(request: HttpRequest, event_id: int) -> HttpResponse:
    actor = _actor(request)
    event = _event(actor, event_id)
    expected = event_expected_agents(event=event)
    return render(
        request,
        "ambassadors/events/sign_in_sheet.html",
        {
            "event": event,
            "expected": expected,
            "blank_rows": range(SIGN_IN_BLANK_ROWS),
        },
    )
