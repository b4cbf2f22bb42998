import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction

from bulletins.models import Bulletin, Entity, Item, PublicationSettings

from .factories import BulletinFactory, EntityFactory, ItemFactory

pytestmark = pytest.mark.django_db


def test_second_bulletin_for_same_date_is_refused_by_database():
    BulletinFactory(issued_on=dt.date(2026, 3, 17))
    with pytest.raises(IntegrityError), transaction.atomic():
        Bulletin.objects.create(issued_on=dt.date(2026, 3, 17))


def test_positions_are_unique_within_a_section_of_a_bulletin():
    item = ItemFactory(position=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        ItemFactory(bulletin=item.bulletin, section=item.section, position=1)


def test_same_position_is_allowed_in_another_section(industry_news):
    item = ItemFactory(position=1)
    other = ItemFactory(bulletin=item.bulletin, section=industry_news, position=1)
    assert sorted(item.bulletin.items.values_list("section_id", "position")) == sorted(
        [(item.section_id, 1), (other.section_id, 1)]
    )


def test_headline_rank_is_unique_within_a_bulletin():
    item = ItemFactory(headline="a", headline_rank=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        ItemFactory(bulletin=item.bulletin, headline="b", headline_rank=1)


@pytest.mark.parametrize("model,factory", [(Bulletin, BulletinFactory), (Item, ItemFactory)])
def test_bad_status_value_is_refused_by_database(model, factory):
    obj = factory()
    with pytest.raises(IntegrityError), transaction.atomic():
        model.objects.filter(pk=obj.pk).update(status="bogus")


def test_bad_entity_type_is_refused_by_database():
    entity = EntityFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Entity.objects.filter(pk=entity.pk).update(type="planet")


def test_public_status_without_publish_time_is_refused_by_database():
    bulletin = BulletinFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Bulletin.objects.filter(pk=bulletin.pk).update(status="published")


def test_entity_slugs_are_unique():
    EntityFactory(slug="roche")
    with pytest.raises(IntegrityError), transaction.atomic():
        EntityFactory(slug="roche")


def test_publication_settings_is_a_singleton_with_the_real_dateline():
    settings = PublicationSettings.load()
    assert settings.pk == 1
    assert settings.dateline_for(dt.date(2026, 3, 17)) == "(医药健闻2026年3月17日讯)"
    with pytest.raises(IntegrityError), transaction.atomic():
        PublicationSettings.objects.bulk_create([PublicationSettings(pk=2)])


def test_default_sections_and_roles_exist():
    from django.contrib.auth.models import Group

    from bulletins.models import Section

    assert list(Section.objects.values_list("name", flat=True)) == ["企业动态", "产业动态"]
    assert set(Group.objects.values_list("name", flat=True)) >= {"编辑", "审核", "主编"}


def test_public_queries_use_an_index():
    """The published() filter is served by the (status, publish_at) index, not a table scan.

    Unordered: with the default -issued_on ordering a planner may walk the unique date index
    instead, which is also fine for a page but not what this test is about."""
    sql, params = Bulletin.objects.published().order_by().query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            plan = " ".join(str(row) for row in cursor.fetchall())
            assert "bulletin_status_pub_idx" in plan
        else:
            cursor.execute("SET enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
            plan = " ".join(row[0] for row in cursor.fetchall())
            cursor.execute("SET enable_seqscan = on")
            assert "bulletin_status_pub_idx" in plan
