"""An agent's badges: earned, in progress, points, notices; and contesting a missing one.

Seen by the agent themself and by whoever may see the agent (``VIEW_AGENT``); to anyone
else the page does not exist (404), like the agent's record.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.decorators.http import require_safe

from ambassadors.errors import DomainError
from ambassadors.models import Agent
from ambassadors.permissions import Action, Actor
from badges.models import Badge, BadgeStatus
from badges.selectors import (
    agent_awards,
    agent_open_contests,
    agent_points,
    agent_progress,
    award_activities,
    notification_list,
)
from badges.services.manual import award_contest
from badges.services.notifications import notifications_mark_read

from .common import actor_or_404, domain_errors, error_list

CONTEST_LABELS = {
    "badge": gettext_lazy("Badge"),
    "comment": gettext_lazy("Why you think you should have it"),
}


class ContestForm(forms.Form):
    badge = forms.ModelChoiceField(queryset=Badge.objects.none(), to_field_name="code")
    comment = forms.CharField(max_length=2000)

    def __init__(self, *args: Any, badges: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["badge"].queryset = badges  # type: ignore[attr-defined]


def _scoped_agent(actor: Actor, agent_id: int) -> Agent:
    agent = (
        Agent.objects.for_org(actor.organization).select_related("unit").filter(pk=agent_id).first()
    )
    is_self = actor.agent is not None and agent is not None and agent.pk == actor.agent.pk
    if agent is None or not (is_self or actor.can(Action.VIEW_AGENT, agent)):
        raise Http404("No such agent")
    return agent


def _contestable(actor: Actor, agent: Agent, held_badge_ids: set[int]) -> Any:
    """Active badges the agent holds no tier of: those a contest may be about."""
    return (
        Badge.objects.for_org(actor.organization)
        .filter(status=BadgeStatus.ACTIVE)
        .exclude(pk__in=held_badge_ids)
        .order_by("position", "code")
    )


def _render(
    request: HttpRequest,
    actor: Actor,
    agent: Agent,
    *,
    contest_form: ContestForm | None = None,
    contest_errors: dict[str, list[str]] | None = None,
    status: int = 200,
) -> HttpResponse:
    organization = actor.organization
    is_self = actor.agent is not None and actor.agent.pk == agent.pk
    awards = list(agent_awards(organization=organization, agent=agent, include_revoked=True))
    live = [award for award in awards if award.revoked_at is None]
    withdrawn = [award for award in awards if award.revoked_at is not None]
    earned = award_activities(organization=organization, awards=live)
    progress = agent_progress(organization=organization, agent=agent)
    held_ids = {award.badge_id for award in live}
    may_contest = is_self and actor.can(Action.CONTEST_AWARD, agent)
    contestable: list[Badge] = []
    if may_contest:
        contestable = list(_contestable(actor, agent, held_ids))
    contest_errors = contest_errors or {}
    notices = notification_list(agent=agent) if is_self else []
    context = {
        "agent": agent,
        "is_self": is_self,
        "earned": earned,
        "withdrawn": withdrawn,
        # Closest to the next tier first: what is within reach.
        "in_progress": sorted(
            (p for p in progress if p.next_tier is not None), key=lambda p: -p.percent
        ),
        "points": agent_points(organization=organization, agent=agent),
        "notifications": notices,
        "unread": any(notice.read_at is None for notice in notices),
        "may_contest": may_contest,
        "contestable": contestable,
        "open_contests": agent_open_contests(organization=organization, agent=agent)
        if is_self
        else {},
        "contest_values": {
            "badge": (
                contest_form.data.get("badge", "") if contest_form and contest_form.is_bound else ""
            ),
            "comment": (
                contest_form.data.get("comment", "")
                if contest_form and contest_form.is_bound
                else ""
            ),
        },
        "contest_errors": contest_errors,
        "contest_error_list": error_list(contest_errors, CONTEST_LABELS),
        "can_grant": actor.can(Action.GRANT_BADGE, agent),
    }
    return render(request, "badges/agent_badges.html", context, status=status)


@login_required
@require_safe
def agent_badges(request: HttpRequest, agent_id: int) -> HttpResponse:
    actor = actor_or_404(request)
    agent = _scoped_agent(actor, agent_id)
    return _render(request, actor, agent)


@method_decorator(login_required, name="dispatch")
class ContestView(View):
    """The agent themself says a badge is missing, with a comment (logged for comms)."""

    def post(self, request: HttpRequest, agent_id: int) -> HttpResponse:
        actor = actor_or_404(request)
        agent = _scoped_agent(actor, agent_id)
        if (
            actor.agent is None
            or actor.agent.pk != agent.pk
            or not actor.can(Action.CONTEST_AWARD, agent)
        ):
            raise Http404("Only the agent contests their own badges")
        held = set(
            agent_awards(organization=actor.organization, agent=agent).values_list(
                "badge_id", flat=True
            )
        )
        form = ContestForm(request.POST, badges=_contestable(actor, agent, held))
        if not form.is_valid():
            errors = {name: [str(m) for m in msgs] for name, msgs in form.errors.items()}
            return _render(
                request, actor, agent, contest_form=form, contest_errors=errors, status=400
            )
        try:
            award_contest(
                organization=actor.organization,
                agent=agent,
                badge=form.cleaned_data["badge"],
                comment=form.cleaned_data["comment"],
                actor=actor,
            )
        except DomainError as exc:
            return _render(
                request,
                actor,
                agent,
                contest_form=form,
                contest_errors=domain_errors(exc.extra, exc.message, "comment"),
                status=400,
            )
        messages.success(
            request,
            _("Your request about “%(badge)s” was sent to the communication team.")
            % {"badge": form.cleaned_data["badge"].name},
        )
        return redirect("badge-agent", agent_id=agent.pk)


contest = ContestView.as_view()


@method_decorator(login_required, name="dispatch")
class NotificationsReadView(View):
    """Mark one's own notices as read (all of them, or those whose ids are posted)."""

    def post(self, request: HttpRequest) -> HttpResponse:
        actor = actor_or_404(request)
        if actor.agent is None:
            raise Http404("No agent for this account")
        ids = [int(v) for v in request.POST.getlist("id") if v.isdigit()]
        notifications_mark_read(agent=actor.agent, ids=ids or None)
        messages.success(request, _("Notifications marked as read."))
        return redirect("badge-agent", agent_id=actor.agent.pk)


notifications_read = NotificationsReadView.as_view()
