"""Template helpers of the public site: entity mentions, canonical URLs, JSON-LD."""

import json
import re
from html import escape

from django import template
from django.template.loader import get_template
from django.utils.safestring import mark_safe

from ..models import EntityType, ItemStatus, issue_url, reverse_memo, reverser
from ..pager import KEY_PARAM, KEY_RE
from ..readmodels import item_html

register = template.Library()

# JSON inside <script> must not be able to close the element or open a comment.
_JSON_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}

SCHEMA_TYPES = {
    EntityType.COMPANY: "Organization",
    EntityType.INVESTOR: "Organization",
    EntityType.INSTITUTION: "Organization",
    EntityType.REGULATOR: "GovernmentOrganization",
    EntityType.PERSON: "Person",
    EntityType.DRUG: "Drug",
    EntityType.DISEASE: "MedicalCondition",
    EntityType.DEVICE: "MedicalDevice",
}


def item_entities(item):
    return [link.entity for link in getattr(item, "public_links", [])]


@register.filter
def mentions(item):
    """The item text with its confirmed entities' mentions linked to its page at its first mention (stored per
    item version by ``readmodels``; rendered now only when that is missing or stale)."""
    return item_html(item)


@register.filter
def chips(item):
    """The item's event kind, key facts and "corrected" mark as chips (set by
    ``reader.annotate``), or "" when it has none."""
    kind, facts, corrected = item.kind_chip, item.fact_chips, item.is_corrected
    if not (kind or facts or corrected):
        return ""
    out = ['<p class="chips">']
    if kind:
        out.append(
            f'<span class="chip kind-{escape(str(item.event_kind))}">{escape(str(kind))}</span>'
        )
    for label, value in facts:
        out.append(
            f'<span class="fact"><span class="fact-label">{escape(str(label))}</span> '
            f"{escape(str(value))}</span>"
        )
    if corrected:
        out.append('<span class="chip corrected">已更正</span>')
    out.append("</p>")
    return mark_safe("".join(out))  # noqa: S308 - every value escaped above


register.filter("issue_url", issue_url)


@register.simple_tag
def site_url(name, **kwargs):
    """``{% url %}`` memoised (``models.reverse_memo``): the navigation of every page links
    the same dozen URLs, each resolved anew by ``{% url %}`` (~40 µs)."""
    return reverse_memo(name, **kwargs)


@register.filter
def articles(items):
    """A section's items in issue order: chips, headline, text with its mentions linked
    (stored, see ``mentions``) and permalink; a withdrawn item as its dated notice
    (``_withdrawn_item.html``). Built here rather than by a template loop including a
    template per item: that cost about a fifth of the issue page (issue #16). Values are
    escaped with ``html.escape``, as Django's autoescape does."""
    item_url = reverser("bulletins:item_detail", "pk")
    out = []
    for item in items:
        if item.status == ItemStatus.WITHDRAWN:
            out.append(get_template("bulletins/_withdrawn_item.html").render({"item": item}))
            out.append("\n")
            continue
        pk = item.pk
        headline = item.headline
        labelled = f' aria-labelledby="h-{pk}"' if headline else ""
        title = f'<h3 id="h-{pk}">{escape(headline)}</h3>' if headline else ""
        out.append(
            f'<article class="item" id="item-{pk}" data-kind="{escape(item.event_kind)}"'
            f"{labelled}>\n{chips(item)}\n{title}\n"
            f'<p class="item-text">{item_html(item)}</p>\n'
            f'<p class="item-tools"><a class="permalink" href="{escape(item_url(pk))}">'
            "本条链接与分享</a></p>\n</article>\n\n"
        )
    return mark_safe("".join(out))  # noqa: S308 - every value escaped, markup stored escaped


@register.simple_tag(takes_context=True)
def absolute(context, path):
    return context["request"].build_absolute_uri(path)


@register.simple_tag(takes_context=True)
def canonical_url(context):
    """This page's URL without query, keeping ``?page=N`` beyond the first page (search) and
    a list page's key (``?after=``, see ``pager.py``)."""
    request = context["request"]
    url = request.build_absolute_uri(request.path)
    after = request.GET.get(KEY_PARAM)
    page = request.GET.get("page")
    if after and KEY_RE.match(after):
        url += f"?{KEY_PARAM}={after}"
    elif page and page.isdigit() and page != "1":
        url += f"?page={page}"
    return url


# A path as reverse() spells it: absolute, ASCII, already quoted — build_absolute_uri would
# parse and quote it again to no effect.
_PLAIN_PATH = re.compile(r"/(?!/)[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*\Z")


def absolute_urls(request):
    """``request.build_absolute_uri`` for many paths of one page: the scheme and host are
    joined once and plain paths appended (an issue page's JSON-LD links ~60 entities)."""
    root = request.build_absolute_uri("/")[:-1]

    def absolute(path):
        if _PLAIN_PATH.match(path) and "/./" not in path and "/../" not in path:
            return root + path
        return request.build_absolute_uri(path)

    return absolute


def entity_ref(absolute, entity):
    ref = {
        "@type": SCHEMA_TYPES.get(entity.type, "Thing"),
        "name": entity.name,
        "url": absolute(entity.get_absolute_url()),
    }
    if entity.name_en and entity.name_en != entity.name:
        ref["alternateName"] = entity.name_en
    return ref


@register.simple_tag(takes_context=True)
def news_article_jsonld(context, headline, url, bulletin, items, about=None):
    """A schema.org NewsArticle; ``about``/``mentions`` point at the entity pages."""
    request = context["request"]
    absolute = absolute_urls(request)
    publication = context["publication"]
    mentioned = {}
    for item in items:
        for entity in item_entities(item):
            mentioned.setdefault(entity.pk, entity)
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": headline[:110],
        "inLanguage": "zh-CN",
        "url": absolute(url),
        "mainEntityOfPage": absolute(url),
        "datePublished": bulletin.publish_at.isoformat() if bulletin.publish_at else None,
        "dateModified": bulletin.updated_at.isoformat(),
        "publisher": {
            "@type": "Organization",
            "name": publication.name,
            "url": absolute("/"),
        },
        "author": {"@type": "Organization", "name": publication.name},
        "isPartOf": {
            "@type": "PublicationIssue",
            "datePublished": bulletin.issued_on.isoformat(),
            "url": absolute(bulletin.get_absolute_url()),
        },
    }
    if about:
        data["about"] = [entity_ref(absolute, e) for e in about]
    if mentioned:
        data["mentions"] = [entity_ref(absolute, e) for e in mentioned.values()]
    return jsonld(data)


@register.filter
def jsonld(data):
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    # str.replace, not str.translate with a dict: ~20x faster on an 8 KB block.
    for char, escaped in _JSON_ESCAPES.items():
        text = text.replace(chr(char), escaped)
    return mark_safe(f'<script type="application/ld+json">{text}</script>')  # noqa: S308


@register.simple_tag(takes_context=True)
def page_url(context, number):
    """The current URL with ``page`` set to ``number`` (other filters kept)."""
    query = context["request"].GET.copy()
    if number == 1:
        query.pop("page", None)
    else:
        query["page"] = number
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else context["request"].path
