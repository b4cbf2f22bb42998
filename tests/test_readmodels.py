"""The read models (bulletins/readmodels.py) against the live aggregates they replace.

Each state below is compared in full: mention totals, monthly histograms, co-mentions and the
entity index as the read rules compute them from the links (``ItemEntity.objects.confirmed()
.on_published_items()``, ``Entity.objects.public()``, ``co_mentioned_with(window=None)``)
must equal what the tables say — after publishing, scheduling (before and after its time,
with nothing run in between), correcting, retracting, linking, unlinking and merging, on
SQLite and on PostgreSQL (CI runs this file on both).
"""

import datetime as dt
from collections import Counter
from unittest import mock

import pytest
from django.utils import timezone

from bulletins import entities as entity_services
from bulletins import readmodels, workflow
from bulletins.charts import live_monthly_mentions
from bulletins.models import BulletinStatus, Entity, Item, ItemEntity, Section
from bulletins.pinyin import index_letter

from .site_data import make_entity, make_issue

DAY = dt.date(2026, 3, 10)


def live_state():
    counts = Counter(
        ItemEntity.objects.confirmed()
        .on_published_items()
        .filter(entity__merged_into__isnull=True)
        .values_list("entity_id", flat=True)
    )
    public = list(Entity.objects.public())
    return {
        "sections": {
            s.pk: Item.objects.published().filter(section=s).count() for s in Section.objects.all()
        },
        "totals": dict(counts),
        "index": sorted((e.pk, e.type, index_letter(e.name)) for e in public),
        "months": {e.pk: dict(live_monthly_mentions(e)) for e in public},
        "co": {
            e.pk: [
                (o.pk, o.n) for o in Entity.objects.co_mentioned_with(e, limit=None, window=None)
            ]
            for e in public
        },
    }


def read_state():
    rows = readmodels.public_entity_rows()
    public = Entity.objects.filter(pk__in=[r["entity_id"] for r in rows])
    return {
        "sections": {
            s.pk: sum(n for _pk, n in readmodels.section_issues(s)) for s in Section.objects.all()
        },
        "totals": readmodels.mention_counts(),
        "index": sorted((r["entity_id"], r["type"], r["letter"]) for r in rows),
        "months": {e.pk: readmodels.monthly_mentions(e) for e in public},
        "co": {e.pk: [(o.pk, o.n) for o in readmodels.co_mentions(e, limit=None)] for e in public},
    }


def assert_in_step():
    live = live_state()
    assert read_state() == live
    return live


@pytest.fixture
def names(db):
    return {
        "roche": make_entity("罗氏", "roche", aliases=["Roche"]),
        "gsk": make_entity("葛兰素史克", "gsk", aliases=["GSK"]),
        "nmpa": make_entity("国家药监局", "nmpa", type="regulator"),
        "hengrui": make_entity("恒瑞医药", "hengrui"),
    }


def test_published_issues_scheduling_and_retraction(names, chief):
    make_issue(DAY, 3, entities=[names["roche"], names["gsk"]])
    make_issue(DAY - dt.timedelta(days=40), 2, entities=[names["roche"], names["nmpa"]])
    make_issue(DAY - dt.timedelta(days=1), 2, entities=[names["hengrui"]], confirmed=False)
    live = assert_in_step()
    assert live["totals"][names["roche"].pk] == 5
    assert names["hengrui"].pk not in live["totals"]  # unconfirmed links do not count

    # A scheduled issue: not counted before its time, counted after it with nothing run.
    at = timezone.now() + dt.timedelta(hours=3)
    scheduled = make_issue(
        DAY + dt.timedelta(days=1),
        2,
        status=BulletinStatus.SCHEDULED,
        publish_at=at,
        entities=[names["hengrui"], names["gsk"]],
    )
    before = assert_in_step()
    assert names["hengrui"].pk not in before["totals"]
    with mock.patch("django.utils.timezone.now", return_value=at + dt.timedelta(seconds=1)):
        after = assert_in_step()
        assert after["totals"][names["hengrui"].pk] == 2
        assert after["totals"][names["gsk"].pk] == 5

    # Retracting the scheduled one through the workflow takes its counts back out.
    workflow.retract(scheduled, by=chief, comment="撤回测试")
    with mock.patch("django.utils.timezone.now", return_value=at + dt.timedelta(seconds=1)):
        assert names["hengrui"].pk not in assert_in_step()["totals"]


def test_rebuild_gives_what_the_hook_kept(names):
    make_issue(DAY, 4, entities=[names["roche"], names["gsk"], names["nmpa"]])
    make_issue(DAY - dt.timedelta(days=400), 2, entities=[names["roche"]])
    kept = read_state()
    readmodels.rebuild()
    assert read_state() == kept == live_state()


def test_links_unlinks_and_merges_through_the_entity_services(names, chief):
    bulletin = make_issue(DAY, 2, entities=[names["roche"]])
    item = bulletin.items.order_by("pk").first()
    entity_services.link(item, names["gsk"], by=chief)
    assert assert_in_step()["totals"][names["gsk"].pk] == 1
    entity_services.unlink(item, names["gsk"], by=chief)
    assert names["gsk"].pk not in assert_in_step()["totals"]

    entity_services.link(item, names["gsk"], by=chief)
    duplicate = make_entity("罗氏制药", "roche-pharma")
    other = bulletin.items.order_by("pk").last()
    entity_services.link(other, duplicate, by=chief)
    entity_services.merge(duplicate, names["roche"], by=chief)
    live = assert_in_step()
    assert duplicate.pk not in live["totals"]
    assert live["totals"][names["roche"].pk] == 2


def test_workflow_publication_and_correction_keep_counts_and_markup(
    published_bulletin, chief, names
):
    # published through the workflow: the items name 罗氏 and 恒瑞医药 once linked
    item = published_bulletin.items.get(body__startswith="罗氏")
    entity_services.link(item, names["roche"], by=chief)
    assert assert_in_step()["totals"][names["roche"].pk] == 1
    assert 'href="/entities/roche/"' in item.markup.html

    workflow.correct(
        published_bulletin,
        by=chief,
        note="更正:罗氏与恒瑞医药。",
        item=item,
        body="罗氏与恒瑞医药宣布扩建AI工厂。",
        expected_version=Item.objects.get(pk=item.pk).version,
    )
    markup = readmodels.ItemMarkup.objects.get(item=item)
    assert markup.version == Item.objects.get(pk=item.pk).version
    assert "恒瑞医药宣布" in markup.html
    assert_in_step()


def test_stale_markup_is_not_shown(client, names):
    bulletin = make_issue(DAY, 1, entities=[names["roche"]])
    item = bulletin.items.get()
    Item.objects.filter(pk=item.pk).update(body="罗氏的新文本。")  # no workflow, no hook
    html = client.get(bulletin.get_absolute_url()).content.decode()
    assert 'href="/entities/roche/">罗氏</a>的新文本' in html


def test_one_item_leaving_the_public_site_through_the_hook(names):
    """What a per-item withdrawal (another branch's workflow step) does: change the item, then
    call the one hook with that item — counts, sections and co-mentions follow."""
    bulletin = make_issue(DAY, 3, entities=[names["roche"], names["gsk"]])
    item = bulletin.items.order_by("pk").first()
    Item.objects.filter(pk=item.pk).update(status="spiked")
    readmodels.visibility_changed(items=[item])
    live = assert_in_step()
    assert live["totals"][names["roche"].pk] == 2


def test_section_pages_from_the_issue_counts_match_a_full_sort(names):
    from bulletins.pager import IssueOrderedItems

    for offset in range(5):
        make_issue(DAY - dt.timedelta(days=offset * 3), 7)
    section = Section.objects.get(slug="company-news")
    items = Item.objects.published().filter(section=section)
    expected = list(items.order_by("-bulletin__issued_on", "position", "pk"))
    paged = IssueOrderedItems(
        items, order=("position", "pk"), issues=readmodels.section_issues(section)
    )
    assert paged.count() == len(expected) == 20
    for start, stop in [(0, 7), (5, 13), (18, 30), (30, 40)]:
        assert paged[start:stop] == expected[start:stop]
