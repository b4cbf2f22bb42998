"""Read-side data for the public-site tests: rows written directly (the workflow is tested
elsewhere), so an issue of any size costs one bulk insert."""

import datetime as dt

from django.utils import timezone

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
from bulletins.search import index_items

PAST = timezone.make_aware(dt.datetime(2026, 3, 1, 8, 0))


def make_issue(
    day: dt.date,
    n_items: int = 3,
    *,
    status=BulletinStatus.PUBLISHED,
    publish_at=None,
    entities=(),
    item_status=ItemStatus.APPROVED,
    confirmed=True,
) -> Bulletin:
    """An issue with ``n_items`` items split over two sections, each linked to ``entities``."""
    if status in (BulletinStatus.DRAFT, BulletinStatus.IN_REVIEW, BulletinStatus.APPROVED):
        publish_at = None
    elif publish_at is None:
        publish_at = timezone.make_aware(dt.datetime.combine(day, dt.time(8, 0)))
    bulletin = Bulletin.objects.create(issued_on=day, status=status, publish_at=publish_at)
    sections = list(Section.objects.filter(slug__in=["company-news", "industry-news"]))
    items = Item.objects.bulk_create(
        Item(
            bulletin=bulletin,
            section=sections[i % len(sections)],
            position=i + 1,
            body=f"{day:%m%d}第{i + 1}条:测试公司宣布完成B轮融资,用于新药研发。",
            headline=f"{day:%m%d}头条{i + 1}" if i < 3 else "",
            headline_rank=i + 1 if i < 3 else None,
            status=item_status,
            event_kind="financing",
            sources=["https://example.com/news/1", "javascript:alert(1)"],
            facts={"金额": "1.5亿元人民币"},
        )
        for i in range(n_items)
    )
    ItemEntity.objects.bulk_create(
        ItemEntity(item=item, entity=entity, is_confirmed=confirmed)
        for item in items
        for entity in entities
    )
    index_items([item.pk for item in items])
    visibility_changed(bulletins=[bulletin])  # rows written directly: the workflow's hook
    return bulletin


def make_entity(name: str, slug: str, *, type="company", aliases=()) -> Entity:
    entity = Entity.objects.create(type=type, name=name, slug=slug, name_en=slug.title())
    for alias in aliases:
        EntityAlias.objects.create(entity=entity, alias=alias)
    return entity


def make_facts_issue(
    day: dt.date, rows, *, status=BulletinStatus.PUBLISHED, item_status=ItemStatus.APPROVED
):
    """An issue of items given as dicts (event_kind, financing_round, facts, body, headline),
    with their tracker rows and search documents written (bulk rows skip the save hook)."""
    from bulletins import trackers

    publish_at = (
        timezone.make_aware(dt.datetime.combine(day, dt.time(8, 0)))
        if status == BulletinStatus.PUBLISHED
        else None
    )
    bulletin = Bulletin.objects.create(issued_on=day, status=status, publish_at=publish_at)
    section = Section.objects.get(slug="company-news")
    items = Item.objects.bulk_create(
        Item(
            bulletin=bulletin,
            section=section,
            position=n + 1,
            body=row.get("body") or f"{day:%m%d}第{n + 1}条:某公司宣布一项交易。",
            headline=row.get("headline", ""),
            headline_rank=(n + 1) if row.get("headline") else None,
            status=item_status,
            event_kind=row.get("event_kind", ""),
            financing_round=row.get("financing_round", ""),
            facts=row.get("facts", {}),
        )
        for n, row in enumerate(rows)
    )
    trackers.index_items([item.pk for item in items])
    index_items([item.pk for item in items])
    return bulletin, items
