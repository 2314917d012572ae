"""The badge pages in a real browser: the demo's catalogue and an agent's badges, on a phone,
with the keyboard, and without serious accessibility violations."""

from __future__ import annotations

from io import StringIO

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command

from ambassadors.models import Agent
from badges.models import Award

from .conftest import log_in, require_chromium

require_chromium()

pytestmark = pytest.mark.browser


@pytest.fixture
def demo(transactional_db, settings) -> None:
    # The demo organization gets the default catalogue, as in `make demo`; its history is
    # reconciled at the end of the seed.
    settings.BADGES_DEFAULT_CATALOGUE = True
    call_command("seed_demo", agents=200, seed=1, stdout=StringIO())


def _serious(page) -> list:
    results = Axe().run(page)
    return [
        violation
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]


def _ambassador() -> Agent:
    return Agent.objects.get(user__username="ambassador")


def test_the_ambassador_sees_their_badges_and_progress_on_a_phone(demo, page, live_server):
    page.set_viewport_size({"width": 360, "height": 740})
    ambassador = _ambassador()
    assert Award.objects.filter(agent=ambassador, revoked_at__isnull=True).exists()
    log_in(page, live_server, "ambassador")
    page.get_by_role("link", name="Mes badges").first.click()
    page.wait_for_url(f"{live_server.url}/badges/agents/{ambassador.pk}/")
    assert page.get_by_role("heading", name="Badges obtenus").is_visible()
    assert page.get_by_role("heading", name="Vers le niveau suivant").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert _serious(page) == []


def test_the_catalogue_fits_a_phone_and_has_no_serious_violation(demo, page, live_server):
    page.set_viewport_size({"width": 360, "height": 740})
    log_in(page, live_server, "comms")
    page.goto(f"{live_server.url}/badges/")
    assert page.get_by_text("Première publication").first.is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert _serious(page) == []
    page.goto(f"{live_server.url}/badges/plume/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert _serious(page) == []


def test_comms_previews_a_rule_change_with_the_keyboard(demo, page, live_server):
    log_in(page, live_server, "comms")
    page.goto(f"{live_server.url}/badges/plume/")
    threshold = page.get_by_label("Seuil du niveau Bronze")
    threshold.fill("2")
    threshold.press("Enter")  # submits the form
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/badges/plume/preview/")
    assert page.get_by_role("heading", name="Qui gagnerait").is_visible()
    assert _serious(page) == []
