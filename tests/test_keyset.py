"""Keyset pages on the site (``?after=<date>~<id>``): stable URLs, same order as a full sort,
the same queries at any depth, old ``?page=N`` links and bad keys handled."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bulletins.models import Bulletin, Item, ItemEntity, ItemStatus, Section
from bulletins.pager import IssueOrderedItems

from .site_data import make_entity, make_issue

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 3, 17)
SECTION_URL = "/sections/company-news/"


@pytest.fixture
def roche(db):
    return make_entity("罗氏", "roche", aliases=["Roche"])


def archive(days, per_day, entity, *, start=DAY):
    for offset in range(days):
        make_issue(start - dt.timedelta(days=offset * 2), per_day, entities=[entity])


def walk(client, url):
    """Every page of a list by its "older" links: [(url, [item ids])…]."""
    pages = []
    while url:
        response = client.get(url)
        assert response.status_code == 200
        pages.append((url, [item.pk for item in response.context["items"]]))
        url = response.context["older_url"]
    return pages


def expected_ids(**filters):
    items = Item.objects.published().filter(**filters)
    return list(
        items.order_by("-bulletin__issued_on", "section__position", "position", "pk").values_list(
            "pk", flat=True
        )
    )


@pytest.fixture(params=["sorted", "walked"])
def plan(request, monkeypatch):
    """Both plans of ``IssueOrderedItems``: the database sorts, or it walks issues in chunks."""
    if request.param == "walked":
        monkeypatch.setattr(IssueOrderedItems, "SORT_LIMIT", 3)
        monkeypatch.setattr(IssueOrderedItems, "FIRST_CHUNK", 2)
    return request.param


def test_entity_pages_by_key_hold_every_item_once_in_order_and_back(client, roche, plan):
    archive(9, 8, roche)  # 72 items: three pages of 30, 30, 12
    pages = walk(client, roche.get_absolute_url())
    assert [len(ids) for _url, ids in pages] == [30, 30, 12]
    assert [pk for _url, ids in pages for pk in ids] == expected_ids(entity_links__entity=roche)
    # "newer" from each page leads to exactly the page before it
    for (previous_url, _ids), (url, _ids2) in zip(pages, pages[1:], strict=False):
        assert client.get(url).context["newer_url"] == previous_url


def test_section_pages_by_key_hold_every_item_once_in_order(client, roche):
    archive(9, 8, roche)  # 4 company-news items a day
    pages = walk(client, SECTION_URL)
    section_ids = list(
        Item.objects.published()
        .filter(section__slug="company-news")
        .order_by("-bulletin__issued_on", "position", "pk")
        .values_list("pk", flat=True)
    )
    assert [pk for _url, ids in pages for pk in ids] == section_ids
    assert [len(ids) for _url, ids in pages] == [30, 6]
    assert client.get(pages[1][0]).context["newer_url"] == SECTION_URL


@pytest.mark.parametrize("url_of", [lambda e: e.get_absolute_url(), lambda e: SECTION_URL])
def test_a_keyed_page_shows_the_same_items_after_a_new_issue(client, roche, url_of, plan):
    archive(6, 12, roche)
    first_url = url_of(roche)
    second_url, second_ids = walk(client, first_url)[1]
    first_before = [item.pk for item in client.get(first_url).context["items"]]
    make_issue(DAY + dt.timedelta(days=1), 12, entities=[roche])  # published ahead of it
    assert [item.pk for item in client.get(second_url).context["items"]] == second_ids
    # the first page moved on: it shows the new issue
    first_after = [item.pk for item in client.get(first_url).context["items"]]
    assert first_after != first_before
    assert Item.objects.get(pk=first_after[0]).bulletin.issued_on == DAY + dt.timedelta(days=1)


def test_old_page_links_redirect_to_the_key_of_that_page(client, roche, plan):
    archive(9, 8, roche)
    url = roche.get_absolute_url()
    pages = walk(client, url)
    assert client.get(url, {"page": 1})["Location"] == url
    for number, (page_url, _ids) in enumerate(pages[1:], start=2):
        response = client.get(url, {"page": number})
        assert response.status_code == 302 and response["Location"] == page_url
    for bad in ("4", "0", "-1", "x", "99999999999999999999999"):
        assert client.get(url, {"page": bad}).status_code == 404, bad


@pytest.mark.parametrize(
    "key",
    [
        "x",
        "",
        "2026-03-17",
        "2026-13-01~1",
        "2026-02-30~5",
        "0000-01-01~5",
        "2026-03-17~",
        "2026-03-17~1234567890123",
        "2026-03-17~-1",
        "2026-03-17~1 OR 1=1",
        "２０２６-03-17~1",
    ],
)
def test_a_malformed_key_redirects_to_the_first_page(client, roche, key):
    archive(2, 4, roche)
    for url in (roche.get_absolute_url(), SECTION_URL):
        response = client.get(url, {"after": key})
        assert response.status_code == 302 and response["Location"] == url, key


def test_a_key_past_the_end_or_of_an_unknown_item_answers_without_error(client, roche):
    archive(3, 4, roche)
    url = roche.get_absolute_url()
    past = client.get(url, {"after": "1999-01-01~1"})
    assert past.status_code == 200 and past.context["items"] == []
    assert past.context["newer_url"] == url
    # an item id that is not in that issue: the page starts with the whole issue (none lost)
    unknown = client.get(url, {"after": f"{DAY:%Y-%m-%d}~999999"})
    everything = expected_ids(entity_links__entity=roche)
    assert [item.pk for item in unknown.context["items"]] == everything
    # an unpublished item of that issue is no bound either: a key tells nothing about it
    issue = Bulletin.objects.get(issued_on=DAY)
    draft = Item.objects.create(
        bulletin=issue,
        section=Section.objects.get(slug="company-news"),
        position=99,
        body="草稿",
        status=ItemStatus.DRAFT,
    )
    ItemEntity.objects.create(item=draft, entity=roche, is_confirmed=True)
    for list_url in (url, SECTION_URL):
        with_draft = client.get(list_url, {"after": f"{DAY:%Y-%m-%d}~{draft.pk}"})
        assert with_draft.content == client.get(
            list_url, {"after": f"{DAY:%Y-%m-%d}~999999"}
        ).content.replace(b"999999", str(draft.pk).encode())


def test_keyed_page_is_canonical_with_its_key_and_links_prev_next(client, roche):
    archive(9, 8, roche)
    url = roche.get_absolute_url()
    _first, (second_url, _ids), (third_url, _ids3) = walk(client, url)
    html = client.get(second_url).content.decode()
    assert f'<link rel="canonical" href="http://testserver{second_url}">' in html
    assert f'rel="prev" href="{url}"' in html and f'rel="next" href="{third_url}"' in html
    first_html = client.get(url).content.decode()
    assert '<link rel="canonical" href="http://testserver/entities/roche/">' in first_html
    assert 'rel="prev"' not in first_html


def test_page_cache_keeps_keyed_pages_apart(client, roche, settings):
    archive(9, 8, roche)
    url = roche.get_absolute_url()
    second = walk(client, url)[1][0]
    settings.NEWSROOM_PAGE_CACHE_SECONDS = 60
    cache.clear()
    pages = [client.get(page).content for page in (url, second, url, second)]
    assert pages[0] == pages[2] and pages[1] == pages[3] and pages[0] != pages[1]


def queries(client, url) -> int:
    client.get(url)
    cache.clear()  # uncached: page parts cached per content version are rebuilt
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def page_costs(client, roche):
    costs = {}
    for start in (roche.get_absolute_url(), SECTION_URL):
        pages = walk(client, start)
        assert len(pages) >= 4
        middle, last = pages[len(pages) // 2][0], pages[-1][0]
        costs[start] = [queries(client, url) for url in (start, pages[1][0], middle, last)]
    return costs


@pytest.mark.parametrize("sort_limit", [IssueOrderedItems.SORT_LIMIT, 3])
def test_a_deep_page_costs_the_same_queries_at_two_archive_sizes(
    client, roche, settings, monkeypatch, sort_limit
):
    """First, second, middle and last page of an entity and a section, on an archive and on
    one three times as deep: the same queries, page by page, whatever the depth; a page
    after the first costs a fixed few more (where its "newer" link starts)."""
    settings.NEWSROOM_PAGE_CACHE_VERSION_SECONDS = 0
    monkeypatch.setattr(IssueOrderedItems, "SORT_LIMIT", sort_limit)  # 3: the issue walk
    archive(6, 40, roche)
    small = page_costs(client, roche)
    archive(12, 40, roche, start=DAY - dt.timedelta(days=12))  # older issues: 3x as deep
    large = page_costs(client, roche)
    assert large == small
    for first, *deep in small.values():
        assert len(set(deep)) == 1, small
        assert deep[0] - first <= 4, small
