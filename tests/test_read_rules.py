"""The read rules on the QuerySets: what is public about entities and links, merges, and
co-mentions — defined once in models.py and answered the same by the site and the API."""

import datetime as dt

import pytest
from rest_framework.test import APIClient

from bulletins import entities as entity_services
from bulletins import workflow
from bulletins.models import Entity, ItemEntity

from .factories import EntityFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def linked(published_bulletin, editor, chief, company_news):
    """Roche and GSK on a published item, Pfizer only on a draft, a guess left unconfirmed."""
    roche = EntityFactory(name="罗氏", slug="roche")
    gsk = EntityFactory(name="葛兰素史克", slug="gsk")
    pfizer = EntityFactory(name="辉瑞", slug="pfizer")
    guess = EntityFactory(name="猜测公司", slug="guess")
    item = published_bulletin.items.order_by("pk").first()
    entity_services.link(item, roche, by=chief)
    entity_services.link(item, gsk, by=chief)
    ItemEntity.objects.create(item=item, entity=guess, is_confirmed=False)
    draft = workflow.create_bulletin(issued_on=dt.date(2026, 3, 18), by=editor)
    draft_item = workflow.add_item(draft, by=editor, section=company_news, body="辉瑞与罗氏。")
    entity_services.link(draft_item, pfizer, by=editor)
    entity_services.link(draft_item, roche, by=editor)
    return {"roche": roche, "gsk": gsk, "pfizer": pfizer, "guess": guess, "item": item}


def test_public_entities_have_a_confirmed_link_on_a_published_item(linked):
    assert set(Entity.objects.public().values_list("slug", flat=True)) == {"roche", "gsk"}


def test_confirmed_links_on_published_items_leave_out_drafts_and_guesses(linked):
    links = ItemEntity.objects.confirmed().on_published_items()
    assert set(links.values_list("entity__slug", flat=True)) == {"roche", "gsk"}
    assert ItemEntity.objects.confirmed().count() == 4  # the draft's two count as confirmed


def test_a_merged_entity_leaves_public_and_resolves_to_its_survivor(linked, chief):
    dup = EntityFactory(name="罗氏制药", slug="roche-dup")
    older = EntityFactory(name="罗氏集团", slug="roche-old")
    entity_services.merge(older, dup, by=chief)
    entity_services.merge(dup, linked["roche"], by=chief)
    assert Entity.objects.resolve("roche-old") == linked["roche"]
    assert Entity.objects.resolve("roche-dup") == linked["roche"]
    assert Entity.objects.resolve("roche") == linked["roche"]
    assert Entity.objects.resolve("nobody") is None
    assert not Entity.objects.public().filter(slug__in=["roche-dup", "roche-old"]).exists()


def test_co_mentions_count_only_published_confirmed_links(linked):
    found = Entity.objects.co_mentioned_with(linked["roche"])
    assert [(e.slug, e.n) for e in found] == [("gsk", 1)]  # not the draft's Pfizer, no guess


def test_co_mentions_look_at_the_latest_window_of_items(linked, chief):
    # With a window of one item, only the newest published mention of Roche counts.
    assert Entity.objects.co_mentioned_with(linked["roche"], window=1)[0].slug == "gsk"
    assert Entity.objects.co_mentioned_with(linked["roche"], window=0) == []


def test_site_and_api_answer_co_mentions_the_same(client, linked, chief):
    site = client.get("/entities/roche/").context["co_mentioned"]
    api = APIClient().get("/api/v1/entities/roche/").json()["related"]
    assert [(e.slug, e.n) for e in site] == [(r["slug"], r["shared_items"]) for r in api]
    assert api == [{"slug": "gsk", "name": "葛兰素史克", "type": "company", "shared_items": 1}]


@pytest.mark.parametrize(
    "url", ["/entities/{slug}/", "/entities/{slug}/rss/", "/api/v1/entities/{slug}/"]
)
def test_every_surface_follows_a_merge_the_same_way(client, linked, chief, url):
    dup = EntityFactory(name="罗氏制药", slug="roche-dup")
    entity_services.merge(dup, linked["roche"], by=chief)
    response = client.get(url.format(slug="roche-dup"))
    if url.startswith("/api/"):
        assert response.json()["slug"] == "roche"
    else:
        assert response.status_code == 301
        assert response["Location"] == url.format(slug="roche")
    assert client.get(url.format(slug="nobody")).status_code == 404
