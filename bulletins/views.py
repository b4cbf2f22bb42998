"""The public site. Every view starts from ``published()``: nothing unpublished is reachable.

Each page costs a fixed number of SQL queries whatever the number of items on it: querysets
are shaped here (``select_related``/``Prefetch``) and templates never reach back to the DB.
Only confirmed entity links (``ItemEntity.is_confirmed``) are shown; an entity is public once
one of its confirmed links is on a published item, so a name that so far appears only in a
draft never leaks through the entity index, its page, its feed or the sitemap.
"""

import calendar
import datetime as dt
import hashlib
import time
from collections import Counter
from functools import lru_cache, wraps

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.db.models.functions import TruncMonth
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.generic import DetailView, ListView, TemplateView

from . import exporters
from .exporters.text import issue_items, title_headlines
from .models import (
    PUBLIC_BULLETIN_STATUSES,
    Bulletin,
    BulletinStatus,
    Entity,
    EntityType,
    Item,
    ItemEntity,
    ItemStatus,
    Section,
)
from .search import highlight, search_ids

ISSUE_NAV_SIZE = 7
PAGE_SIZE = 30
SEARCH_COUNT_CAP = 1000
CO_MENTIONS = 10
STATS_CACHE_SECONDS = 60 * 60
ENTITY_INDEX_ONE_PAGE = 300

# ----------------------------------------------------------------------------- selectors


def confirmed_links():
    """Confirmed entity links with their entity and its aliases (for mention linking)."""
    return (
        ItemEntity.objects.filter(is_confirmed=True)
        .select_related("entity")
        .prefetch_related("entity__aliases")
        .order_by("entity__name")
    )


def public_items(*, with_links: bool = False):
    items = Item.objects.published().select_related("section", "bulletin")
    if with_links:
        items = items.prefetch_related(
            Prefetch("entity_links", queryset=confirmed_links(), to_attr="public_links")
        )
    return items


def on_published_item():
    """For an ItemEntity queryset: its item is published (a primary-key probe per link)."""
    return Exists(Item.objects.published().filter(pk=OuterRef("item_id")))


def public_entities():
    """Entities with at least one confirmed link on a published item, not merged away."""
    mentioned = ItemEntity.objects.filter(entity=OuterRef("pk"), is_confirmed=True).filter(
        on_published_item()
    )
    return Entity.objects.filter(Exists(mentioned), merged_into__isnull=True)


def entity_items(entity: Entity):
    return public_items(with_links=True).filter(
        entity_links__entity=entity, entity_links__is_confirmed=True
    )


def issue_context(bulletin: Bulletin, *, preview: bool = False) -> dict:
    """Everything ``bulletins/bulletin_detail.html`` needs for one issue.

    Public pages pass a published bulletin and get its approved items; the staff preview
    passes ``preview=True`` to see every item that is not spiked, laid out as readers will.
    """
    items = bulletin.items.exclude(status=ItemStatus.SPIKED)
    if not preview:
        items = items.filter(status=ItemStatus.APPROVED)
    items = list(
        items.select_related("section")
        .prefetch_related(
            Prefetch("entity_links", queryset=confirmed_links(), to_attr="public_links")
        )
        .in_issue_order()
    )
    sections = []
    for item in items:
        item.bulletin = bulletin  # templates read item.bulletin: no query per item
        if not sections or sections[-1][0].pk != item.section_id:
            sections.append((item.section, []))
        sections[-1][1].append(item)
    ranked = sorted(
        (i for i in items if i.headline and i.headline_rank), key=lambda i: i.headline_rank
    )
    entities = {}
    for item in items:
        for link in item.public_links:
            entities.setdefault(link.entity.pk, link.entity)
    published = Bulletin.objects.published().only("issued_on")
    return {
        "bulletin": bulletin,
        "sections": sections,
        "items": items,
        "headline_items": ranked,
        "headlines": title_headlines(items),
        "corrections": list(bulletin.corrections.all()),
        "entities": sorted(entities.values(), key=lambda e: e.name),
        "previous_issue": published.filter(issued_on__lt=bulletin.issued_on)
        .order_by("-issued_on")
        .first(),
        "next_issue": published.filter(issued_on__gt=bulletin.issued_on)
        .order_by("issued_on")
        .first(),
        "is_preview": preview,
    }


def issue_day(kwargs) -> dt.date:
    try:
        return dt.date(kwargs["year"], kwargs["month"], kwargs["day"])
    except ValueError as exc:
        raise Http404(_("没有这一天。")) from exc


# ----------------------------------------------------------------------------- page cache


def content_version(*, at=None) -> str:
    """Changes whenever what readers may see changes: any bulletin saved (publish, correct,
    retract) or a scheduled issue reaching its time. One aggregate over the bulletins,
    written as SQL because it runs on every cached hit."""
    at = at or timezone.now()
    table = connection.ops.quote_name(Bulletin._meta.db_table)
    statuses = ", ".join(["%s"] * len(PUBLIC_BULLETIN_STATUSES))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT MAX(updated_at), SUM(CASE WHEN status IN ({statuses}) AND publish_at <= %s "
            f"THEN 1 ELSE 0 END) FROM {table}",
            [*PUBLIC_BULLETIN_STATUSES, at],
        )
        updated, public = cursor.fetchone()
    return hashlib.sha256(f"{updated}|{public or 0}".encode()).hexdigest()[:16]


_VERSION_MEMO = {"until": 0.0, "value": ""}


def memo_content_version() -> str:
    """``content_version()``, reused for ``NEWSROOM_PAGE_CACHE_VERSION_SECONDS`` (1 s) in
    this process: a retraction reaches every cached page within that second."""
    ttl = getattr(settings, "NEWSROOM_PAGE_CACHE_VERSION_SECONDS", 1.0)
    now = time.monotonic()
    if ttl <= 0 or now >= _VERSION_MEMO["until"]:
        _VERSION_MEMO.update(value=content_version(), until=now + ttl)
    return _VERSION_MEMO["value"]


def cache_public_page(view):
    """Serve a public page from the cache for ``NEWSROOM_PAGE_CACHE_SECONDS`` (0: off).

    The key holds ``content_version()``, so publishing, a correction, a retraction or a
    scheduled issue going live shows within a second (see ``memo_content_version``); other
    changes (an entity's description, a confirmed link) show within the timeout.
    """

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        seconds = getattr(settings, "NEWSROOM_PAGE_CACHE_SECONDS", 0)
        if not seconds or request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        identity = f"{memo_content_version()}|{getattr(request, 'LANGUAGE_CODE', '')}|"
        identity += request.get_full_path()
        key = "site-page:" + hashlib.sha256(identity.encode()).hexdigest()
        response = cache.get(key)
        if response is None:
            response = view(request, *args, **kwargs)
            if response.status_code == 200 and not response.streaming:
                if hasattr(response, "render") and not response.is_rendered:
                    response.render()
                cache.set(key, response, seconds)
        return response

    return wrapped


# ----------------------------------------------------------------------------- issues


class LatestBulletinView(TemplateView):
    template_name = "bulletins/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        recent = list(Bulletin.objects.published().order_by("-issued_on")[: ISSUE_NAV_SIZE + 1])
        if recent:
            context.update(issue_context(recent[0]))
        context["recent_issues"] = recent[1:]
        return context


class BulletinDetailView(TemplateView):
    template_name = "bulletins/bulletin_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        day = issue_day(kwargs)
        bulletin = (
            Bulletin.objects.filter(
                Q(pk__in=Bulletin.objects.published().values("pk"))
                | Q(pk__in=Bulletin.objects.retracted().values("pk"))
            )
            .filter(issued_on=day)
            .first()
        )
        if bulletin is None:
            raise Http404(_("这一天没有已发布的日报。"))
        if bulletin.status == BulletinStatus.RETRACTED:
            context.update(bulletin=bulletin, is_retracted=True)
            return context
        context.update(issue_context(bulletin))
        return context


def bulletin_text(request, **kwargs):
    """The issue in the canonical 日报 text format, as it is sent out."""
    bulletin = get_object_or_404(Bulletin.objects.published(), issued_on=issue_day(kwargs))
    items = issue_items(bulletin, include_unapproved=False)
    exported = exporters.export(bulletin, format="text", items=items)
    return HttpResponse(exported.content, content_type=exported.content_type)


class ItemDetailView(DetailView):
    template_name = "bulletins/item_detail.html"
    context_object_name = "item"

    def get_queryset(self):
        return public_items(with_links=True).prefetch_related(
            Prefetch("corrections", to_attr="public_corrections")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        item = self.object
        context["entities"] = [link.entity for link in item.public_links]
        context["item_list"] = [item]
        context["sources"] = [
            url
            for url in item.sources
            if isinstance(url, str) and url.startswith(("http://", "https://"))
        ]
        context["facts"] = display_facts(item.facts)
        return context


FACT_LABELS = {
    "amounts": _lazy("金额"),
    "lead_investors": _lazy("领投方"),
    "investors": _lazy("投资方"),
    "regulator": _lazy("监管机构"),
}


def display_facts(facts) -> list[tuple[str, str]]:
    """``Item.facts`` (see bulletins/facts.py) as label/text pairs for readers."""
    if not isinstance(facts, dict):
        return []
    rows = []
    for key, value in facts.items():
        if isinstance(value, list):
            parts = [v.get("text") or v.get("amount") if isinstance(v, dict) else v for v in value]
            value = "、".join(str(p) for p in parts if p not in (None, ""))
        elif isinstance(value, dict):
            value = "、".join(f"{k}: {v}" for k, v in value.items())
        if value not in (None, ""):
            rows.append((str(FACT_LABELS.get(key, key)), str(value)))
    return rows


# ----------------------------------------------------------------------------- archive


class ArchiveIndexView(TemplateView):
    """Every year and month with an issue, newest first, with the number of issues."""

    template_name = "bulletins/archive_index.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # Counted here rather than with TruncMonth: the database would call a date function
        # on each of ~3,650 rows; the dates alone come from the issued_on index.
        months = Counter(
            day.replace(day=1)
            for day in Bulletin.objects.published().values_list("issued_on", flat=True)
        )
        years: dict[int, list] = {}
        for month in sorted(months, reverse=True):
            years.setdefault(month.year, []).append({"month": month, "n": months[month]})
        context["years"] = sorted(years.items(), reverse=True)
        return context


class ArchiveYearView(TemplateView):
    template_name = "bulletins/archive_year.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        year = kwargs["year"]
        if not 1 <= year <= 9999:
            raise Http404
        counts = dict(
            Bulletin.objects.published()
            .filter(issued_on__year=year)
            .annotate(month=TruncMonth("issued_on"))
            .values_list("month")
            .annotate(n=Count("pk"))
            .values_list("month", "n")
        )
        if not counts:
            raise Http404(_("这一年没有已发布的日报。"))
        context["year"] = year
        context["months"] = [
            (dt.date(year, m, 1), counts.get(dt.date(year, m, 1), 0)) for m in range(1, 13)
        ]
        return context


class ArchiveMonthView(TemplateView):
    """A month calendar: days with an issue link to it."""

    template_name = "bulletins/archive_month.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        try:
            first = dt.date(kwargs["year"], kwargs["month"], 1)
        except ValueError as exc:
            raise Http404 from exc
        published = Bulletin.objects.published()
        days = set(
            published.filter(issued_on__year=first.year, issued_on__month=first.month).values_list(
                "issued_on", flat=True
            )
        )
        if not days:
            raise Http404(_("这个月没有已发布的日报。"))
        weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
        context.update(
            month=first,
            weeks=[
                [(day, day.month == first.month, day in days) for day in week] for week in weeks
            ],
            weekdays=[_("一"), _("二"), _("三"), _("四"), _("五"), _("六"), _("日")],
            previous_month=published.filter(issued_on__lt=first)
            .order_by("-issued_on")
            .values_list("issued_on", flat=True)
            .first(),
            next_month=published.filter(
                issued_on__gte=(first + dt.timedelta(days=32)).replace(day=1)
            )
            .order_by("issued_on")
            .values_list("issued_on", flat=True)
            .first(),
        )
        return context


# ----------------------------------------------------------------------------- lists


class IssueOrderedItems:
    """Items of a filtered queryset, newest issue first, sliceable like a queryset.

    Sorting a whole section (55,000 items in ten years) by issue date for every page is
    what makes a list slow. Below ``SORT_LIMIT`` items the database sorts; above it, a page
    walks the published issues newest first, in chunks that double (64, 128, …), counting
    this list's items per issue through the item→bulletin index, and fetches the items of
    the few issues the page spans. The first pages cost a fixed five queries; a deep page
    a few more (one pair per chunk).
    """

    SORT_LIMIT = 2000
    FIRST_CHUNK = 64

    def __init__(self, items, *, order=("section__position", "position", "pk"), key=None):
        self.items = items
        self.order = ("-bulletin__issued_on", *order)
        self.key = key  # names the list for caching its length until the content changes
        self._count = None

    def count(self) -> int:
        if self._count is None:
            if self.key is None:
                self._count = self.items.count()
            else:
                cache_key = f"site-list-count:{self.key}:{memo_content_version()}"
                self._count = cache.get(cache_key)
                if self._count is None:
                    self._count = self.items.count()
                    cache.set(cache_key, self._count, STATS_CACHE_SECONDS)
        return self._count

    def __len__(self):
        return self.count()

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index : index + 1][0]
        start = index.start or 0
        stop = index.stop if index.stop is not None else self.count()
        if self.count() <= self.SORT_LIMIT:
            return list(self.items.order_by(*self.order)[start:stop])
        issues = Bulletin.objects.published().order_by("-issued_on").values_list("pk", flat=True)
        wanted, seen, skip, offset, size = [], 0, 0, 0, self.FIRST_CHUNK
        while seen < stop:
            chunk = list(issues[offset : offset + size])
            if not chunk:
                break
            counts = dict(
                self.items.filter(bulletin_id__in=chunk)
                .order_by()
                .values("bulletin_id")
                .annotate(n=Count("pk"))
                .values_list("bulletin_id", "n")
            )
            for pk in chunk:
                n = counts.get(pk, 0)
                if n and seen + n > start and seen < stop:
                    if not wanted:
                        skip = start - seen
                    wanted.append(pk)
                seen += n
                if seen >= stop:
                    break
            offset, size = offset + size, size * 2
        if not wanted:
            return []
        rows = list(self.items.filter(bulletin_id__in=wanted).order_by(*self.order))
        return rows[skip : skip + (stop - start)]


class PaginatedItemsMixin:
    paginate_by = PAGE_SIZE
    context_object_name = "items"


class SectionDetailView(PaginatedItemsMixin, ListView):
    template_name = "bulletins/section_detail.html"

    def get_queryset(self):
        self.section = get_object_or_404(Section, slug=self.kwargs["slug"])
        return IssueOrderedItems(
            public_items(with_links=True).filter(section=self.section),
            order=("position", "pk"),
            key=f"section-{self.section.pk}",
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(section=self.section, **kwargs)


class EntityDetailView(PaginatedItemsMixin, ListView):
    template_name = "bulletins/entity_detail.html"

    def get(self, request, *args, **kwargs):
        entity = get_object_or_404(Entity, slug=kwargs["slug"])
        if entity.merged_into_id:
            return redirect(entity.merged_into, permanent=True)
        self.entity = get_object_or_404(
            public_entities().select_related("parent").prefetch_related("aliases"),
            pk=entity.pk,
        )
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return IssueOrderedItems(entity_items(self.entity), key=f"entity-{self.entity.pk}")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(entity=self.entity, **kwargs)
        key = f"site-entity-stats:{self.entity.pk}:{memo_content_version()}"
        stats = cache.get(key)
        if stats is None:  # aggregates over the entity's whole history: worth keeping
            stats = {"chart": mention_chart(self.entity), "co_mentioned": co_mentioned(self.entity)}
            cache.set(key, stats, STATS_CACHE_SECONDS)
        context.update(stats)
        return context


def mention_chart(entity: Entity) -> dict | None:
    """Mentions per month, from the first month mentioned to the last, as SVG bar geometry."""
    # Grouped by issue date (an index column), rolled up to months here: a date function
    # in SQL would run once per mention.
    rows = (
        ItemEntity.objects.filter(entity=entity, is_confirmed=True)
        .filter(on_published_item())
        .values("item__bulletin__issued_on")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("item__bulletin__issued_on", "n")
    )
    counts = Counter()
    for day, n in rows:
        counts[day.replace(day=1)] += n
    if not counts:
        return None
    months = []
    last = max(counts)
    # At least a year of bars, so that one busy month does not fill the whole chart.
    year_before = (
        dt.date(last.year, 1, 1) if last.month == 12 else dt.date(last.year - 1, last.month + 1, 1)
    )
    month = min(min(counts), year_before)
    while month <= last:
        months.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    height, bar, gap, top = 100, max(4, min(24, 600 // len(months))), 2, max(counts.values())
    bars = []
    for index, month in enumerate(months):
        n = counts.get(month, 0)
        h = round(n * height / top, 1)
        bars.append(
            {
                "x": index * (bar + gap),
                "y": height - h,
                "height": h,
                "width": bar,
                "n": n,
                "month": month,
            }
        )
    return {
        "bars": bars,
        "width": len(months) * (bar + gap),
        "height": height,
        "max": top,
        "first": months[0],
        "last": months[-1],
    }


def co_mentioned(entity: Entity):
    """The entities most often confirmed on the same published items as ``entity``."""
    rows = list(
        ItemEntity.objects.filter(
            is_confirmed=True,
            item__entity_links__entity=entity,
            item__entity_links__is_confirmed=True,
        )
        .filter(on_published_item())
        .exclude(entity=entity)
        .values("entity")
        .annotate(n=Count("pk"))
        .order_by("-n", "entity")[: CO_MENTIONS * 2]
    )
    entities = Entity.objects.filter(merged_into__isnull=True).in_bulk([r["entity"] for r in rows])
    found = []
    for row in rows:
        if row["entity"] in entities:
            other = entities[row["entity"]]
            other.n = row["n"]
            found.append(other)
    return found[:CO_MENTIONS]


@lru_cache(maxsize=8192)
def index_letter(name: str) -> str:
    """A–Z group of a name: Latin initial, or the pinyin initial of a Chinese first character."""
    from pypinyin import Style, lazy_pinyin

    first = (name.strip() or "#")[0]
    if first.isascii():
        return first.upper() if first.isalpha() else "#"
    letters = lazy_pinyin(first, style=Style.FIRST_LETTER, errors="ignore")
    letter = letters[0][:1].upper() if letters and letters[0] else ""
    return letter if "A" <= letter <= "Z" else "#"


class EntityIndexView(TemplateView):
    """Entities of one type (``?type=``), grouped A–Z by pinyin initial."""

    template_name = "bulletins/entity_index.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        counts = dict(
            public_entities().values_list("type").annotate(n=Count("pk")).values_list("type", "n")
        )
        types = [(value, label, counts.get(value, 0)) for value, label in EntityType.choices]
        requested = self.request.GET.get("type")
        if requested and requested not in EntityType.values:
            raise Http404
        current = requested or next((v for v, _label, n in types if n), EntityType.COMPANY)
        groups: dict[str, list] = {}
        # Plain tuples: a type may hold thousands of entities, and only one letter is shown.
        rows = public_entities().filter(type=current).values_list("name", "name_en", "slug")
        for name, name_en, slug in rows:
            groups.setdefault(index_letter(name), []).append((name, name_en, slug))
        letters = sorted(groups, key=lambda letter: (letter == "#", letter))
        # A long list (thousands of companies in ten years) shows one letter at a time.
        by_letter = sum(len(members) for members in groups.values()) > ENTITY_INDEX_ONE_PAGE
        current_letter = None
        if by_letter and letters:
            current_letter = self.request.GET.get("letter") or letters[0]
            if current_letter not in groups:
                raise Http404
            groups = {current_letter: groups[current_letter]}
        groups = {
            letter: [
                {"name": name, "name_en": name_en, "url": reverse_entity(slug)}
                for name, name_en, slug in sorted(
                    members, key=lambda row: (index_letter_key(row[0]), row[0])
                )
            ]
            for letter, members in groups.items()
        }
        context.update(
            types=types,
            current_type=current,
            current_label=EntityType(current).label,
            letters=letters,
            by_letter=by_letter,
            current_letter=current_letter,
            groups=sorted(groups.items(), key=lambda g: (g[0] == "#", g[0])),
        )
        return context


def reverse_entity(slug: str) -> str:
    return reverse("bulletins:entity_detail", kwargs={"slug": slug})


@lru_cache(maxsize=8192)
def index_letter_key(name: str) -> str:
    from pypinyin import lazy_pinyin

    return "".join(lazy_pinyin(name[:6])).lower()


# ----------------------------------------------------------------------------- search


class SearchView(TemplateView):
    """Ranked ids from ``bulletins.search``; one page of items fetched in one query."""

    template_name = "bulletins/search.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        params = self.request.GET
        q = params.get("q", "").strip()[:200]
        section = params.get("section", "")
        entity_type = params.get("type", "")
        date_from = parse_date(params.get("from", ""))
        date_to = parse_date(params.get("to", ""))
        context.update(
            q=q,
            sections=list(Section.objects.all()),
            entity_types=EntityType.choices,
            current_section=section,
            current_type=entity_type,
            date_from=date_from,
            date_to=date_to,
        )
        if not q:
            return context
        scope = Item.objects.published()
        if section:
            scope = scope.filter(section__slug=section)
        if entity_type in EntityType.values:
            scope = scope.filter(
                Exists(
                    ItemEntity.objects.filter(
                        item=OuterRef("pk"), is_confirmed=True, entity__type=entity_type
                    )
                )
            )
        if date_from:
            scope = scope.filter(bulletin__issued_on__gte=date_from)
        if date_to:
            scope = scope.filter(bulletin__issued_on__lte=date_to)
        # Counting every hit of a common word costs more than the page: count up to a cap
        # (shown as "1000+"), always far enough for the page asked for.
        try:
            wanted = max(1, int(params.get("page", 1))) * PAGE_SIZE
        except ValueError:
            wanted = PAGE_SIZE
        cap = max(SEARCH_COUNT_CAP, wanted)
        ids = search_ids(q, items=scope, limit=cap + 1)
        is_capped = len(ids) > cap
        ids = ids[:cap]
        paginator = Paginator(ids, PAGE_SIZE)
        try:
            page = paginator.page(params.get("page", 1))
        except (PageNotAnInteger, EmptyPage):
            raise Http404(_("没有这一页。")) from None
        by_pk = public_items(with_links=True).in_bulk(list(page.object_list))
        results = [by_pk[pk] for pk in page.object_list if pk in by_pk]
        for item in results:
            item.snippet = highlight(item.body, q)
        query = params.copy()
        query.pop("page", None)
        context.update(
            results=results,
            page_obj=page,
            paginator=paginator,
            is_paginated=paginator.num_pages > 1,
            total=paginator.count,
            is_capped=is_capped,
            querystring=query.urlencode(),
        )
        return context


def parse_date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


# ----------------------------------------------------------------------------- robots


def robots_txt(request):
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /api/",
        f"Disallow: {reverse('bulletins:search')}",
        "",
        f"Sitemap: {request.build_absolute_uri(reverse('bulletins:sitemap'))}",
        f"Sitemap: {request.build_absolute_uri(reverse('bulletins:news_sitemap'))}",
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
