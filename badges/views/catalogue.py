"""The badge catalogue, for everyone in the organization, and the badges' images."""

from __future__ import annotations

import hashlib

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.cache import get_conditional_response, patch_cache_control
from django.views.decorators.http import require_safe

from ambassadors.models import Verb
from ambassadors.permissions import Action
from badges.images import badge_svg
from badges.models import AwardLog, BadgeStatus, BadgeVersion, Tier
from badges.selectors import badge_catalogue

from .common import actor_or_404, badge_or_404

# Generated images change only with the badge (its row's updated_at is in the ETag); an
# hour keeps a renamed badge from looking stale for long, and revalidation is cheap.
IMAGE_MAX_AGE = 3600


@login_required
@require_safe
def catalogue(request: HttpRequest) -> HttpResponse:
    actor = actor_or_404(request)
    organization = actor.organization
    manages = actor.can(Action.MANAGE_PROGRAMME)
    category = request.GET.get("category", "")
    unknown_category = bool(category) and category not in Verb.Category.values
    if unknown_category:
        category = ""
    status = BadgeStatus.ACTIVE.value
    if manages and request.GET.get("status", "") in BadgeStatus.values:
        status = request.GET["status"]
    entries, agents = badge_catalogue(
        organization=organization, category=category or None, status=status
    )
    drafts: set[int] = set()
    open_contests = 0
    if manages:
        drafts = set(
            BadgeVersion.objects.for_org(organization)
            .filter(status=BadgeVersion.Status.DRAFT)
            .values_list("badge_id", flat=True)
        )
        open_contests = (
            AwardLog.objects.for_org(organization)
            .filter(kind=AwardLog.Kind.CONTESTED, status=AwardLog.Status.OPEN)
            .count()
        )
    return render(
        request,
        "badges/catalogue.html",
        {
            "entries": entries,
            "agents": agents,
            "categories": Verb.Category.choices,
            "statuses": BadgeStatus.choices,
            "category": category,
            "status": status,
            "unknown_category": unknown_category,
            "manages": manages,
            "can_grant": actor.can(Action.GRANT_BADGE),
            "drafts": drafts,
            "open_contests": open_contests,
            "me": actor.agent,
        },
    )


@login_required
@require_safe
def badge_image(request: HttpRequest, code: str, tier: str) -> HttpResponse:
    """A badge's tier drawn as SVG, for the pages and the API (uploads are served as media)."""
    actor = actor_or_404(request)
    badge = badge_or_404(actor, code)
    if tier not in Tier.values:
        raise Http404("No such tier")
    language = translation.get_language() or ""
    etag = '"{}"'.format(
        hashlib.sha256(
            f"{badge.pk}:{badge.updated_at.isoformat()}:{tier}:{language}".encode()
        ).hexdigest()[:32]
    )
    cached = get_conditional_response(request, etag=etag)
    if cached is None:
        cached = HttpResponse(badge_svg(badge, tier), content_type="image/svg+xml; charset=utf-8")
    cached["ETag"] = etag
    # private: the image belongs to one organization's catalogue, behind a login.
    patch_cache_control(cached, private=True, max_age=IMAGE_MAX_AGE)
    cached["Content-Language"] = language
    cached["X-Content-Type-Options"] = "nosniff"
    return cached
