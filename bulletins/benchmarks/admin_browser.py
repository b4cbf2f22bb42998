"""How long the admin's heaviest pages take in a real browser: navigation start to the load
event, in Debian's Chromium driven by Playwright, against ``runserver --nostatic`` on the
current database (the demo is loaded into it when its users are missing, as ``make run`` does).

Pages: the bulletin (issue) page, an item page, and an import save (paste → preview → save,
timed from the save's POST to the load event of the issue page it lands on). Each is loaded
once with an empty browser cache ("cold") and then three times ("warm", median), as an
editor would open it again in the morning. Figures in milliseconds.

    DATABASE_URL=… .venv/bin/python manage.py bench admin_browser
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

CHROMIUM = os.environ.get("NEWSROOM_CHROMIUM", "/usr/bin/chromium")
PORT = int(os.environ.get("NEWSROOM_BENCH_PORT", "8179"))
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
LOAD_MS = "(() => { const n = performance.getEntriesByType('navigation')[0]; return n.loadEventEnd - n.startTime; })()"


def _wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except Exception:
            time.sleep(0.3)
    raise RuntimeError(f"the server did not answer at {url}")


def _import_text(day) -> str:
    clean = Path(__file__).resolve().parents[2] / "tests" / "data" / "pastes" / "clean.txt"
    text = clean.read_text(encoding="utf-8")
    return text.replace("2026年4月2日", f"{day.year}年{day.month}月{day.day}日")


def run(*, out=sys.stdout, quick=False) -> dict:
    import datetime as dt

    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from playwright.sync_api import sync_playwright

    from bulletins.demo.loader import DEMO_USERS
    from bulletins.models import Bulletin, Item

    call_command("migrate", verbosity=0, interactive=False)
    if not get_user_model().objects.filter(username="chief").exists():
        out.write("  loading the demo (manage.py load_demo) into the current database…\n")
        call_command("load_demo", stdout=out)
    bulletin = Bulletin.objects.order_by("-issued_on").first()
    item = Item.objects.filter(bulletin=bulletin).first()
    password = {u: p for u, p, _role, _name in DEMO_USERS}["chief"]
    base = f"http://127.0.0.1:{PORT}"
    # Free dates for the import saves, found now: no ORM inside Playwright's event loop.
    days, day = [], dt.date(2031, 1, 1)
    while len(days) < 3:
        if not Bulletin.objects.filter(issued_on=day).exists():
            days.append(day)
        day += dt.timedelta(days=1)
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--nostatic", "--noreload", f"127.0.0.1:{PORT}"],
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    figures = {}
    try:
        _wait_for(f"{base}/admin/login/")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            context = browser.new_context()
            page = context.new_page()
            page.goto(f"{base}/admin/login/")
            page.fill("#id_username", "chief")
            page.fill("#id_password", password)
            with page.expect_navigation():
                page.click("input[type=submit]")
            pages = {
                "issue page": f"{base}/admin/bulletins/bulletin/{bulletin.pk}/change/",
                "item page": f"{base}/admin/bulletins/item/{item.pk}/change/",
            }
            for label, url in pages.items():
                cold = _cold(browser, context, url)
                warm = []
                for _ in range(1 if quick else 3):
                    page.goto(url, wait_until="load")
                    warm.append(page.evaluate(LOAD_MS))
                figures[f"{label} cold (ms)"] = round(cold)
                figures[f"{label} warm median (ms)"] = round(statistics.median(warm))
            saves = []
            for day in days[: 1 if quick else 3]:
                page.goto(f"{base}/admin/bulletins/import/", wait_until="load")
                page.fill("textarea[name=text]", _import_text(day))
                with page.expect_navigation(wait_until="load"):
                    page.click("input[name=preview]")
                with page.expect_navigation(wait_until="load"):
                    page.click("input[name=save]")
                saves.append(page.evaluate(LOAD_MS))
            figures["import save median (ms)"] = round(statistics.median(saves))
            figures["import save max (ms)"] = round(max(saves))
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
        # the benchmark's imported issues are drafts of 2031; leave the demo as it was
        Bulletin.objects.filter(issued_on__in=days, status="draft").delete()
    return figures


def _cold(browser, context, url) -> float:
    """The page with an empty cache: a fresh context with the same session cookie."""
    fresh = browser.new_context()
    fresh.add_cookies(context.cookies())
    page = fresh.new_page()
    page.goto(url, wait_until="load")
    value = page.evaluate(LOAD_MS)
    fresh.close()
    return value
