"""A bulletin as an article body for the WeChat 公众号 editor (复制到公众号).

The editor keeps inline ``style`` attributes but drops classes, ``<style>``, scripts and
images from other hosts, so everything here is inline-styled simple blocks, no images, and
ends with a 阅读原文 link to the public issue. The project never calls WeChat's API; the
chief editor pastes the result into the editor.

The limits below are those of the 公众号 draft API (新增草稿 ``draft/add``, articles[]):
https://developers.weixin.qq.com/doc/service/api/draftbox/draftmanage/api_draft_add.html
— "title 标题,总长度不超过32个字", "digest 图文消息的摘要,总长度不超过128个字",
"content … 必须少于2万字符,小于1M". The editor enforces the same when pasting, so they are
warnings before publishing (never blocking: the site and the email have no such limits).
"""

from dataclasses import dataclass

from django.utils.html import escape
from django.utils.translation import gettext as _

from ..models import Bulletin, PublicationSettings
from .html import DATELINE_STYLE, ITEM_STYLE, SECTION_STYLE, TITLE_STYLE, WRAPPER_STYLE
from .text import issue_items, title_for, title_headlines

TITLE_MAX_CHARS = 32
DIGEST_MAX_CHARS = 128
CONTENT_MAX_CHARS = 20_000  # "必须少于2万字符"
CONTENT_MAX_BYTES = 1024 * 1024  # "小于1M"

LINK_STYLE = "color:#1a6fb5;text-decoration:underline;"
FOOTER_STYLE = "font-size:14px;color:#666666;margin:24px 0 0 0;"


@dataclass
class Article:
    title: str
    digest: str
    content: str
    source_url: str


def _site_url(path: str) -> str:
    from django.conf import settings

    return settings.NEWSROOM_SITE_URL.rstrip("/") + path


def article_title(bulletin: Bulletin, items) -> str:
    """The 公众号 title: the headlines, or the publication and date when there are none."""
    headlines = title_headlines(items)
    if headlines:
        return ";".join(headlines)
    publication = PublicationSettings.load()
    return f"{publication.name}{publication.kind} {bulletin.issued_on:%Y-%m-%d}"


def article_digest(items) -> str:
    """The digest: the start of the first items, cut at the limit."""
    text = "".join(item.body for item in items[:3])
    return text[: DIGEST_MAX_CHARS - 1] + "…" if len(text) > DIGEST_MAX_CHARS else text


def export_wechat(bulletin: Bulletin, *, items=None) -> str:
    items = issue_items(bulletin) if items is None else items
    source_url = _site_url(bulletin.get_absolute_url())
    parts = [
        f'<section style="{WRAPPER_STYLE}">',
        f'<h1 style="{TITLE_STYLE}">{escape(title_for(items))}</h1>',
        f'<p style="{DATELINE_STYLE}">{escape(bulletin.effective_dateline)}</p>',
    ]
    section = None
    for item in items:
        if item.section_id != getattr(section, "pk", None):
            section = item.section
            parts.append(f'<h2 style="{SECTION_STYLE}">{escape(section.name)}</h2>')
        parts.append(f'<p style="{ITEM_STYLE}">{escape(item.body)}</p>')
    parts.append(
        f'<p style="{FOOTER_STYLE}"><a href="{escape(source_url)}" style="{LINK_STYLE}">'
        f"{escape(_('阅读原文'))}</a></p>"
    )
    parts.append("</section>")
    return "\n".join(parts) + "\n"


def wechat_article(bulletin: Bulletin, *, items=None) -> Article:
    items = issue_items(bulletin) if items is None else items
    return Article(
        title=article_title(bulletin, items),
        digest=article_digest(items),
        content=export_wechat(bulletin, items=items),
        source_url=_site_url(bulletin.get_absolute_url()),
    )


def wechat_warnings(article: Article) -> list[str]:
    """What WeChat would refuse or cut; the editor decides (never blocks publishing)."""
    warnings = []
    if len(article.title) > TITLE_MAX_CHARS:
        warnings.append(
            _("公众号标题最多 %(max)d 个字,当前 %(n)d 个字,粘贴后需要缩短。")
            % {"max": TITLE_MAX_CHARS, "n": len(article.title)}
        )
    if len(article.digest) > DIGEST_MAX_CHARS:
        warnings.append(
            _("公众号摘要最多 %(max)d 个字,当前 %(n)d 个字。")
            % {"max": DIGEST_MAX_CHARS, "n": len(article.digest)}
        )
    if len(article.content) >= CONTENT_MAX_CHARS:
        warnings.append(
            _("公众号正文须少于 %(max)d 字符(含排版代码),当前 %(n)d 字符。")
            % {"max": CONTENT_MAX_CHARS, "n": len(article.content)}
        )
    size = len(article.content.encode("utf-8"))
    if size >= CONTENT_MAX_BYTES:
        warnings.append(_("公众号正文须小于 1 MB,当前 %(kb)d KB。") % {"kb": size // 1024})
    return warnings
