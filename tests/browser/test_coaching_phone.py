"""On a phone, the demo ambassador logs a coaching session found by type-ahead, in few taps."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.db.models import Count

from ambassadors.models import Agent, CoachingSession, Organization

from .conftest import log_in, require_chromium

require_chromium()

pytestmark = pytest.mark.browser

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
    "locale": "fr-FR",
}
MAX_TAPS = 8
SCREENSHOTS = os.environ.get("RELAIS_SCREENSHOTS", "")


@pytest.fixture
def phone(browser, live_server):
    from django.db import connections

    for alias in connections:
        connections.settings[alias]["CONN_MAX_AGE"] = 0
    context = browser.new_context(**PHONE)
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def _shot(page, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SCREENSHOTS}/{name}.png", full_page=True)


def _someone_to_coach() -> Agent:
    """An agent of the demo whose last name is unique, so that typing it finds one person."""
    valmont = Organization.objects.get(slug="valmont")
    unique = (
        Agent.objects.for_org(valmont)
        .values("last_name")
        .annotate(n=Count("id"))
        .filter(n=1)
        .order_by("last_name")
        .values_list("last_name", flat=True)
    )
    return (
        Agent.objects.for_org(valmont)
        .filter(last_name__in=list(unique), user__isnull=True, departure_date__isnull=True)
        .exclude(last_name__icontains=" ")
        .order_by("last_name")
        .first()
    )


def test_the_ambassador_logs_a_session_on_a_phone_in_at_most_8_taps(demo, phone, live_server):
    page = phone
    log_in(page, live_server, "ambassador")
    coached = _someone_to_coach()
    assert coached is not None
    taps = 0

    def tap(locator) -> None:
        nonlocal taps
        taps += 1
        locator.tap()

    started = time.monotonic()
    tap(page.locator('main a[href="/coaching/new/"]').first)
    page.wait_for_url(f"{live_server.url}/coaching/new/")
    _shot(page, "coaching-new-390")
    search = page.locator("#id_q")
    tap(search)
    search.type(coached.last_name[:6], delay=20)
    result = page.locator("[data-agent-results] button.result", has_text=coached.full_name)
    tap(result)
    assert page.locator(f'[data-chosen] input[value="{coached.pk}"]').is_checked()
    tap(page.locator("label.chip", has_text="Connexion et identifiants"))
    _shot(page, "coaching-filled-390")
    tap(page.locator('button[name="save"]'))
    page.wait_for_url(re.compile(r"/coaching/\d+/$"))
    elapsed = time.monotonic() - started
    _shot(page, "coaching-detail-390")

    assert taps <= MAX_TAPS
    assert elapsed < 30
    session_id = int(page.url.rstrip("/").rsplit("/", 1)[-1])
    session = CoachingSession.objects.get(pk=session_id, coach__user__username="ambassador")
    assert [agent.pk for agent in session.agents.all()] == [coached.pk]
    assert [topic.code for topic in session.topics.all()] == ["login"]
    assert session.format == CoachingSession.Format.INDIVIDUAL
    assert session.duration_minutes == 15

    page.goto(f"{live_server.url}/coaching/")
    _shot(page, "coaching-list-390")
    item = page.locator(f'.session-item:has(a[href="/coaching/{session_id}/"])')
    assert item.count() == 1
    assert coached.full_name in item.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_the_coaching_form_has_no_serious_accessibility_violation(demo, phone, live_server):
    log_in(phone, live_server, "ambassador")
    phone.goto(f"{live_server.url}/coaching/new/")
    phone.locator("#id_q").type("ma", delay=20)
    phone.locator("[data-agent-results] button.result").first.wait_for()
    results = Axe().run(phone)
    serious = [
        violation
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]
    assert serious == [], results.generate_report()


def test_the_coaching_form_fits_a_360_pixel_phone(demo, phone, live_server):
    phone.set_viewport_size({"width": 360, "height": 740})
    log_in(phone, live_server, "ambassador")
    for path in ("/coaching/new/", "/coaching/", "/"):
        phone.goto(f"{live_server.url}{path}")
        assert phone.evaluate("document.documentElement.scrollWidth") <= 360, path
