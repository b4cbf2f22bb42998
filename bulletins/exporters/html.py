"""A bulletin as an HTML fragment for pasting into an email or the WeChat editor.

Those editors drop ``<style>``, classes and scripts but keep inline ``style`` attributes, so
every element carries its own style; only simple block tags are used. All text is escaped.
"""

from django.utils.html import escape

from ..models import Bulletin
from .text import issue_items, title_for

WRAPPER_STYLE = (
    "font-family:-apple-system,'PingFang SC','Microsoft YaHei',sans-serif;font-size:16px;"
    "line-height:1.75;color:#222222;max-width:680px;margin:0 auto;"
)
TITLE_STYLE = "font-size:20px;font-weight:bold;line-height:1.5;margin:0 0 8px 0;color:#111111;"
DATELINE_STYLE = "font-size:14px;color:#666666;margin:0 0 16px 0;"
SECTION_STYLE = (
    "font-size:17px;font-weight:bold;margin:24px 0 12px 0;padding:0 0 0 8px;"
    "border-left:4px solid #1a6fb5;color:#1a6fb5;"
)
ITEM_STYLE = "margin:0 0 12px 0;text-align:justify;"


def export_html(bulletin: Bulletin, *, items=None) -> str:
    items = issue_items(bulletin) if items is None else items
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
    parts.append("</section>")
    return "\n".join(parts) + "\n"
