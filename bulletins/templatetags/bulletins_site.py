"""Template helpers of the public site: entity mentions, canonical URLs, JSON-LD."""

import json

from django import template
from django.utils.safestring import mark_safe

from ..models import EntityType
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


def entity_ref(request, entity):
    ref = {
        "@type": SCHEMA_TYPES.get(entity.type, "Thing"),
        "name": entity.name,
        "url": request.build_absolute_uri(entity.get_absolute_url()),
    }
    if entity.name_en and entity.name_en != entity.name:
        ref["alternateName"] = entity.name_en
    return ref


@register.simple_tag(takes_context=True)
def news_article_jsonld(context, headline, url, bulletin, items, about=None):
    """A schema.org NewsArticle; ``about``/``mentions`` point at the entity pages."""
    request = context["request"]
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
        "url": request.build_absolute_uri(url),
        "mainEntityOfPage": request.build_absolute_uri(url),
        "datePublished": bulletin.publish_at.isoformat() if bulletin.publish_at else None,
        "dateModified": bulletin.updated_at.isoformat(),
        "publisher": {
            "@type": "Organization",
            "name": publication.name,
            "url": request.build_absolute_uri("/"),
        },
        "author": {"@type": "Organization", "name": publication.name},
        "isPartOf": {
            "@type": "PublicationIssue",
            "datePublished": bulletin.issued_on.isoformat(),
            "url": request.build_absolute_uri(bulletin.get_absolute_url()),
        },
    }
    if about:
        data["about"] = [entity_ref(request, e) for e in about]
    if mentioned:
        data["mentions"] = [entity_ref(request, e) for e in mentioned.values()]
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
