"""The communication team's badge pages: create and edit a badge, preview a rule change,
activate or discard it, retire a badge (all ``MANAGE_PROGRAMME``).

The rule is edited as plain fields: a kind, its parameters as JSON (each kind's example is
shown beside the box), three tier rows and the revocable box. The services validate it and
name the field at fault (``params.verbs``, ``tiers[1].threshold``); this module maps those
names back onto the form's fields.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.decorators.http import require_http_methods

from ambassadors.errors import DomainError
from ambassadors.models import Verb
from ambassadors.permissions import Action, Actor
from badges.defaults import DEFAULT_BADGES
from badges.models import Badge, BadgeStatus, BadgeVersion, Tier
from badges.rules import kinds
from badges.rules.base import TIER_NAMES
from badges.selectors import badge_draft, badge_versions, rule_text
from badges.services.catalogue import (
    badge_activate,
    badge_create,
    badge_retire,
    badge_update,
    badge_version_activate,
    badge_version_discard,
)
from badges.services.preview import rule_preview

from .common import actor_or_404, badge_or_404, domain_errors, error_list, require

TEXT_FIELDS = (
    "name_fr",
    "name_en",
    "description_fr",
    "description_en",
    "criteria_fr",
    "criteria_en",
)
FIELD_LABELS: dict[str, Any] = {
    "code": gettext_lazy("Code"),
    "name_fr": gettext_lazy("Name in French"),
    "name_en": gettext_lazy("Name in English"),
    "description_fr": gettext_lazy("Description in French"),
    "description_en": gettext_lazy("Description in English"),
    "criteria_fr": gettext_lazy("How to earn it, in French"),
    "criteria_en": gettext_lazy("How to earn it, in English"),
    "category": gettext_lazy("Category"),
    "image": gettext_lazy("Image"),
    "position": gettext_lazy("Position in the catalogue"),
    "kind": gettext_lazy("Rule kind"),
    "params": gettext_lazy("Parameters"),
    "tiers": gettext_lazy("Tiers"),
    "revocable": gettext_lazy("Revocable"),
    "note": gettext_lazy("What changed"),
    "__all__": gettext_lazy("Badge"),
}
for _tier in TIER_NAMES:
    FIELD_LABELS[f"tier_{_tier}_threshold"] = gettext_lazy("Threshold")
    FIELD_LABELS[f"tier_{_tier}_points"] = gettext_lazy("Points")

# Lists of agents on the preview page stop here, with the count of the others.
PREVIEW_LIST_LIMIT = 50

_TIER_KEY = re.compile(r"^tiers\[(\d+)\](?:\.(\w+))?$")


def _examples() -> dict[str, str]:
    """An example of each kind's parameters, taken from the default catalogue (the kinds
    themselves carry none)."""
    out: dict[str, str] = {}
    for default in DEFAULT_BADGES:
        out.setdefault(default.kind, json.dumps(default.params, ensure_ascii=False, indent=2))
    return out


def kind_choices() -> list[dict[str, str]]:
    examples = _examples()
    return [
        {"code": code, "label": str(kind.label), "example": examples.get(code, "{}")}
        for code, kind in sorted(kinds().items(), key=lambda item: str(item[1].label))
    ]


# -- Reading the form -----------------------------------------------------------------------


def _values_from(definition: Badge, rule: Badge | BadgeVersion) -> dict[str, Any]:
    """What the form shows for a badge: its texts, and the rule pending if any."""
    values: dict[str, Any] = {name: getattr(definition, name) for name in TEXT_FIELDS}
    values.update(
        code=definition.code,
        category=definition.category,
        position=str(definition.position),
        kind=rule.kind,
        params=json.dumps(rule.params, ensure_ascii=False, indent=2),
        revocable=rule.revocable,
        note="",
    )
    by_tier = {t["tier"]: t for t in rule.tiers if isinstance(t, dict)}
    for tier in TIER_NAMES:
        spec = by_tier.get(tier, {})
        values[f"tier_{tier}_threshold"] = str(spec.get("threshold", ""))
        values[f"tier_{tier}_points"] = str(spec.get("points", ""))
    return values


def _blank_values() -> dict[str, Any]:
    values: dict[str, Any] = dict.fromkeys(TEXT_FIELDS, "")
    values.update(
        code="",
        category=Verb.Category.PUBLISHING.value,
        position="100",
        kind="activity_count",
        params=json.dumps({"verbs": ["news_published"]}, indent=2),
        revocable=False,
        note="",
    )
    for tier in TIER_NAMES:
        values[f"tier_{tier}_threshold"] = ""
        values[f"tier_{tier}_points"] = ""
    return values


def _posted_values(request: HttpRequest) -> dict[str, Any]:
    post = request.POST
    values: dict[str, Any] = {name: post.get(name, "") for name in TEXT_FIELDS}
    values.update(
        code=post.get("code", "").strip(),
        category=post.get("category", ""),
        position=post.get("position", "").strip(),
        kind=post.get("kind", ""),
        params=post.get("params", ""),
        revocable=post.get("revocable") == "on",
        note=post.get("note", ""),
    )
    for tier in TIER_NAMES:
        for part in ("threshold", "points"):
            values[f"tier_{tier}_{part}"] = post.get(f"tier_{tier}_{part}", "").strip()
    return values


def _data_from(
    values: dict[str, Any], request: HttpRequest, errors: dict[str, list[str]]
) -> tuple[dict[str, Any], list[str]]:
    """The service's ``data`` from the form, and the tier of each row sent (to name a tier
    error's row). Input the form itself can judge (JSON, numbers) is checked here."""
    data: dict[str, Any] = {name: values[name] for name in TEXT_FIELDS}
    data["category"] = values["category"]
    data["kind"] = values["kind"]
    data["revocable"] = values["revocable"]
    data["note"] = values["note"]
    if values["position"]:
        try:
            data["position"] = int(values["position"])
        except ValueError:
            errors["position"] = [_("Enter a whole number.")]
    try:
        data["params"] = json.loads(values["params"] or "{}")
    except json.JSONDecodeError as exc:
        errors["params"] = [
            _("Not valid JSON (line %(line)d, column %(column)d): %(problem)s.")
            % {"line": exc.lineno, "column": exc.colno, "problem": exc.msg}
        ]
    tiers: list[dict[str, Any]] = []
    rows: list[str] = []
    for tier in TIER_NAMES:
        threshold = values[f"tier_{tier}_threshold"]
        points = values[f"tier_{tier}_points"]
        if not threshold and not points:
            continue  # a tier left empty is a tier the badge does not have
        item: dict[str, Any] = {"tier": tier}
        for part, raw in (("threshold", threshold), ("points", points or "0")):
            try:
                item[part] = int(raw)
            except ValueError:
                errors[f"tier_{tier}_{part}"] = [_("Enter a whole number.")]
        tiers.append(item)
        rows.append(tier)
    if not tiers:
        errors["tiers"] = [_("Give at least the bronze tier a threshold.")]
    data["tiers"] = tiers
    image = request.FILES.get("image")
    if image is not None:
        data["image"] = image
    elif request.POST.get("image_clear") == "on":
        data["image"] = False
    return data, rows


def _form_errors(exc: ValidationError, rows: list[str]) -> dict[str, list[str]]:
    """A service's errors keyed by the form's field names."""
    out: dict[str, list[str]] = {}
    for key, messages_ in exc.message_dict.items():
        match = _TIER_KEY.match(key)
        if match:
            index, part = int(match.group(1)), match.group(2)
            tier = rows[index] if index < len(rows) else None
            field = f"tier_{tier}_{part}" if tier and part in ("threshold", "points") else "tiers"
        elif key.startswith("params."):
            field = "params"
            name = key.removeprefix("params.")
            messages_ = [f"{name} : {m}" for m in messages_]
        elif key == NON_FIELD_ERRORS:
            field = "__all__"
        else:
            field = key if key in FIELD_LABELS else "__all__"
        out.setdefault(field, []).extend(messages_)
    return out


# -- Pages ----------------------------------------------------------------------------------


def _render_form(
    request: HttpRequest,
    actor: Actor,
    *,
    badge: Badge | None,
    values: dict[str, Any],
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
) -> HttpResponse:
    errors = errors or {}
    draft = badge_draft(badge=badge) if badge is not None else None
    context = {
        "badge": badge,
        "draft": draft,
        "versions": list(badge_versions(badge=badge)) if badge is not None else [],
        "values": values,
        "errors": errors,
        "error_list": error_list(errors, FIELD_LABELS),
        "general_errors": errors.get("__all__", []),
        "categories": Verb.Category.choices,
        "kinds": kind_choices(),
        "tier_rows": [
            {
                "label": Tier(tier).label,
                "threshold_name": f"tier_{tier}_threshold",
                "threshold": values[f"tier_{tier}_threshold"],
                "threshold_error": f"tier_{tier}_threshold" in errors,
                "points_name": f"tier_{tier}_points",
                "points": values[f"tier_{tier}_points"],
                "points_error": f"tier_{tier}_points" in errors,
            }
            for tier in TIER_NAMES
        ],
        "rule_text": rule_text(badge) if badge is not None else "",
        "draft_text": rule_text(draft) if draft is not None else "",
        "is_draft_badge": badge is not None and badge.status == BadgeStatus.DRAFT,
        "is_active": badge is not None and badge.status == BadgeStatus.ACTIVE,
        "is_retired": badge is not None and badge.status == BadgeStatus.RETIRED,
    }
    return render(request, "badges/badge_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def badge_new(request: HttpRequest) -> HttpResponse:
    actor = actor_or_404(request)
    require(actor, Action.MANAGE_PROGRAMME)
    if request.method != "POST":
        return _render_form(request, actor, badge=None, values=_blank_values())
    values = _posted_values(request)
    errors: dict[str, list[str]] = {}
    data, rows = _data_from(values, request, errors)
    data["code"] = values["code"] or None
    if errors:
        return _render_form(request, actor, badge=None, values=values, errors=errors, status=400)
    try:
        badge = badge_create(organization=actor.organization, data=data, actor=actor)
    except ValidationError as exc:
        return _render_form(
            request, actor, badge=None, values=values, errors=_form_errors(exc, rows), status=400
        )
    messages.success(
        request,
        _("Badge “%(name)s” created as a draft: preview it, then activate it.")
        % {"name": badge.name},
    )
    return redirect("badge-detail", code=badge.code)


@login_required
@require_http_methods(["GET", "POST"])
def badge_detail(request: HttpRequest, code: str) -> HttpResponse:
    actor = actor_or_404(request)
    require(actor, Action.MANAGE_PROGRAMME)
    badge = badge_or_404(actor, code)
    if request.method != "POST":
        draft = badge_draft(badge=badge)
        rule: Badge | BadgeVersion = draft if draft is not None else badge
        return _render_form(request, actor, badge=badge, values=_values_from(badge, rule))
    values = _posted_values(request)
    values["code"] = badge.code
    errors: dict[str, list[str]] = {}
    data, rows = _data_from(values, request, errors)
    if errors:
        return _render_form(request, actor, badge=badge, values=values, errors=errors, status=400)
    try:
        written = badge_update(badge=badge, data=data, actor=actor)
    except ValidationError as exc:
        return _render_form(
            request, actor, badge=badge, values=values, errors=_form_errors(exc, rows), status=400
        )
    except DomainError as exc:
        return _render_form(
            request,
            actor,
            badge=badge,
            values=values,
            errors=domain_errors(exc.extra, exc.message),
            status=400,
        )
    if written is not None:
        messages.success(
            request,
            _("The rule change is saved as a draft: see who it affects before activating it."),
        )
        return redirect("badge-preview", code=badge.code)
    messages.success(request, _("Badge saved."))
    return redirect("badge-detail", code=badge.code)


@login_required
@require_http_methods(["GET"])
def badge_preview(request: HttpRequest, code: str) -> HttpResponse:
    actor = actor_or_404(request)
    require(actor, Action.MANAGE_PROGRAMME)
    badge = badge_or_404(actor, code)
    draft = badge_draft(badge=badge)
    preview = None
    invalid: list[str] = []
    if draft is not None:
        try:
            preview = rule_preview(version=draft)
        except ValidationError as exc:
            # A verb or badge the draft names may be gone since it was written.
            invalid = [str(m) for m in exc.messages]
    lists = {}
    if preview is not None:
        lists = {
            name: (rows[:PREVIEW_LIST_LIMIT], max(0, len(rows) - PREVIEW_LIST_LIMIT))
            for name, rows in (
                ("gains", preview.gains),
                ("losses", preview.losses),
                ("kept", preview.kept),
                ("points_changes", preview.points_changes),
                ("moves", preview.moves),
            )
        }
    return render(
        request,
        "badges/preview.html",
        {
            "badge": badge,
            "draft": draft,
            "preview": preview,
            "lists": lists,
            "invalid": invalid,
            "rule_text": rule_text(badge),
            "draft_text": rule_text(draft) if draft is not None else "",
            "is_draft_badge": badge.status == BadgeStatus.DRAFT,
        },
    )


@method_decorator(login_required, name="dispatch")
class ActivateView(View):
    """Put the pending rule live: a draft badge as a whole, or an active badge's draft."""

    def post(self, request: HttpRequest, code: str) -> HttpResponse:
        actor = actor_or_404(request)
        badge = badge_or_404(actor, code)
        require(actor, Action.MANAGE_PROGRAMME)
        try:
            if badge.status == BadgeStatus.DRAFT:
                badge_activate(badge=badge, actor=actor)
            else:
                draft = badge_draft(badge=badge)
                if draft is None:
                    raise DomainError(_("There is no pending change to activate."))
                badge_version_activate(version=draft, actor=actor)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("badge-preview", code=badge.code)
        messages.success(
            request,
            _(
                "“%(name)s” is live. Its history is being computed in the background; agents "
                "who earned it get one notification for it."
            )
            % {"name": badge.name},
        )
        return redirect("badge-detail", code=badge.code)


@method_decorator(login_required, name="dispatch")
class DiscardView(View):
    """Drop an active badge's pending rule change; the live rule stays."""

    def post(self, request: HttpRequest, code: str) -> HttpResponse:
        actor = actor_or_404(request)
        badge = badge_or_404(actor, code)
        require(actor, Action.MANAGE_PROGRAMME)
        draft = badge_draft(badge=badge)
        try:
            if draft is None:
                raise DomainError(_("There is no pending change to discard."))
            badge_version_discard(version=draft, actor=actor)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("badge-detail", code=badge.code)
        messages.success(request, _("The pending change was discarded."))
        return redirect("badge-detail", code=badge.code)


@method_decorator(login_required, name="dispatch")
class RetireView(View):
    """Stop evaluating a badge; the awards stay."""

    def post(self, request: HttpRequest, code: str) -> HttpResponse:
        actor = actor_or_404(request)
        badge = badge_or_404(actor, code)
        require(actor, Action.MANAGE_PROGRAMME)
        try:
            badge_retire(badge=badge, actor=actor)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("badge-detail", code=badge.code)
        messages.success(
            request, _("“%(name)s” is retired: it is no longer awarded.") % {"name": badge.name}
        )
        return redirect("badge-detail", code=badge.code)


badge_activate_view = ActivateView.as_view()
badge_discard_view = DiscardView.as_view()
badge_retire_view = RetireView.as_view()
