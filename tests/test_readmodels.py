"""The read models (bulletins/readmodels.py) against the live aggregates they replace.

Each state below is compared in full: mention totals, monthly histograms, co-mentions and the
entity index as the read rules compute them from the links (``ItemEntity.objects.confirmed()
.on_published_items()``, ``Entity.objects.public()``, ``co_mentioned_with(window=None)``)
must equal what the tables say — after publishing, scheduling (before and after its time,
with nothing run in between), correcting, retracting, withdrawing, linking, unlinking and
merging, on SQLite and on PostgreSQL (CI runs this file on both). The maintenance is by
delta: the ledger (``CountedItem``) must equal what the live links say each item adds, no
row may be left at 0, and its cost must not grow with the history of the entities named.
"""

import datetime as dt
import threading
import time
from collections import Counter
from unittest import mock

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bulletins import entities as entity_services
from bulletins import readmodels, workflow
from bulletins.charts import live_monthly_mentions
from bulletins.models import BulletinStatus, Entity, Item, ItemEntity, ItemStatus, Section
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
    public = list(Entity.objects.public_live())
    return {
        "public": sorted(e.pk for e in public),
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
        "public": sorted(Entity.objects.public().values_list("pk", flat=True)),
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
    # The ledger the deltas are taken against says what the live links say, and the upserts
    # leave no empty rows behind.
    counted = readmodels._counted_now(None)
    assert readmodels._counted_before(counted.keys() | _ledger_ids()) == counted
    for model in (
        readmodels.EntityMentionTotal,
        readmodels.EntityMentionMonth,
        readmodels.EntityCoMention,
    ):
        assert not model.objects.filter(n__lte=0).exists()
    return live


def _ledger_ids():
    return set(readmodels.CountedItem.objects.values_list("item_id", flat=True))


def approved_issue(day, n_items, *, entities):
    """An issue ready to publish: its items approved, each confirmed on ``entities``."""
    return make_issue(
        day, n_items, status=BulletinStatus.APPROVED, entities=entities, confirmed=True
    )


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


def test_two_issues_naming_the_same_entity_add_up(names, chief):
    make_issue(DAY - dt.timedelta(days=30), 2, entities=[names["roche"], names["nmpa"]])
    first = approved_issue(DAY, 3, entities=[names["roche"], names["gsk"]])
    second = approved_issue(DAY + dt.timedelta(days=1), 2, entities=[names["roche"]])
    workflow.publish(first, by=chief)
    workflow.publish(second, by=chief)
    live = assert_in_step()
    assert live["totals"][names["roche"].pk] == 7
    assert live["months"][names["roche"].pk] == {DAY.replace(day=1): 5, dt.date(2026, 2, 1): 2}


def test_retracting_a_corrected_issue_takes_all_of_it_out(names, chief):
    make_issue(DAY - dt.timedelta(days=1), 1, entities=[names["roche"]])
    bulletin = approved_issue(DAY, 2, entities=[names["roche"], names["gsk"]])
    workflow.publish(bulletin, by=chief)
    item = bulletin.items.order_by("pk").first()
    entity_services.link(item, names["nmpa"], by=chief)  # curation after publication
    workflow.correct(
        bulletin,
        by=chief,
        note="更正数字。",
        item=item,
        body="罗氏宣布完成更正后的融资。",
        expected_version=Item.objects.get(pk=item.pk).version,
    )
    co = dict(assert_in_step()["co"][names["nmpa"].pk])
    assert co == {names["gsk"].pk: 1, names["roche"].pk: 1}
    workflow.retract(bulletin, by=chief, comment="撤回测试")
    live = assert_in_step()
    assert live["totals"] == {names["roche"].pk: 1}
    assert not readmodels.CountedItem.objects.filter(item__bulletin=bulletin).exists()


def test_an_item_withdrawn_then_restored(names, chief):
    bulletin = make_issue(DAY, 3, entities=[names["roche"], names["gsk"]])
    item = bulletin.items.order_by("pk").first()
    workflow.withdraw_item(item, by=chief, note="信息有误")
    live = assert_in_step()
    assert live["totals"][names["roche"].pk] == 2
    assert live["sections"][item.section_id] == 1
    # No workflow step restores an item yet; one would change it and call the hook.
    Item.objects.filter(pk=item.pk).update(status=ItemStatus.APPROVED, withdrawn_at=None)
    readmodels.visibility_changed(items=[item])
    assert assert_in_step()["totals"][names["roche"].pk] == 3


def test_a_scheduled_issue_counts_at_its_time_and_is_folded_in_later(names, chief):
    make_issue(DAY - dt.timedelta(days=3), 2, entities=[names["roche"]])
    bulletin = approved_issue(DAY, 2, entities=[names["roche"], names["hengrui"]])
    at = timezone.now() + dt.timedelta(hours=2)
    workflow.schedule(bulletin, by=chief, at=at)
    before = assert_in_step()
    assert before["totals"] == {names["roche"].pk: 2}
    pending = readmodels.EntityMentionTotal.objects.filter(visible_from__gt=readmodels.ALWAYS)
    assert set(pending.values_list("visible_from", flat=True)) == {at}

    later = at + dt.timedelta(minutes=1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert assert_in_step()["totals"] == {names["roche"].pk: 4, names["hengrui"].pk: 2}
        # The next change folds the due rows into the ALWAYS rows: one row per key again.
        workflow.publish(approved_issue(DAY + dt.timedelta(days=1), 1, entities=[]), by=chief)
        assert not pending.exists()
        assert assert_in_step()["totals"] == {names["roche"].pk: 4, names["hengrui"].pk: 2}
        assert readmodels.EntityMentionTotal.objects.filter(entity=names["roche"]).count() == 1


def test_unscheduling_takes_the_pending_counts_back(names, chief):
    bulletin = approved_issue(DAY, 2, entities=[names["gsk"]])
    workflow.schedule(bulletin, by=chief, at=timezone.now() + dt.timedelta(hours=2))
    workflow.unschedule(bulletin, by=chief)
    assert_in_step()
    assert not readmodels.EntityMentionTotal.objects.exists()
    assert not readmodels.CountedItem.objects.exists()


def test_a_link_removed_from_a_published_item(names, chief):
    bulletin = make_issue(DAY, 2, entities=[names["roche"], names["gsk"], names["nmpa"]])
    item = bulletin.items.order_by("pk").first()
    entity_services.unlink(item, names["gsk"], by=chief)
    live = assert_in_step()
    assert live["totals"][names["gsk"].pk] == 1
    assert dict(live["co"][names["roche"].pk]) == {names["gsk"].pk: 1, names["nmpa"].pk: 2}


def test_merging_entities_named_on_the_same_item(names, chief):
    bulletin = make_issue(DAY, 2, entities=[names["roche"], names["gsk"]])
    duplicate = make_entity("罗氏制药", "roche-pharma")
    first, second = bulletin.items.order_by("pk")
    entity_services.link(first, duplicate, by=chief)  # next to 罗氏: the links fold into one
    entity_services.link(second, names["nmpa"], by=chief)
    assert_in_step()
    entity_services.merge(duplicate, names["roche"], by=chief)
    live = assert_in_step()
    assert live["totals"][names["roche"].pk] == 2
    assert not readmodels.EntityMentionTotal.objects.filter(entity=duplicate).exists()
    assert not readmodels.EntityCoMention.objects.filter(other=duplicate).exists()


def test_an_entity_deleted_after_its_items_were_counted(names, chief):
    bulletin = make_issue(DAY, 1, entities=[names["roche"], names["gsk"]])
    item = bulletin.items.get()
    names["gsk"].delete()  # its rows go with it; the ledger still names it
    entity_services.unlink(item, names["roche"], by=chief)
    assert assert_in_step()["totals"] == {}


def test_the_hook_twice_changes_nothing(names):
    bulletin = make_issue(DAY, 2, entities=[names["roche"], names["gsk"]])
    rows = list(readmodels.EntityCoMention.objects.values_list("pk", "n").order_by("pk"))
    with CaptureQueriesContext(connection) as queries:
        readmodels.visibility_changed(bulletins=[bulletin])
    # The counts and the ledger are not written again (the issue counts and the markup are
    # rewritten whole: not by delta). By table name: the constraint prefix "rm_" is in no SQL.
    counts = [
        model._meta.db_table
        for model in (
            readmodels.EntityMentionTotal,
            readmodels.EntityMentionMonth,
            readmodels.EntityCoMention,
            readmodels.CountedItem,
        )
    ]
    written = [
        q["sql"]
        for q in queries
        if q["sql"].startswith(("INSERT", "UPDATE"))
        and any(f'"{table}"' in q["sql"] for table in counts)
    ]
    assert written == []
    assert list(readmodels.EntityCoMention.objects.values_list("pk", "n").order_by("pk")) == rows
    assert_in_step()


def _history(entities, *, issues, start):
    """``issues`` published issues, one a month back from ``start``, each naming them."""
    for n in range(issues):
        make_issue(start - dt.timedelta(days=31 * n), 3, entities=entities)


def _maintenance_queries(bulletin, item, other, chief):
    """Queries of publishing ``bulletin`` and of linking/unlinking ``other`` on ``item``."""
    counts = []
    for change in (
        lambda: workflow.publish(bulletin, by=chief),
        lambda: entity_services.link(item, other, by=chief),
        lambda: entity_services.unlink(item, other, by=chief),
    ):
        with CaptureQueriesContext(connection) as queries:
            change()
        counts.append(len(queries))
    return counts


def test_maintenance_costs_the_same_queries_whatever_the_history(names, chief):
    """Publishing an issue and changing a link cost the same queries with 2 or 40 issues of
    history naming the same entities — and rows of the months the change did not touch are
    left as they were (the old recount deleted and rewrote every row of every entity named)."""
    roche, gsk, nmpa = names["roche"], names["gsk"], names["nmpa"]
    # Warm up what the workflow reads once per process (the chief's roles, the settings).
    workflow.publish(approved_issue(DAY - dt.timedelta(days=2), 1, entities=[]), by=chief)
    _history([roche, gsk], issues=2, start=DAY - dt.timedelta(days=40))
    old = make_issue(DAY - dt.timedelta(days=1), 1, entities=[roche]).items.get()
    small = _maintenance_queries(approved_issue(DAY, 3, entities=[roche, gsk]), old, nmpa, chief)
    _history([roche, gsk, names["hengrui"]], issues=38, start=DAY - dt.timedelta(days=100))
    months = dict(
        readmodels.EntityMentionMonth.objects.filter(entity=roche).values_list("month", "pk")
    )
    large = _maintenance_queries(
        approved_issue(DAY + dt.timedelta(days=1), 3, entities=[roche, gsk]), old, nmpa, chief
    )
    assert large == small
    after = dict(
        readmodels.EntityMentionMonth.objects.filter(entity=roche).values_list("month", "pk")
    )
    assert after == months  # the same rows: only this month's n changed
    assert assert_in_step()["totals"][roche.pk] == 2 * 3 + 38 * 3 + 1 + 3 + 3


@pytest.fixture
def base_rows(transactional_db):
    """The roles and sections the data migration writes (an earlier transactional test may
    have flushed them)."""
    from django.contrib.auth.models import Group

    from bulletins.roles import ROLES

    for name in ROLES:
        Group.objects.get_or_create(name=name)
    for name, slug, position in [("企业动态", "company-news", 1), ("产业动态", "industry-news", 2)]:
        Section.objects.get_or_create(slug=slug, defaults={"name": name, "position": position})


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_publications_at_once_naming_the_same_entity_both_count(base_rows, chief):
    """Two workers publish two issues naming 罗氏 at the same time. On PostgreSQL (READ
    COMMITTED) the second waits for the first's row lock, then adds to what it committed —
    nothing lost, nothing counted twice. SQLite writers take turns (``BEGIN IMMEDIATE``; the
    shared-cache test database refuses the second instead of waiting): never a lost count."""
    from django.db import OperationalError

    roche = make_entity("罗氏", "roche")
    make_issue(DAY - dt.timedelta(days=5), 4, entities=[roche])
    first = approved_issue(DAY, 3, entities=[roche])
    second = approved_issue(DAY + dt.timedelta(days=1), 2, entities=[roche])
    first_done, release, errors = threading.Event(), threading.Event(), []

    def publish(bulletin, *, hold=False):
        try:
            with transaction.atomic():
                workflow.publish(bulletin, by=chief)
                if hold:  # keep the transaction (and its row locks) open
                    first_done.set()
                    release.wait(timeout=30)
        except Exception as exc:  # noqa: BLE001 - reported by the assertions below
            errors.append(exc)
        finally:
            connection.close()

    holder = threading.Thread(target=publish, args=(first,), kwargs={"hold": True})
    holder.start()
    assert first_done.wait(timeout=30)
    waiter = threading.Thread(target=publish, args=(second,))
    waiter.start()
    try:
        if connection.vendor == "postgresql":
            _wait_for_a_lock_wait()
        else:
            waiter.join(timeout=30)  # refused at once, or after the busy timeout
    finally:
        release.set()
        holder.join(timeout=60)
        waiter.join(timeout=60)
    second.refresh_from_db()
    if connection.vendor == "postgresql":
        assert errors == []
    else:
        assert all(isinstance(exc, OperationalError) for exc in errors)
    published = second.status == BulletinStatus.PUBLISHED
    assert published == (not errors)
    assert assert_in_step()["totals"][roche.pk] == 4 + 3 + (2 if published else 0)


def _wait_for_a_lock_wait(timeout=30):
    """Until another connection of this database waits for a row lock."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.05)
    raise AssertionError("the second publication never waited for the first")


def test_public_at_a_past_time_is_the_live_rule_after_a_fold(names, chief):
    """Once a scheduled issue's rows are folded into the ``ALWAYS`` rows, the read model no
    longer knows when they became public: ``public(at=<before it>)`` must still leave out an
    entity named only in that issue."""
    make_issue(DAY - dt.timedelta(days=3), 1, entities=[names["roche"]])
    bulletin = approved_issue(DAY, 1, entities=[names["hengrui"]])
    at = timezone.now() + dt.timedelta(hours=2)
    workflow.schedule(bulletin, by=chief, at=at)
    with mock.patch("django.utils.timezone.now", return_value=at + dt.timedelta(minutes=1)):
        workflow.publish(approved_issue(DAY + dt.timedelta(days=1), 1, entities=[]), by=chief)
        assert not readmodels.EntityMentionTotal.objects.filter(visible_from=at).exists()
        before = at - dt.timedelta(minutes=1)
        assert set(Entity.objects.public(at=before)) == set(Entity.objects.public_live(at=before))
        assert set(Entity.objects.public(at=before)) == {names["roche"]}
        assert set(Entity.objects.public()) == {names["roche"], names["hengrui"]}


def test_public_reads_the_sum_of_the_visible_rows_not_any_one_row(db):
    """A link removed from a scheduled issue as it falls due can leave a -1 row beside a +1
    row already folded into ALWAYS: the entity then has no visible mention and is not public."""
    entity = make_entity("罗氏", "roche")
    due = timezone.now() - dt.timedelta(minutes=1)
    row = {"entity": entity, "type": entity.type, "letter": "L", "sort_key": "luoshi"}
    readmodels.EntityMentionTotal.objects.create(**row, visible_from=readmodels.ALWAYS, n=1)
    readmodels.EntityMentionTotal.objects.create(**row, visible_from=due, n=-1)
    assert list(Entity.objects.public()) == []
    readmodels.EntityMentionTotal.objects.filter(n=-1).delete()
    assert list(Entity.objects.public()) == [entity]
