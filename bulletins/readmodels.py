"""Read models: what public pages aggregate, kept in derived tables instead of counted per request.

At ten years (≈255,000 confirmed links) the entity index spent most of its time in an
``EXISTS`` per entity, a popular entity's page in counting its co-mentions and monthly
histogram, and the issue page in loading every mentioned entity's aliases to mark mentions
up. These tables hold the answers:

* ``EntityMentionTotal`` — per public entity its number of published mentions, with its type,
  A–Z letter and pinyin sort key (the entity index by type and letter);
* ``EntityMentionMonth`` — mentions per entity and month (the chart on its page);
* ``EntityCoMention`` — how many published items two entities share (the co-mention list);
* ``SectionIssueCount`` — items per section and issue (a section's length and deep pages);
* ``ItemMarkup`` — an item's text with its confirmed entities' mentions linked, per item
  version, and the ids of those entities (the issue page, item page, feeds).

Schedule-aware without a cron: every aggregate row carries ``visible_from`` — ``ALWAYS``
(1970-01-01) for mentions already public when the row was written, else the scheduled publish
time of the issue they come from — and readers add up the rows whose ``visible_from`` has
passed (``visible()``). A scheduled issue therefore counts from its time on, with nobody
running anything at that moment; the next maintenance folds its rows into the ``ALWAYS`` row.

Maintenance is by delta, so its cost follows the change, not the history of the entities it
names. ``visibility_changed(bulletins=…, items=…)`` is the one hook — the workflow calls it on
publish, schedule, unschedule, correct, retract and withdraw, the entity services on link,
unlink and merge; any new change of what readers may see calls it too. For each item it
compares what the item adds to the counts now (its confirmed live entities, its issue's month
and publish time, read with ``ItemEntity.objects.confirmed()`` and
``PUBLIC_BULLETIN_STATUSES``) with what the counts hold of it (``CountedItem``, a ledger row
per counted item), and adds the difference with atomic upserts (``n = n + excluded.n``): two
writers publishing issues that name the same entity both land. The ledger also makes it
idempotent — a second call finds nothing to do — and lets a link changed without the hook
be counted by the item's next change. A rename recounts nothing (the total rows' name
columns are updated); it re-renders every item naming the entity (rare).
``rebuild()`` (``manage.py rebuild_read_models``) recomputes everything, ledger included, and
is the safety net; ``tests/test_readmodels.py`` checks the tables against the live aggregates
on both databases.
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from itertools import batched
from operator import itemgetter
from typing import NamedTuple

from django.db import connection, models, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import (
    ENTITY_URL,
    PUBLIC_BULLETIN_STATUSES,
    Bulletin,
    Entity,
    EntityType,
    Item,
    ItemEntity,
    ItemStatus,
    reverser,
)
from .pinyin import index_letter, index_letter_key

BATCH_SIZE = 500
# ``visible_from`` of counts that are public already: a fixed time before any issue, not NULL,
# so that a count has exactly one row per key and can be added to by an upsert.
ALWAYS = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class VisibleQuerySet(models.QuerySet):
    def visible(self, *, at=None):
        """Rows readers may count now (or at ``at``): public already, or scheduled and due."""
        return self.filter(visible_from__lte=at or timezone.now())


def visible_from_field():
    return models.DateTimeField(
        _("visible from"),
        default=ALWAYS,
        help_text=_("When these counts become public: 1970-01-01 for already public ones."),
    )


class EntityMentionTotal(models.Model):
    entity = models.ForeignKey(Entity, models.CASCADE, related_name="+", verbose_name=_("entity"))
    visible_from = visible_from_field()
    type = models.CharField(_("type"), max_length=20, choices=EntityType)
    letter = models.CharField(_("index letter"), max_length=1)
    sort_key = models.CharField(_("sort key"), max_length=100)
    n = models.IntegerField(_("mentions"))

    objects = VisibleQuerySet.as_manager()

    class Meta:
        verbose_name = _("entity mention total")
        verbose_name_plural = _("entity mention totals")
        constraints = [
            models.UniqueConstraint(fields=["entity", "visible_from"], name="rm_total_unique")
        ]
        indexes = [
            models.Index(fields=["type", "letter", "sort_key"], name="rm_total_type_letter_idx"),
            models.Index(fields=["visible_from"], name="rm_total_visible_idx"),
        ]

    def __str__(self):
        return f"{self.entity_id}: {self.n}"


class EntityMentionMonth(models.Model):
    entity = models.ForeignKey(Entity, models.CASCADE, related_name="+", verbose_name=_("entity"))
    month = models.DateField(_("month"))
    visible_from = visible_from_field()
    n = models.IntegerField(_("mentions"))

    objects = VisibleQuerySet.as_manager()

    class Meta:
        verbose_name = _("entity mentions per month")
        verbose_name_plural = _("entity mentions per month")
        constraints = [
            models.UniqueConstraint(
                fields=["entity", "month", "visible_from"], name="rm_month_unique"
            )
        ]
        indexes = [models.Index(fields=["visible_from"], name="rm_month_visible_idx")]

    def __str__(self):
        return f"{self.entity_id} {self.month:%Y-%m}: {self.n}"


class EntityCoMention(models.Model):
    entity = models.ForeignKey(Entity, models.CASCADE, related_name="+", verbose_name=_("entity"))
    other = models.ForeignKey(
        Entity, models.CASCADE, related_name="+", verbose_name=_("co-mentioned entity")
    )
    visible_from = visible_from_field()
    n = models.IntegerField(_("shared items"))

    objects = VisibleQuerySet.as_manager()

    class Meta:
        verbose_name = _("co-mention")
        verbose_name_plural = _("co-mentions")
        constraints = [
            models.UniqueConstraint(
                fields=["entity", "other", "visible_from"], name="rm_comention_unique"
            )
        ]
        indexes = [
            models.Index(fields=["entity", "-n"], name="rm_comention_entity_idx"),
            models.Index(fields=["visible_from"], name="rm_comention_visible_idx"),
        ]

    def __str__(self):
        return f"{self.entity_id} + {self.other_id}: {self.n}"


class SectionIssueCount(models.Model):
    """Approved items per section and public (or scheduled) issue: a section's length and
    where its page N starts, read from ≈3,650 small rows instead of counting 55,000 items
    (the first request after every publication, and every deep page, paid that count)."""

    section = models.ForeignKey(
        "Section", models.CASCADE, related_name="+", verbose_name=_("section")
    )
    bulletin = models.ForeignKey(
        "Bulletin", models.CASCADE, related_name="+", verbose_name=_("bulletin")
    )
    issued_on = models.DateField(_("issue date"))
    publish_at = models.DateTimeField(_("public from"))
    n = models.PositiveIntegerField(_("items"))

    class Meta:
        verbose_name = _("section items per issue")
        verbose_name_plural = _("section items per issue")
        indexes = [models.Index(fields=["section", "-issued_on"], name="rm_section_issue_idx")]

    def __str__(self):
        return f"{self.section_id} {self.issued_on}: {self.n}"


class CountedItem(models.Model):
    """What one item adds to the entity counts as they stand: the ledger that lets a change
    subtract exactly what an item added before and add what it adds now, whatever the
    entities' history (``count_items``). One row per item the counts include."""

    item = models.OneToOneField(
        Item, models.CASCADE, primary_key=True, related_name="counted_as", verbose_name=_("item")
    )
    publish_at = models.DateTimeField(_("issue public from"))
    month = models.DateField(_("month"), help_text=_("First day of the issue's month."))
    entity_ids = models.JSONField(_("confirmed live entities"), default=list)

    class Meta:
        verbose_name = _("counted item")
        verbose_name_plural = _("counted items")

    def __str__(self):
        return f"#{self.item_id}: {self.entity_ids}"


class ItemMarkup(models.Model):
    """An item's text as the site shows it (each entity linked at its first mention), for
    one item version and set of links."""

    item = models.OneToOneField(
        Item, models.CASCADE, primary_key=True, related_name="markup", verbose_name=_("item")
    )
    version = models.PositiveIntegerField(_("item version"))
    text_crc = models.BigIntegerField(
        _("text checksum"), default=0, help_text=_("CRC-32 of the text it was rendered from.")
    )
    html = models.TextField(_("text with linked mentions (HTML)"))
    entity_ids = models.JSONField(_("confirmed entities"), default=list)

    class Meta:
        verbose_name = _("item markup")
        verbose_name_plural = _("item markup")

    def __str__(self):
        return f"#{self.item_id} v{self.version}"


# ----------------------------------------------------------------------------- reading


def visible_sum(queryset, *, at=None, group=()):
    """``queryset`` restricted to visible rows and summed per ``group`` (a values() list)."""
    return queryset.visible(at=at).values(*group).annotate(total=Sum("n")).order_by()


def mention_counts(entity_ids=None, *, at=None) -> dict[int, int]:
    """Published mentions per entity (only entities with at least one)."""
    rows = EntityMentionTotal.objects.all()
    if entity_ids is not None:
        rows = rows.filter(entity_id__in=list(entity_ids))
    return {
        row["entity_id"]: row["total"]
        for row in visible_sum(rows, at=at, group=("entity_id",))
        if row["total"]
    }


def public_entity_rows(*, at=None):
    """One row per public (mentioned, live) entity: entity_id, type, letter, sort_key."""
    return (
        EntityMentionTotal.objects.visible(at=at)
        .filter(entity__merged_into__isnull=True)
        .values("entity_id", "type", "letter", "sort_key")
        .distinct()
        .order_by()
    )


def type_counts(*, at=None) -> dict[str, int]:
    """Public entities per type."""
    return dict(
        EntityMentionTotal.objects.visible(at=at)
        .filter(entity__merged_into__isnull=True)
        .values("type")
        .annotate(n=Count("entity_id", distinct=True))
        .order_by()
        .values_list("type", "n")
    )


def section_issue_rows(section, *, at=None):
    """This section's public issues as rows (``issued_on``, ``bulletin_id``, ``n``), unordered:
    a keyset page reads the few issues next to its boundary date."""
    return SectionIssueCount.objects.filter(section=section, publish_at__lte=at or timezone.now())


def section_issues(section, *, at=None) -> list[tuple[int, int]]:
    """``[(bulletin id, items)…]`` of this section's public issues, newest first."""
    return list(
        section_issue_rows(section, at=at).order_by("-issued_on").values_list("bulletin_id", "n")
    )


def refresh_bulletins(bulletin_ids: Iterable[int]) -> None:
    """Recompute the per-section item counts of these issues from the live tables."""
    bulletin_ids = sorted(set(bulletin_ids))
    for chunk in batched(bulletin_ids, BATCH_SIZE):
        rows = (
            Item.objects.filter(
                bulletin_id__in=chunk,
                status=ItemStatus.APPROVED,
                bulletin__status__in=PUBLIC_BULLETIN_STATUSES,
                bulletin__publish_at__isnull=False,
            )
            .values_list("section_id", "bulletin_id", "bulletin__issued_on", "bulletin__publish_at")
            .annotate(n=Count("pk"))
            .order_by()
        )
        with transaction.atomic():
            SectionIssueCount.objects.filter(bulletin_id__in=chunk).delete()
            SectionIssueCount.objects.bulk_create(
                SectionIssueCount(
                    section_id=section_id,
                    bulletin_id=bulletin_id,
                    issued_on=issued_on,
                    publish_at=publish_at,
                    n=n,
                )
                for section_id, bulletin_id, issued_on, publish_at, n in rows
            )


def monthly_mentions(entity, *, at=None) -> dict:
    """``{first day of month: mentions}`` of this entity."""
    return {
        row["month"]: row["total"]
        for row in visible_sum(
            EntityMentionMonth.objects.filter(entity=entity), at=at, group=("month",)
        )
        if row["total"]
    }


def co_mentions(entity, *, limit: int = 10, at=None) -> list[Entity]:
    """Live entities sharing the most published items with ``entity``; each carries ``n``."""
    rows = list(
        visible_sum(
            EntityCoMention.objects.filter(entity=entity, other__merged_into__isnull=True),
            at=at,
            group=("other_id",),
        )
        .filter(total__gt=0)
        .order_by("-total", "other__name")
        .values_list("other_id", "total")[:limit]
    )
    found = Entity.objects.in_bulk([pk for pk, _n in rows])
    result = []
    for pk, n in rows:
        found[pk].n = n
        result.append(found[pk])
    return sorted(result, key=lambda e: (-e.n, e.name))


# ----------------------------------------------------------------------------- maintenance


def _when(publish_at, now):
    """``visible_from`` of a count from an issue published (or scheduled) at ``publish_at``."""
    return ALWAYS if publish_at <= now else publish_at


def _visible_links(entity_ids=None, item_ids=None):
    """Confirmed links of live entities on approved items of issues that are public or will
    be (scheduled): (item_id, entity_id, issued_on, publish_at)."""
    links = ItemEntity.objects.confirmed().filter(
        entity__merged_into__isnull=True,
        item__status=ItemStatus.APPROVED,
        item__bulletin__status__in=PUBLIC_BULLETIN_STATUSES,
        item__bulletin__publish_at__isnull=False,
    )
    if entity_ids is not None:
        links = links.filter(entity_id__in=entity_ids)
    if item_ids is not None:
        links = links.filter(item_id__in=item_ids)
    return links.values_list(
        "item_id", "entity_id", "item__bulletin__issued_on", "item__bulletin__publish_at"
    )


class Counted(NamedTuple):
    """What one item adds to the counts: one mention of each entity, in the month of its
    issue, and one shared item for each pair of them — visible from ``publish_at`` on."""

    publish_at: dt.datetime
    month: dt.date
    entity_ids: frozenset[int]


def _counted_now(item_ids) -> dict[int, Counted]:
    """What these items add according to the live tables (absent: nothing)."""
    found: dict[int, tuple] = {}
    for item_id, entity_id, issued_on, publish_at in _visible_links(item_ids=item_ids).order_by():
        found.setdefault(item_id, (publish_at, issued_on.replace(day=1), set()))[2].add(entity_id)
    return {pk: Counted(at, month, frozenset(ids)) for pk, (at, month, ids) in found.items()}


def _counted_before(item_ids) -> dict[int, Counted]:
    """What the counts hold of these items (their ``CountedItem`` rows)."""
    return {
        item_id: Counted(publish_at, month, frozenset(entity_ids))
        for item_id, publish_at, month, entity_ids in CountedItem.objects.filter(
            item_id__in=item_ids
        ).values_list("item_id", "publish_at", "month", "entity_ids")
    }


class Deltas:
    """Changes to the three entity tables, added up per row before they are written."""

    def __init__(self):
        self.totals: Counter = Counter()  # (entity, visible_from)
        self.months: Counter = Counter()  # (entity, month, visible_from)
        self.pairs: Counter = Counter()  # (entity, other, visible_from)

    def add(self, counted: Counted, sign: int, *, now) -> None:
        when = _when(counted.publish_at, now)
        for entity_id in counted.entity_ids:
            self.totals[(entity_id, when)] += sign
            self.months[(entity_id, counted.month, when)] += sign
            for other in counted.entity_ids:
                if other != entity_id:
                    self.pairs[(entity_id, other, when)] += sign

    def fold_due(self, now) -> None:
        """Move the rows of scheduled issues whose time has come into the ``ALWAYS`` rows,
        so an entity keeps one row per key however many issues were scheduled: each due row
        is deleted (``RETURNING`` what it held; a concurrent fold finds it gone) and its
        count added back under ``ALWAYS`` with the rest."""
        for model, counter, keys, _entities in self._tables():
            fields = [model._meta.get_field(key) for key in keys[:-1]]
            visible_from = model._meta.get_field("visible_from")
            sql = (
                f"DELETE FROM {_qn(model._meta.db_table)} WHERE {_qn('visible_from')} > %s "
                f"AND {_qn('visible_from')} <= %s "
                f"RETURNING {', '.join(_qn(field.column) for field in fields)}, {_qn('n')}"
            )
            with connection.cursor() as cursor:
                cursor.execute(sql, [_prep(visible_from, ALWAYS), _prep(visible_from, now)])
                for *key, n in cursor.fetchall():
                    key = [field.to_python(value) for field, value in zip(fields, key, strict=True)]
                    counter[(*key, ALWAYS)] += n

    def write(self) -> None:
        """Apply every change (``_add``). Links to entities deleted since an item was counted
        are dropped: their rows went with the entity."""
        ids = {key[0] for key in self.totals} | {key[1] for key in self.pairs}
        entities = {
            pk: (type_, index_letter(name), index_letter_key(name)[:100])
            for pk, type_, name in Entity.objects.filter(pk__in=ids).values_list(
                "pk", "type", "name"
            )
        }
        for model, counter, keys, positions in self._tables():
            kept = Counter(
                {
                    key: n
                    for key, n in counter.items()
                    if n and all(key[i] in entities for i in positions)
                }
            )
            _add(model, keys, kept, extra=entities if model is EntityMentionTotal else None)

    def _tables(self):
        """(model, its counter, the fields of a counter's key, where entity ids are in it)."""
        return [
            (EntityMentionTotal, self.totals, ("entity", "visible_from"), (0,)),
            (EntityMentionMonth, self.months, ("entity", "month", "visible_from"), (0,)),
            (EntityCoMention, self.pairs, ("entity", "other", "visible_from"), (0, 1)),
        ]


def _qn(name: str) -> str:
    return connection.ops.quote_name(name)


def _prep(field, value):
    return field.get_db_prep_value(value, connection)


def _add(model, keys: tuple[str, ...], deltas: Counter, *, extra=None) -> None:
    """``n = n + delta`` for each row ``deltas`` names by ``keys`` (a new row for a key that
    has none), then delete the rows this left at 0.

    One ``INSERT … ON CONFLICT (keys) DO UPDATE SET n = n + excluded.n`` per batch: the
    addition happens on the row as it is when the statement reaches it, so two writers adding
    to the same count both land — on PostgreSQL the second waits for the first's row lock
    and adds to its committed value (READ COMMITTED re-reads the row; a row deleted meanwhile
    is inserted again), on SQLite writers take turns (``BEGIN IMMEDIATE``). Rows are written
    in key order, so two writers lock shared rows in the same order and cannot deadlock.
    ``RETURNING`` tells which rows reached 0; they are deleted by id while still locked.
    ``extra``: entity id → (type, letter, sort key), written (and refreshed) with a total.
    """
    meta = model._meta
    fields = [meta.get_field(key) for key in keys]
    names = [field.column for field in fields]
    if extra is not None:
        names += ["type", "letter", "sort_key"]
    names.append("n")
    table = _qn(meta.db_table)
    update = [f"{_qn('n')} = {table}.{_qn('n')} + excluded.{_qn('n')}"]
    update += [f"{_qn(name)} = excluded.{_qn(name)}" for name in names[len(keys) : -1]]
    sql = (
        f"INSERT INTO {table} ({', '.join(map(_qn, names))}) VALUES {{values}} "
        f"ON CONFLICT ({', '.join(_qn(name) for name in names[: len(keys)])}) "
        f"DO UPDATE SET {', '.join(update)} RETURNING {_qn('id')}, {_qn('n')}"
    )
    row = "(" + ", ".join(["%s"] * len(names)) + ")"
    emptied = []
    with connection.cursor() as cursor:
        for batch in batched(sorted(deltas.items()), BATCH_SIZE):
            params = []
            for key, n in batch:
                params += [_prep(field, value) for field, value in zip(fields, key, strict=True)]
                if extra is not None:
                    params += extra[key[0]]
                params.append(n)
            cursor.execute(sql.format(values=", ".join([row] * len(batch))), params)
            emptied += [pk for pk, n in cursor.fetchall() if n == 0]
        for batch in batched(emptied, BATCH_SIZE):
            cursor.execute(
                f"DELETE FROM {table} WHERE {_qn('n')} = 0 AND {_qn('id')} IN "
                f"({', '.join(['%s'] * len(batch))})",
                batch,
            )


def _lock(item_ids) -> None:
    """Lock the items' issues, then the items (the workflow's order, by id): two changes of
    one item read and write its ``CountedItem`` row one after the other, each seeing what
    the other committed. SQLite needs nothing: its writers take turns."""
    if not connection.features.has_select_for_update:
        return
    bulletins = Item.objects.filter(pk__in=item_ids).values("bulletin_id")
    list(
        Bulletin.objects.select_for_update()
        .filter(pk__in=bulletins)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    list(
        Item.objects.select_for_update()
        .filter(pk__in=item_ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


@transaction.atomic(savepoint=False)  # one transaction with the change, or its own
def count_items(item_ids: Iterable[int], *, now=None) -> None:
    """Bring the entity counts in step with these items: subtract what each added when it
    was last counted (its ``CountedItem`` row), add what it adds now (``_counted_now``), and
    remember that. The cost follows the items, not the history of the entities they name;
    an item whose links and visibility did not change costs nothing. Idempotent."""
    item_ids = sorted(set(item_ids))
    if not item_ids:
        return
    now = now or timezone.now()
    deltas = Deltas()
    deltas.fold_due(now)
    for chunk in batched(item_ids, BATCH_SIZE):
        _lock(chunk)
        before, after = _counted_before(chunk), _counted_now(chunk)
        gone, rows = [], []
        for item_id in chunk:
            old, new = before.get(item_id), after.get(item_id)
            if _same(old, new, now):
                continue
            if old is not None:
                deltas.add(old, -1, now=now)
            if new is None:
                gone.append(item_id)
            else:
                deltas.add(new, +1, now=now)
                rows.append(CountedItem(item_id=item_id, **_ledger_fields(new)))
        if gone:
            CountedItem.objects.filter(item_id__in=gone).delete()
        if rows:
            CountedItem.objects.bulk_create(
                rows,
                update_conflicts=True,
                unique_fields=["item"],
                update_fields=["publish_at", "month", "entity_ids"],
            )
    deltas.write()


def _same(old: Counted | None, new: Counted | None, now) -> bool:
    if old is None or new is None:
        return old is new
    return (_when(old.publish_at, now), old.month, old.entity_ids) == (
        _when(new.publish_at, now),
        new.month,
        new.entity_ids,
    )


def _ledger_fields(counted: Counted) -> dict:
    return {
        "publish_at": counted.publish_at,
        "month": counted.month,
        "entity_ids": sorted(counted.entity_ids),
    }


def refresh_entities(entity_ids: Iterable[int], *, now=None) -> None:
    """Recompute every aggregate row of these entities from the live tables (the rebuild)."""
    entity_ids = sorted(set(entity_ids))
    now = now or timezone.now()
    for chunk in batched(entity_ids, BATCH_SIZE):
        _refresh_chunk(list(chunk), now=now)


def _refresh_chunk(entity_ids: list[int], *, now) -> None:
    links = list(_visible_links(entity_ids=entity_ids).order_by())
    totals: Counter = Counter()
    months: Counter = Counter()
    when_of_item = {}
    for item_id, entity_id, issued_on, publish_at in links:
        when = _when(publish_at, now)
        when_of_item[item_id] = when
        totals[(entity_id, when)] += 1
        months[(entity_id, issued_on.replace(day=1), when)] += 1
    # Co-mentions: every other confirmed entity on the same visible items.
    pairs: Counter = Counter()
    by_item = defaultdict(list)
    for item_id, entity_id, _day, _at in links:
        by_item[item_id].append(entity_id)
    for chunk in batched(sorted(by_item), 2000):
        others = (
            ItemEntity.objects.confirmed()
            .filter(item_id__in=chunk, entity__merged_into__isnull=True)
            .values_list("item_id", "entity_id")
        )
        for item_id, other in others:
            for entity_id in by_item[item_id]:
                if other != entity_id:
                    pairs[(entity_id, other, when_of_item[item_id])] += 1
    entities = {
        pk: (type_, name)
        for pk, type_, name in Entity.objects.filter(pk__in=entity_ids).values_list(
            "pk", "type", "name"
        )
    }
    with transaction.atomic():
        EntityMentionTotal.objects.filter(entity_id__in=entity_ids).delete()
        EntityMentionMonth.objects.filter(entity_id__in=entity_ids).delete()
        EntityCoMention.objects.filter(entity_id__in=entity_ids).delete()
        EntityMentionTotal.objects.bulk_create(
            [
                EntityMentionTotal(
                    entity_id=entity_id,
                    visible_from=when,
                    type=entities[entity_id][0],
                    letter=index_letter(entities[entity_id][1]),
                    sort_key=index_letter_key(entities[entity_id][1])[:100],
                    n=n,
                )
                for (entity_id, when), n in totals.items()
            ],
            batch_size=BATCH_SIZE,
        )
        EntityMentionMonth.objects.bulk_create(
            [
                EntityMentionMonth(entity_id=entity_id, month=month, visible_from=when, n=n)
                for (entity_id, month, when), n in months.items()
            ],
            batch_size=BATCH_SIZE,
        )
        EntityCoMention.objects.bulk_create(
            [
                EntityCoMention(entity_id=entity_id, other_id=other, visible_from=when, n=n)
                for (entity_id, other, when), n in pairs.items()
            ],
            batch_size=BATCH_SIZE,
        )


def _fill_ledger() -> None:
    """One ``CountedItem`` row per counted item, from the live tables (the rebuild)."""
    rows = []
    for item_id, counted in _counted_now(None).items():
        rows.append(CountedItem(item_id=item_id, **_ledger_fields(counted)))
    CountedItem.objects.bulk_create(rows, batch_size=BATCH_SIZE * 4)


def entities_renamed(entities, *, item_ids=()) -> None:
    """Entities' names, aliases or type changed (no count did): their index rows move to
    their type and letter, and the items naming them render again."""
    for entity in Entity.objects.filter(pk__in=_ids(entities)).only("pk", "type", "name"):
        EntityMentionTotal.objects.filter(entity=entity).update(
            type=entity.type,
            letter=index_letter(entity.name),
            sort_key=index_letter_key(entity.name)[:100],
        )
    render_items(item_ids)


def render_items(item_ids: Iterable[int]) -> None:
    """(Re)write the stored markup of these items from their text and confirmed links."""
    from .linking import render_mentions

    ids = sorted(set(item_ids))
    for chunk in batched(ids, BATCH_SIZE):
        items = list(
            Item.objects.filter(pk__in=chunk)
            .only("pk", "body", "version")
            .prefetch_related(links_prefetch())
        )
        rows = []
        for item in items:
            entities = [link.entity for link in item.public_links]
            rows.append(
                ItemMarkup(
                    item_id=item.pk,
                    version=item.version,
                    text_crc=zlib.crc32(item.body.encode()),
                    html=str(render_mentions(item.body, entities, first_only=True)),
                    entity_ids=sorted(e.pk for e in entities),
                )
            )
        with transaction.atomic():
            ItemMarkup.objects.filter(item_id__in=chunk).delete()
            ItemMarkup.objects.bulk_create(rows)


class StoredMarkup(NamedTuple):
    """An ``ItemMarkup`` row's fields, as read with the item's values (``views.IssueItem``)."""

    version: int
    text_crc: int
    html: str
    entity_ids: list


def item_html(item):
    """The item's text with its confirmed entities' mentions linked: the stored markup when it
    is for this version and these links, else rendered now (aliases in one query)."""
    from django.core.exceptions import ObjectDoesNotExist
    from django.utils.safestring import mark_safe

    from .linking import render_mentions
    from .models import EntityAlias

    entities = [link.entity for link in getattr(item, "public_links", ())]
    try:
        markup = item.markup
    except ObjectDoesNotExist:
        markup = None
    # Valid for this version, these links and this text (a checksum costs ~1 µs; it catches
    # a text written without the workflow, which would not bump the version).
    if (
        markup is not None
        and markup.version == item.version
        and markup.entity_ids == sorted(e.pk for e in entities)
        and markup.text_crc == zlib.crc32(item.body.encode())
    ):
        return mark_safe(markup.html)  # noqa: S308 - escaped by render_mentions when stored
    aliases = defaultdict(list)
    for entity_id, alias in EntityAlias.objects.filter(
        entity_id__in=[e.pk for e in entities]
    ).values_list("entity_id", "alias"):
        aliases[entity_id].append(alias)
    return render_mentions(item.body, entities, first_only=True, aliases=aliases)


class PublicLink:
    """What pages read of a confirmed link: its entity (``item.public_links``)."""

    __slots__ = ("entity",)

    def __init__(self, entity):
        self.entity = entity


class LinkedEntity:
    """What an issue page or feed reads of a linked entity — name, English name, type, slug
    and its URL — without a model instance: an issue page names about 60 of them, and
    building them was a tenth of its cost (``attach_public_links``)."""

    __slots__ = ("pk", "type", "name", "name_en", "slug", "url")

    def __init__(self, pk, type_, name, name_en, slug, *, url):
        self.pk, self.type, self.name, self.name_en, self.slug = pk, type_, name, name_en, slug
        self.url = url

    def __str__(self):
        return self.name

    @property
    def id(self):
        return self.pk

    def get_absolute_url(self):
        return self.url


def attach_public_links(items) -> None:
    """``item.public_links`` for a list of items in one light query: the confirmed link pairs
    with their entity's fields, each entity built once (``LinkedEntity``) — instead of a
    prefetch building a link and an entity model instance per mention."""
    rows = (
        ItemEntity.objects.confirmed()
        .filter(item_id__in=[item.pk for item in items])
        .values_list(
            "item_id",
            "entity_id",
            "entity__type",
            "entity__name",
            "entity__name_en",
            "entity__slug",
        )
    )
    entity_url = reverser(*ENTITY_URL)
    entities = {}
    by_item = defaultdict(list)
    # By entity name, once: each item's links then come in that order.
    for item_id, entity_id, type_, name, name_en, slug in sorted(rows, key=itemgetter(3)):
        entity = entities.get(entity_id)
        if entity is None:
            entity = entities[entity_id] = LinkedEntity(
                entity_id, type_, name, name_en, slug, url=entity_url(slug)
            )
        by_item[item_id].append(PublicLink(entity))
    for item in items:
        item.public_links = by_item.get(item.pk, [])


def links_prefetch():
    """Confirmed links with their entity and aliases in ``item.public_links`` (live render)."""
    links = (
        ItemEntity.objects.confirmed()
        .select_related("entity")
        .prefetch_related("entity__aliases")
        .order_by("entity__name")
    )
    return models.Prefetch("entity_links", queryset=links, to_attr="public_links")


@transaction.atomic(savepoint=False)
def visibility_changed(*, bulletins=(), items=()) -> None:
    """What readers may see changed for these bulletins or items (their status, their issue's
    publish time, their links, their text): bring every read model up to date for them. Call
    it inside the change's transaction; the cost follows the items, not the entities' history."""
    item_ids = _ids(items)
    bulletin_ids = _ids(bulletins)
    if bulletin_ids:
        item_ids.update(
            Item.objects.filter(bulletin_id__in=bulletin_ids).values_list("pk", flat=True)
        )
    elif item_ids:
        # Links edited on drafts (every import links its items) change nothing readers see:
        # only items of public or scheduled issues count and have stored markup — and items
        # counted before, whatever happened to their issue since.
        rows = Item.objects.filter(
            Q(bulletin__status__in=PUBLIC_BULLETIN_STATUSES) | Q(counted_as__isnull=False),
            pk__in=item_ids,
        ).values_list("pk", "bulletin_id")
        item_ids = set()
        for item_id, bulletin_id in rows:
            item_ids.add(item_id)
            bulletin_ids.add(bulletin_id)  # a withdrawn item changes its section's count
    count_items(item_ids)
    refresh_bulletins(bulletin_ids)
    render_items(item_ids)


def _ids(objects) -> set[int]:
    return {getattr(o, "pk", o) for o in objects}


def rebuild(*, progress: Callable[[int], object] | None = None) -> dict[str, int]:
    """Recompute every read model from the live tables (``manage.py rebuild_read_models``)."""
    with transaction.atomic():
        EntityMentionTotal.objects.all().delete()
        EntityMentionMonth.objects.all().delete()
        EntityCoMention.objects.all().delete()
        CountedItem.objects.all().delete()
        _fill_ledger()
    refresh_bulletins(Bulletin.objects.values_list("pk", flat=True))
    entity_ids = list(Entity.objects.order_by("pk").values_list("pk", flat=True))
    for chunk in batched(entity_ids, BATCH_SIZE):
        refresh_entities(chunk)
        if progress is not None:
            progress(len(chunk))
    item_ids = list(
        Item.objects.filter(status=ItemStatus.APPROVED).order_by("pk").values_list("pk", flat=True)
    )
    ItemMarkup.objects.exclude(item_id__in=Item.objects.filter(status=ItemStatus.APPROVED)).delete()
    for chunk in batched(item_ids, BATCH_SIZE * 4):
        render_items(chunk)
        if progress is not None:
            progress(len(chunk))
    return {
        "entities": len(entity_ids),
        "items": len(item_ids),
        "totals": EntityMentionTotal.objects.count(),
        "months": EntityMentionMonth.objects.count(),
        "co-mentions": EntityCoMention.objects.count(),
        "counted items": CountedItem.objects.count(),
    }


__all__ = [
    "CountedItem",
    "EntityCoMention",
    "EntityMentionMonth",
    "EntityMentionTotal",
    "ItemMarkup",
    "SectionIssueCount",
    "co_mentions",
    "count_items",
    "mention_counts",
    "monthly_mentions",
    "rebuild",
    "refresh_entities",
    "render_items",
    "visibility_changed",
]
