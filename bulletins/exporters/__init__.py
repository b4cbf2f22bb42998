"""Exports of a stored bulletin: canonical text, Markdown, and an HTML fragment.

``export(bulletin, format=…, items=…)`` is the one exporter: the admin's download buttons,
the API's ``/bulletins/{date}/export/`` and ``manage.py export_bulletin`` all call it, so the
three give the same bytes (title with `` | 日报``, escaping in Markdown and HTML).
"""

from dataclasses import dataclass

FORMATS = ("text", "markdown", "html")
CONTENT_TYPES = {"text": "text/plain", "markdown": "text/markdown", "html": "text/html"}
SUFFIXES = {"text": "txt", "markdown": "md", "html": "html"}


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

    exporters = {"text": export_text, "markdown": export_markdown, "html": export_html}
    if format not in exporters:
        raise ValueError(f"unknown export format {format!r}; choose one of {', '.join(FORMATS)}")
    return Export(
        content=exporters[format](bulletin, items=items),
        content_type=f"{CONTENT_TYPES[format]}; charset=utf-8",
        suffix=SUFFIXES[format],
    )
