"""URLs of the public site. Every view answers under a strict Content-Security-Policy: the
public pages carry no script and load nothing from another origin (they must work on a closed
network); the admin and the API docs keep the project-wide policy."""

from django.contrib.sitemaps import views as sitemap_views
from django.urls import path, register_converter
from django.utils.csp import CSP
from django.views.decorators.cache import cache_page
from django.views.decorators.csp import csp_override

from . import feeds, sitemaps, views
from .pagecache import cache_public_page


class FourDigitYear:
    regex = r"[0-9]{4}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return f"{int(value):04d}"


class TwoDigit:
    regex = r"[0-9]{2}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return f"{int(value):02d}"


register_converter(FourDigitYear, "yyyy")
register_converter(TwoDigit, "mm")

PUBLIC_CSP = {
    "default-src": [CSP.NONE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}


def public(view):
    return csp_override(PUBLIC_CSP)(cache_public_page(view))


# A full item sitemap page lists 10,000 URLs; crawlers read it rarely, so it may be 10 min old.
SITEMAP_CACHE = cache_page(60 * 10)

app_name = "bulletins"
urlpatterns = [
    path("", public(views.LatestBulletinView.as_view()), name="home"),
    path(
        "<yyyy:year>/<mm:month>/<mm:day>/",
        public(views.BulletinDetailView.as_view()),
        name="bulletin_detail",
    ),
    path("<yyyy:year>/<mm:month>/<mm:day>.txt", views.bulletin_text, name="bulletin_text"),
    path("<yyyy:year>/<mm:month>/", public(views.ArchiveMonthView.as_view()), name="archive_month"),
    path("<yyyy:year>/", public(views.ArchiveYearView.as_view()), name="archive_year"),
    path("archive/", public(views.ArchiveIndexView.as_view()), name="archive"),
    path("items/<int:pk>/", public(views.ItemDetailView.as_view()), name="item_detail"),
    path("sections/<slug:slug>/", public(views.SectionDetailView.as_view()), name="section_detail"),
    path(
        "sections/<slug:slug>/rss/",
        cache_public_page(feeds.SectionFeed()),
        name="section_rss",
    ),
    path(
        "sections/<slug:slug>/atom/",
        cache_public_page(feeds.SectionAtomFeed()),
        name="section_atom",
    ),
    path("entities/", public(views.EntityIndexView.as_view()), name="entity_index"),
    path("entities/<str:slug>/", public(views.EntityDetailView.as_view()), name="entity_detail"),
    path("entities/<str:slug>/rss/", cache_public_page(feeds.EntityFeed()), name="entity_rss"),
    path(
        "entities/<str:slug>/atom/",
        cache_public_page(feeds.EntityAtomFeed()),
        name="entity_atom",
    ),
    path("search/", public(views.SearchView.as_view()), name="search"),
    path("feeds/rss/", cache_public_page(feeds.LatestItemsFeed()), name="rss"),
    path("feeds/atom/", cache_public_page(feeds.LatestItemsAtomFeed()), name="atom"),
    path("robots.txt", views.robots_txt, name="robots"),
    path(
        "sitemap.xml",
        SITEMAP_CACHE(sitemap_views.index),
        {"sitemaps": sitemaps.SITEMAPS, "sitemap_url_name": "bulletins:sitemap_section"},
        name="sitemap",
    ),
    path(
        "sitemap-<section>.xml",
        SITEMAP_CACHE(sitemap_views.sitemap),
        {"sitemaps": sitemaps.SITEMAPS},
        name="sitemap_section",
    ),
    path("news-sitemap.xml", sitemaps.news_sitemap, name="news_sitemap"),
]
