"""Generated badge images: one SVG medal per badge and tier.

A ribbon in the category's colour, a medal in the tier's (bronze, silver, gold), the
category's icon and the badge's initials. Self-contained (no font file, no URL: the text
uses the reader's sans-serif), deterministic (the same badge and tier give the same bytes,
so the image can be cached) and accessible (``role="img"`` with a ``<title>``: the badge's
name and tier in the active language). An uploaded ``Badge.image`` takes precedence where
pages show a badge.
"""

from __future__ import annotations

import re
from typing import NamedTuple
from xml.sax.saxutils import escape

from django.utils.translation import gettext as _

from badges.models import Badge, Tier


class TierColours(NamedTuple):
    light: str
    base: str
    dark: str


TIER_COLOURS: dict[str, TierColours] = {
    "bronze": TierColours("#EDB98A", "#B8733A", "#4A2A0E"),
    "silver": TierColours("#F4F6F8", "#B3BBC4", "#4F5964"),
    "gold": TierColours("#FFE58A", "#E0AA12", "#5C4300"),
}

CATEGORY_COLOURS = {
    "onboarding": "#1F6FA3",
    "publishing": "#6B3FA8",
    "mentoring": "#17784D",
    "community": "#B23A0A",
}

# Icons drawn in a 28 × 28 box, stroked in the tier's dark colour.
CATEGORY_ICONS = {
    # a flag: the first steps
    "onboarding": '<path d="M7 26V3"/><path d="M7 4h15l-4 5 4 5H7"/>',
    # a quill
    "publishing": '<path d="M5 25 22 6c2-2 4 0 2 2L8 24"/><path d="M5 25l3-1"/>'
    '<path d="M12 17l4 1"/>',
    # two people side by side: someone coaching someone
    "mentoring": '<circle cx="9" cy="7" r="3.5"/><circle cx="20" cy="9" r="3"/>'
    '<path d="M2 25c0-6 3-10 7-10s7 4 7 10"/><path d="M15 25c0-5 2-9 5-9s6 4 6 9"/>',
    # a speech bubble
    "community": '<path d="M4 5h20v13H12l-6 5v-5H4z"/><path d="M9 10h10M9 14h6"/>',
}

SMALL_WORDS = frozenset({"de", "des", "du", "la", "le", "les", "l", "d", "à", "au", "the", "of"})


def initials(name: str) -> str:
    """Two letters for a name: the first letters of its first two words that count,
    or the first two letters of a one-word name ("Plume" → "Pl")."""
    # "Animateur·rice" is one word (inclusive writing): its initials are the first part's.
    words = [w.split("·")[0] for w in re.split(r"[^\w·]+|_", name) if w.split("·")[0]]
    significant = [w for w in words if w.casefold() not in SMALL_WORDS] or words
    if not significant:
        return ""
    if len(significant) == 1:
        word = significant[0]
        return word[:1].upper() + word[1:2].lower()
    return (significant[0][:1] + significant[1][:1]).upper()


def badge_svg(badge: Badge, tier: str) -> str:
    """The badge's medal at this tier, as an SVG document (a string)."""
    if tier not in TIER_COLOURS:
        raise ValueError(f"Unknown tier: {tier!r}")
    colours = TIER_COLOURS[tier]
    ribbon = CATEGORY_COLOURS.get(badge.category, "#4A4A4A")
    icon = CATEGORY_ICONS.get(badge.category, CATEGORY_ICONS["community"])
    ident = re.sub(r"[^a-z0-9-]", "-", f"badge-{badge.code}-{tier}".lower())
    title = _("%(badge)s, %(tier)s") % {"badge": badge.name, "tier": Tier(tier).label}
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 140" width="120" '
        f'height="140" role="img" aria-labelledby="{ident}-title">'
        f'<title id="{ident}-title">{escape(title)}</title>'
        "<defs>"
        f'<radialGradient id="{ident}-face" cx="40%" cy="35%" r="70%">'
        f'<stop offset="0" stop-color="{colours.light}"/>'
        f'<stop offset="1" stop-color="{colours.base}"/>'
        "</radialGradient>"
        "</defs>"
        # the ribbon: two strips from the top edge to behind the medal
        f'<path d="M30 0h24l14 44H44z" fill="{ribbon}"/>'
        f'<path d="M90 0H66L52 44h24z" fill="{ribbon}" opacity="0.85"/>'
        # the medal
        f'<circle cx="60" cy="88" r="46" fill="{colours.dark}"/>'
        f'<circle cx="60" cy="88" r="42" fill="url(#{ident}-face)"/>'
        f'<circle cx="60" cy="88" r="35" fill="none" stroke="{colours.dark}" '
        'stroke-width="1.5" stroke-dasharray="3 3" opacity="0.6"/>'
        f'<g transform="translate(46 58)" fill="none" stroke="{colours.dark}" '
        'stroke-width="2.2" stroke-linecap="round" stroke-linejoin="round">'
        f"{icon}</g>"
        f'<text x="60" y="112" text-anchor="middle" font-family="sans-serif" '
        f'font-size="19" font-weight="700" fill="{colours.dark}">'
        f"{escape(initials(badge.name))}</text>"
        "</svg>"
    )
