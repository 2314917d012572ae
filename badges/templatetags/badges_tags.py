"""Template helpers of the badges pages: images, percentages, the unread notices count."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils import formats, translation

from ambassadors.permissions import actor_for_request
from badges.models import Badge, Tier
from badges.selectors import notification_unread_count

register = template.Library()


@register.simple_tag
def badge_image_src(badge: Badge, tier: str | None = None) -> str:
    """The uploaded image, else the SVG drawn for the tier (the lowest if none given)."""
    if badge.image:
        return str(badge.image.url)
    if not tier:
        tier = badge.tiers[0]["tier"] if badge.tiers else "bronze"
    return reverse("badge-image", kwargs={"code": badge.code, "tier": tier})


@register.filter
def tier_label(tier: str) -> str:
    """bronze → "Bronze", silver → "Argent" in French..."""
    return str(Tier(tier).label) if tier in Tier.values else tier


@register.filter
def percent(value: float | int | None) -> str:
    """12.5 → "12,5 %" in French (narrow no-break space), "12.5%" in English."""
    number = formats.number_format(float(value or 0), decimal_pos=None, use_l10n=True)
    if number.endswith((".0", ",0")):
        number = number[:-2]
    if (translation.get_language() or "fr").startswith("fr"):
        return f"{number}\u202f%"
    return f"{number}%"


@register.simple_tag(takes_context=True)
def badges_unread(context: Any) -> int:
    """Unread badge notices of the signed-in agent, for the menu (0 without an agent)."""
    request = context.get("request")
    actor = actor_for_request(request) if request is not None else None
    if actor is None or actor.agent is None:
        return 0
    return notification_unread_count(agent=actor.agent)
