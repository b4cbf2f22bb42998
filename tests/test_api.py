"""The REST API's read side: what anonymous clients see, filters, pagination, caching headers."""

import datetime as dt

import pytest
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from bulletins import entities as entity_services
from bulletins import exporters, workflow
from bulletins.exporters.text import issue_items
from bulletins.models import Entity, ItemEntity
from bulletins.readmodels import visibility_changed

from .factories import EntityFactory

pytestmark = pytest.mark.django_db

SECRET = "机密稿件"


@pytest.fixture
def api():
    return APIClient()


def _publish(bulletin, *, editor, reviewer, chief, at=None):
    workflow.submit_bulletin(bulletin, by=editor)
    for item in bulletin.items.exclude(status="spiked"):
        workflow.approve_item(item, by=reviewer)
    return workflow.publish(bulletin, by=chief, at=at)


@pytest.fixture
def newsroom(published_bulletin, editor, reviewer, chief, company_news):
    """A published issue plus unpublished work in every state, all marked with SECRET."""
    roche = EntityFactory(name="罗氏", slug="roche")
    hidden = EntityFactory(name=f"{SECRET}公司", slug="hidden-co")
    guess = EntityFactory(name=f"{SECRET}猜测", slug="guess-co")
    public_item = published_bulletin.items.order_by("pk").first()
    ItemEntity.objects.create(item=public_item, entity=roche, is_confirmed=True)
    ItemEntity.objects.create(item=public_item, entity=guess, is_confirmed=False)
    visibility_changed(items=[public_item])  # rows written directly: the workflow's hook

    def issue(day, *, body):
        bulletin = workflow.create_bulletin(issued_on=day, by=editor)
        item = workflow.add_item(bulletin, by=editor, section=company_news, body=body)
        entity_services.link(item, hidden, by=editor)
        return bulletin

    issue(dt.date(2026, 3, 10), body=f"{SECRET}草稿。")
    in_review = issue(dt.date(2026, 3, 11), body=f"{SECRET}审核中。")
    workflow.submit_bulletin(in_review, by=editor)
    approved = issue(dt.date(2026, 3, 12), body=f"{SECRET}已审核。")
    workflow.submit_bulletin(approved, by=editor)
    workflow.approve_item(approved.items.get(), by=reviewer)
    scheduled = issue(dt.date(2026, 3, 13), body=f"{SECRET}定时。")
    _publish(
        scheduled,
        editor=editor,
        reviewer=reviewer,
        chief=chief,
        at=timezone.now() + dt.timedelta(days=2),
    )
    retracted = issue(dt.date(2026, 3, 14), body=f"{SECRET}撤回。")
    _publish(retracted, editor=editor, reviewer=reviewer, chief=chief)
    workflow.retract(retracted, by=chief, comment="撤回原因")
    return {"published": published_bulletin, "roche": roche, "public_item": public_item}


def test_bulletin_list_shows_published_issues_newest_first(api, newsroom):
    response = api.get("/api/v1/bulletins/")
    assert response.status_code == 200
    assert [b["issued_on"] for b in response.json()["results"]] == ["2026-03-17"]
    assert response.json()["results"][0]["title"] == "罗氏扩建AI工厂"


def test_bulletin_detail_nests_sections_items_and_confirmed_entities(api, newsroom):
    data = api.get("/api/v1/bulletins/2026-03-17/").json()
    assert [s["section"]["slug"] for s in data["sections"]] == ["company-news", "industry-news"]
    first = data["sections"][0]["items"][0]
    assert first["body"] == "罗氏宣布扩建AI工厂。"
    assert [e["slug"] for e in first["entities"]] == ["roche"]


def test_invalid_date_is_404_not_500(api, newsroom):
    response = api.get("/api/v1/bulletins/2026-02-30/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
def test_export_is_the_one_exporter_over_published_items(api, newsroom, fmt):
    response = api.get(f"/api/v1/bulletins/2026-03-17/export/?format={fmt}")
    assert response.status_code == 200
    bulletin = newsroom["published"]
    expected = exporters.export(
        bulletin, format=fmt, items=issue_items(bulletin, include_unapproved=False)
    )
    assert response["Content-Type"] == expected.content_type
    assert response.content.decode() == expected.content


def test_export_escapes_hostile_text_and_keeps_the_kind(api, newsroom, chief):
    bulletin = newsroom["published"]
    item = newsroom["public_item"]
    workflow.correct(
        bulletin, by=chief, note="测试", item=item, body="<script>alert(1)</script>罗氏 *加粗*"
    )
    html = api.get("/api/v1/bulletins/2026-03-17/export/?format=html").content.decode()
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    markdown = api.get("/api/v1/bulletins/2026-03-17/export/?format=markdown").content.decode()
    assert markdown.startswith("# 罗氏扩建AI工厂 \\| 日报\n")
    assert "\\<script\\>alert(1)\\</script\\>罗氏 \\*加粗\\*" in markdown


def test_export_unknown_format_is_400(api, newsroom):
    response = api.get("/api/v1/bulletins/2026-03-17/export/?format=pdf")
    assert response.status_code == 400
    assert "format" in response.json()["field_errors"]


def _all_anonymous_reads(client, newsroom):
    from bulletins.models import Bulletin, Entity, Item

    urls = [
        "/api/v1/bulletins/",
        "/api/v1/bulletins/?status=draft",
        "/api/v1/bulletins/?status=retracted",
        "/api/v1/bulletins/?date_after=2026-01-01&date_before=2026-12-31",
        "/api/v1/items/",
        "/api/v1/items/?page_size=100",
        "/api/v1/items/?status=draft",
        "/api/v1/items/?status=spiked",
        "/api/v1/items/?entity=hidden-co",
        "/api/v1/items/?entity=guess-co,roche",
        "/api/v1/items/?entity_type=company",
        f"/api/v1/items/?q={SECRET}",
        "/api/v1/items/?date_after=2026-03-01&date_before=2026-03-31&ordering=date",
        "/api/v1/items/?has_financing=false",
        "/api/v1/entities/",
        f"/api/v1/entities/?q={SECRET}",
        "/api/v1/entities/?type=company&page_size=100",
        "/api/v1/entities/roche/",
        "/api/v1/entities/roche/items/",
        "/api/v1/sections/",
    ]
    for bulletin in Bulletin.objects.all():
        day = bulletin.issued_on.isoformat()
        urls += [f"/api/v1/bulletins/{day}/", f"/api/v1/items/?bulletin={day}"]
        urls += [
            f"/api/v1/bulletins/{day}/export/?format={f}" for f in ("text", "markdown", "html")
        ]
    urls += [f"/api/v1/items/{pk}/" for pk in Item.objects.values_list("pk", flat=True)]
    for slug in Entity.objects.values_list("slug", flat=True):
        urls += [f"/api/v1/entities/{slug}/", f"/api/v1/entities/{slug}/items/"]
    return {url: client.get(url) for url in urls}


def test_nothing_unpublished_reaches_anonymous_clients(api, newsroom):
    for url, response in _all_anonymous_reads(api, newsroom).items():
        assert response.status_code in (200, 404, 410), url  # 410: a retraction notice
        assert SECRET not in response.content.decode(), url


def test_nothing_unpublished_reaches_users_without_a_role(api, newsroom, nobody):
    api.force_authenticate(nobody)
    for url, response in _all_anonymous_reads(api, newsroom).items():
        assert response.status_code in (200, 404, 410), url  # 410: a retraction notice
        assert SECRET not in response.content.decode(), url


def test_editorial_roles_see_unpublished_work_with_status_filter(api, newsroom, reviewer):
    api.force_authenticate(reviewer)
    data = api.get("/api/v1/bulletins/?status=draft").json()
    assert [b["issued_on"] for b in data["results"]] == ["2026-03-10"]
    items = api.get("/api/v1/items/?status=submitted").json()["results"]
    assert [i["body"] for i in items] == [f"{SECRET}审核中。"]


def test_items_filter_by_entity_and_date(api, newsroom):
    url = "/api/v1/items/?entity=roche&date_after=2026-03-17&date_before=2026-03-17"
    results = api.get(url).json()["results"]
    assert [i["id"] for i in results] == [newsroom["public_item"].pk]
    assert api.get("/api/v1/items/?entity=roche&date_before=2026-03-16").json()["results"] == []


def test_items_filter_by_several_entities_means_any(api, newsroom, chief):
    other = EntityFactory(name="恒瑞医药", slug="hengrui")
    item = newsroom["published"].items.get(body="恒瑞医药新药获批。")
    entity_services.link(item, other, by=chief)
    results = api.get("/api/v1/items/?entity=roche,hengrui").json()["results"]
    assert len(results) == 2


def test_items_search_finds_text(api, newsroom):
    results = api.get("/api/v1/items/?q=恒瑞").json()["results"]
    assert [i["body"] for i in results] == ["恒瑞医药新药获批。"]


def test_invalid_filter_value_is_400_in_the_error_shape(api, newsroom):
    response = api.get("/api/v1/items/?date_after=not-a-date")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert set(body) >= {"code", "message", "field_errors"}
    assert "date_after" in body["field_errors"]


def test_item_cursor_pagination_walks_every_item_once(api, newsroom):
    seen, url = [], "/api/v1/items/?page_size=1"
    while url:
        data = api.get(url).json()
        seen += [i["id"] for i in data["results"]]
        url = data["next"]
    assert len(seen) == len(set(seen)) == 3


def test_item_cursor_is_stable_when_a_newer_issue_is_published(
    api, newsroom, editor, reviewer, chief, company_news
):
    first = api.get("/api/v1/items/?page_size=2").json()
    later = workflow.create_bulletin(issued_on=dt.date(2026, 3, 18), by=editor)
    workflow.add_item(later, by=editor, section=company_news, body="新的一期。")
    _publish(later, editor=editor, reviewer=reviewer, chief=chief)
    rest = api.get(first["next"]).json()
    ids = [i["id"] for i in first["results"] + rest["results"]]
    assert len(ids) == len(set(ids)) == 3


def test_bad_cursor_is_400(api, newsroom):
    response = api.get("/api/v1/items/?cursor=not-a-cursor")
    assert response.status_code == 400
    assert "cursor" in response.json()["field_errors"]


def test_entity_detail_has_counts_and_related_entities(api, newsroom, chief):
    other = EntityFactory(name="英伟达", slug="nvidia")
    entity_services.link(newsroom["public_item"], other, by=chief)
    data = api.get("/api/v1/entities/roche/").json()
    assert data["item_count"] == 1
    assert [r["slug"] for r in data["related"]] == ["nvidia"]


def test_merged_entity_slug_answers_with_the_survivor(api, newsroom, chief):
    duplicate = EntityFactory(name="罗氏制药", slug="roche-dup")
    entity_services.merge(duplicate, newsroom["roche"], by=chief)
    assert api.get("/api/v1/entities/roche-dup/").json()["slug"] == "roche"


def test_etag_gives_304_on_a_repeated_request(api, newsroom):
    first = api.get("/api/v1/bulletins/2026-03-17/")
    assert first.has_header("ETag")
    second = api.get("/api/v1/bulletins/2026-03-17/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert second.status_code == 304


def test_last_modified_gives_304_when_unchanged(api, newsroom):
    first = api.get(f"/api/v1/items/{newsroom['public_item'].pk}/")
    assert first.has_header("Last-Modified")
    second = api.get(
        f"/api/v1/items/{newsroom['public_item'].pk}/",
        HTTP_IF_MODIFIED_SINCE=first["Last-Modified"],
    )
    assert second.status_code == 304


def test_list_etag_changes_when_content_changes(api, newsroom, chief):
    before = api.get("/api/v1/items/")["ETag"]
    workflow.correct(
        newsroom["published"],
        by=chief,
        note="更正",
        item=newsroom["public_item"],
        body="罗氏宣布扩建AI工厂(更正)。",
    )
    assert api.get("/api/v1/items/", HTTP_IF_NONE_MATCH=before).status_code == 200


def test_anonymous_clients_are_throttled_with_retry_after(api, newsroom, monkeypatch):
    from rest_framework.throttling import AnonRateThrottle

    monkeypatch.setattr(AnonRateThrottle, "rate", "2/minute", raising=False)
    statuses = [api.get("/api/v1/sections/").status_code for _ in range(3)]
    response = api.get("/api/v1/sections/")
    assert statuses == [200, 200, 429]
    assert int(response["Retry-After"]) > 0
    assert response.json()["code"] == "throttled"


def test_cors_allows_reads_from_any_origin_by_default(api, newsroom):
    response = api.get("/api/v1/sections/", HTTP_ORIGIN="https://partner.example")
    assert response["Access-Control-Allow-Origin"] == "*"


@override_settings(API_CORS_ALLOWED_ORIGINS=["https://partner.example"])
def test_cors_origins_are_configurable(api, newsroom):
    allowed = api.get("/api/v1/sections/", HTTP_ORIGIN="https://partner.example")
    other = api.get("/api/v1/sections/", HTTP_ORIGIN="https://evil.example")
    assert allowed["Access-Control-Allow-Origin"] == "https://partner.example"
    assert not other.has_header("Access-Control-Allow-Origin")


def test_cors_is_not_offered_on_writes(api, newsroom):
    response = api.post("/api/v1/bulletins/", {}, format="json", HTTP_ORIGIN="https://x.example")
    assert not response.has_header("Access-Control-Allow-Origin")


def test_schema_and_offline_docs_are_served(api, db):
    schema = api.get("/api/v1/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/items/{id}/approve/" in schema.content
    docs = api.get("/api/v1/docs/")
    redoc = api.get("/api/v1/redoc/")
    assert docs.status_code == redoc.status_code == 200
    # Offline: the UI assets come from the sidecar's static files, not a CDN.
    assert b"cdn.jsdelivr" not in docs.content and b"cdn.jsdelivr" not in redoc.content
    assert b"drf_spectacular_sidecar" in docs.content


def test_search_pages_by_relevance_with_a_cursor(api, newsroom):
    seen, url = [], "/api/v1/items/?q=新药&page_size=1"
    while url:
        data = api.get(url).json()
        seen += [i["body"] for i in data["results"]]
        url = data["next"]
    assert sorted(seen) == ["国家药监局批准一款新药。", "恒瑞医药新药获批。"]


def test_search_can_be_ordered_by_date(api, newsroom):
    results = api.get("/api/v1/items/?q=新药&ordering=date").json()["results"]
    assert len(results) == 2


def test_next_links_keep_a_chinese_query_intact(api, newsroom, chief):
    for n in range(3):
        EntityFactory(name=f"罗氏子公司{n}", slug=f"roche-sub-{n}")
        entity_services.link(
            newsroom["public_item"], Entity.objects.get(slug=f"roche-sub-{n}"), by=chief
        )
    data = api.get("/api/v1/entities/?q=罗氏&page_size=1").json()
    assert "q=%E7%BD%97%E6%B0%8F" in data["next"]
    assert api.get(data["next"]).json()["results"]


def test_retracted_issue_answers_410_with_its_notice_and_no_text(client, published_bulletin, chief):
    from bulletins import workflow

    workflow.retract(published_bulletin, by=chief, comment="来源有误,本期撤回。")
    url = f"/api/v1/bulletins/{published_bulletin.issued_on}/"
    response = client.get(url)
    assert response.status_code == 410
    body = response.json()
    assert body["code"] == "retracted" and "来源有误" in body["message"]
    assert "罗氏" not in response.text  # the issue's text is gone
    assert client.get(url + "export/?format=text").status_code == 410
    assert client.get("/api/v1/bulletins/2026-01-02/").status_code == 404


def test_schema_allows_an_item_without_event_kind(api):
    """Items are saved as drafts before anyone sets their kind: "" must conform to the schema."""
    schema = api.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    event_kind = schema["components"]["schemas"]["Item"]["properties"]["event_kind"]
    allowed = [ref["$ref"].rsplit("/", 1)[-1] for ref in event_kind.get("oneOf", [])]
    assert "BlankEnum" in allowed


def test_memoised_etag_answers_304_before_any_view(
    api, newsroom, chief, settings, django_assert_max_num_queries
):
    """With the page cache on, a held ETag is answered by pagecache.NotModifiedMiddleware
    (at most the content-version query); a retraction changes the content version, so the
    old ETag no longer short-circuits."""
    settings.NEWSROOM_PAGE_CACHE_SECONDS = 300
    settings.NEWSROOM_PAGE_CACHE_VERSION_SECONDS = 0
    url = "/api/v1/bulletins/2026-03-17/"
    etag = api.get(url)["ETag"]
    with django_assert_max_num_queries(1):
        assert api.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    # Credentials are never answered from the memo (what they see differs): a bad token
    # reaches the API and is refused.
    bad = api.get(url, HTTP_IF_NONE_MATCH=etag, HTTP_AUTHORIZATION="Token not-a-token")
    assert bad.status_code == 401
    workflow.retract(newsroom["published"], by=chief, comment="撤回")
    assert api.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 410
