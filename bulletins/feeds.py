"""RSS 2.0 and Atom feeds of published items: all, per section, per entity."""

import copy
import io
import re

from django.contrib.syndication.views import Feed
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.html import escape
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from . import readmodels
from .models import Bulletin, Entity, Item, PublicationSettings, Section
from .pager import IssueOrderedItems

FEED_SIZE = 50
_ANGLE_BRACKETS = re.compile(r"[<>]")
RECENT_ISSUES = 60


def feed_items(items):
    """What a feed shows of an item: its text (not the linked markup), section and issue."""
    return items.select_related("section", "bulletin").defer("facts", "sources", "image")


def with_links(items) -> list:
    """The items with ``public_links`` (the categories) from two light queries."""
    items = list(items)
    readmodels.attach_public_links(items)
    return items


class BufferedFeed:
    """A feed's XML built in memory and written to the response at once: written straight
    into an HttpResponse, each of the ~2,000 tags and texts of a 50-item feed went through its
    own encoding write (~1.5 ms). Same bytes: UTF-8, characters it cannot encode as
    references, as the SAX writer does."""

    def write(self, outfile, encoding):
        buffer = io.StringIO()
        super().write(buffer, encoding)
        outfile.write(buffer.getvalue().encode(encoding, "xmlcharrefreplace"))


class RssFeed(BufferedFeed, Rss201rev2Feed):
    pass


class AtomFeed(BufferedFeed, Atom1Feed):
    pass


class ItemFeed(Feed):
    feed_type = RssFeed
    language = "zh-CN"
    kind = "rss"

    def __call__(self, request, *args, **kwargs):
        # One Feed instance serves every request (and every thread): work on a copy.
        feed = copy.copy(self)
        feed.request = request
        feed._publication = None
        return Feed.__call__(feed, request, *args, **kwargs)

    def publication(self):
        # Asked once per item (author name): read from the cache once per request.
        if getattr(self, "_publication", None) is None:
            self._publication = PublicationSettings.load()
        return self._publication

    def title(self, obj=None):
        return self.publication().name

    def description(self, obj=None):
        return _("%(name)s每日医药产业要闻") % {"name": self.publication().name}

    def link(self, obj=None):
        return reverse("bulletins:home")

    def feed_url(self, obj=None):
        return self.request.path

    def queryset(self, obj):
        # The newest items lie in the newest issues: looking only there spares sorting the
        # whole archive (an issue holds about 25 items, a feed shows 50).
        recent = Bulletin.objects.published().order_by("-issued_on").values("pk")[:RECENT_ISSUES]
        return feed_items(Item.objects.published()).filter(bulletin__in=recent)

    def items(self, obj=None):
        return with_links(
            self.queryset(obj).order_by(
                "-bulletin__issued_on", "section__position", "position", "pk"
            )[:FEED_SIZE]
        )

    def item_title(self, item):
        return item.headline or Truncator(item.body).chars(40)

    def item_description(self, item):
        # RSS <description> and Atom <summary type="html"> are HTML to a feed reader: the item
        # is plain text, so it goes in escaped — "<img onerror=…>" in a body stays visible text.
        return escape(item.body)

    def item_link(self, item):
        return item.get_absolute_url()

    def item_guid(self, item):
        return self.request.build_absolute_uri(item.get_absolute_url())

    item_guid_is_permalink = True

    def item_pubdate(self, item):
        return item.bulletin.publish_at

    def item_updateddate(self, item):
        return max(item.bulletin.publish_at, item.updated_at)

    def item_categories(self, item):
        # Some readers render <category> as HTML too; names never need angle brackets.
        names = [item.section.name, *(link.entity.name for link in item.public_links)]
        return [_ANGLE_BRACKETS.sub("", name) for name in names]

    def item_author_name(self, item):
        return self.publication().name


class AtomMixin:
    feed_type = AtomFeed
    kind = "atom"

    def subtitle(self, obj=None):
        return self.description(obj)


class LatestItemsFeed(ItemFeed):
    pass


class LatestItemsAtomFeed(AtomMixin, LatestItemsFeed):
    pass


class SectionFeed(ItemFeed):
    def get_object(self, request, slug):
        return get_object_or_404(Section.objects.public(), slug=slug)

    def title(self, obj=None):
        return f"{obj.name} | {self.publication().name}"

    def link(self, obj=None):
        return obj.get_absolute_url()

    def queryset(self, obj):
        return super().queryset(obj).filter(section=obj)


class SectionAtomFeed(AtomMixin, SectionFeed):
    pass


class EntityFeed(ItemFeed):
    """Items about one entity; a merged entity's feed redirects to the survivor's."""

    def __call__(self, request, *args, **kwargs):
        entity = Entity.objects.resolve(kwargs["slug"])
        if entity is None:
            raise Http404
        if entity.slug != kwargs["slug"]:  # merged away: the survivor's feed
            name = "bulletins:entity_atom" if self.kind == "atom" else "bulletins:entity_rss"
            return redirect(reverse(name, kwargs={"slug": entity.slug}), permanent=True)
        return super().__call__(request, *args, **kwargs)

    def get_object(self, request, slug):
        return get_object_or_404(Entity.objects.public(), slug=slug)

    def title(self, obj=None):
        return f"{obj.name} | {self.publication().name}"

    def description(self, obj=None):
        return _("%(publication)s关于%(entity)s的报道") % {
            "publication": self.publication().name,
            "entity": obj.name,
        }

    def link(self, obj=None):
        return obj.get_absolute_url()

    def queryset(self, obj):
        return feed_items(Item.objects.published()).mentioning(obj)

    def items(self, obj=None):
        # An entity may be in thousands of items: walk the newest issues, don't sort them all.
        return with_links(IssueOrderedItems(self.queryset(obj), key=f"entity-{obj.pk}")[:FEED_SIZE])


class EntityAtomFeed(AtomMixin, EntityFeed):
    pass
