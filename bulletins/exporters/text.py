"""Canonical plain text of a bulletin — the format of ``../shared/samples/2026-03-17.txt``.

::

    headline 1;headline 2;headline 3 | 日报
    (医药健闻2026年3月17日讯)

    企业动态
    item
    …
    产业动态
    item

Lines end with ``\\n`` and there is no newline after the last item, as the issue is sent out.
"""

from ..models import Bulletin, ItemStatus, PublicationSettings

TITLE_SEPARATOR = ";"


def issue_items(bulletin: Bulletin, *, include_unapproved: bool = True):
    """Items of an issue in reading order (spiked ones never appear)."""
    items = bulletin.items.exclude(status=ItemStatus.SPIKED)
    if not include_unapproved:
        items = items.filter(status=ItemStatus.APPROVED)
    return list(items.select_related("section").in_issue_order())


def title_headlines(items) -> list[str]:
    ranked = [item for item in items if item.headline and item.headline_rank is not None]
    return [item.headline for item in sorted(ranked, key=lambda item: item.headline_rank)]


def title_for(items, *, kind: str | None = None) -> str:
    kind = kind or PublicationSettings.load().kind
    return f"{TITLE_SEPARATOR.join(title_headlines(items))} | {kind}"


def export_text(bulletin: Bulletin, *, items=None) -> str:
    items = issue_items(bulletin) if items is None else items
    lines = [title_for(items), bulletin.effective_dateline, ""]
    section = None
    for item in items:
        if item.section_id != getattr(section, "pk", None):
            section = item.section
            lines.append(section.name)
        lines.append(item.body)
    return "\n".join(lines)
