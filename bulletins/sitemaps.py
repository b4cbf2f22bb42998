"""sitemap.xml (issues, items, entities, sections) and a Google News sitemap of the last two days."""

import datetime as dt
import hashlib
from functools import wraps

from django.core.cache import cache
from django.db.models import Max
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.http import http_date

from .models import Bulletin, Entity, Item, Section, issue_url, reverse_memo, reverser
from .pagecache import memo_content_version

NEWS_WINDOW = dt.timedelta(days=2)
NEWS_LIMIT = 1000  # Google News reads at most 1,000 URLs per sitemap
# A full item sitemap page lists 5,000 URLs: worth caching, but under the page cache's
# publish-aware key, so a publication, correction or retraction shows within a second.
SITEMAP_CACHE_SECONDS = 60 * 10


def cached_sitemap(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        # The full URL: a sitemap lists absolute URLs on this scheme and host.
        identity = f"{memo_content_version()}|{request.build_absolute_uri()}"
        key = "sitemap:" + hashlib.sha256(identity.encode()).hexdigest()
        response = cache.get(key)
        if response is None:
            response = view(request, *args, **kwargs)
            if response.status_code == 200:
                if hasattr(response, "render") and not response.is_rendered:
                    response.render()
                cache.set(key, response, SITEMAP_CACHE_SECONDS)
        return response

    return wrapped


class _Part:
    """One part of sitemap.xml, read as ``(path, lastmod)`` rows without model instances.

    Django's sitemap framework builds an object, reverses a URL and renders a template
    block per URL: ~70 µs each, 0.3 s for a 5,000-URL page at ten years. Here a part reads
    plain rows, builds URLs with the models' reversers, and joins strings (~2 µs a URL).
    Pages are stable: oldest first, so a new issue only ever changes the last page.
    """

    changefreq = ""
    priority = ""
    per_page = 2500

    def rows_queryset(self):
        return None

    def num_pages(self) -> int:
        rows = self.rows_queryset()
        return 1 if rows is None else max(1, -(-rows.count() // self.per_page))

    def latest_lastmod(self):
        rows = self.rows_queryset()
        return None if rows is None else rows.aggregate(latest=Max("updated_at"))["latest"]

    def rows(self, page: int):
        raise NotImplementedError


class StaticPart(_Part):
    changefreq, priority = "daily", "0.8"
    names = (
        "bulletins:home",
        "bulletins:archive",
        "bulletins:entity_index",
        "bulletins:deals",
        "bulletins:approvals",
    )

    def rows(self, page):
        return [(reverse_memo(name), None) for name in self.names]


class IssuePart(_Part):
    changefreq, priority = "never", "0.7"

    def rows_queryset(self):
        return Bulletin.objects.published().order_by("issued_on", "pk")

    def rows(self, page):
        start = (page - 1) * self.per_page
        issues = self.rows_queryset().values_list("issued_on", "updated_at")
        return [(issue_url(day), updated) for day, updated in issues[start : start + self.per_page]]


class ItemPart(IssuePart):
    """Items by issue: a page holds the items of ``per_page`` issues (≈2,500 URLs at 25 a
    day), so a page is an indexed range of issues, never an OFFSET into 90,000 items."""

    changefreq, priority = "never", "0.5"
    per_page = 100

    def rows(self, page):
        start = (page - 1) * self.per_page
        issues = list(
            self.rows_queryset().values_list("pk", flat=True)[start : start + self.per_page]
        )
        url = reverser("bulletins:item_detail", "pk")
        items = (
            Item.objects.published()
            .filter(bulletin_id__in=issues)
            .order_by("bulletin__issued_on", "pk")
            .values_list("pk", "updated_at", "bulletin__publish_at")
        )
        return [(url(pk), max(updated, published)) for pk, updated, published in items]


class SectionPart(_Part):
    changefreq, priority = "daily", "0.4"

    def rows(self, page):
        return [(section.get_absolute_url(), None) for section in Section.objects.public()]


class EntityPart(_Part):
    changefreq, priority = "weekly", "0.4"

    def rows_queryset(self):
        return Entity.objects.public().order_by("pk")

    def rows(self, page):
        url = reverser("bulletins:entity_detail", "slug")
        start = (page - 1) * self.per_page
        entities = self.rows_queryset().values_list("slug", "updated_at")
        return [(url(slug), updated) for slug, updated in entities[start : start + self.per_page]]


SITEMAPS = {
    "pages": StaticPart,
    "issues": IssuePart,
    "sections": SectionPart,
    "items": ItemPart,
    "entities": EntityPart,
}


def _xml_response(body: str, lastmod) -> HttpResponse:
    response = HttpResponse(body, content_type="application/xml")
    if lastmod is not None:
        response.headers["Last-Modified"] = http_date(lastmod.timestamp())
    response.headers["X-Robots-Tag"] = "noindex, noodp, noarchive"
    return response


def index(request):
    """sitemap.xml: every part and every page of it, with the part's latest change."""
    base = request.build_absolute_uri("/")[:-1]
    entries, latest = [], []
    for name, part_class in SITEMAPS.items():
        part = part_class()
        url = escape(base + reverse("bulletins:sitemap_section", kwargs={"section": name}))
        lastmod = part.latest_lastmod()
        tail = f"<lastmod>{lastmod.isoformat()}</lastmod>" if lastmod else ""
        latest.append(lastmod)
        for page in range(1, part.num_pages() + 1):
            loc = url if page == 1 else f"{url}?p={page}"
            entries.append(f"<sitemap><loc>{loc}</loc>{tail}</sitemap>")
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        + "\n".join(entries)
        + "\n</sitemapindex>\n"
    )
    return _xml_response(body, None if None in latest else max(latest, default=None))


def section(request, section):
    """One page of one part (``?p=N``, from 1); 404 for an unknown part or page."""
    part_class = SITEMAPS.get(section)
    if part_class is None:
        raise Http404(f"没有这一部分的站点地图:{section}")
    raw = request.GET.get("p", "1")
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= 100_000:
        raise Http404(f"站点地图页码无效:{raw[:20]}")
    part, page = part_class(), int(raw)
    if page > part.num_pages():
        raise Http404(f"站点地图没有第 {page} 页")
    base = request.build_absolute_uri("/")[:-1]
    tail = "".join(
        f"<{tag}>{value}</{tag}>"
        for tag, value in (("changefreq", part.changefreq), ("priority", part.priority))
        if value
    )
    entries, latest, zone = [], None, timezone.get_current_timezone()
    for path, lastmod in part.rows(page):
        when = ""
        if lastmod is not None:  # the day in the newsroom's time zone, as Django's sitemaps
            when = f"<lastmod>{lastmod.astimezone(zone).date().isoformat()}</lastmod>"
            latest = lastmod if latest is None else max(latest, lastmod)
        entries.append(f"<url><loc>{escape(base + path)}</loc>{when}{tail}</url>")
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        + "\n".join(entries)
        + "\n</urlset>\n"
    )
    return _xml_response(body, latest)


def news_sitemap(request):
    """Items of issues published in the last two days, in the Google News sitemap format."""
    since = timezone.now() - NEWS_WINDOW
    items = (
        Item.objects.published()
        .select_related("section", "bulletin")
        .filter(bulletin__publish_at__gte=since)
        .order_by("-bulletin__publish_at", "section__position", "position")[:NEWS_LIMIT]
    )
    return render(
        request,
        "bulletins/news_sitemap.xml",
        {"items": items, "base": request.build_absolute_uri("/")[:-1]},
        content_type="application/xml; charset=utf-8",
    )
