"""Browser tests: Playwright's sync API driving the system's Chromium (never a downloaded one).

Without Chromium the tests are skipped with one line, unless REQUIRE_BROWSER=1 (set by
.ci/run), which turns the skip into a failure.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connections

# Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run
# inside one unless told that this (test-only) use is safe.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

SKIP_REASON = (
    "Chromium not installed: browser tests skipped (set REQUIRE_BROWSER=1 to fail instead)"
)
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEMO_PASSWORD = "relais-demo"


def find_chromium() -> str | None:
    # An explicit CHROMIUM_PATH is the only candidate: a wrong one must not be papered over.
    explicit = os.environ.get("CHROMIUM_PATH")
    candidates = [explicit] if explicit else ["/usr/bin/chromium", shutil.which("chromium")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def require_chromium() -> str:
    """Called at the top of each browser test module: one skip line for the whole module."""
    path = find_chromium()
    if path is None:
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(
                "Chromium not installed and REQUIRE_BROWSER=1: install chromium or set "
                "CHROMIUM_PATH",
                pytrace=False,
            )
        pytest.skip(SKIP_REASON, allow_module_level=True)
    return path


@pytest.fixture(scope="session")
def chromium_path() -> str:
    return require_chromium()


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()
        # While Playwright's event loop runs, Django's connections live in a context of their
        # own (asgiref's Local): close them, or PostgreSQL refuses to drop the test database.
        connections.close_all()


@pytest.fixture
def page(browser, live_server) -> Iterator[object]:
    # The live server answers from its own threads; with persistent connections one of them
    # would still hold PostgreSQL's test database when pytest-django drops it.
    for alias in connections:
        connections.settings[alias]["CONN_MAX_AGE"] = 0
    # French first: the browser asks for French, as the people of a collectivité do.
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def demo(transactional_db) -> None:
    call_command("seed_demo", agents=200, seed=1, stdout=StringIO())


def log_in(page, live_server, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Nom d’utilisateur").fill(username)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{live_server.url}/")
