"""The public site's views. Every view starts from the models' read rules —
``Bulletin/Item.objects.published()``, ``Entity.objects.public()``, ``resolve()``,
``co_mentioned_with()`` — so nothing unpublished is reachable and feeds, sitemaps and the
API answer the same way without importing this module.

Each page costs a fixed number of SQL queries whatever the number of items on it: querysets
are shaped with ``Item.objects.for_reading()`` and templates never reach back to the DB.
The page cache is ``pagecache.py``, long lists page through ``pager.py``, the mention chart
is ``charts.py`` and the A–Z grouping ``pinyin.py``.
"""

import calendar
import datetime as dt
from collections import Counter

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db.models import Count, Exists, OuterRef, Prefetch
from django.db.models.functions import TruncMonth
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.generic import DetailView, TemplateView

from . import exporters, reader, readmodels, trackers
from .charts import mention_chart
from .exporters.text import issue_items, title_headlines
from .models import (
    Bulletin,
    BulletinStatus,
    Entity,
    EntityType,
    Item,
    ItemEntity,
    ItemStatus,
    Section,
    reverse_one,
)
from .pager import KEY_PARAM, PAGE_SIZE, BadKey, IssueOrderedItems
from .search import highlight, search_ids
from .tracker_views import describe as describe_row

ISSUE_NAV_SIZE = 7
# Hits counted for "N+" (ten pages): every id counted is a document the database visits.
SEARCH_COUNT_CAP = 300
# Deepest hit a search pages to; far beyond any real result list.
MAX_SEARCH_HITS = 100_000
CO_MENTIONS = 10
ENTITY_INDEX_ONE_PAGE = 300


def issue_context(bulletin: Bulletin, *, preview: bool = False, neighbours=None) -> dict:
    """Everything ``bulletins/bulletin_detail.html`` needs for one issue.

    Public pages pass a published bulletin and get its approved items; the staff preview
    passes ``preview=True`` to see every item that is not spiked, laid out as readers will.
    ``neighbours``: the dates of the public issues before and after it, when the caller read
    them already (``Bulletin.objects.with_neighbours()``); else they are looked up.
    """
    items = Item.objects.filter(bulletin_id=bulletin.pk)
    if preview:
        items = items.exclude(status=ItemStatus.SPIKED)
    else:
        # A withdrawn item keeps its place in the issue as a notice.
        items = items.filter(status__in=[ItemStatus.APPROVED, ItemStatus.WITHDRAWN])
    # Shaped by hand rather than with for_reading(): the issue is known, items are read as
    # values (IssueItem) and links come as pairs (readmodels.attach_public_links) with each
    # entity once. Put in issue order here (in_issue_order()'s keys): ~25 rows, and the
    # ORDER BY over a join cost more to build.
    items = IssueItem.from_rows(items.order_by().values_list(*IssueItem.FIELDS))
    items.sort(key=lambda i: (i.section.position, i.section_id, i.position, i.pk))
    readmodels.attach_public_links(items)
    sections = []
    for item in items:
        item.bulletin = bulletin  # templates read item.bulletin: no query per item
        if not sections or sections[-1][0].pk != item.section_id:
            sections.append((item.section, []))
        sections[-1][1].append(item)
    # Everything else — title, entities, JSON-LD — knows only the items readers may read.
    items = [item for item in items if item.status != ItemStatus.WITHDRAWN]
    ranked = sorted(
        (i for i in items if i.headline and i.headline_rank), key=lambda i: i.headline_rank
    )
    if neighbours is None:
        found = Bulletin.objects.filter(pk=bulletin.pk).with_neighbours()
        neighbours = found.values_list("previous_on", "next_on").first() or (None, None)
    return {
        "bulletin": bulletin,
        "sections": sections,
        "items": items,
        "headline_items": ranked,
        "headlines": title_headlines(items),
        "corrections": list(bulletin.corrections.all()),
        "previous_issue": neighbours[0],
        "next_issue": neighbours[1],
        "is_preview": preview,
    }


class IssueSection:
    """A section as an issue page reads it: name, slug, position and its page."""

    __slots__ = ("pk", "slug", "name", "position")

    def __init__(self, pk, slug, name, position):
        self.pk, self.slug, self.name, self.position = pk, slug, name, position

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse_one("bulletins:section_detail", "slug", self.slug)


class IssueItem:
    """An item as an issue page (and its staff preview) reads it, from one ``values()`` row:
    the fields in ``FIELDS``, ``section`` (an ``IssueSection``), ``markup`` (the stored
    mention markup, ``readmodels.StoredMarkup``, or None), and what the view and
    ``reader.annotate`` add (``bulletin``, ``public_links``, chips). Not a model instance:
    building 25 items with their section and markup was an eighth of the page's cost
    (issue #16). Read-only — a page never saves what it shows; a field not listed here is
    not there (add it to ``FIELDS`` when a template needs it)."""

    FIELDS = (
        "id",
        "section_id",
        "position",
        "body",
        "headline",
        "headline_rank",
        "status",
        "event_kind",
        "financing_round",
        "facts",
        "version",
        "withdrawn_at",
        "withdrawal_note",
        "section__slug",
        "section__name",
        "section__position",
        "markup__version",
        "markup__text_crc",
        "markup__html",
        "markup__entity_ids",
    )

    @classmethod
    def from_rows(cls, rows) -> list["IssueItem"]:
        sections = {}
        items = []
        for row in rows:
            item = cls()
            (
                item.pk,
                item.section_id,
                item.position,
                item.body,
                item.headline,
                item.headline_rank,
                item.status,
                item.event_kind,
                item.financing_round,
                item.facts,
                item.version,
                item.withdrawn_at,
                item.withdrawal_note,
                slug,
                name,
                position,
                *markup,
            ) = row
            item.section = sections.get(item.section_id)
            if item.section is None:
                item.section = sections[item.section_id] = IssueSection(
                    item.section_id, slug, name, position
                )
            item.markup = readmodels.StoredMarkup(*markup) if markup[0] is not None else None
            items.append(item)
        return items

    @property
    def id(self):
        return self.pk

    def get_absolute_url(self):
        return reverse_one("bulletins:item_detail", "pk", self.pk)


def share_views():
    """``bulletins.share_views``, imported late: it builds on this module's selectors."""
    from . import share_views as module

    return module


def issue_day(kwargs) -> dt.date:
    try:
        return dt.date(kwargs["year"], kwargs["month"], kwargs["day"])
    except ValueError as exc:
        raise Http404(_("没有这一天。")) from exc


# ----------------------------------------------------------------------------- issues


class LatestBulletinView(TemplateView):
    template_name = "bulletins/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        recent = list(Bulletin.objects.published().order_by("-issued_on")[: ISSUE_NAV_SIZE + 1])
        if recent:
            # The latest public issue: the one before it is the next in the list, none after.
            previous = recent[1].issued_on if len(recent) > 1 else None
            context.update(issue_context(recent[0], neighbours=(previous, None)))
            context.update(
                reader.issue_extras(context, kind=self.request.GET.get("kind"), base_url="/")
            )
            context.update(share_views().issue_share_context(self.request, context))
        context["recent_issues"] = recent[1:]
        return context


class BulletinDetailView(TemplateView):
    template_name = "bulletins/bulletin_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        day = issue_day(kwargs)
        bulletin = Bulletin.objects.with_page().filter(issued_on=day).with_neighbours().first()
        if bulletin is None:
            raise Http404(_("这一天没有已发布的日报。"))
        if bulletin.status == BulletinStatus.RETRACTED:
            context.update(bulletin=bulletin, is_retracted=True)
            return context
        context.update(issue_context(bulletin, neighbours=(bulletin.previous_on, bulletin.next_on)))
        context.update(
            reader.issue_extras(
                context, kind=self.request.GET.get("kind"), base_url=self.request.path
            )
        )
        context.update(share_views().issue_share_context(self.request, context))
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

    def get(self, request, *args, **kwargs):
        try:
            return super().get(request, *args, **kwargs)
        except Http404:
            # Withdrawn: the text is gone, the dated notice answers with 410 Gone.
            withdrawn = Item.objects.withdrawn().select_related("bulletin").filter(pk=kwargs["pk"])
            item = withdrawn.first()
            if item is None:
                raise
            return TemplateResponse(
                request, "bulletins/item_withdrawn.html", {"item": item}, status=410
            )

    def get_queryset(self):
        return (
            Item.objects.published()
            .for_reading()
            .prefetch_related(Prefetch("corrections", to_attr="public_corrections"))
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
        reader.annotate([item], corrected_ids=[c.item_id for c in item.public_corrections])
        context.update(share_views().item_share_context(self.request, item))
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


class KeysetItemsMixin:
    """A long list of items paged by key (``pager.py``): the "older" link carries the last
    item's ``?after=<date>~<id>``, so a page's URL keeps its items while issues are published,
    and a deep page costs what the first does. An old ``?page=N`` link redirects to the key
    that starts that page today; a malformed key redirects to the first page."""

    def list_items(self) -> IssueOrderedItems:
        raise NotImplementedError

    def get(self, request, *args, **kwargs):
        items = self.list_items()
        after = request.GET.get(KEY_PARAM)
        if after is None and "page" in request.GET:
            return redirect(self._page_location(items, request.GET["page"]))
        try:
            self.keyset = items.page(after)
        except BadKey:
            return redirect(request.path)
        return super().get(request, *args, **kwargs)

    def _page_location(self, items, raw) -> str:
        try:
            number = int(raw)
        except ValueError:
            raise Http404(_("没有这一页。")) from None
        if number == 1:
            return self.request.path
        if number < 1 or (number - 1) * PAGE_SIZE >= items.count():
            raise Http404(_("没有这一页。"))
        return f"{self.request.path}?{KEY_PARAM}={items.key_at((number - 1) * PAGE_SIZE - 1)}"

    def get_context_data(self, **kwargs):
        page = self.keyset
        path = self.request.path
        return super().get_context_data(
            items=page.items,
            keyset=page,
            first_url=path,
            older_url=f"{path}?{KEY_PARAM}={page.older}" if page.older else "",
            newer_url=(f"{path}?{KEY_PARAM}={page.newer}" if page.newer else path)
            if page.newer is not None
            else "",
            **kwargs,
        )


class SectionDetailView(KeysetItemsMixin, TemplateView):
    template_name = "bulletins/section_detail.html"

    def list_items(self):
        self.section = get_object_or_404(Section.objects.public(), slug=self.kwargs["slug"])
        return IssueOrderedItems(
            Item.objects.published().for_reading().filter(section=self.section),
            order=("position", "pk"),
            issue_rows=readmodels.section_issue_rows(self.section),
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(section=self.section, **kwargs)


class EntityDetailView(KeysetItemsMixin, TemplateView):
    template_name = "bulletins/entity_detail.html"

    def get(self, request, *args, **kwargs):
        entity = Entity.objects.resolve(kwargs["slug"])
        if entity is None:
            raise Http404
        if entity.slug != kwargs["slug"]:  # merged away: the survivor's page
            return redirect(entity, permanent=True)
        self.entity = get_object_or_404(
            Entity.objects.public().select_related("parent").prefetch_related("aliases"),
            pk=entity.pk,
        )
        return super().get(request, *args, **kwargs)

    def list_items(self):
        # One published item per confirmed link: the read model's total is the list's length.
        self.total = readmodels.mention_counts([self.entity.pk]).get(self.entity.pk, 0)
        # Above the sort limit a page walks issues: probe each item of those issues.
        probe = self.total > IssueOrderedItems.SORT_LIMIT
        return IssueOrderedItems(
            Item.objects.published().for_reading().mentioning(self.entity, probe=probe),
            count=self.total,
        )

    def get_context_data(self, **kwargs):
        # The parent is named only when readers may know it (Entity.objects.public()).
        parent = (
            Entity.objects.public().filter(pk=self.entity.parent_id).first()
            if self.entity.parent_id
            else None
        )
        context = super().get_context_data(
            entity=self.entity, public_parent=parent, total=self.total, **kwargs
        )
        context["chart"] = mention_chart(self.entity)
        context["co_mentioned"] = readmodels.co_mentions(self.entity, limit=CO_MENTIONS)
        if self.entity.type == EntityType.INVESTOR:
            context["deals"] = [describe_row(row) for row in trackers.entity_deals(self.entity)]
        return context


class EntityIndexView(TemplateView):
    """Entities of one type (``?type=``), grouped A–Z by pinyin initial."""

    template_name = "bulletins/entity_index.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # From the read model: public entities by type and A–Z letter (no aggregate over
        # the links per request).
        public = readmodels.public_entity_rows()
        counts = readmodels.type_counts()
        types = [(value, label, counts.get(value, 0)) for value, label in EntityType.choices]
        requested = self.request.GET.get("type")
        if requested and requested not in EntityType.values:
            raise Http404
        current = requested or next((v for v, _label, n in types if n), EntityType.COMPANY)
        letters = sorted(
            set(public.filter(type=current).values_list("letter", flat=True)),
            key=lambda letter: (letter == "#", letter),
        )
        # A long list (thousands of companies in ten years) shows one letter at a time.
        by_letter = counts.get(current, 0) > ENTITY_INDEX_ONE_PAGE
        current_letter = None
        rows = public.filter(type=current)
        if by_letter and letters:
            current_letter = self.request.GET.get("letter") or letters[0]
            if current_letter not in letters:
                raise Http404
            rows = rows.filter(letter=current_letter)
        rows = list(rows)
        entities = Entity.objects.only("pk", "name", "name_en", "slug").in_bulk(
            [row["entity_id"] for row in rows]
        )
        groups: dict[str, list] = {}
        for row in sorted(rows, key=lambda row: (row["sort_key"], entities[row["entity_id"]].name)):
            entity = entities[row["entity_id"]]
            groups.setdefault(row["letter"], []).append(
                {"name": entity.name, "name_en": entity.name_en, "url": reverse_entity(entity.slug)}
            )
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
    return reverse_one("bulletins:entity_detail", "slug", slug)


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
            sections=list(Section.objects.public()),
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
                    ItemEntity.objects.confirmed().filter(
                        item=OuterRef("pk"), entity__type=entity_type
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
        if wanted > MAX_SEARCH_HITS:
            # A page number past any real result would overflow the database's LIMIT.
            raise Http404(_("没有这一页。"))
        cap = max(SEARCH_COUNT_CAP, wanted)
        ids = search_ids(q, items=scope, limit=cap + 1)
        is_capped = len(ids) > cap
        ids = ids[:cap]
        paginator = Paginator(ids, PAGE_SIZE)
        try:
            page = paginator.page(params.get("page", 1))
        except (PageNotAnInteger, EmptyPage):
            raise Http404(_("没有这一页。")) from None
        by_pk = Item.objects.published().for_reading().in_bulk(list(page.object_list))
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
