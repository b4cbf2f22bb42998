"""The nouns of the newsroom: publication settings, sections, bulletins (日报), items, entities.

What is public is defined once, here: ``Bulletin.objects.published()``,
``Item.objects.published()``, ``Entity.objects.public()`` and
``ItemEntity.objects.confirmed().on_published_items()``; ``Entity.objects.resolve(slug)``
follows merges and ``Entity.objects.co_mentioned_with(entity)`` is the one co-mention rule.
Every public view, feed, sitemap, API read and benchmark starts from them.
Status fields are written only by ``bulletins.workflow``.
"""

import re
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .images import logo_thumbnail_url, validate_image

PUBLICATION_CACHE_KEY = "bulletins:publication-settings"
ENTITY_URL = ("bulletins:entity_detail", "slug")  # an entity's page, by its slug


@lru_cache(maxsize=65536)
def _cached_reverse(urlconf, prefix, name, kwargs: tuple) -> str:
    return reverse(name, urlconf=urlconf, kwargs=dict(kwargs))


def reverse_memo(name: str, **kwargs) -> str:
    """``reverse(name, kwargs=kwargs)``, memoised per URLconf and script prefix: resolving a
    name costs ~40 µs, and a page links its navigation, its issue and dozens of entities."""
    return _cached_reverse(get_urlconf(), get_script_prefix(), name, tuple(kwargs.items()))


# Values any converter of ours spells as they are: non-negative integers (int), and names of
# letters, digits, "-" and "_" (slug, str, path) — which reverse()'s quoting leaves alone.
_PLAIN_VALUE = re.compile(r"[A-Za-z0-9_-]+\Z")
_PROBES = ("Xq-97531_z", "aB_8-c")  # every kind of character a plain value has


@lru_cache(maxsize=256)
def _url_parts(urlconf, prefix, name, key, kind) -> tuple[str, str] | None:
    """The URL around one argument of ``kind`` (int or str), when the URL spells such a
    value as it is: (head, tail); else None (reverse() each value)."""
    probes = (97531, 8) if kind is int else _PROBES
    try:
        url = reverse(name, urlconf=urlconf, kwargs={key: probes[0]})
        head, found, tail = url.partition(str(probes[0]))
        if not found or reverse(name, urlconf=urlconf, kwargs={key: probes[1]}) != (
            f"{head}{probes[1]}{tail}"
        ):
            return None
    except NoReverseMatch:
        return None
    return head, tail


def reverse_one(name: str, key: str, value) -> str:
    """``reverse(name, kwargs={key: value})`` (see ``reverser``)."""
    return reverser(name, key)(value)


def reverser(name: str, key: str):
    """``reverse_one`` for many values of one request: the URLconf and script prefix
    (context-local lookups) read once. An integer or a plain name (a slug) is put into the
    URL reversed once per name — an issue page links 25 items and ~60 entities, resolving
    each cost ~40 µs, and 91,000 items would not stay in any memo; anything else is
    reversed and memoised (``reverse_memo``)."""
    urlconf, prefix = get_urlconf(), get_script_prefix()

    def reverse_value(value) -> str:
        kind = type(value)
        if (kind is int and value >= 0) or (kind is str and _PLAIN_VALUE.match(value)):
            parts = _url_parts(urlconf, prefix, name, key, kind)
            if parts is not None:
                return f"{parts[0]}{value}{parts[1]}"
        return _cached_reverse(urlconf, prefix, name, ((key, value),))

    return reverse_value


def issue_url(day) -> str:
    """The public page of the issue of ``day`` (a date)."""
    return reverse_memo(
        "bulletins:bulletin_detail", year=day.year, month=f"{day.month:02d}", day=f"{day.day:02d}"
    )


class PublicationSettings(models.Model):
    """The one row describing the publication; ``load()`` creates it with defaults."""

    name = models.CharField(
        _("publication name"), max_length=50, default="医药健闻", help_text=_("例如:医药健闻")
    )
    kind = models.CharField(
        _("bulletin kind"),
        max_length=20,
        default="日报",
        help_text=_("Title suffix after ' | ', e.g. 日报."),
    )
    dateline_pattern = models.CharField(
        _("dateline pattern"),
        max_length=100,
        default="({name}{year}年{month}月{day}日讯)",
        help_text=_(
            "Placeholders {name}, {year}, {month}, {day}; e.g. ({name}{year}年{month}月{day}日讯)"
        ),
    )
    time_zone = models.CharField(_("time zone"), max_length=50, default="Asia/Shanghai")

    class Meta:
        verbose_name = _("publication settings")
        verbose_name_plural = _("publication settings")
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="publication_singleton")]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.pk = 1
        super().save(*args, **kwargs)
        cache.delete(PUBLICATION_CACHE_KEY)

    @classmethod
    def load(cls) -> "PublicationSettings":
        obj = cache.get(PUBLICATION_CACHE_KEY)
        if obj is None:
            obj, _created = cls.objects.get_or_create(pk=1)
            cache.set(PUBLICATION_CACHE_KEY, obj, 3600)
        return obj

    def dateline_for(self, day) -> str:
        return self.dateline_pattern.format(
            name=self.name, year=day.year, month=day.month, day=day.day
        )


class SectionQuerySet(models.QuerySet):
    def public(self, *, at=None):
        """Sections a reader may know of: those holding a published item.

        A section an editor's import proposed, or one only drafts use, stays off the search
        form, the section pages and feeds, the sitemap and the API until an item in it is
        published (its name could announce news).
        """
        return self.filter(Exists(Item.objects.published(at=at).filter(section=OuterRef("pk"))))


class Section(models.Model):
    name = models.CharField(_("name"), max_length=40, unique=True, help_text=_("例如:企业动态"))
    slug = models.SlugField(_("slug"), max_length=60, unique=True, help_text=_("e.g. company-news"))
    position = models.PositiveSmallIntegerField(
        _("position"), default=0, help_text=_("Sections appear in an issue in this order.")
    )
    description = models.TextField(_("description"), blank=True)

    objects = SectionQuerySet.as_manager()

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("section")
        verbose_name_plural = _("sections")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse_one("bulletins:section_detail", "slug", self.slug)


class BulletinStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    IN_REVIEW = "in_review", _("审核中")
    APPROVED = "approved", _("已审核")
    SCHEDULED = "scheduled", _("定时发布")
    PUBLISHED = "published", _("已发布")
    CORRECTED = "corrected", _("已更正")
    RETRACTED = "retracted", _("已撤回")


# A scheduled bulletin is public once its publish time has passed: no worker flips a flag.
PUBLIC_BULLETIN_STATUSES = (
    BulletinStatus.SCHEDULED,
    BulletinStatus.PUBLISHED,
    BulletinStatus.CORRECTED,
)
# Once public (or retracted) an issue's text changes only through a correction.
LOCKED_BULLETIN_STATUSES = (*PUBLIC_BULLETIN_STATUSES, BulletinStatus.RETRACTED)


class BulletinQuerySet(models.QuerySet):
    def published(self, *, at=None):
        """Issues a reader may read now (or at ``at``): published, corrected, or due."""
        at = at or timezone.now()
        return self.filter(status__in=PUBLIC_BULLETIN_STATUSES, publish_at__lte=at)

    def retracted(self, *, at=None):
        """Retracted issues: their notice is public, their text is not."""
        at = at or timezone.now()
        return self.filter(status=BulletinStatus.RETRACTED, publish_at__lte=at)

    def with_page(self, *, at=None):
        """Issues with a public page: ``published()`` ones and ``retracted()`` ones (their
        notice), in one query: the two rules OR-ed, not spelled a third time."""
        at = at or timezone.now()
        return self.published(at=at) | self.retracted(at=at)

    def with_neighbours(self, *, at=None):
        """Each issue with the dates of the public issues before and after it (``previous_on``,
        ``next_on``, None at either end), read in the same query."""
        public = Bulletin.objects.published(at=at)
        return self.annotate(
            previous_on=models.Subquery(
                public.filter(issued_on__lt=OuterRef("issued_on"))
                .order_by("-issued_on")
                .values("issued_on")[:1]
            ),
            next_on=models.Subquery(
                public.filter(issued_on__gt=OuterRef("issued_on"))
                .order_by("issued_on")
                .values("issued_on")[:1]
            ),
        )


class Bulletin(models.Model):
    issued_on = models.DateField(
        _("issue date"), unique=True, help_text=_("One issue per day, e.g. 2026-03-17.")
    )
    dateline = models.CharField(
        _("dateline"),
        max_length=100,
        blank=True,
        help_text=_(
            "As printed, e.g. (医药健闻2026年3月17日讯); empty means derived from the date."
        ),
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=BulletinStatus,
        default=BulletinStatus.DRAFT,
        editable=False,
    )
    publish_at = models.DateTimeField(
        _("publish time"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("Set by publishing or scheduling; the issue is public from this moment."),
    )
    retraction_note = models.TextField(_("retraction notice"), blank=True, editable=False)
    retracted_at = models.DateTimeField(_("retracted at"), null=True, blank=True, editable=False)
    version = models.PositiveIntegerField(
        _("version"),
        default=1,
        editable=False,
        help_text=_("Optimistic lock: bumped by every save."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="created_bulletins",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="updated_bulletins",
        verbose_name=_("last edited by"),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = BulletinQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_on"]
        verbose_name = _("bulletin")
        verbose_name_plural = _("bulletins")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=BulletinStatus.values), name="bulletin_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=[*PUBLIC_BULLETIN_STATUSES, BulletinStatus.RETRACTED])
                | Q(publish_at__isnull=False),
                name="bulletin_public_has_publish_at",
            ),
        ]
        indexes = [models.Index(fields=["status", "publish_at"], name="bulletin_status_pub_idx")]

    def __str__(self):
        return f"{self.issued_on:%Y-%m-%d} {self.get_status_display()}"

    def get_absolute_url(self):
        return issue_url(self.issued_on)

    @property
    def effective_dateline(self) -> str:
        return self.dateline or PublicationSettings.load().dateline_for(self.issued_on)

    def is_public(self, *, at=None) -> bool:
        at = at or timezone.now()
        return (
            self.status in PUBLIC_BULLETIN_STATUSES
            and self.publish_at is not None
            and self.publish_at <= at
        )


class ItemStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("待审核")
    CHANGES_REQUESTED = "changes_requested", _("退回修改")
    APPROVED = "approved", _("已审核")
    SPIKED = "spiked", _("已弃用")
    # Taken down after publication by the chief editor: a dated notice stands in its place.
    WITHDRAWN = "withdrawn", _("已撤下")


class EventKind(models.TextChoices):
    APPROVAL = "approval", _("审批")
    FINANCING = "financing", _("融资")
    PARTNERSHIP = "partnership", _("合作")
    MA = "ma", _("并购/股权")
    PERSONNEL = "personnel", _("人事")
    IPO = "ipo", _("上市")
    EARNINGS = "earnings", _("业绩")
    CLINICAL = "clinical", _("临床")
    POLICY = "policy", _("政策")
    OTHER = "other", _("其他")


class ItemQuerySet(models.QuerySet):
    def published(self, *, at=None):
        """Items a reader may read: approved items of public bulletins."""
        # The bulletin's rule spelled as a join, not ``bulletin__in=<subquery>``: SQLite can
        # then walk issues by date and stop at a page's LIMIT instead of sorting every item.
        at = at or timezone.now()
        return self.filter(
            status=ItemStatus.APPROVED,
            bulletin__status__in=PUBLIC_BULLETIN_STATUSES,
            bulletin__publish_at__lte=at,
        )

    def withdrawn(self, *, at=None):
        """Items taken down from a public issue: their notice is public, their text is not."""
        at = at or timezone.now()
        return self.filter(
            status=ItemStatus.WITHDRAWN,
            bulletin__status__in=PUBLIC_BULLETIN_STATUSES,
            bulletin__publish_at__lte=at,
        )

    def in_issue_order(self):
        return self.order_by("section__position", "section_id", "position", "id")

    def for_reading(self):
        """Shaped for a page or feed: section, bulletin, the stored markup of its text
        (``readmodels.ItemMarkup``) and the confirmed entity links with their entity in
        ``item.public_links``, so templates never query. Aliases are not loaded: the markup
        already has the mentions linked (``templatetags.mentions`` renders live only when the
        markup is missing or stale)."""
        links = (
            ItemEntity.objects.confirmed()
            .select_related("entity")
            .only(
                "item_id",
                "entity__id",
                "entity__type",
                "entity__name",
                "entity__name_en",
                "entity__slug",
            )
            .order_by("entity__name")
        )
        return self.select_related("section", "bulletin", "markup").prefetch_related(
            models.Prefetch("entity_links", queryset=links, to_attr="public_links")
        )

    def mentioning(self, entity, *, probe: bool = False):
        """Items with a confirmed link to ``entity``.

        ``probe``: each item looks its link up (an index probe) instead of the query reading
        all of the entity's links — cheaper for an entity named in thousands of items when the
        query is bounded to a few issues (a page of its list walked issue by issue).
        """
        if probe:
            links = ItemEntity.objects.filter(item=OuterRef("pk"), entity=entity, is_confirmed=True)
            return self.filter(Exists(links))
        return self.filter(entity_links__entity=entity, entity_links__is_confirmed=True)


class Item(models.Model):
    bulletin = models.ForeignKey(
        Bulletin, models.CASCADE, related_name="items", verbose_name=_("bulletin")
    )
    section = models.ForeignKey(
        Section, models.PROTECT, related_name="items", verbose_name=_("section")
    )
    position = models.PositiveIntegerField(
        _("position"), default=0, help_text=_("Order within the section of this issue, from 1.")
    )
    body = models.TextField(
        _("text"), blank=True, help_text=_("One paragraph, exactly as it will be published.")
    )
    headline = models.CharField(
        _("headline"),
        max_length=120,
        blank=True,
        help_text=_(
            "Short rewrite for the issue title, e.g. GSK首席财务官辞职. Leave empty if none."
        ),
    )
    headline_rank = models.PositiveSmallIntegerField(
        _("headline rank"),
        null=True,
        blank=True,
        help_text=_("Place of the headline in the title: 1 comes first."),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=ItemStatus, default=ItemStatus.DRAFT, editable=False
    )
    event_kind = models.CharField(_("event kind"), max_length=20, choices=EventKind, blank=True)
    financing_round = models.CharField(
        _("financing round"),
        max_length=20,
        blank=True,
        help_text=_("e.g. 天使, Pre-A, A, B+, Pre-IPO"),
    )
    facts = models.JSONField(
        _("facts"),
        default=dict,
        blank=True,
        help_text=_("Extracted facts editors may correct: amounts, investors, regulator."),
    )
    sources = models.JSONField(
        _("sources"), default=list, blank=True, help_text=_("Source URLs, one per entry.")
    )
    image = models.ImageField(
        _("image"),
        upload_to="items/%Y/%m/",
        blank=True,
        validators=[validate_image],
        help_text=_("JPEG、PNG、WebP 或 GIF。"),
    )
    withdrawal_note = models.TextField(_("撤下说明"), blank=True, editable=False)
    withdrawn_at = models.DateTimeField(_("撤下时间"), null=True, blank=True, editable=False)
    entities = models.ManyToManyField(
        "Entity", through="ItemEntity", related_name="items", blank=True, verbose_name=_("entities")
    )
    version = models.PositiveIntegerField(
        _("version"),
        default=1,
        editable=False,
        help_text=_("Optimistic lock: bumped by every save."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="created_items",
        verbose_name=_("author"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="updated_items",
        verbose_name=_("last edited by"),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ItemQuerySet.as_manager()

    class Meta:
        ordering = ["bulletin", "section__position", "position", "id"]
        verbose_name = _("item")
        verbose_name_plural = _("items")
        constraints = [
            models.UniqueConstraint(
                fields=["bulletin", "section", "position"], name="item_unique_position"
            ),
            models.UniqueConstraint(
                fields=["bulletin", "headline_rank"],
                condition=Q(headline_rank__isnull=False),
                name="item_unique_headline_rank",
            ),
            models.CheckConstraint(
                condition=Q(status__in=ItemStatus.values), name="item_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(event_kind__in=["", *EventKind.values]), name="item_event_kind_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "bulletin"], name="item_status_bulletin_idx"),
            models.Index(fields=["section", "bulletin"], name="item_section_bulletin_idx"),
            models.Index(fields=["event_kind"], name="item_event_kind_idx"),
        ]

    def __str__(self):
        return (
            f"{self.bulletin.issued_on:%Y-%m-%d} {self.section} #{self.position}: {self.body[:30]}"
        )

    def get_absolute_url(self):
        return reverse_one("bulletins:item_detail", "pk", self.pk)


class Correction(models.Model):
    """A visible, dated correction note on a published bulletin (the old text is a revision)."""

    bulletin = models.ForeignKey(
        Bulletin, models.CASCADE, related_name="corrections", verbose_name=_("bulletin")
    )
    item = models.ForeignKey(
        Item,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="corrections",
        verbose_name=_("item"),
    )
    note = models.TextField(
        _("correction note"), help_text=_("Shown to readers, e.g. 融资金额应为1.5亿元。")
    )
    created_at = models.DateTimeField(_("corrected at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("corrected by"),
    )

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("correction")
        verbose_name_plural = _("corrections")

    def __str__(self):
        return f"{self.bulletin.issued_on:%Y-%m-%d}: {self.note[:40]}"


class Transition(models.Model):
    """One workflow step, written by ``bulletins.workflow`` only."""

    bulletin = models.ForeignKey(
        Bulletin, models.CASCADE, related_name="transitions", verbose_name=_("bulletin")
    )
    item = models.ForeignKey(
        Item,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="transitions",
        verbose_name=_("item"),
    )
    action = models.CharField(_("action"), max_length=30)
    from_status = models.CharField(_("from"), max_length=20, blank=True)
    to_status = models.CharField(_("to"), max_length=20)
    comment = models.TextField(_("comment"), blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="transitions",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("transition")
        verbose_name_plural = _("transitions")
        indexes = [models.Index(fields=["bulletin", "at"], name="transition_bulletin_at_idx")]

    def __str__(self):
        labels = {**dict(ItemStatus.choices), **dict(BulletinStatus.choices)}
        return (
            f"{self.at:%Y-%m-%d %H:%M} {labels.get(self.from_status, self.from_status) or '—'}"
            f" → {labels.get(self.to_status, self.to_status)}"
        )


class ItemRevision(models.Model):
    """The text of an item as it was at one version; restorable by the workflow."""

    item = models.ForeignKey(Item, models.CASCADE, related_name="revisions", verbose_name=_("item"))
    version = models.PositiveIntegerField(_("version"))
    body = models.TextField(_("text"))
    headline = models.CharField(_("headline"), max_length=120, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["item", "version"]
        verbose_name = _("item revision")
        verbose_name_plural = _("item revisions")
        constraints = [
            models.UniqueConstraint(fields=["item", "version"], name="revision_unique_version")
        ]

    def __str__(self):
        return f"#{self.item_id} v{self.version}"


class EntityType(models.TextChoices):
    COMPANY = "company", _("公司")
    DRUG = "drug", _("药品/产品")
    PERSON = "person", _("人物")
    REGULATOR = "regulator", _("监管机构")
    INSTITUTION = "institution", _("机构")
    INVESTOR = "investor", _("投资机构")
    DISEASE = "disease", _("疾病/适应症")
    DEVICE = "device", _("器械")


# Co-mentions are counted over an entity's latest published mentions, not its whole history:
# a regulator is on thousands of items, and what it was recently named with is the useful
# answer — at a bounded cost on the site and in the API alike.
CO_MENTION_WINDOW = 300
MERGE_HOPS = 5


class EntityQuerySet(models.QuerySet):
    def live(self):
        """Not merged away (a merged entity only redirects to its survivor)."""
        return self.filter(merged_into__isnull=True)

    def public(self, *, at=None):
        """Live entities with a confirmed link on a published item.

        A name that so far appears only in a draft could leak news: it stays off the index,
        its page, its feed, the sitemap and the API until an item naming it is published.

        Read from the mention totals the workflow keeps in the same transaction as every
        change of visibility (``readmodels``; schedule-aware through ``visible_from``): one
        index probe per entity instead of an EXISTS over its links and their items, which
        cost ~110 ms per count at ten years on PostgreSQL. ``public_live`` is the same rule
        read from the live tables; tests hold the two equal after every kind of change.
        A time in the past is answered from the live tables: maintenance folds a scheduled
        issue's rows into the ``ALWAYS`` rows once due, forgetting when they became public.
        """
        if at is not None and at < timezone.now():
            return self.public_live(at=at)
        # The visible rows' sum, not any one row: a row may be negative for a moment (a link
        # removed from a scheduled issue as it falls due) while another is positive.
        counted = (
            EntityMentionTotal.objects.visible(at=at)
            .filter(entity=OuterRef("pk"))
            .values("entity")
            .annotate(total=Sum("n"))
            .filter(total__gt=0)
        )
        return self.live().filter(Exists(counted))

    def public_live(self, *, at=None):
        """``public()`` computed from the links themselves (the reference for tests)."""
        mentioned = (
            ItemEntity.objects.confirmed().on_published_items(at=at).filter(entity=OuterRef("pk"))
        )
        return self.live().filter(Exists(mentioned))

    def resolve(self, slug: str):
        """The entity a slug names, following merges to the survivor; None when unknown."""
        entity = self.filter(slug=slug).only("pk", "slug", "merged_into_id").first()
        for _hop in range(MERGE_HOPS):
            if entity is None or entity.merged_into_id is None:
                break
            entity = (
                self.filter(pk=entity.merged_into_id).only("pk", "slug", "merged_into_id").first()
            )
        return entity

    def co_mentioned_with(
        self, entity, *, limit: int | None = 10, window: int | None = CO_MENTION_WINDOW
    ):
        """Live entities most often confirmed on the same published items as ``entity``,
        among its ``window`` latest such items (``None``: all of them, the rule the site's
        read model ``readmodels.co_mentions`` keeps); each carries ``n`` (shared items)."""
        items = (
            ItemEntity.objects.confirmed()
            .on_published_items()
            .filter(entity=entity)
            .order_by("-item_id")  # newest first along the (entity, item) index
            .values("item_id")
        )
        if window is not None:
            items = items[:window]
        shared = (
            ItemEntity.objects.confirmed()
            .filter(item_id__in=items, entity__merged_into__isnull=True)
            .exclude(entity=entity)
            .values("entity", "entity__name")
            .annotate(n=Count("pk"))
            .order_by("-n", "entity__name")[:limit]
        )
        counts = {row["entity"]: row["n"] for row in shared}
        found = self.filter(pk__in=list(counts)).in_bulk()
        result = []
        for pk, n in counts.items():
            found[pk].n = n
            result.append(found[pk])
        return sorted(result, key=lambda e: (-e.n, e.name))


class Entity(models.Model):
    type = models.CharField(_("type"), max_length=20, choices=EntityType)
    name = models.CharField(
        _("canonical name"), max_length=100, help_text=_("Canonical Chinese name, e.g. 葛兰素史克")
    )
    name_en = models.CharField(
        _("English name"), max_length=150, blank=True, help_text=_("e.g. GSK plc")
    )
    slug = models.SlugField(_("slug"), max_length=120, unique=True, allow_unicode=True)
    description = models.TextField(_("description"), blank=True)
    logo = models.ImageField(
        _("logo"),
        upload_to="entities/",
        blank=True,
        validators=[validate_image],
        help_text=_("JPEG、PNG、WebP 或 GIF;页面上显示为小方图。"),
    )
    parent = models.ForeignKey(
        "self",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
        help_text=_("For a subsidiary, e.g. 华润医药投资 → 华润医药."),
    )
    ticker = models.CharField(
        _("stock ticker"), max_length=40, blank=True, help_text=_("e.g. 600276.SH, GSK")
    )
    inn = models.CharField(
        _("INN"), max_length=100, blank=True, help_text=_("For drugs, e.g. upadacitinib")
    )
    external_ids = models.JSONField(_("external ids"), default=dict, blank=True)
    is_discovered = models.BooleanField(
        _("discovered, to curate"),
        default=False,
        db_index=True,
        help_text=_(
            "Created by an import from a name the gazetteer did not know (e.g. a company by its "
            "full legal name); the chief editor checks the name and type, merges or deletes it, "
            "then marks it curated."
        ),
    )
    merged_into = models.ForeignKey(
        "self",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="merged_from",
        editable=False,
        verbose_name=_("merged into"),
        help_text=_("Set when this entity was merged; its slug then redirects to the survivor."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = EntityQuerySet.as_manager()

    class Meta:
        ordering = ["type", "name"]
        verbose_name = _("entity")
        verbose_name_plural = _("entities")
        constraints = [
            models.UniqueConstraint(
                fields=["type", "name"],
                condition=Q(merged_into__isnull=True),
                name="entity_unique_live_name",
            ),
            models.CheckConstraint(
                condition=Q(type__in=EntityType.values), name="entity_type_valid"
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse_one(*ENTITY_URL, self.slug)

    def clean(self):
        super().clean()
        if self.parent_id is not None and self.creates_cycle(self.parent):
            raise ValidationError({"parent": parent_cycle_message(self, self.parent)})

    def creates_cycle(self, parent: "Entity | None") -> bool:
        """Whether ``parent`` as this entity's parent closes a loop (itself included)."""
        if parent is None or self.pk is None:
            return False
        seen = set()
        current = parent.pk
        while current is not None and current not in seen:
            if current == self.pk:
                return True
            seen.add(current)
            current = Entity.objects.filter(pk=current).values_list("parent_id", flat=True).first()
        return False

    @property
    def logo_thumbnail_url(self) -> str:
        """The logo as a small square PNG for pages ("" without a readable logo)."""
        return logo_thumbnail_url(self)


def parent_cycle_message(entity, parent) -> str:
    if parent.pk == entity.pk:
        return str(_("实体不能是自己的上级。"))
    return str(
        _("“%(parent)s”是“%(entity)s”的下级:设为上级会形成循环。")
        % {"parent": parent.name, "entity": entity.name}
    )


class AliasKind(models.TextChoices):
    CHINESE = "zh", _("中文名")
    ENGLISH = "en", _("英文名")
    ABBREVIATION = "abbr", _("缩写")
    FORMER = "former", _("曾用名")
    CODE = "code", _("代号")


class EntityAlias(models.Model):
    entity = models.ForeignKey(
        Entity, models.CASCADE, related_name="aliases", verbose_name=_("entity")
    )
    alias = models.CharField(
        _("alias"), max_length=150, help_text=_("e.g. GSK, 葛兰素史, VG081821")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=AliasKind, default=AliasKind.CHINESE)
    is_ambiguous = models.BooleanField(
        _("ambiguous"),
        default=False,
        help_text=_(
            "A reader could mean something else by it (e.g. 信达 for 信达生物 or 信达资本): "
            "the linker links it only with context, otherwise it stays a suggestion."
        ),
    )

    class Meta:
        ordering = ["entity", "alias"]
        verbose_name = _("alias")
        verbose_name_plural = _("aliases")
        constraints = [
            models.UniqueConstraint(fields=["entity", "alias"], name="alias_unique_per_entity")
        ]
        indexes = [models.Index(fields=["alias"], name="alias_alias_idx")]

    def __str__(self):
        return self.alias


class LinkSource(models.TextChoices):
    LINKER = "linker", _("自动")
    EDITOR = "editor", _("编辑")


class ItemEntityQuerySet(models.QuerySet):
    def confirmed(self):
        """Links an editor confirmed; linker guesses stay in the newsroom."""
        return self.filter(is_confirmed=True)

    def on_published_items(self, *, at=None):
        """Links whose item is published.

        Correlated on the item's primary key: the database probes one item per link instead
        of materialising every published item id (≈90,000 in ten years) for each query.
        """
        return self.filter(Exists(Item.objects.published(at=at).filter(pk=OuterRef("item_id"))))


class ItemEntity(models.Model):
    item = models.ForeignKey(
        Item, models.CASCADE, related_name="entity_links", verbose_name=_("item")
    )
    entity = models.ForeignKey(
        Entity, models.CASCADE, related_name="item_links", verbose_name=_("entity")
    )
    role = models.CharField(
        _("role"), max_length=30, blank=True, help_text=_("e.g. lead_investor, investor, regulator")
    )
    source = models.CharField(
        _("source"), max_length=10, choices=LinkSource, default=LinkSource.EDITOR
    )
    is_confirmed = models.BooleanField(
        _("confirmed"), default=True, help_text=_("Only confirmed links appear on public pages.")
    )

    objects = ItemEntityQuerySet.as_manager()

    class Meta:
        verbose_name = _("entity link")
        verbose_name_plural = _("entity links")
        constraints = [
            models.UniqueConstraint(fields=["item", "entity"], name="item_entity_unique")
        ]
        indexes = [models.Index(fields=["entity", "item"], name="itementity_entity_item_idx")]

    def __str__(self):
        return f"{self.item_id} ↔ {self.entity}"


class SearchDocument(models.Model):
    """The derived, pre-tokenised search text of one item (any status).

    Written only by ``bulletins.search.index_items``; queries filter to published items, so
    publication, scheduling and retraction never need a re-index. The full-text index over
    it is vendor-specific (FTS5 on SQLite, a GIN-indexed ``tsvector`` on PostgreSQL) and is
    created by the migration in raw SQL.
    """

    item = models.OneToOneField(
        Item,
        models.CASCADE,
        primary_key=True,
        related_name="search_document",
        verbose_name=_("item"),
    )
    title = models.TextField(
        _("headline and entity names (tokens)"),
        blank=True,
        help_text=_("Chinese as overlapping character bigrams, Latin as lower-cased words."),
    )
    body = models.TextField(_("text (tokens)"), blank=True)
    sort_key = models.BigIntegerField(
        _("sort key"),
        unique=True,
        help_text=_(
            "Newest first, as the full-text index's row id: the issue date's ordinal × 2³² "
            "+ (2³² − 1 − item id)."
        ),
    )

    class Meta:
        verbose_name = _("search document")
        verbose_name_plural = _("search documents")

    def __str__(self):
        return f"#{self.item_id}"


class DismissedCandidate(models.Model):
    """A name an editor said is not an entity: discovery never proposes it again.

    Candidates themselves are computed from an item's text when it is imported, saved or
    shown in the admin (``bulletins.discovery``); only this decision about a string is kept.
    Never shown publicly.
    """

    name = models.CharField(_("name"), max_length=150, unique=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("dismissed by"),
    )
    at = models.DateTimeField(_("dismissed at"), default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("dismissed candidate")
        verbose_name_plural = _("dismissed candidates")

    def __str__(self):
        return self.name


class ItemComment(models.Model):
    """An editorial remark on an item, in a thread; never public. ``@username`` mentions a
    colleague (``mentions``), who is notified; a thread is resolved or open."""

    item = models.ForeignKey(Item, models.CASCADE, related_name="comments", verbose_name=_("条目"))
    parent = models.ForeignKey(
        "self",
        models.CASCADE,
        null=True,
        blank=True,
        related_name="replies",
        verbose_name=_("回复"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("作者"),
    )
    body = models.TextField(_("评论"))
    mentions = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("提及")
    )
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    resolved_at = models.DateTimeField(_("解决时间"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("解决人"),
    )

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("评论")
        verbose_name_plural = _("评论")

    def __str__(self):
        return f"#{self.item_id}: {self.body[:30]}"


class Notification(models.Model):
    """Something a colleague or the workflow wants one user to see (the admin header counts
    the unread ones); mailed as well when the user has an address."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.CASCADE,
        related_name="newsroom_notifications",
        verbose_name=_("收件人"),
    )
    subject = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread_idx")]

    def __str__(self):
        return self.subject


# The read models are models of this app; importing them here registers them.
from .readmodels import (  # noqa: E402, F401
    CountedItem,
    EntityCoMention,
    EntityMentionMonth,
    EntityMentionTotal,
    ItemMarkup,
    SectionIssueCount,
)
from .tracker_rows import TrackerRow  # noqa: E402, F401  (the trackers' derived rows)
