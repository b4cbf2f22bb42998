"""Every API list costs a constant number of SQL queries, whatever the page size."""

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from bulletins.models import (
    Bulletin,
    BulletinStatus,
    Entity,
    EntityAlias,
    Item,
    ItemEntity,
    ItemStatus,
    Section,
)
from bulletins.readmodels import visibility_changed

pytestmark = pytest.mark.django_db

N = 110


def make_archive(n: int, *, start: int = 0):
    """``n`` published issues, items, entities and sections (numbered from ``start``),
    written in bulk (read-side only)."""
    published_at = timezone.now() - dt.timedelta(days=1)
    bulletins = Bulletin.objects.bulk_create(
        Bulletin(
            issued_on=dt.date(2025, 1, 1) + dt.timedelta(days=k),
            status=BulletinStatus.PUBLISHED,
            publish_at=published_at,
        )
        for k in range(start, start + n)
    )
    # Each section holds a published item: a section without one is not public.
    sections = Section.objects.bulk_create(
        Section(name=f"栏目{k}", slug=f"extra-{k}", position=10 + k)
        for k in range(start, start + n)
    )
    items = Item.objects.bulk_create(
        Item(
            bulletin=bulletin,
            section=sections[k],
            position=1,
            body=f"第{k}家公司宣布完成融资。",
            headline=f"标题{k}",
            headline_rank=1,
            status=ItemStatus.APPROVED,
        )
        for k, bulletin in enumerate(bulletins)
    )
    entities = Entity.objects.bulk_create(
        Entity(type="company", name=f"公司{k}", slug=f"company-{k}")
        for k in range(start, start + n)
    )
    EntityAlias.objects.bulk_create(EntityAlias(entity=e, alias=f"Co{e.pk}") for e in entities)
    links = [
        ItemEntity(item=item, entity=entity) for item, entity in zip(items, entities, strict=True)
    ]
    first = entities[0] if start == 0 else Entity.objects.get(slug="company-0")
    links += [
        ItemEntity(item=item, entity=first) for item in items if item.pk != items[0].pk or start
    ]
    ItemEntity.objects.bulk_create(links)
    visibility_changed(items=items)  # rows written directly: the workflow's hook


@pytest.fixture
def archive(db):
    make_archive(N)


# list → (url, queries for an anonymous reader, for an editor). An editor costs one more
# query where visibility is decided (the user's roles); bulletins read the publication
# settings for the dateline (cached after the first request; the cache is empty here).
# Item lists: the page's keys, then its items, then their entity links; an entity filter
# first counts the entity's links to choose its plan.
LISTS = {
    "bulletins": ("/api/v1/bulletins/?page_size={n}", 4, 5),
    "items": ("/api/v1/items/?page_size={n}", 3, 4),
    "items filtered": (
        "/api/v1/items/?page_size={n}&entity=company-0&date_after=2024-01-01&ordering=date",
        4,
        5,
    ),
    "entities": ("/api/v1/entities/?page_size={n}", 3, 4),
    "entity items": ("/api/v1/entities/company-0/items/?page_size={n}", 6, 7),
    "sections": ("/api/v1/sections/?page_size={n}", 2, 3),
}


@pytest.mark.parametrize("name", LISTS)
@pytest.mark.parametrize("page_size", [10, 100])
@pytest.mark.parametrize("as_editor", [False, True], ids=["anonymous", "editor"])
def test_list_query_count_is_constant(
    archive, django_assert_num_queries, editor, name, page_size, as_editor
):
    url, anonymous_queries, editor_queries = LISTS[name]
    client = APIClient()
    if as_editor:
        client.force_authenticate(editor)
    queries = editor_queries if as_editor else anonymous_queries
    with django_assert_num_queries(queries):
        response = client.get(url.format(n=page_size))
    assert response.status_code == 200
    assert len(response.json()["results"]) == page_size
