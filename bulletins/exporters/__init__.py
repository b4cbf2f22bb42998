"""Exports of a stored bulletin: canonical text, Markdown, and an HTML fragment.

``export(bulletin, format=…, items=…)`` is the one exporter: the admin's download buttons,
the API's ``/bulletins/{date}/export/`` and ``manage.py export_bulletin`` all call it, so the
three give the same bytes (title with `` | 日报``, escaping in Markdown and HTML).
"""

from dataclasses import dataclass

FORMATS = ("text", "markdown", "html", "wechat")
CONTENT_TYPES = {
    "text": "text/plain",
    "markdown": "text/markdown",
    "html": "text/html",
    "wechat": "text/html",  # 复制到公众号: inline-styled, with a 阅读原文 link (wechat.py)
}
SUFFIXES = {"text": "txt", "markdown": "md", "html": "html", "wechat": "html"}


@dataclass(frozen=True)
class Export:
    content: str
    content_type: str  # with its charset, ready for an HTTP response
    suffix: str


def export(bulletin, *, format: str = "text", items=None) -> Export:
    """The bulletin in one of ``FORMATS``.

    ``items`` (in reading order) narrows what is shown — the API passes the approved items
    only to a reader; without it every non-spiked item is exported, drafts included.
    """
    from .html import export_html
    from .markdown import export_markdown
    from .text import export_text
    from .wechat import export_wechat

    exporters = {
        "text": export_text,
        "markdown": export_markdown,
        "html": export_html,
        "wechat": export_wechat,
    }
    if format not in exporters:
        raise ValueError(f"unknown export format {format!r}; choose one of {', '.join(FORMATS)}")
    return Export(
        content=exporters[format](bulletin, items=items),
        content_type=f"{CONTENT_TYPES[format]}; charset=utf-8",
        suffix=SUFFIXES[format],
    )
