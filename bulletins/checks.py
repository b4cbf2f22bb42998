"""Pre-publish checks: what blocks publication of an issue and what an editor should look at.

Read-only: nothing here writes. ``workflow.publish`` refuses while ``prepublish_checks`` has a
blocking check; the admin's bulletin page and dashboard show the whole report. The dateline
format comes from ``bulletins.dateline`` (beside the models), so this module imports nothing
from the importer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .dateline import dateline_date
from .exporters.wechat import wechat_article, wechat_warnings
from .models import Bulletin, Item, ItemStatus


@dataclass
class Check:
    code: str
    message: str
    is_blocking: bool
    item_id: int | None = None
    section: str = ""  # where the item is, for the summary ("企业动态 #1–#11")
    position: int | None = None


# How a group of item checks of one kind reads in the summary ("22 条未审核").
GROUP_TITLES = {
    "unapproved": gettext_lazy("%(n)s 条尚未审核通过"),
    "rank_without_headline": gettext_lazy("%(n)s 条有标题排序但没有标题"),
    "headline_without_rank": gettext_lazy("%(n)s 条的标题没有排序,不会出现在标题中"),
    "no_entity": gettext_lazy("%(n)s 条没有关联任何实体"),
    "mixed_punctuation": gettext_lazy("%(n)s 条混用了半角和全角标点"),
    "near_duplicate": gettext_lazy("%(n)s 条与近 7 天的内容高度相似"),
}


@dataclass
class CheckGroup:
    code: str
    title: str
    where: str  # "企业动态 #1–#11、产业动态 #2"
    checks: list[Check]
    is_blocking: bool

    @property
    def item_ids(self) -> list[int]:
        return [c.item_id for c in self.checks if c.item_id]

    def __str__(self):
        return f"{self.title}:{self.where}" if self.where else self.title


def _ranges(positions: list[int]) -> str:
    runs: list[list[int]] = []
    for n in sorted(set(positions)):
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    return "、".join(
        f"#{r[0]}–#{r[-1]}" if len(r) > 2 else "、".join(f"#{n}" for n in r) for r in runs
    )


@dataclass
class CheckReport:
    checks: list[Check] = field(default_factory=list)

    @property
    def blocking(self):
        return [c for c in self.checks if c.is_blocking]

    @property
    def warnings(self):
        return [c for c in self.checks if not c.is_blocking]

    @property
    def ok(self) -> bool:
        return not self.blocking

    def groups(self, *, blocking: bool) -> list[CheckGroup]:
        """Checks of one kind together: one line per kind instead of one per item."""
        by_code: dict[str, list[Check]] = {}
        for check in self.checks:
            if check.is_blocking == blocking:
                by_code.setdefault(check.code, []).append(check)
        groups = []
        for code, checks in by_code.items():
            if code not in GROUP_TITLES or len(checks) == 1:
                groups += [CheckGroup(code, c.message, "", [c], blocking) for c in checks]
                continue
            sections: dict[str, list[int]] = {}
            for check in checks:
                sections.setdefault(check.section, []).append(check.position or 0)
            where = ";".join(f"{name} {_ranges(pos)}" for name, pos in sections.items())
            title = GROUP_TITLES[code] % {"n": len(checks)}
            groups.append(CheckGroup(code, str(title), where, checks, blocking))
        return groups

    @property
    def blocking_groups(self) -> list[CheckGroup]:
        return self.groups(blocking=True)

    @property
    def warning_groups(self) -> list[CheckGroup]:
        return self.groups(blocking=False)

    @property
    def summary(self) -> list[str]:
        """The blocking checks, one line per kind (the publish confirmation shows these)."""
        return [str(group) for group in self.blocking_groups]


def _punctuation_mixed(text: str) -> bool:
    # Escapes, not literals: editors and tools silently normalise full-width characters.
    pairs = [(",", "\uff0c"), (";", "\uff1b"), ("(", "\uff08"), (")", "\uff09"), (":", "\uff1a")]
    return any(a in text and b in text for a, b in pairs)


def _bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)}


def prepublish_checks(bulletin: Bulletin) -> CheckReport:
    """What blocks publication and what an editor should look at first."""
    report = CheckReport()
    items = list(
        bulletin.items.exclude(status=ItemStatus.SPIKED)
        .select_related("section")
        .prefetch_related("entity_links")
        .in_issue_order()
    )
    if not items:
        report.checks.append(Check("empty", _("这期日报没有任何条目。"), True))
    for item in items:
        label = f"{item.section.name} #{item.position}"
        if item.status != ItemStatus.APPROVED:
            report.checks.append(
                Check(
                    "unapproved",
                    _("%(label)s 尚未审核通过(%(status)s)。")
                    % {"label": label, "status": item.get_status_display()},
                    True,
                    item.pk,
                    item.section.name,
                    item.position,
                )
            )
        if item.headline_rank is not None and not item.headline:
            report.checks.append(
                Check(
                    "rank_without_headline",
                    _("%(label)s 有标题排序但没有标题。") % {"label": label},
                    True,
                    item.pk,
                    item.section.name,
                    item.position,
                )
            )
        if item.headline and item.headline_rank is None:
            report.checks.append(
                Check(
                    "headline_without_rank",
                    _("%(label)s 的标题没有排序,不会出现在标题中。") % {"label": label},
                    False,
                    item.pk,
                    item.section.name,
                    item.position,
                )
            )
        if not item.entity_links.all():
            report.checks.append(
                Check(
                    "no_entity",
                    _("%(label)s 没有关联任何实体。") % {"label": label},
                    False,
                    item.pk,
                    item.section.name,
                    item.position,
                )
            )
        if _punctuation_mixed(item.body):
            report.checks.append(
                Check(
                    "mixed_punctuation",
                    _("%(label)s 混用了半角和全角标点。") % {"label": label},
                    False,
                    item.pk,
                    item.section.name,
                    item.position,
                )
            )
    # A headline that points at no item: a spiked item still holding a rank in the title.
    for item in bulletin.items.filter(status=ItemStatus.SPIKED, headline_rank__isnull=False):
        report.checks.append(
            Check(
                "headline_orphan",
                _("标题“%(headline)s”指向已弃用的条目。") % {"headline": item.headline},
                True,
                item.pk,
            )
        )
    if bulletin.dateline:
        found = dateline_date(bulletin.dateline)
        if found != bulletin.issued_on:
            report.checks.append(
                Check(
                    "dateline_date",
                    _("电头日期(%(found)s)与日报日期(%(date)s)不一致。")
                    % {"found": found or "?", "date": bulletin.issued_on},
                    True,
                )
            )
    # Near-duplicates of items in the last seven issues (character-bigram Jaccard ≥ 0.6).
    since = bulletin.issued_on - dt.timedelta(days=7)
    recent = list(
        Item.objects.filter(
            bulletin__issued_on__gte=since, bulletin__issued_on__lt=bulletin.issued_on
        )
        .exclude(status=ItemStatus.SPIKED)
        .values_list("body", "bulletin__issued_on")
    )
    recent_grams = [(_bigrams(body), day) for body, day in recent]
    for item in items:
        grams = _bigrams(item.body)
        if not grams:
            continue
        for other, day in recent_grams:
            if other and len(grams & other) / len(grams | other) >= 0.6:
                report.checks.append(
                    Check(
                        "near_duplicate",
                        _("%(label)s 与 %(day)s 的一条内容高度相似。")
                        % {"label": f"{item.section.name} #{item.position}", "day": day},
                        False,
                        item.pk,
                        item.section.name,
                        item.position,
                    )
                )
                break
    # The 公众号 limits (exporters/wechat.py): pasting would be refused or cut; never blocking.
    article = wechat_article(bulletin, items=items)
    report.checks += [Check("wechat_limit", warning, False) for warning in wechat_warnings(article)]
    return report
