"""RSS 2.0 and Atom feeds: all items, per section, per entity; only published content."""

import datetime as dt

import feedparser
import pytest
from django.urls import reverse

from bulletins.models import BulletinStatus, Entity

from .site_data import make_entity, make_issue

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 3, 17)


@pytest.fixture
def hengrui(db):
    return make_entity("恒瑞医药", "hengrui", aliases=["恒瑞"])


@pytest.fixture
def issues(hengrui):
    make_issue(DAY, 3, entities=[hengrui])
    make_issue(DAY + dt.timedelta(days=1), 2, status=BulletinStatus.DRAFT, entities=[hengrui])


def parse(client, url):
    response = client.get(url)
    assert response.status_code == 200
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    return response, feed


FEEDS = [
    ("bulletins:rss", {}, "rss20", "application/rss+xml"),
    ("bulletins:atom", {}, "atom10", "application/atom+xml"),
    ("bulletins:section_rss", {"slug": "company-news"}, "rss20", "application/rss+xml"),
    ("bulletins:section_atom", {"slug": "company-news"}, "atom10", "application/atom+xml"),
    ("bulletins:entity_rss", {"slug": "hengrui"}, "rss20", "application/rss+xml"),
    ("bulletins:entity_atom", {"slug": "hengrui"}, "atom10", "application/atom+xml"),
]


@pytest.mark.parametrize(("name", "kwargs", "version", "content_type"), FEEDS)
def test_feed_parses_without_errors(client, issues, name, kwargs, version, content_type):
    response, feed = parse(client, reverse(name, kwargs=kwargs))
    assert response["Content-Type"].startswith(content_type)
    assert feed.version == version
    assert feed.entries
    assert all("0318" not in entry.title + entry.summary for entry in feed.entries)


def test_all_items_feed_has_every_published_item_with_its_permalink(client, issues):
    _response, feed = parse(client, reverse("bulletins:rss"))
    assert len(feed.entries) == 3
    assert {entry.link.removeprefix("http://testserver") for entry in feed.entries} == {
        f"/items/{pk}/"
        for pk in Entity.objects.get(slug="hengrui")
        .items.filter(bulletin__issued_on=DAY)
        .values_list("pk", flat=True)
    }
    assert feed.entries[0].published_parsed is not None
    assert feed.feed.language == "zh-CN"


def test_section_feed_holds_only_that_section(client, issues):
    _response, feed = parse(
        client, reverse("bulletins:section_rss", kwargs={"slug": "industry-news"})
    )
    assert len(feed.entries) == 1
    assert all("产业动态" in [tag.term for tag in entry.tags] for entry in feed.entries)


def test_entity_feed_holds_its_confirmed_items_only(client, issues, hengrui):
    other = make_entity("百济神州", "beigene")
    make_issue(DAY - dt.timedelta(days=1), 2, entities=[other, hengrui], confirmed=False)
    make_issue(DAY - dt.timedelta(days=2), 1, entities=[other])
    _response, feed = parse(client, reverse("bulletins:entity_atom", kwargs={"slug": "hengrui"}))
    assert len(feed.entries) == 3
    assert "恒瑞医药" in feed.feed.title


def test_unknown_or_unpublished_entity_feed_is_404(client, issues):
    nobody = make_entity("无名公司", "nobody")
    assert client.get(reverse("bulletins:entity_rss", kwargs={"slug": "nope"})).status_code == 404
    assert (
        client.get(reverse("bulletins:entity_rss", kwargs={"slug": nobody.slug})).status_code == 404
    )
    assert client.get(reverse("bulletins:section_rss", kwargs={"slug": "nope"})).status_code == 404


def test_merged_entity_feed_redirects_to_the_survivor_feed(client, issues, hengrui):
    old = make_entity("恒瑞", "hengrui-old")
    Entity.objects.filter(pk=old.pk).update(merged_into=hengrui)
    response = client.get(reverse("bulletins:entity_rss", kwargs={"slug": "hengrui-old"}))
    assert response.status_code == 301
    assert response["Location"] == reverse("bulletins:entity_rss", kwargs={"slug": "hengrui"})


@pytest.mark.parametrize("n_items", [5, 50])
def test_feed_query_count_is_fixed(client, hengrui, django_assert_num_queries, n_items):
    make_issue(DAY, n_items, entities=[hengrui])
    url = reverse("bulletins:entity_rss", kwargs={"slug": "hengrui"})
    client.get(url)
    # entity (merged check), public entity, items (+section, issue), link pairs with entities
    with django_assert_num_queries(4):
        client.get(url)


HOSTILE = '<img src=x onerror="alert(1)"><script>alert(2)</script>&amp;'


@pytest.fixture
def hostile_issue(db):
    from bulletins.models import Item, Section

    entity = make_entity(HOSTILE[:60], "hostile-co")
    bulletin = make_issue(DAY, 2, entities=[entity])
    Section.objects.filter(slug="company-news").update(name="企业<b>动态</b>")
    Item.objects.filter(bulletin=bulletin).update(
        body=f"正文{HOSTILE}结尾", headline=f"标题{HOSTILE}"
    )
    return entity


@pytest.mark.parametrize(("name", "kwargs", "version", "content_type"), FEEDS)
def test_hostile_text_reaches_a_feed_reader_as_text_never_as_markup(
    client, hostile_issue, name, kwargs, version, content_type
):
    import xml.etree.ElementTree as ET

    kwargs = {"slug": "hostile-co"} if "entity" in name else kwargs
    response = client.get(reverse(name, kwargs=kwargs))
    assert response.status_code == 200
    root = ET.fromstring(response.content)
    atom = "{http://www.w3.org/2005/Atom}"
    # What a reader renders as HTML: RSS <description>, Atom <summary type="html">; what some
    # readers render as HTML although it should be text: <category>.
    html_fields = root.findall(".//item/description") + root.findall(f".//{atom}summary")
    assert html_fields
    for field in html_fields:
        rendered = field.text or ""
        assert "<" not in rendered and ">" not in rendered, rendered
        assert "&lt;img src=x" in rendered  # visible as text, not dropped
    categories = [c.text or c.get("term", "") for c in root.findall(".//item/category")] + [
        c.get("term", "") for c in root.findall(f".//{atom}category")
    ]
    assert categories
    assert not any("<" in c or ">" in c for c in categories), categories
