from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from ambassadors.models import Organization, OrgUnit

from .conftest import log_in, require_chromium

require_chromium()

pytestmark = pytest.mark.browser


def test_comms_logs_in_and_sees_the_org_chart(demo, page, live_server):
    log_in(page, live_server, "comms")
    assert page.get_by_role("heading", name="Le programme").is_visible()
    page.get_by_role("navigation", name="Menu principal").get_by_role(
        "link", name="Organigramme"
    ).click()
    page.wait_for_url(f"{live_server.url}/services/")
    assert page.get_by_role("heading", level=1).inner_text() == "Organigramme"
    valmont = Organization.objects.get(slug="valmont")
    units = OrgUnit.objects.for_org(valmont)
    assert page.locator("a.tree-link").count() == units.count()
    root = units.filter(depth=0).order_by("name").first()
    assert root is not None
    assert page.get_by_role("heading", level=2, name=root.name).is_visible()


def test_org_chart_has_no_serious_accessibility_violation(demo, page, live_server):
    log_in(page, live_server, "comms")
    page.goto(f"{live_server.url}/services/")
    results = Axe().run(page)
    serious = [
        violation
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]
    assert serious == [], results.generate_report()


def test_the_skip_link_is_the_first_stop_and_leads_to_the_content(demo, page, live_server):
    log_in(page, live_server, "comms")
    page.goto(f"{live_server.url}/services/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Aller au contenu"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_pages_fit_a_360_pixel_phone_without_sideways_scrolling(demo, page, live_server):
    page.set_viewport_size({"width": 360, "height": 740})
    log_in(page, live_server, "comms")
    valmont = Organization.objects.get(slug="valmont")
    unit = OrgUnit.objects.for_org(valmont).filter(depth=1).order_by("name").first()
    assert unit is not None
    for path in ("/", "/services/", f"/services/{unit.pk}/"):
        page.goto(f"{live_server.url}{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, (path, width)
