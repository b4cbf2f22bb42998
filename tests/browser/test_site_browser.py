"""The public site in real headless Chromium against a live server: phone and desktop."""

import pytest
from django.core.management import call_command

from bulletins.demo import content

from .conftest import DESKTOP, PHONE

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PAGES = {
    "home": "/",
    "issue": "/{day:%Y/%m/%d}/",
    "item": None,  # filled from the data
    "entity": "/entities/hengrui/",
    "entity-index": "/entities/",
    "search": "/search/?q=恒瑞",
    "archive": "/archive/",
    "month": "/{day:%Y/%m}/",
}


@pytest.fixture
def demo(migrated_data):
    call_command("load_demo", verbosity=0)
    from bulletins.models import Item

    return Item.objects.published().order_by("pk").first()


def page_paths(item):
    day = content.PUBLISHED_ON
    return {
        name: (path.format(day=day) if path else item.get_absolute_url())
        for name, path in PAGES.items()
    }


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_pages_render_cleanly(live_server, demo, open_page, screenshots, device):
    viewport = PHONE if device == "phone" else DESKTOP
    page, watcher = open_page(viewport)
    for name, path in page_paths(demo).items():
        response = page.goto(live_server.url + path)
        assert response.status == 200, path
        assert page.locator("h1").count() == 1, f"{path}: one h1"
        page.screenshot(path=screenshots / f"{name}-{device}.png", full_page=True)
        if device == "phone":
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{path} scrolls sideways by {overflow}px on a phone"
    assert watcher.errors == []


def test_reader_follows_an_entity_to_its_feed_and_finds_an_old_issue(
    live_server, demo, open_page, screenshots
):
    page, watcher = open_page(PHONE)
    page.goto(live_server.url + "/")
    page.locator("article.bulletin a.entity-mention", has_text="恒瑞医药").first.click()
    page.wait_for_url("**/entities/hengrui/")
    assert "恒瑞医药" in page.locator("h1").inner_text()
    assert page.locator("svg.bars rect").count() >= 1
    feed_href = page.locator(".feeds a", has_text="RSS").get_attribute("href")
    feed = page.request.get(live_server.url + feed_href)
    assert feed.ok and "<rss" in feed.text()

    page.locator("nav a", has_text="往期").first.click()
    page.wait_for_url("**/archive/")
    oldest = min(content.EARLIER_ISSUES)  # a month back, in the demo's earlier issues
    page.locator(f'.months a[href$="{oldest:/%Y/%m/}"]').first.click()
    page.locator(".calendar td a").first.click()
    page.wait_for_url(f"**{oldest:/%Y/%m/%d/}")
    page.screenshot(path=screenshots / "journey-issue-phone.png")
    assert page.locator("section.issue-section").count() >= 2
    assert watcher.errors == []
