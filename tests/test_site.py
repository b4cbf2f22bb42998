"""The public site: every page, only published content, constant query counts."""

import datetime as dt
import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from bulletins import workflow
from bulletins.models import BulletinStatus, Correction, Entity, ItemStatus
from bulletins.pinyin import index_letter

from .site_data import make_entity, make_issue

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 3, 17)


def day_url(day, name="bulletins:bulletin_detail"):
    return reverse(name, kwargs={"year": day.year, "month": day.month, "day": day.day})


@pytest.fixture
def roche(db):
    return make_entity("罗氏", "roche", aliases=["Roche"])


@pytest.fixture
def issue(roche):
    return make_issue(DAY, 4, entities=[roche])


# ----------------------------------------------------------------------------- issue pages


def test_home_shows_the_latest_published_issue_not_a_newer_draft(client, issue):
    make_issue(DAY + dt.timedelta(days=1), 2, status=BulletinStatus.DRAFT)
    response = client.get(reverse("bulletins:home"))
    assert response.status_code == 200
    assert response.context["bulletin"] == issue
    assert "0318" not in response.content.decode()


def test_home_links_to_previous_issues(client, issue):
    older = make_issue(DAY - dt.timedelta(days=1), 1)
    response = client.get(reverse("bulletins:home"))
    assert older.get_absolute_url() in response.content.decode()


def test_home_without_any_issue_says_so(client, db):
    response = client.get(reverse("bulletins:home"))
    assert response.status_code == 200
    assert "还没有已发布的日报" in response.content.decode()


def test_issue_page_shows_headlines_dateline_sections_and_items(client, issue):
    html = client.get(issue.get_absolute_url()).content.decode()
    assert '<html lang="zh-CN"' in html
    assert "0317头条1" in html and "0317头条3" in html
    assert "(医药健闻2026年3月17日讯)" in html
    assert '<time datetime="2026-03-17">' in html
    assert html.index("企业动态") < html.index("产业动态")
    assert html.count('class="item"') == 4


def test_issue_page_links_entity_mentions_to_confirmed_entities_only(client, roche):
    hidden = make_entity("测试公司", "test-co")
    bulletin = make_issue(DAY, 1, entities=[roche])
    make_issue(DAY - dt.timedelta(days=1), 1, entities=[hidden], confirmed=False)
    item = bulletin.items.get()
    item.body = "罗氏与测试公司达成合作。"
    item.save()
    html = client.get(bulletin.get_absolute_url()).content.decode()
    assert f'href="{roche.get_absolute_url()}"' in html
    assert hidden.get_absolute_url() not in html


def test_issue_page_links_previous_next_and_text_export(client, issue):
    before = make_issue(DAY - dt.timedelta(days=2), 1)
    after = make_issue(DAY + dt.timedelta(days=3), 1)
    make_issue(DAY + dt.timedelta(days=1), 1, status=BulletinStatus.APPROVED)
    html = client.get(issue.get_absolute_url()).content.decode()
    assert f'rel="prev" href="{before.get_absolute_url()}"' in html
    assert f'rel="next" href="{after.get_absolute_url()}"' in html
    assert day_url(DAY, "bulletins:bulletin_text") in html


def test_unapproved_items_of_a_published_issue_stay_hidden(client, issue):
    extra = make_issue(DAY + dt.timedelta(days=1), 1, item_status=ItemStatus.SPIKED)
    html = client.get(extra.get_absolute_url()).content.decode()
    assert "0318第1条" not in html


@pytest.mark.parametrize(
    "status", [BulletinStatus.DRAFT, BulletinStatus.IN_REVIEW, BulletinStatus.APPROVED]
)
def test_unpublished_issue_is_404(client, db, status):
    bulletin = make_issue(DAY, 1, status=status)
    assert client.get(bulletin.get_absolute_url()).status_code == 404
    assert client.get(day_url(DAY, "bulletins:bulletin_text")).status_code == 404
    assert client.get(bulletin.items.get().get_absolute_url()).status_code == 404


def test_scheduled_issue_appears_at_its_time(client, db):
    future = timezone.now() + dt.timedelta(hours=1)
    bulletin = make_issue(DAY, 1, status=BulletinStatus.SCHEDULED, publish_at=future)
    assert client.get(bulletin.get_absolute_url()).status_code == 404
    assert client.get(reverse("bulletins:home")).context.get("bulletin") is None
    bulletin.publish_at = timezone.now() - dt.timedelta(minutes=1)
    bulletin.save()
    assert client.get(bulletin.get_absolute_url()).status_code == 200


@pytest.mark.parametrize("path", ["/2026/03/18/", "/2026/02/30/", "/2026/13/01/", "/2026/00/10/"])
def test_unknown_or_impossible_dates_are_404(client, issue, path):
    assert client.get(path).status_code == 404


def test_retracted_issue_shows_only_its_notice(client, issue, chief):
    workflow.retract(issue, by=chief, comment="数据有误,整期撤回。")
    response = client.get(issue.get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 200
    assert "数据有误,整期撤回。" in html
    assert "0317第1条" not in html and "0317头条1" not in html
    assert client.get(issue.items.first().get_absolute_url()).status_code == 404
    assert client.get(day_url(DAY, "bulletins:bulletin_text")).status_code == 404


def test_correction_is_shown_with_its_date(client, issue):
    Correction.objects.create(bulletin=issue, note="更正:融资金额应为2亿元。")
    html = client.get(issue.get_absolute_url()).content.decode()
    assert "更正:融资金额应为2亿元。" in html
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT', html)


def test_text_export_is_plain_utf8_of_the_issue(client, issue):
    response = client.get(day_url(DAY, "bulletins:bulletin_text"))
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.content.decode("utf-8").split("\n")
    assert lines[0] == "0317头条1;0317头条2;0317头条3 | 日报"
    assert lines[1] == "(医药健闻2026年3月17日讯)"


# ----------------------------------------------------------------------------- item page


def test_item_page_shows_issue_section_entities_kind_facts_and_safe_sources(client, issue, roche):
    item = issue.items.get(position=1)
    html = client.get(item.get_absolute_url()).content.decode()
    assert issue.get_absolute_url() in html
    assert item.section.get_absolute_url() in html
    assert roche.get_absolute_url() in html
    assert "融资" in html and "1.5亿元人民币" in html
    assert 'href="https://example.com/news/1"' in html
    assert "javascript:" not in html


def test_item_facts_are_shown_with_reader_labels():
    from bulletins.views import display_facts

    facts = {
        "amounts": [{"amount": 150000000, "currency": "CNY", "text": "1.5亿元人民币"}],
        "lead_investors": ["高瓴创投", "红杉中国"],
        "regulator": "",
    }
    assert display_facts(facts) == [("金额", "1.5亿元人民币"), ("领投方", "高瓴创投、红杉中国")]


def test_item_page_has_json_ld_about_its_entities_and_open_graph(client, issue, roche):
    item = issue.items.get(position=1)
    html = client.get(item.get_absolute_url()).content.decode()
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html)[1])
    assert data["@type"] == "NewsArticle"
    assert data["about"][0]["url"].endswith(roche.get_absolute_url())
    assert '<meta property="og:type" content="article">' in html
    assert f'<link rel="canonical" href="http://testserver{item.get_absolute_url()}">' in html


def test_json_ld_cannot_be_broken_out_of_by_item_text(client, issue):
    item = issue.items.get(position=1)
    item.headline = "</script><script>alert(1)</script>"
    item.save()
    html = client.get(item.get_absolute_url()).content.decode()
    assert "<script>alert(1)" not in html


# ----------------------------------------------------------------------------- archive


def test_archive_index_lists_years_and_months_with_counts(client, issue):
    make_issue(dt.date(2025, 12, 31), 1)
    make_issue(dt.date(2024, 1, 5), 1, status=BulletinStatus.DRAFT)
    html = client.get(reverse("bulletins:archive")).content.decode()
    assert "/2026/03/" in html and "/2025/12/" in html
    assert "2024" not in html


def test_month_calendar_links_days_with_an_issue(client, issue):
    make_issue(dt.date(2026, 3, 20), 1, status=BulletinStatus.DRAFT)
    response = client.get(reverse("bulletins:archive_month", kwargs={"year": 2026, "month": 3}))
    html = response.content.decode()
    assert 'href="/2026/03/17/"' in html
    assert 'href="/2026/03/20/"' not in html


def test_empty_month_and_year_are_404(client, issue):
    assert client.get("/2026/04/").status_code == 404
    assert client.get("/2025/").status_code == 404
    assert client.get("/2026/13/").status_code == 404
    assert client.get("/2026/").status_code == 200


# ----------------------------------------------------------------------------- sections


def test_section_page_lists_newest_first_and_paginates(client, db):
    for offset in range(3):
        make_issue(DAY + dt.timedelta(days=offset), 22)  # 11 company-news items each
    url = reverse("bulletins:section_detail", kwargs={"slug": "company-news"})
    first = client.get(url)
    assert len(first.context["items"]) == 30
    assert first.context["items"][0].bulletin.issued_on == DAY + dt.timedelta(days=2)
    assert first.context["newer_url"] == ""
    older = first.context["older_url"]
    assert older == f"{url}?after={DAY:%Y-%m-%d}~{first.context['items'][-1].pk}"
    last = client.get(older)
    assert len(last.context["items"]) == 3
    assert last.context["older_url"] == "" and last.context["newer_url"] == url
    # Links shared before keyset pages still answer: redirected to today's key of that page.
    assert client.get(url, {"page": 2})["Location"] == older
    assert client.get(url, {"page": 1})["Location"] == url
    assert client.get(url, {"page": 3}).status_code == 404
    assert client.get(url, {"page": "x"}).status_code == 404


def test_unknown_section_is_404(client, db):
    assert client.get("/sections/nope/").status_code == 404


# ----------------------------------------------------------------------------- entities


def test_entity_page_shows_names_items_chart_and_co_mentions(client, roche):
    gsk = make_entity("葛兰素史克", "gsk", aliases=["GSK"])
    make_issue(DAY, 2, entities=[roche, gsk])
    make_issue(dt.date(2026, 1, 5), 1, entities=[roche])
    response = client.get(roche.get_absolute_url())
    html = response.content.decode()
    assert "Roche" in html  # alias
    assert response.context["total"] == len(response.context["items"]) == 3
    assert response.context["co_mentioned"] == [gsk]
    chart = response.context["chart"]
    assert len(chart["bars"]) == 12
    assert [bar["n"] for bar in chart["bars"]][-3:] == [1, 0, 2]
    assert "<svg" in html and 'href="/entities/roche/rss/"' in html


def test_entity_with_only_unpublished_mentions_is_404(client, roche):
    make_issue(DAY, 1, entities=[roche], status=BulletinStatus.DRAFT)
    assert client.get(roche.get_absolute_url()).status_code == 404
    assert "罗氏" not in client.get(reverse("bulletins:entity_index")).content.decode()


def test_unconfirmed_link_does_not_put_an_item_on_the_entity_page(client, roche):
    make_issue(DAY, 1, entities=[roche])
    other = make_entity("诺华", "novartis")
    make_issue(DAY + dt.timedelta(days=1), 1, entities=[roche, other], confirmed=False)
    response = client.get(roche.get_absolute_url())
    assert len(response.context["items"]) == 1
    assert client.get(other.get_absolute_url()).status_code == 404


def test_merged_entity_redirects_to_the_survivor(client, issue, roche):
    old = make_entity("罗氏制药", "roche-old")
    Entity.objects.filter(pk=old.pk).update(merged_into=roche)
    response = client.get(old.get_absolute_url())
    assert response.status_code == 301
    assert response["Location"] == roche.get_absolute_url()


def test_unknown_entity_is_404(client, db):
    assert client.get("/entities/nope/").status_code == 404


def test_entity_index_groups_by_pinyin_initial(client, roche):
    hengrui = make_entity("恒瑞医药", "hengrui")
    beigene = make_entity("BeiGene百济", "beigene")
    make_issue(DAY, 1, entities=[roche, hengrui, beigene])
    response = client.get(reverse("bulletins:entity_index"), {"type": "company"})
    groups = dict(response.context["groups"])
    assert [e["url"] for e in groups["L"]] == ["/entities/roche/"]
    assert [e["url"] for e in groups["H"]] == ["/entities/hengrui/"]
    assert [e["url"] for e in groups["B"]] == ["/entities/beigene/"]


def test_long_entity_index_shows_one_letter_at_a_time(client, roche, monkeypatch):
    monkeypatch.setattr("bulletins.views.ENTITY_INDEX_ONE_PAGE", 1)
    hengrui = make_entity("恒瑞医药", "hengrui")
    make_issue(DAY, 1, entities=[roche, hengrui])
    url = reverse("bulletins:entity_index")
    first = client.get(url, {"type": "company"})
    assert [letter for letter, _members in first.context["groups"]] == ["H"]
    assert "letter=L" in first.content.decode()
    second = client.get(url, {"type": "company", "letter": "L"})
    assert [e["url"] for e in dict(second.context["groups"])["L"]] == ["/entities/roche/"]
    assert client.get(url, {"type": "company", "letter": "Q"}).status_code == 404


def test_index_letter_handles_latin_digits_and_chinese():
    assert index_letter("罗氏") == "L"
    assert index_letter("gsk") == "G"
    assert index_letter("3SBio") == "#"
    assert index_letter("") == "#"


def test_entity_index_rejects_an_unknown_type(client, db):
    assert client.get(reverse("bulletins:entity_index"), {"type": "x"}).status_code == 404


# ----------------------------------------------------------------------------- search


def test_search_finds_published_items_with_highlight_and_filters(client, issue):
    make_issue(DAY + dt.timedelta(days=1), 2, status=BulletinStatus.DRAFT)
    response = client.get(reverse("bulletins:search"), {"q": "融资"})
    assert response.status_code == 200
    results = response.context["results"]
    assert {item.bulletin_id for item in results} == {issue.pk}
    assert "<mark>" in response.content.decode()
    filtered = client.get(reverse("bulletins:search"), {"q": "融资", "section": "industry-news"})
    assert {i.section.slug for i in filtered.context["results"]} == {"industry-news"}
    dated = client.get(reverse("bulletins:search"), {"q": "融资", "from": "2026-03-18"})
    assert dated.context["results"] == []


def test_search_by_entity_type_keeps_only_items_linked_to_that_type(client, issue):
    response = client.get(reverse("bulletins:search"), {"q": "融资", "type": "drug"})
    assert response.context["results"] == []
    response = client.get(reverse("bulletins:search"), {"q": "融资", "type": "company"})
    assert len(response.context["results"]) == 4


def test_search_page_beyond_the_last_is_404(client, issue):
    response = client.get(reverse("bulletins:search"), {"q": "融资", "page": 9})
    assert response.status_code == 404


def test_empty_search_shows_the_form(client, db):
    response = client.get(reverse("bulletins:search"))
    assert response.status_code == 200 and "results" not in response.context


# ----------------------------------------------------------------------------- site-wide


def test_public_pages_send_a_strict_content_security_policy(client, issue):
    response = client.get(issue.get_absolute_url())
    csp = response["Content-Security-Policy"]
    # Our own deferred site.js only: no inline script, nothing from another origin.
    assert "default-src 'none'" in csp and "script-src 'self';" in csp
    assert "unsafe-inline" not in csp
    assert b"<script>" not in response.content


def test_robots_txt_points_at_the_sitemaps(client, db):
    response = client.get("/robots.txt")
    text = response.content.decode()
    assert response["Content-Type"].startswith("text/plain")
    assert "Sitemap: http://testserver/sitemap.xml" in text
    assert "Disallow: /admin/" in text


def test_404_page_is_in_the_site_style(client, db, settings):
    settings.DEBUG = False
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "页面不存在" in html and 'lang="zh-CN"' in html


def test_500_page_renders_without_a_request_context():
    from django.template.loader import render_to_string

    html = render_to_string("500.html")
    assert "服务器出错" in html and 'lang="zh-CN"' in html


# ----------------------------------------------------------------------------- query counts


def page_urls(day, entity):
    return [
        reverse("bulletins:home"),
        day_url(day),
        day_url(day, "bulletins:bulletin_text"),
        reverse("bulletins:archive"),
        reverse("bulletins:archive_month", kwargs={"year": day.year, "month": day.month}),
        reverse("bulletins:section_detail", kwargs={"slug": "company-news"}),
        entity.get_absolute_url(),
        reverse("bulletins:entity_index"),
        reverse("bulletins:search") + "?q=融资",
        reverse("bulletins:rss"),
        reverse("bulletins:entity_atom", kwargs={"slug": entity.slug}),
    ]


def count_queries(client, django_assert_max_num_queries, url):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)
    cache.clear()  # the uncached path: page parts cached per content version are rebuilt
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def test_every_page_costs_the_same_queries_at_5_and_50_items(
    client, roche, django_assert_max_num_queries, settings
):
    settings.NEWSROOM_PAGE_CACHE_VERSION_SECONDS = 0  # else a query more once a second
    other = make_entity("诺华", "novartis")
    small = make_issue(DAY, 5, entities=[roche, other])
    counts_small = {
        url: count_queries(client, django_assert_max_num_queries, url)
        for url in page_urls(DAY, roche)
    }
    small.items.all().delete()
    small.delete()
    make_issue(DAY, 50, entities=[roche, other])
    make_issue(DAY - dt.timedelta(days=1), 50, entities=[roche, other])
    counts_large = {
        url: count_queries(client, django_assert_max_num_queries, url)
        for url in page_urls(DAY, roche)
    }
    assert counts_large == counts_small


@pytest.mark.parametrize("n_items", [5, 50])
def test_issue_page_query_count_is_fixed(client, roche, django_assert_num_queries, n_items):
    issue = make_issue(DAY, n_items, entities=[roche])
    Correction.objects.create(bulletin=issue, note="更正")
    client.get(issue.get_absolute_url())
    # bulletin (+ previous and next dates), items (+section, stored markup), link pairs with
    # their entities, corrections — no aliases: the markup has the mentions linked
    with django_assert_num_queries(4):
        client.get(issue.get_absolute_url())


@pytest.mark.parametrize("n_items", [5, 50])
def test_item_page_query_count_is_fixed(client, roche, django_assert_num_queries, n_items):
    issue = make_issue(DAY, n_items, entities=[roche])
    item = issue.items.first()
    client.get(item.get_absolute_url())
    # item (+bulletin, section, stored markup), entity links, corrections
    with django_assert_num_queries(3):
        client.get(item.get_absolute_url())


# ----------------------------------------------------------------------------- page cache


@pytest.fixture
def page_cache(settings):
    settings.NEWSROOM_PAGE_CACHE_SECONDS = 300
    settings.NEWSROOM_PAGE_CACHE_VERSION_SECONDS = 0  # no per-process reuse of the version


def test_cached_page_is_served_without_rendering_again(client, issue, page_cache):
    client.get(issue.get_absolute_url())
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("bulletins.views.issue_context", None)  # would fail if called
        response = client.get(issue.get_absolute_url())
    assert response.status_code == 200 and "0317头条1" in response.content.decode()


def test_a_reader_without_cookies_gets_the_cached_page_before_the_middleware_behind_it(
    client, issue, page_cache, monkeypatch
):
    from django.contrib.sessions.middleware import SessionMiddleware

    first = client.get(issue.get_absolute_url())

    def refuse(*args, **kwargs):
        raise AssertionError("ran")

    monkeypatch.setattr(SessionMiddleware, "process_request", refuse)
    monkeypatch.setattr("bulletins.views.issue_context", refuse)
    again = client.get(issue.get_absolute_url())
    assert again.status_code == 200 and again.content == first.content
    assert sorted(again.items()) == sorted(first.items())  # CSP, Vary, language: as rendered


def test_a_reader_with_a_cookie_goes_through_the_whole_stack(client, issue, page_cache):
    client.get(issue.get_absolute_url())  # kept for readers without cookies (Chinese)
    client.cookies["django_language"] = "en"
    response = client.get(issue.get_absolute_url())
    assert response["Content-Language"] == "en"


def test_a_page_cached_for_one_host_or_scheme_is_not_replayed_on_another(
    client, issue, page_cache, settings
):
    """Pages carry absolute URLs (canonical, og:url, JSON-LD): the copy rendered for
    http://localhost must not answer https://127.0.0.1, below the early answer too."""
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
    client.get(issue.get_absolute_url(), HTTP_HOST="localhost")
    response = client.get(issue.get_absolute_url(), HTTP_HOST="127.0.0.1", secure=True)
    assert f'href="https://127.0.0.1{issue.get_absolute_url()}"' in response.text


@pytest.mark.parametrize(
    ("kind", "views_run"),
    [
        ("public page", 1),
        ("sets a cookie", 2),
        ("not a public page", 2),
        ("not found", 2),
        ("in another language", 2),
    ],
)
def test_only_a_public_page_without_cookies_is_kept_for_the_early_answer(
    page_cache, rf, kind, views_run
):
    from django.http import HttpResponse

    from bulletins.pagecache import CachedPageMiddleware

    calls = []

    def view(request):
        calls.append(request)
        response = HttpResponse("page", status=404 if kind == "not found" else 200)
        response.is_public_page = kind != "not a public page"
        if kind == "sets a cookie":
            response.set_cookie("csrftoken", "x")
        response["Content-Language"] = "en" if kind == "in another language" else "zh-hans"
        return response

    middleware = CachedPageMiddleware(view)
    for _n in range(2):
        middleware(rf.get("/2026/03/17/"))
    assert len(calls) == views_run


def test_retraction_reaches_a_cached_page_at_once(client, issue, chief, page_cache):
    client.get(issue.get_absolute_url())
    workflow.retract(issue, by=chief, comment="整期撤回。")
    html = client.get(issue.get_absolute_url()).content.decode()
    assert "整期撤回。" in html and "0317第1条" not in html


def test_scheduled_issue_reaches_a_cached_home_page_at_its_time(client, issue, page_cache):
    later = make_issue(
        DAY + dt.timedelta(days=1),
        1,
        status=BulletinStatus.SCHEDULED,
        publish_at=timezone.now() + dt.timedelta(hours=1),
    )
    assert client.get("/").context["bulletin"] == issue
    from bulletins.models import Bulletin

    Bulletin.objects.filter(pk=later.pk).update(
        publish_at=timezone.now() - dt.timedelta(seconds=1), updated_at=later.updated_at
    )
    assert "0318头条1" in client.get("/").content.decode()


def test_long_lists_page_by_issue_in_the_same_order_as_a_full_sort(client, db, monkeypatch):
    from bulletins.models import Item
    from bulletins.pager import IssueOrderedItems

    for offset in range(5):
        make_issue(DAY - dt.timedelta(days=offset * 3), 7)
    monkeypatch.setattr(IssueOrderedItems, "SORT_LIMIT", 3)
    monkeypatch.setattr(IssueOrderedItems, "FIRST_CHUNK", 2)
    items = Item.objects.published().filter(section__slug="company-news")
    expected = list(items.order_by("-bulletin__issued_on", "position", "pk"))
    walked = IssueOrderedItems(items, order=("position", "pk"))
    assert walked.count() == len(expected) == 20
    assert walked[0:7] == expected[0:7]
    assert walked[5:13] == expected[5:13]
    assert walked[18:30] == expected[18:30]
    assert walked[30:40] == []


def test_search_counts_up_to_a_cap_and_says_so(client, monkeypatch):
    """A common word's hits are counted up to a cap ("1000+"), so the page stays fast."""
    from bulletins import views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    monkeypatch.setattr(views, "SEARCH_COUNT_CAP", 3)
    make_issue(DAY + dt.timedelta(days=40), 5)
    response = client.get(reverse("bulletins:search"), {"q": "融资"})
    assert response.status_code == 200
    assert "找到 3+ 条" in response.text
    monkeypatch.setattr(views, "SEARCH_COUNT_CAP", 50)
    assert "找到 5 条" in client.get(reverse("bulletins:search"), {"q": "融资"}).text


def test_a_real_page_in_the_site_language_is_kept_for_the_early_answer(client, issue, page_cache):
    from bulletins import pagecache

    pagecache.clear_local_pages()
    response = client.get("/")
    assert response["Content-Language"] == "zh-hans"
    assert any(key.startswith("final-page:") for key in pagecache._local)
