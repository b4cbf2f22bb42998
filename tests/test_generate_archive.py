"""generate_archive: a deterministic, published, linked and indexed archive."""

import datetime as dt
from io import StringIO

from django.core.management import call_command

from bulletins import search
from bulletins.models import Bulletin, BulletinStatus, Entity, EntityAlias, Item, ItemEntity

END = dt.date(2025, 6, 30)


def generate(**options):
    call_command(
        "generate_archive",
        days=options.get("days", 3),
        items_per_day=options.get("items_per_day", 5),
        entities=options.get("entities", 80),
        seed=options.get("seed", 3),
        end=END,
        no_progress=True,
        stdout=StringIO(),
    )


def snapshot():
    return list(
        Item.objects.order_by("bulletin__issued_on", "section__position", "position").values_list(
            "bulletin__issued_on", "section__slug", "position", "headline", "body", "event_kind"
        )
    )


def test_archive_has_the_requested_size_and_is_published(db):
    generate(days=3, items_per_day=5)
    assert Bulletin.objects.published().count() == 3
    assert Item.objects.published().count() == 15
    assert set(Bulletin.objects.values_list("status", flat=True)) == {BulletinStatus.PUBLISHED}
    assert not Bulletin.objects.filter(publish_at__isnull=True).exists()
    assert Bulletin.objects.order_by("-issued_on").first().issued_on == END


def test_same_seed_gives_the_same_archive(db):
    generate(seed=3)
    first = snapshot()
    Item.objects.all().delete()
    Bulletin.objects.all().delete()
    generate(seed=3)
    assert snapshot() == first
    Item.objects.all().delete()
    Bulletin.objects.all().delete()
    generate(seed=4)
    assert snapshot() != first


def test_items_link_the_entities_they_name_and_entities_have_aliases(db):
    generate(entities=80)
    assert Entity.objects.count() >= 80
    assert EntityAlias.objects.filter(alias="NMPA").exists()
    for item in Item.objects.prefetch_related("entities"):
        names = [entity.name for entity in item.entities.all()]
        assert names and all(name in item.body for name in names)
    assert ItemEntity.objects.filter(is_confirmed=True).count() == ItemEntity.objects.count()


def test_archive_is_searchable_at_once(db):
    generate()
    item = Item.objects.filter(entities__name="国家药监局").first() or Item.objects.first()
    word = item.entities.first().name
    assert item.pk in search.search_ids(word)


def test_days_that_already_have_an_issue_are_skipped(db):
    Bulletin.objects.create(issued_on=END)
    generate(days=3, items_per_day=2)
    assert Bulletin.objects.count() == 3
    assert not Item.objects.filter(bulletin__issued_on=END).exists()


def test_running_twice_reuses_entities(db):
    generate(days=1, entities=60)
    count = Entity.objects.count()
    generate(days=1, entities=60, seed=3)
    assert Entity.objects.count() == count


def test_archive_items_carry_facts_the_trackers_read(db):
    from bulletins.models import TrackerRow

    generate(days=6, items_per_day=10)
    financings = Item.objects.filter(event_kind="financing")
    assert financings.exists()
    for item in financings:
        assert item.facts["lead_investors"] and item.financing_round
        if "amount" in item.facts:  # absent where the text gives no number (数千万元)
            assert item.facts["amount"]["currency"] == "CNY"
            assert item.facts["amount"]["text"] in item.body
    deals = TrackerRow.objects.filter(tracker="deals")
    assert deals.filter(amount_cny__gt=0).exists()
    assert deals.count() >= financings.count()
    approvals = TrackerRow.objects.filter(tracker="approvals")
    assert approvals.exists() and approvals.exclude(decision="").exists()
    assert approvals.exclude(regulator="").exists()
