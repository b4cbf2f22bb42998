"""A bulletin as Markdown (CommonMark): the title as a heading, one heading per section,
one paragraph per item. Text is escaped, so an item never turns into a list, a link or HTML.
"""

import re

from ..models import Bulletin
from .text import issue_items, title_for

# Backslash-escapable everywhere in CommonMark; escaping them keeps the text literal.
INLINE_SPECIAL_RE = re.compile(r"([\\`*_\[\]<>~&|])")
# At the start of a line these would open a heading, quote, list, rule or code block.
LINE_START_RE = re.compile(r"^(\s*)([#>+\-=]|\d+[.)])")


def escape_markdown(text: str) -> str:
    text = INLINE_SPECIAL_RE.sub(r"\\\1", text)
    return LINE_START_RE.sub(lambda m: m[1] + _escape_marker(m[2]), text)


def _escape_marker(marker: str) -> str:
    if marker[-1] in ".)":
        return marker[:-1] + "\\" + marker[-1]
    return "\\" + marker


def export_markdown(bulletin: Bulletin, *, items=None) -> str:
    items = issue_items(bulletin) if items is None else items
    blocks = [
        f"# {escape_markdown(title_for(items))}",
        escape_markdown(bulletin.effective_dateline),
    ]
    section = None
    for item in items:
        if item.section_id != getattr(section, "pk", None):
            section = item.section
            blocks.append(f"## {escape_markdown(section.name)}")
        blocks.append(escape_markdown(item.body))
    return "\n\n".join(blocks) + "\n"
