"""sitemap.xml lists only public URLs; the Google News sitemap holds the last two days."""

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse
from django.utils import timezone

from bulletins.models import BulletinStatus

from .site_data import make_entity, make_issue

pytestmark = pytest.mark.django_db

NS = {
    "sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "news": "http://www.google.com/schemas/sitemap-news/0.9",
}
DAY = dt.date(2026, 3, 17)


def locations(client, url):
    response = client.get(url)
    assert response.status_code == 200
    root = ET.fromstring(response.content)
    return root, [
        loc.text.removeprefix("http://testserver") for loc in root.iterfind(".//sm:loc", NS)
    ]


def all_sitemap_urls(client):
    _root, parts = locations(client, reverse("bulletins:sitemap"))
    assert parts, "the sitemap index lists its parts"
    urls = []
    for part in parts:
        urls += locations(client, part)[1]
    return urls


@pytest.fixture
def content(db):
    public = make_entity("罗氏", "roche")
    secret = make_entity("保密公司", "secret-co")
    published = make_issue(DAY, 2, entities=[public])
    draft = make_issue(
        DAY + dt.timedelta(days=1), 2, status=BulletinStatus.DRAFT, entities=[secret]
    )
    return published, draft


def test_sitemap_lists_issues_items_entities_and_sections(client, content):
    published, _draft = content
    urls = all_sitemap_urls(client)
    assert published.get_absolute_url() in urls
    assert all(item.get_absolute_url() in urls for item in published.items.all())
    assert "/entities/roche/" in urls
    assert "/sections/company-news/" in urls
    assert "/" in urls


def test_sitemap_lists_nothing_unpublished(client, content):
    _published, draft = content
    urls = all_sitemap_urls(client)
    assert draft.get_absolute_url() not in urls
    assert not any(item.get_absolute_url() in urls for item in draft.items.all())
    assert "/entities/secret-co/" not in urls
    for url in urls:
        assert client.get(url).status_code == 200, url


def test_news_sitemap_holds_only_the_last_two_days(client, db):
    recent = make_issue(DAY, 2, publish_at=timezone.now() - dt.timedelta(hours=3))
    make_issue(DAY - dt.timedelta(days=5), 2, publish_at=timezone.now() - dt.timedelta(days=5))
    root, urls = locations(client, reverse("bulletins:news_sitemap"))
    assert sorted(urls) == sorted(item.get_absolute_url() for item in recent.items.all())
    assert root.find(".//news:publication/news:name", NS).text == "医药健闻"
    assert root.find(".//news:publication/news:language", NS).text == "zh-cn"
    assert root.find(".//news:title", NS).text


def test_news_sitemap_skips_a_scheduled_issue_until_its_time(client, db):
    make_issue(
        DAY, 2, status=BulletinStatus.SCHEDULED, publish_at=timezone.now() + dt.timedelta(hours=2)
    )
    _root, urls = locations(client, reverse("bulletins:news_sitemap"))
    assert urls == []


def test_a_retraction_leaves_the_cached_sitemap_at_once(client, content, chief, settings):
    """Defect 14: sitemaps were cached ten minutes whatever changed; now under the page
    cache's publish-aware key, a retracted issue's URLs are gone on the next request."""
    from bulletins import workflow

    settings.NEWSROOM_PAGE_CACHE_VERSION_SECONDS = 0
    published, _draft = content
    item_url = published.items.first().get_absolute_url()
    assert item_url in all_sitemap_urls(client)
    assert item_url in all_sitemap_urls(client)  # now from the cache
    workflow.retract(published, by=chief, comment="撤回测试")
    urls = all_sitemap_urls(client)
    assert item_url not in urls and published.get_absolute_url() not in urls


def test_sitemap_urls_are_the_pages_own_urls_unicode_slugs_included(client, db):
    """The parts fill a URL pattern reversed once: it must give exactly get_absolute_url."""
    chinese = make_entity("恒瑞医药", "恒瑞医药-hengrui")
    issue = make_issue(DAY, 3, entities=[chinese])
    urls = all_sitemap_urls(client)
    assert chinese.get_absolute_url() in urls
    assert issue.get_absolute_url() in urls
    for url in urls:
        assert client.get(url).status_code == 200, url


def test_an_item_page_costs_the_same_queries_at_any_size_and_stays_put(
    client, db, django_assert_num_queries, settings, monkeypatch
):
    """A page is a range of issues, oldest first: its URLs do not move when a new issue is
    published, and reading it costs the same queries with 2 issues or 8."""
    from django.core.cache import cache

    from bulletins import sitemaps

    monkeypatch.setattr(sitemaps.ItemPart, "per_page", 2)
    for n in range(2):
        make_issue(DAY + dt.timedelta(days=n), 2)
    url = reverse("bulletins:sitemap_section", kwargs={"section": "items"})
    first = locations(client, url)[1]
    cache.clear()
    with django_assert_num_queries(3) as small:
        client.get(url)
    for n in range(2, 8):
        make_issue(DAY + dt.timedelta(days=n), 2)
    cache.clear()
    with django_assert_num_queries(len(small.captured_queries)):
        client.get(url)
    assert locations(client, url)[1] == first
    assert len(locations(client, url + "?p=4")[1]) == 4


@pytest.mark.parametrize("query", ["?p=0", "?p=x", "?p=99", "?p=%EF%BC%91"])
def test_a_page_that_does_not_exist_is_a_404(client, content, query):
    url = reverse("bulletins:sitemap_section", kwargs={"section": "items"})
    assert client.get(url + query).status_code == 404
    assert client.get("/sitemap-nothing.xml").status_code == 404


def test_a_sitemap_cached_for_one_host_is_not_served_on_another(client, content, settings):
    """A sitemap lists absolute URLs: the copy made for one host must not answer another."""
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
    url = reverse("bulletins:sitemap")
    client.get(url, HTTP_HOST="localhost")
    assert "<loc>http://127.0.0.1/" in client.get(url, HTTP_HOST="127.0.0.1").text
