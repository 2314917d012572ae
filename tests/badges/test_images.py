from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from django.utils import translation

from badges.images import CATEGORY_COLOURS, TIER_COLOURS, badge_svg, initials
from badges.models import Badge

SVG = "{http://www.w3.org/2000/svg}"


def make(name_fr="Plume", name_en="Quill", category="publishing", code="plume") -> Badge:
    # Unsaved: the image needs no database.
    return Badge(code=code, name_fr=name_fr, name_en=name_en, category=category)


def test_the_image_is_an_svg_titled_with_the_badge_and_tier(in_english):
    root = ET.fromstring(badge_svg(make(), "gold"))

    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    title = root.find(f"{SVG}title")
    assert title is not None and title.text == "Quill, Gold"
    assert root.get("aria-labelledby") == title.get("id")


def test_the_title_follows_the_active_language():
    with translation.override("fr"):
        title = ET.fromstring(badge_svg(make(), "bronze")).find(f"{SVG}title")
    assert title is not None and title.text.startswith("Plume, ")


def test_each_tier_has_its_colour_and_each_category_its_ribbon():
    images = {tier: badge_svg(make(), tier) for tier in TIER_COLOURS}
    for tier, colours in TIER_COLOURS.items():
        assert colours.base in images[tier]
        assert all(colours.base not in images[other] for other in TIER_COLOURS if other != tier)
    community = badge_svg(make(category="community"), "gold")
    assert CATEGORY_COLOURS["community"] in community
    assert CATEGORY_COLOURS["publishing"] not in community


def test_the_image_is_the_same_every_time_and_needs_nothing_from_outside():
    image = badge_svg(make(), "silver")

    assert image == badge_svg(make(), "silver")
    assert image.count("http") == 1  # the SVG namespace, nothing fetched
    assert "<image" not in image and "@import" not in image and "href" not in image


def test_names_are_escaped():
    with translation.override("fr"):
        image = badge_svg(make(name_fr="<Plume> & « Cie »", name_en=""), "gold")

    root = ET.fromstring(image)  # would raise on unescaped markup
    assert root.find(f"{SVG}title").text.startswith("<Plume> & « Cie »")


def test_an_unknown_tier_is_refused():
    with pytest.raises(ValueError):
        badge_svg(make(), "platinum")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Plume", "Pl"),
        ("Première publication", "PP"),
        ("Tournée des services", "TS"),
        ("Ambassadeur·rice accompli·e", "AA"),
        ("Régulier·ère", "Ré"),
        ("Événements", "Év"),
        ("", ""),
    ],
)
def test_initials_take_the_words_that_count(name, expected):
    assert initials(name) == expected
