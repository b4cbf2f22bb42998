"""Exports of a stored bulletin: canonical text, Markdown, and an HTML fragment."""

FORMATS = ("text", "markdown", "html")


def export(bulletin, *, format: str = "text") -> str:
    """The bulletin (its non-spiked items) in one of ``FORMATS``."""
    from .html import export_html
    from .markdown import export_markdown
    from .text import export_text

    exporters = {"text": export_text, "markdown": export_markdown, "html": export_html}
    if format not in exporters:
        raise ValueError(f"unknown export format {format!r}; choose one of {', '.join(FORMATS)}")
    return exporters[format](bulletin)
