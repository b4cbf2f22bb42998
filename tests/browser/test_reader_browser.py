"""The reader's site in headless Chromium at 390 px (phone) and 1366 px (desktop), light and
dark: no sideways scrolling, tap targets of at least 44 px, axe-core without serious or
critical violations, the event-kind filter, font size and copy link. Screenshots of every
page go to var/screenshots/ (the README's two come from here)."""

from pathlib import Path

import pytest
from django.core.management import call_command

from bulletins.demo import content

from .conftest import DESKTOP, PHONE

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

AXE = Path(__file__).resolve().parents[2] / "var/tools/node_modules/axe-core/axe.min.js"
# Controls a reader taps. Links inside running text are exempt (WCAG 2.5.5/2.5.8 "inline").
CONTROLS = (
    ".site-nav a, .brand, .tool:not([hidden]), .filter, .permalink, .pagination a, .issue-nav a, "
    ".side a, .downloads a, .actions a, .feeds a, .tracker-form input, .tracker-form select, "
    "button:not([hidden]), .calendar td a, .months a, .letters a, .tabs a, .share a, .site-footer a, "
    ".follow-button"
)
TAP_SIZES = """(selector) => [...document.querySelectorAll(selector)]
  .filter((el) => el.offsetParent !== null)
  .map((el) => { const r = el.getBoundingClientRect();
                 return {text: (el.textContent || el.name || '').trim().slice(0, 20),
                         cls: el.className, w: r.width, h: r.height}; })
  .filter((box) => box.h < 44 || box.w < 24)"""
AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations'],
    runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}});
  return result.violations.filter((v) => ['serious', 'critical'].includes(v.impact))
    .map((v) => ({id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' '))}));
}"""


@pytest.fixture
def demo(migrated_data):
    call_command("load_demo", verbosity=0)
    from bulletins.models import Item

    item = Item.objects.published().exclude(headline="").order_by("pk").first()
    day = content.PUBLISHED_ON
    return {
        "home": "/",
        "issue": f"/{day:%Y/%m/%d}/",
        "issue-financing": f"/{day:%Y/%m/%d}/?kind=financing",
        "item": item.get_absolute_url(),
        "entity": "/entities/hengrui/",
        "entity-index": "/entities/",
        "section": "/sections/company-news/",
        "search": "/search/?q=恒瑞",
        "archive": "/archive/",
        "month": f"/{day:%Y/%m}/",
        "deals": "/deals/",
        "deals-filtered": "/deals/?round=B&sort=-amount",
        "approvals": "/approvals/",
    }


# Dark colours do not depend on the width: the dark run checks the Lighthouse pages on a phone.
AXE_EVERYWHERE = ("phone", "light")
LIGHTHOUSE_PAGES = {"home", "issue", "item", "entity", "deals", "approvals"}


@pytest.mark.parametrize(
    "device, scheme", [("phone", "light"), ("desktop", "light"), ("phone", "dark")]
)
def test_every_page_fits_has_big_tap_targets_and_no_serious_axe_violation(
    live_server, demo, open_page, screenshots, device, scheme
):
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run .ci/browser-deps")
    page, watcher = open_page(
        PHONE if device == "phone" else DESKTOP, color_scheme=scheme, bypass_csp=True
    )
    problems = []
    for name, path in demo.items():
        if scheme == "dark" and name not in LIGHTHOUSE_PAGES:
            continue
        response = page.goto(live_server.url + path)
        assert response.status == 200, path
        if scheme == "dark":  # the dark theme renders: dark page, light text
            colors = page.evaluate(
                "[getComputedStyle(document.body).backgroundColor,"
                " getComputedStyle(document.body).color]"
            )
            assert colors == ["rgb(18, 20, 22)", "rgb(230, 232, 234)"], path
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        if overflow > 0:
            problems.append(f"{path}: scrolls sideways by {overflow}px")
        small = page.evaluate(TAP_SIZES, CONTROLS)
        if small:
            problems.append(f"{path}: tap targets under 44px: {small[:4]}")
        if (device, scheme) == AXE_EVERYWHERE or name in LIGHTHOUSE_PAGES:
            page.add_script_tag(path=str(AXE))
            violations = page.evaluate(AXE_RUN)
            if violations:
                problems.append(f"{path}: axe {violations}")
        page.screenshot(path=screenshots / f"{name}-{device}-{scheme}.png")
    assert problems == []
    assert watcher.errors == []


def test_reader_filters_the_issue_to_financings_then_downloads_deals(
    live_server, demo, open_page, screenshots
):
    page, watcher = open_page(PHONE)
    page.goto(live_server.url + "/")
    chip = page.locator(".glance a.filter", has_text="融资")
    expected = int(chip.locator("b").inner_text())
    chip.click()
    page.wait_for_url("**kind=financing**")
    kinds = page.eval_on_selector_all("#items article.item", "els => els.map(e => e.dataset.kind)")
    assert kinds == ["financing"] * expected
    assert page.locator(".glance a.filter[aria-current]").inner_text().startswith("融资")
    page.screenshot(path=screenshots / "journey-filtered-phone.png")

    page.locator(".site-nav a", has_text="交易").click()
    page.wait_for_url("**/deals/")
    page.locator(".tracker-filters summary").click()  # folded on a phone: results first
    page.select_option("#id_round", "B")
    page.locator(".tracker-form button[type=submit]").click()
    page.wait_for_url("**round=B**")
    rows = page.locator(".deal-list .deal").count()
    with page.expect_download() as download:
        page.locator(".downloads a", has_text="CSV").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) - 2 == rows  # header and FX line around exactly the rows shown
    assert all(",B," in line for line in lines[1:-1])
    assert watcher.errors == []


def test_font_size_is_remembered_copy_link_appears_and_pages_work_without_script(
    live_server, demo, open_page, browser
):
    page, watcher = open_page(PHONE)
    page.goto(live_server.url + demo["item"])
    size = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    page.locator(".reader-tools button", has_text="A+").click()
    page.reload()
    bigger = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    assert bigger > size
    assert page.locator("button[data-copy]").is_visible()
    assert watcher.errors == []

    # Largest font size on a 320 px screen (WCAG reflow: 1280 px at 400 %): nothing sideways.
    for _n in range(4):
        page.locator(".reader-tools button", has_text="A+").click()
    page.set_viewport_size({"width": 320, "height": 640})
    for path in (demo["home"], demo["item"], demo["deals"], demo["approvals"], demo["entity"]):
        page.goto(live_server.url + path)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 320 px, largest font"

    # Without script: the font controls stay hidden, the kind filter still works.
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + "/")
    assert not page.locator(".reader-tools").is_visible()  # needs script, so hidden
    page.locator(".glance a.filter", has_text="获批").click()
    kinds = page.eval_on_selector_all("#items article.item", "els => els.map(e => e.dataset.kind)")
    assert kinds and set(kinds) == {"approval"}
    context.close()
