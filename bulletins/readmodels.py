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

Schedule-aware without a cron: every aggregate row carries ``visible_from`` — ``NULL`` for
mentions already public when the row was written, else the scheduled publish time of the
issue they come from — and readers add up the rows with ``visible_from`` unset or passed
(``visible()``). A scheduled issue therefore counts from its time on, with nobody running
anything at that moment; the next refresh of the entity folds its rows into the ``NULL`` row.

Maintenance: ``visibility_changed(bulletins=…, items=…, entities=…)`` is the one hook — the
workflow calls it on publish, schedule, unschedule, correct and retract, the entity services
on link, unlink, rename and merge; any future change of what readers may see (withdrawing one
item, say) calls it too. It recomputes the affected entities' rows from the live read rules
(``ItemEntity.objects.confirmed()``, ``PUBLIC_BULLETIN_STATUSES``), so it is idempotent and
never drifts by a delta. ``rebuild()`` (``manage.py rebuild_read_models``) recomputes all;
``tests/test_readmodels.py`` checks the tables against the live aggregates on both databases.
"""

from __future__ import annotations

import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from itertools import batched
from operator import itemgetter
from typing import NamedTuple

from django.db import models, transaction
from django.db.models import Case, Count, F, Q, Sum, Value, When
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import (
    ENTITY_URL,
    PUBLIC_BULLETIN_STATUSES,
    Entity,
    EntityType,
    Item,
    ItemEntity,
    ItemStatus,
    reverser,
)
from .pinyin import index_letter, index_letter_key

BATCH_SIZE = 500


class VisibleQuerySet(models.QuerySet):
    def visible(self, *, at=None):
        """Rows readers may count now (or at ``at``): public already, or scheduled and due."""
        at = at or timezone.now()
        return self.filter(Q(visible_from__isnull=True) | Q(visible_from__lte=at))


class EntityMentionTotal(models.Model):
    entity = models.ForeignKey(Entity, models.CASCADE, related_name="+", verbose_name=_("entity"))
    visible_from = models.DateTimeField(_("visible from"), null=True, blank=True)
    type = models.CharField(_("type"), max_length=20, choices=EntityType)
    letter = models.CharField(_("index letter"), max_length=1)
    sort_key = models.CharField(_("sort key"), max_length=100)
    n = models.PositiveIntegerField(_("mentions"))

    objects = VisibleQuerySet.as_manager()

    class Meta:
        verbose_name = _("entity mention total")
        verbose_name_plural = _("entity mention totals")
        indexes = [
            models.Index(fields=["type", "letter", "sort_key"], name="rm_total_type_letter_idx"),
            models.Index(fields=["entity", "visible_from"], name="rm_total_entity_idx"),
        ]

    def __str__(self):
        return f"{self.entity_id}: {self.n}"


class EntityMentionMonth(models.Model):
    entity = models.ForeignKey(Entity, models.CASCADE, related_name="+", verbose_name=_("entity"))
    month = models.DateField(_("month"))
    visible_from = models.DateTimeField(_("visible from"), null=True, blank=True)
    n = models.PositiveIntegerField(_("mentions"))

    objects = VisibleQuerySet.as_manager()

    class Meta:
        verbose_name = _("entity mentions per month")
        verbose_name_plural = _("entity mentions per month")
        indexes = [models.Index(fields=["entity", "month"], name="rm_month_entity_idx")]

    def __str__(self):
        return f"{self.entity_id} {self.month:%Y-%m}: {self.n}"


class EntityCoMention(models.Model):
    entity = models.ForeignKey(Entity, models.CASCADE, related_name="+", verbose_name=_("entity"))
    other = models.ForeignKey(
        Entity, models.CASCADE, related_name="+", verbose_name=_("co-mentioned entity")
    )
    visible_from = models.DateTimeField(_("visible from"), null=True, blank=True)
    n = models.PositiveIntegerField(_("shared items"))

    objects = VisibleQuerySet.as_manager()

    class Meta:
        verbose_name = _("co-mention")
        verbose_name_plural = _("co-mentions")
        indexes = [models.Index(fields=["entity", "-n"], name="rm_comention_entity_idx")]

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


def section_issues(section, *, at=None) -> list[tuple[int, int]]:
    """``[(bulletin id, items)…]`` of this section's public issues, newest first."""
    at = at or timezone.now()
    return list(
        SectionIssueCount.objects.filter(section=section, publish_at__lte=at)
        .order_by("-issued_on")
        .values_list("bulletin_id", "n")
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


def _visible_links(entity_ids=None, item_ids=None, *, rows=False):
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
    if rows:
        return links
    return links.values_list(
        "item_id", "entity_id", "item__bulletin__issued_on", "item__bulletin__publish_at"
    )


def refresh_entities(entity_ids: Iterable[int], *, now=None) -> None:
    """Recompute every aggregate row of these entities from the live tables."""
    entity_ids = sorted(set(entity_ids))
    now = now or timezone.now()
    for chunk in batched(entity_ids, BATCH_SIZE):
        _refresh_chunk(list(chunk), now=now)


def _when(publish_at, now):
    return None if publish_at <= now else publish_at


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


def _visible_when(now):
    """SQL for a link's ``visible_from``: NULL when its issue is public already."""
    return Case(
        When(item__bulletin__publish_at__gt=now, then=F("item__bulletin__publish_at")),
        default=Value(None),
        output_field=models.DateTimeField(),
    )


def refresh_changed(changed: set[int], explicit: set[int], *, now=None) -> None:
    """The hook's refresh: ``explicit`` entities (a link left them, or they merged) are
    recomputed in full; for the ``changed`` ones (on the items that changed) the totals and
    months are recounted in SQL and only the co-mention pairs among ``changed | explicit`` —
    the only pairs a change of those items can touch. A publication thus costs a few
    grouped queries instead of reloading every link of every popular entity it names."""
    now = now or timezone.now()
    refresh_entities(explicit, now=now)
    changed = sorted(set(changed) - set(explicit))
    if not changed:
        return
    universe = sorted(set(changed) | set(explicit))
    when = _visible_when(now)
    links = _visible_links(entity_ids=changed, rows=True).order_by()
    months = list(
        links.annotate(when=when, month=TruncMonth("item__bulletin__issued_on"))
        .values_list("entity_id", "month", "when")
        .annotate(n=Count("pk"))
    )
    totals: Counter = Counter()  # the same grouped rows, summed over the months
    for entity_id, _month, visible_from, n in months:
        totals[(entity_id, visible_from)] += n
    pairs = (
        links.filter(
            item__entity_links__entity_id__in=universe,
            item__entity_links__is_confirmed=True,
            item__entity_links__entity__merged_into__isnull=True,
        )
        .annotate(when=when)
        .values_list("entity_id", "item__entity_links__entity_id", "when")
        .annotate(n=Count("pk"))
    )
    entities = {
        pk: (type_, name)
        for pk, type_, name in Entity.objects.filter(pk__in=changed).values_list(
            "pk", "type", "name"
        )
    }
    with transaction.atomic():
        EntityMentionTotal.objects.filter(entity_id__in=changed).delete()
        EntityMentionMonth.objects.filter(entity_id__in=changed).delete()
        EntityCoMention.objects.filter(entity_id__in=changed, other_id__in=universe).delete()
        EntityMentionTotal.objects.bulk_create(
            EntityMentionTotal(
                entity_id=entity_id,
                visible_from=visible_from,
                type=entities[entity_id][0],
                letter=index_letter(entities[entity_id][1]),
                sort_key=index_letter_key(entities[entity_id][1])[:100],
                n=n,
            )
            for (entity_id, visible_from), n in totals.items()
        )
        EntityMentionMonth.objects.bulk_create(
            EntityMentionMonth(
                entity_id=entity_id,
                month=month.replace(day=1) if hasattr(month, "replace") else month,
                visible_from=visible_from,
                n=n,
            )
            for entity_id, month, visible_from, n in months
        )
        EntityCoMention.objects.bulk_create(
            EntityCoMention(entity_id=entity_id, other_id=other, visible_from=visible_from, n=n)
            for entity_id, other, visible_from, n in pairs
            if other != entity_id
        )


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


def visibility_changed(*, bulletins=(), items=(), entities=()) -> None:
    """What readers may see changed for these bulletins, items or entities: bring every read
    model up to date for them. Call it inside the change's transaction (or right after it),
    with the entities a link was removed from or merged away in ``entities`` — the items'
    remaining links name the others."""
    item_ids = _ids(items)
    bulletin_ids = sorted(_ids(bulletins))
    if bulletin_ids:
        item_ids.update(
            Item.objects.filter(bulletin_id__in=bulletin_ids).values_list("pk", flat=True)
        )
    entity_ids = _ids(entities)
    bulletin_ids = set(bulletin_ids)
    if not bulletin_ids and item_ids:
        # Links edited on drafts (every import links its items) change nothing readers see:
        # only items of public or scheduled issues count, and only they have stored markup.
        item_ids = set(
            Item.objects.filter(
                pk__in=item_ids, bulletin__status__in=PUBLIC_BULLETIN_STATUSES
            ).values_list("pk", flat=True)
        )
    for chunk in batched(sorted(item_ids), BATCH_SIZE):
        entity_ids.update(
            ItemEntity.objects.filter(item_id__in=chunk).values_list("entity_id", flat=True)
        )
        # An item withdrawn or restored changes its section's count in its issue.
        bulletin_ids.update(Item.objects.filter(pk__in=chunk).values_list("bulletin_id", flat=True))
    refresh_changed(entity_ids - _ids(entities), _ids(entities))
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
    from .models import Bulletin

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
    }


__all__ = [
    "EntityCoMention",
    "EntityMentionMonth",
    "EntityMentionTotal",
    "ItemMarkup",
    "SectionIssueCount",
    "co_mentions",
    "mention_counts",
    "monthly_mentions",
    "rebuild",
    "refresh_entities",
    "render_items",
    "visibility_changed",
]
