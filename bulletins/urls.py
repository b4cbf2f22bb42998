"""URLs of the public site. Every view answers under a strict Content-Security-Policy: the
public pages load nothing from another origin and only our own deferred site.js (they must work on a closed
network); the admin and the API docs keep the project-wide policy."""

from django.urls import path, register_converter
from django.utils.csp import CSP
from django.views.decorators.csp import csp_override

from . import feeds, share_views, sitemaps, tracker_views, views
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
    # One small deferred script of our own (font size, copy link); pages work without it.
    "script-src": [CSP.SELF],
    # Same-origin fetches only: crawlers' tools (Lighthouse) read /robots.txt from the page.
    "connect-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}


def public(view):
    return csp_override(PUBLIC_CSP)(cache_public_page(view))


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
    path("deals/", public(tracker_views.DealsView.as_view()), name="deals"),
    path("deals/deals.csv", tracker_views.deals_csv, name="deals_csv"),
    path("deals/deals.json", tracker_views.deals_json, name="deals_json"),
    path("deals/rss/", cache_public_page(tracker_views.DealsFeed()), name="deals_rss"),
    path("deals/atom/", cache_public_page(tracker_views.DealsAtomFeed()), name="deals_atom"),
    path("approvals/", public(tracker_views.ApprovalsView.as_view()), name="approvals"),
    path("approvals/approvals.csv", tracker_views.approvals_csv, name="approvals_csv"),
    path("approvals/approvals.json", tracker_views.approvals_json, name="approvals_json"),
    path(
        "approvals/rss/",
        cache_public_page(tracker_views.ApprovalsFeed()),
        name="approvals_rss",
    ),
    path(
        "approvals/atom/",
        cache_public_page(tracker_views.ApprovalsAtomFeed()),
        name="approvals_atom",
    ),
    path(
        "share/issues/<yyyy:year>/<mm:month>/<mm:day>.png",
        share_views.issue_image,
        name="issue_image",
    ),
    path("share/items/<int:pk>.png", share_views.item_image, name="item_image"),
    path("robots.txt", views.robots_txt, name="robots"),
    path(
        "sitemap.xml",
        sitemaps.cached_sitemap(sitemaps.index),
        name="sitemap",
    ),
    path(
        "sitemap-<section>.xml",
        sitemaps.cached_sitemap(sitemaps.section),
        name="sitemap_section",
    ),
    path("news-sitemap.xml", sitemaps.news_sitemap, name="news_sitemap"),
]
