"""Section services: the only code that creates or changes a section (栏目).

A section is public structure — it has a URL (``/sections/<slug>/``), feeds and sitemap
entries — so creating one is the chief editor's (``manage_sections`` in ``roles``); editors
only suggest. The admin's section page and the importer both come here. An import that names
a section which does not exist yet is therefore refused for an editor *before anything is
saved*, with the heading's line and the sections that do exist, so the editor can fix the
heading or ask the chief editor; a chief editor's import creates the section (with a warning).
Turning the unknown heading into a silent proposal was the alternative; it was not taken
because the items under it would need a section to be saved in, and a half-imported issue
is worse than a clear refusal.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from . import pinyin
from .models import Section
from .roles import TransitionNotAllowed, User, can, require


def section_slug(name: str) -> str:
    """企业动态 → qi-ye-dong-tai (pinyin); a name without letters gets ``section`` later."""
    return pinyin.pinyin_slug(name, max_length=50)


def unique_slug(name: str, *, exclude_pk=None) -> str:
    taken = Section.objects.exclude(pk=exclude_pk) if exclude_pk else Section.objects.all()
    return pinyin.unique_slug(name, taken, max_length=50, fallback="section")


@transaction.atomic
def save_section(section: Section, *, by: User) -> Section:
    """Create or change a section (chief editors). A new section without a slug gets one
    from its name; without a position it goes after the last section."""
    require(by, "manage_sections", message=_("只有主编可以新建或修改栏目。"))
    if not section.slug:
        section.slug = unique_slug(section.name, exclude_pk=section.pk)
    if section.pk is None and not section.position:
        top = Section.objects.aggregate(top=Max("position"))["top"] or 0
        section.position = top + 1
    section.save()
    return section


def require_known(headings: list[tuple[str, int]], *, by: User) -> None:
    """Refuse (``forbidden``) when ``by`` may not create sections and some of ``headings``
    — ``(name, line)`` pairs from a pasted issue — name no existing section."""
    existing = list(Section.objects.values_list("name", flat=True))
    unknown = [(name, line) for name, line in headings if name not in existing]
    if not unknown or can(by, "manage_sections"):
        return
    where = ";".join(
        _("第 %(line)s 行:栏目「%(name)s」尚不存在") % {"line": line, "name": name}
        for name, line in unknown
    )
    raise TransitionNotAllowed(
        _("%(where)s;新建栏目需由主编操作。现有栏目:%(existing)s")
        % {"where": where, "existing": "、".join(existing)},
        code="forbidden",
    )
