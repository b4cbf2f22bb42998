"""One headless Debian Chromium per test session, driven by Playwright (never downloads one).

Browser tests are marked ``browser``; without /usr/bin/chromium or Playwright they skip with
the reason, and in CI (NEWSROOM_NO_SKIP=1, see tests/conftest.py) that skip is a failure.
"""

import os
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("NEWSROOM_CHROMIUM", "/usr/bin/chromium"))
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls are
# still plain synchronous code, so Django's async-safety guard does not apply here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser(django_db_setup):
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: run .ci/browser-deps (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip('Playwright is not installed: pip install -e ".[test]"')
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=LAUNCH_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def migrated_data(transactional_db):
    """The rows the data migration writes (roles, sections), back after an earlier test's
    flush. (serialized_rollback cannot help: Playwright's greenlet sees other connection
    objects than the ones Django stored the serialized database on.)"""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("bulletins.migrations.0002_roles_and_defaults")
    app_config = apps.get_app_config("bulletins")
    models_module = app_config.models_module
    try:
        migration.forwards(apps, None)
    finally:
        app_config.models_module = models_module


@pytest.fixture(scope="session")
def screenshots():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


class PageWatcher:
    """Collects what a reader would never see but should never happen: console errors,
    uncaught exceptions, failed requests."""

    def __init__(self, page):
        self.errors = []
        page.on(
            "console",
            lambda msg: msg.type == "error" and self.errors.append(f"console: {msg.text}"),
        )
        page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))
        page.on(
            "response",
            lambda r: r.status >= 400 and self.errors.append(f"HTTP {r.status}: {r.url}"),
        )
        page.on("requestfailed", lambda r: self.errors.append(f"request failed: {r.url}"))


@pytest.fixture
def open_page(browser):
    contexts = []

    def open_(viewport, *, color_scheme="light", bypass_csp=False):
        # bypass_csp: axe-core is injected as an inline script, which the site's CSP refuses.
        context = browser.new_context(
            viewport=viewport, locale="zh-CN", color_scheme=color_scheme, bypass_csp=bypass_csp
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        return page, PageWatcher(page)

    yield open_
    for context in contexts:
        context.close()
