"""sitemap.xml (issues, items, entities, sections) and a Google News sitemap of the last two days."""

import datetime as dt
import hashlib
from functools import wraps

from django.contrib.sitemaps import Sitemap
from django.core.cache import cache
from django.db.models import Max
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from .models import Bulletin, Entity, Item, Section
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
        identity = f"{memo_content_version()}|{request.get_full_path()}"
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


class StaticSitemap(Sitemap):
    changefreq = "daily"
    priority = 0.8

    def items(self):
        return [
            "bulletins:home",
            "bulletins:archive",
            "bulletins:entity_index",
            "bulletins:deals",
            "bulletins:approvals",
        ]

    def location(self, name):
        return reverse(name)


class BulletinSitemap(Sitemap):
    changefreq = "never"
    priority = 0.7

    def items(self):
        return Bulletin.objects.published().only("issued_on", "updated_at").order_by("-issued_on")

    def lastmod(self, bulletin):
        return bulletin.updated_at

    def get_latest_lastmod(self):
        # Django's default calls lastmod() on every item of the sitemap: one aggregate instead.
        return self.items().aggregate(latest=Max("updated_at"))["latest"]


class ItemSitemap(Sitemap):
    changefreq = "never"
    priority = 0.5
    limit = 5000

    def items(self):
        return (
            Item.objects.published()
            .select_related("section", "bulletin")
            .only("pk", "updated_at", "bulletin__publish_at", "section__slug")
            .order_by("-bulletin__issued_on", "pk")
        )

    def lastmod(self, item):
        return max(item.updated_at, item.bulletin.publish_at)

    def get_latest_lastmod(self):
        return Bulletin.objects.published().aggregate(latest=Max("updated_at"))["latest"]


class SectionSitemap(Sitemap):
    changefreq = "daily"
    priority = 0.4

    def items(self):
        return Section.objects.public()


class EntitySitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.4
    limit = 5000

    def items(self):
        return Entity.objects.public().only("slug", "updated_at").order_by("pk")

    def lastmod(self, entity):
        return entity.updated_at

    def get_latest_lastmod(self):
        return self.items().aggregate(latest=Max("updated_at"))["latest"]


SITEMAPS = {
    "pages": StaticSitemap,
    "issues": BulletinSitemap,
    "sections": SectionSitemap,
    "items": ItemSitemap,
    "entities": EntitySitemap,
}


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
