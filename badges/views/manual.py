"""Manual actions, for the communication team: grant a badge by hand, answer contests.

The grant form works without JavaScript: the agent is found with a "Search" button that
re-renders the form with the matches as radio buttons (as the coaching form does).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.decorators.http import require_http_methods, require_safe

from ambassadors.errors import DomainError
from ambassadors.errors import NotFound as DomainNotFound
from ambassadors.errors import PermissionDenied as DomainPermissionDenied
from ambassadors.models import Agent
from ambassadors.permissions import Action, Actor
from ambassadors.selectors import agent_list
from badges.models import AwardLog, Badge, BadgeStatus, Tier
from badges.selectors import contest_list
from badges.services.manual import award_contest_answer, award_grant

from .common import actor_or_404, domain_errors, error_list, require

SEARCH_RESULTS = 10
ANSWERED_SHOWN = 20
GRANT_LABELS = {
    "agent": gettext_lazy("Agent"),
    "badge": gettext_lazy("Badge"),
    "tier": gettext_lazy("Tier"),
    "reason": gettext_lazy("Reason"),
}
ANSWER_LABELS = {
    "answer": gettext_lazy("Answer"),
    "tier": gettext_lazy("Tier to grant"),
    "decision": gettext_lazy("Decision"),
}


def _active_badges(actor: Actor) -> list[Badge]:
    return list(
        Badge.objects.for_org(actor.organization)
        .filter(status=BadgeStatus.ACTIVE)
        .order_by("position", "code")
    )


def _agent(actor: Actor, raw: str) -> Agent | None:
    if not raw.isdigit():
        return None
    return Agent.objects.for_org(actor.organization).select_related("unit").filter(pk=raw).first()


def _render_grant(
    request: HttpRequest,
    actor: Actor,
    values: dict[str, str],
    *,
    chosen: Agent | None,
    errors: dict[str, list[str]] | None = None,
    search: str = "",
    results: list[Agent] | None = None,
    status: int = 200,
) -> HttpResponse:
    errors = errors or {}
    return render(
        request,
        "badges/grant.html",
        {
            "values": values,
            "chosen": chosen,
            "errors": errors,
            "error_list": error_list(errors, GRANT_LABELS),
            "general_errors": errors.get("__all__", []),
            "badges": _active_badges(actor),
            "tiers": Tier.choices,
            "search": search,
            "results": [a for a in results or [] if chosen is None or a.pk != chosen.pk],
            "searched": results is not None,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def grant(request: HttpRequest) -> HttpResponse:
    actor = actor_or_404(request)
    require(actor, Action.GRANT_BADGE)
    source = request.POST if request.method == "POST" else request.GET
    values = {name: source.get(name, "").strip() for name in ("agent", "badge", "tier", "reason")}
    chosen = _agent(actor, values["agent"])
    if request.method != "POST":
        return _render_grant(request, actor, values, chosen=chosen)
    if "find" in request.POST:
        query = request.POST.get("q", "").strip()[:100]
        results = (
            list(agent_list(organization=actor.organization, search=query)[:SEARCH_RESULTS])
            if query
            else []
        )
        return _render_grant(request, actor, values, chosen=chosen, search=query, results=results)
    errors: dict[str, list[str]] = {}
    if chosen is None:
        errors["agent"] = [_("Find the agent, then choose them.")]
    badge = (
        Badge.objects.for_org(actor.organization).filter(code=values["badge"]).first()
        if values["badge"]
        else None
    )
    if badge is None:
        errors["badge"] = [_("Choose a badge.")]
    if values["tier"] not in Tier.values:
        errors["tier"] = [_("Choose a tier.")]
    if errors or chosen is None or badge is None:
        return _render_grant(request, actor, values, chosen=chosen, errors=errors, status=400)
    try:
        award = award_grant(
            organization=actor.organization,
            agent=chosen,
            badge=badge,
            tier=values["tier"],
            reason=values["reason"],
            actor=actor,
        )
    except DomainError as exc:
        status = 403 if isinstance(exc, DomainPermissionDenied) else 400
        return _render_grant(
            request,
            actor,
            values,
            chosen=chosen,
            errors=domain_errors(exc.extra, exc.message),
            status=status,
        )
    messages.success(
        request,
        _("%(badge)s (%(tier)s) granted to %(agent)s.")
        % {"badge": badge.name, "tier": award.get_tier_display(), "agent": chosen.full_name},
    )
    return redirect("badge-agent", agent_id=chosen.pk)


def _render_contests(
    request: HttpRequest,
    actor: Actor,
    *,
    failed: AwardLog | None = None,
    errors: dict[str, list[str]] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    organization = actor.organization
    errors = errors or {}
    open_logs = list(contest_list(organization=organization))
    answered = list(
        contest_list(organization=organization, status=None)
        .exclude(status=AwardLog.Status.OPEN)
        .order_by("-answered_at", "-pk")[:ANSWERED_SHOWN]
    )
    return render(
        request,
        "badges/contests.html",
        {
            "open_logs": open_logs,
            "answered": answered,
            "failed_id": failed.pk if failed else None,
            "errors": errors,
            "error_list": error_list(errors, ANSWER_LABELS),
            "general_errors": errors.get("__all__", []),
            "values": values or {},
        },
        status=status,
    )


@login_required
@require_safe
def contests(request: HttpRequest) -> HttpResponse:
    actor = actor_or_404(request)
    require(actor, Action.MANAGE_PROGRAMME)
    return _render_contests(request, actor)


@method_decorator(login_required, name="dispatch")
class ContestAnswerView(View):
    """Accept (granting a tier, or acknowledging) or reject a contest, with an answer."""

    def post(self, request: HttpRequest, contest_id: int) -> HttpResponse:
        actor = actor_or_404(request)
        log = (
            AwardLog.objects.for_org(actor.organization)
            .filter(pk=contest_id, kind=AwardLog.Kind.CONTESTED)
            .select_related("agent", "badge")
            .first()
        )
        if log is None:
            raise Http404("No such contest")
        require(actor, Action.MANAGE_PROGRAMME)
        values = {
            "answer": request.POST.get("answer", ""),
            "tier": request.POST.get("tier", ""),
            "decision": request.POST.get("decision", ""),
        }
        errors: dict[str, list[str]] = {}
        if values["decision"] not in ("accept", "reject"):
            errors["decision"] = [_("Accept or reject the contest.")]
        if values["tier"] and values["tier"] not in Tier.values:
            errors["tier"] = [_("Choose a tier.")]
        if errors:
            return _render_contests(
                request, actor, failed=log, errors=errors, values=values, status=400
            )
        accept = values["decision"] == "accept"
        try:
            award_contest_answer(
                log=log,
                accept=accept,
                answer=values["answer"],
                tier=(values["tier"] or None) if accept else None,
                actor=actor,
            )
        except DomainNotFound as exc:
            raise Http404(exc.message) from exc
        except DomainError as exc:
            return _render_contests(
                request,
                actor,
                failed=log,
                errors=domain_errors(exc.extra, exc.message, "answer"),
                values=values,
                status=400,
            )
        messages.success(
            request,
            (_("Contest of %(agent)s accepted.") if accept else _("Contest of %(agent)s rejected."))
            % {"agent": log.agent.full_name},
        )
        return redirect("badge-contests")


contest_answer = ContestAnswerView.as_view()
