"""Turn the pasted text of a whole 日报 into a draft bulletin — through ``bulletins.workflow``.

Two steps, used alike by the admin page and the ``import_bulletin`` command:

- ``plan_import(text)`` parses, matches the title's headlines to items and collects every
  warning, without writing anything (the admin shows it as the preview);
- ``save_plan(plan, by=user)`` saves a plan in one transaction: the bulletin and its items
  as drafts (``workflow.create_bulletin`` / ``workflow.add_item``), sections it did not know
  (``sections.save_section``: chief editors only — an editor's import naming an unknown
  section is refused before anything is saved), and the linker's entity suggestions
  (``entities.link_new_items``), and the high-confidence discoveries — names the gazetteer
  does not know, found by a rule class measured precise enough (``discovery.AUTO_RULES``) —
  as new entities flagged ``is_discovered``, linked like gazetteer links
  (``plan_discoveries``, ``entities.create_discovered``). Anything refused leaves the
  database unchanged.
  ``import_issue(text, by=user)`` is ``plan_import`` + ``save_plan``.

A save parses and links the text once (the plan it is given) and indexes each item once
(``search.deferred_indexing``), after its links exist.

Errors: ``ParseError`` (the text, with its line) and ``workflow.TransitionNotAllowed``
(permission, or the date already has an issue that may not be replaced).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings as django_settings
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from .. import discovery, entities, facts, linking, search, sections, workflow
from ..dateline import normalize_dateline
from ..models import Bulletin, BulletinStatus, Item, PublicationSettings, Section
from ..roles import User
from . import duplicates
from .headlines import HeadlineMatch, match_headlines
from .parser import ParsedIssue, ParseError, ParseWarning, parse_issue


@dataclass
class PlannedItem:
    index: int  # place in the whole issue, from 0
    section: str
    position: int  # place in its section, from 1
    body: str
    line: int
    parts: list[str] = field(default_factory=list)  # the pasted lines it was joined from
    headline: str = ""
    headline_rank: int | None = None
    suggestions: list = field(default_factory=list)  # linking.Suggestion
    # names not yet known (discovery.Candidate), split by confidence: ``discoveries`` (high
    # confidence: created and linked on save, as ItemDiscovery) and ``candidates`` (one click)
    discoveries: list = field(default_factory=list)
    candidates: list = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.section} #{self.position}"


@dataclass(frozen=True)
class ItemDiscovery:
    key: str  # PlannedDiscovery.key: the entity this item links to
    candidate: discovery.Candidate

    @property
    def name(self) -> str:
        return self.candidate.name


@dataclass
class PlannedDiscovery:
    """One entity an import creates (or reuses) for high-confidence discoveries; every item
    naming it links to it. ``key`` (type:name) is what the preview's checkbox sends."""

    key: str
    name: str
    type: str
    rule: str
    aliases: list[str] = field(default_factory=list)
    items: list[int] = field(default_factory=list)  # PlannedItem.index, in order
    labels: list[str] = field(default_factory=list)  # their PlannedItem.label

    @property
    def names(self) -> list[str]:
        return [self.name, *self.aliases]


@dataclass
class PlannedSection:
    name: str
    is_new: bool
    items: list[PlannedItem]
    line: int = 0  # of its heading in the pasted text


@dataclass
class ImportPlan:
    parsed: ParsedIssue
    sections: list[PlannedSection]
    matches: list[HeadlineMatch]
    warnings: list[ParseWarning]
    dateline: str  # what Bulletin.dateline gets: '' when it is the canonical one
    existing: Bulletin | None
    discoveries: list[PlannedDiscovery] = field(default_factory=list)

    @property
    def items(self) -> list[PlannedItem]:
        return [item for section in self.sections for item in section.items]

    @property
    def issued_on(self) -> dt.date:
        return self.parsed.issued_on

    @property
    def new_sections(self) -> list[str]:
        return [section.name for section in self.sections if section.is_new]


@dataclass
class ImportResult:
    bulletin: Bulletin
    plan: ImportPlan
    replaced: bool


def plan_import(
    text: str, *, headline_choices: dict[int, int | None] | None = None, link: bool = True
) -> ImportPlan:
    """Parse and match without saving. ``headline_choices`` maps a headline's rank to the
    index of the item it belongs to (or None to leave it out), overriding the automatic match.
    """
    settings = PublicationSettings.load()
    known = dict(Section.objects.values_list("name", "position"))
    parsed = parse_issue(text, known_sections=known)
    warnings = list(parsed.warnings)

    sections: list[PlannedSection] = []
    index = 0
    for parsed_section in parsed.sections:
        planned = []
        for position, parsed_item in enumerate(parsed_section.items, 1):
            planned.append(
                PlannedItem(
                    index=index,
                    section=parsed_section.name,
                    position=position,
                    body=parsed_item.body,
                    line=parsed_item.line,
                    parts=parsed_item.parts,
                )
            )
            index += 1
        sections.append(
            PlannedSection(
                parsed_section.name,
                parsed_section.name not in known,
                planned,
                line=parsed_section.line,
            )
        )
    items = [item for section in sections for item in section.items]

    if link:
        texts = [item.body for item in items] + parsed.headlines
        analyses = linking.analyse_texts(dict(enumerate(texts)))
        found = [analyses[n].suggestions for n in range(len(texts))]
        for item, suggestions in zip(items, found, strict=False):
            item.suggestions = suggestions
        candidates = entities.without_dismissed(
            {n: analyses[n].candidates for n in range(len(items))}
        )
        for n, item in enumerate(items):
            item.candidates = candidates[n]
        found_discoveries = plan_discoveries(items)
        headline_entities = [_entity_ids(s) for s in found[len(items) :]]
        item_entities = [_entity_ids(item.suggestions) for item in items]
    else:
        headline_entities = item_entities = None
        found_discoveries = []
    matches = match_headlines(
        parsed.headlines,
        [item.body for item in items],
        headline_entities=headline_entities,
        item_entities=item_entities,
    )
    if headline_choices:
        matches = _apply_choices(matches, headline_choices, len(items), parsed.title_line)
    for match in matches:
        if match.index is None:
            warnings.append(
                ParseWarning(
                    parsed.title_line,
                    "unmatched_headline",
                    f"标题“{match.headline}”没有找到对应的条目,请为它选择一条;否则保存时不会保留它。",
                    f"headline {match.headline!r} matches no item; choose one, "
                    "or it is left out on save",
                )
            )
    rank = 0
    for match in matches:  # ranks stay contiguous when a headline is left out
        if match.index is not None:
            rank += 1
            items[match.index].headline = match.headline
            items[match.index].headline_rank = rank

    if parsed.publication != settings.name:
        warnings.append(
            ParseWarning(
                parsed.dateline_line,
                "other_publication",
                f"电头中的刊物名“{parsed.publication}”与设置中的“{settings.name}”不同。",
                f"the dateline names {parsed.publication!r}, not {settings.name!r}",
            )
        )
    if parsed.kind and parsed.kind != settings.kind:
        warnings.append(
            ParseWarning(
                parsed.title_line,
                "other_kind",
                f"标题中的刊物类型“{parsed.kind}”与设置中的“{settings.kind}”不同;导出时使用“{settings.kind}”。",
                f"the title says {parsed.kind!r}; export uses {settings.kind!r}",
            )
        )
    top = max(known.values(), default=0)
    order = [known.get(section.name, top + 1 + n) for n, section in enumerate(sections)]
    if order != sorted(order):
        warnings.append(
            ParseWarning(
                0,
                "section_order",
                "栏目顺序与栏目设置不同;保存和导出时按栏目设置的顺序排列。",
                "the sections are in another order than their settings; "
                "the saved issue follows the settings",
            )
        )
    warnings += _duplicate_warnings(items, parsed.issued_on)
    # In the order of the pasted lines (whole-text remarks last), whatever step found them.
    warnings.sort(key=lambda warning: (warning.line == 0, warning.line))
    canonical = settings.dateline_for(parsed.issued_on)
    dateline = (
        ""
        if normalize_dateline(parsed.dateline) == normalize_dateline(canonical)
        else parsed.dateline
    )
    return ImportPlan(
        parsed=parsed,
        sections=sections,
        matches=matches,
        warnings=warnings,
        dateline=dateline,
        existing=Bulletin.objects.filter(issued_on=parsed.issued_on).first(),
        discoveries=found_discoveries,
    )


def plan_discoveries(items: list[PlannedItem]) -> list[PlannedDiscovery]:
    """Move each item's high-confidence candidates (``discovery.is_auto``) to its
    ``discoveries``: one entity per name and type across the issue, its names the union of
    what the items print. A lower-confidence candidate whose name is one of those entities'
    names (启析生物 in a later item, after 杭州启析生物科技有限公司) links to it as well;
    the other candidates stay candidates. Pure: reads and writes no database."""
    planned: dict[str, PlannedDiscovery] = {}
    by_name: dict[tuple[str, str], str] = {}  # (type, name) → key

    def key_for(candidate) -> str | None:
        return next(
            (
                by_name[(candidate.type, n)]
                for n in candidate.names
                if (candidate.type, n) in by_name
            ),
            None,
        )

    for item in items:
        for candidate in item.candidates:
            if not discovery.is_auto(candidate):
                continue
            key = key_for(candidate)
            if key is None:
                key = f"{candidate.type}:{candidate.name}"
                planned[key] = PlannedDiscovery(key, candidate.name, candidate.type, candidate.rule)
            entry = planned[key]
            for name in candidate.names:
                if name != entry.name and name not in entry.aliases:
                    entry.aliases.append(name)
                by_name[(candidate.type, name)] = key
    for item in items:
        kept = []
        for candidate in item.candidates:
            key = key_for(candidate)
            if key is None:
                kept.append(candidate)
                continue
            item.discoveries.append(ItemDiscovery(key, candidate))
            if item.index not in planned[key].items:
                planned[key].items.append(item.index)
                planned[key].labels.append(item.label)
        item.candidates = kept
    return list(planned.values())


def _duplicate_warnings(items: list[PlannedItem], issued_on: dt.date) -> list[ParseWarning]:
    """The same item twice in the paste, and items near-identical to one published in the
    last ``NEWSROOM_DUPLICATE_DAYS`` days (with a link to it)."""
    warnings = []
    bodies = [item.body for item in items]
    for dup in duplicates.within(bodies):
        later, first = items[dup.index], items[dup.of]
        warnings.append(
            ParseWarning(
                later.line,
                "duplicate_in_paste",
                f"这条({later.label})与第 {first.line} 行的条目({first.label})几乎相同,是否重复粘贴?",
                f"this item ({later.label}) is near-identical to the one on line {first.line}",
            )
        )
    days = getattr(django_settings, "NEWSROOM_DUPLICATE_DAYS", 7)
    recent = (
        Item.objects.published()
        .filter(
            bulletin__issued_on__gte=issued_on - dt.timedelta(days=days),
            bulletin__issued_on__lte=issued_on,
        )
        .values_list("pk", "body", "bulletin__issued_on")
    )
    published = {pk: day for pk, _body, day in recent}
    for dup in duplicates.against(bodies, [(pk, body) for pk, body, _day in recent]):
        item = items[dup.index]
        day = published[dup.of]
        warnings.append(
            ParseWarning(
                item.line,
                "duplicate_published",
                f"这条({item.label})与 {day:%Y-%m-%d} 已发布的一条几乎相同,请确认不是旧闻。",
                f"this item ({item.label}) is near-identical to one published on {day:%Y-%m-%d}",
                url=reverse("admin:bulletins_item_change", args=[dup.of]),
            )
        )
    return warnings


def _apply_choices(matches, choices, count, title_line) -> list[HeadlineMatch]:
    result = []
    for match in matches:
        index = choices.get(match.rank, match.index)
        if index is not None and not 0 <= index < count:
            raise ParseError(
                line=title_line,
                code="headline_choice",
                message=f"为标题“{match.headline}”选择的条目不存在。",
                message_en=f"the item chosen for headline {match.headline!r} does not exist",
            )
        result.append(HeadlineMatch(match.headline, match.rank, index, match.score))
    chosen = [match.index for match in result if match.index is not None]
    if len(chosen) != len(set(chosen)):
        raise ParseError(
            line=title_line,
            code="headline_choice",
            message="两个标题被分配给了同一条条目。",
            message_en="two headlines were given the same item",
        )
    return result


def import_issue(
    text: str,
    *,
    by: User,
    replace: bool = False,
    headline_choices: dict[int, int | None] | None = None,
) -> ImportResult:
    """Plan and save the issue as a draft bulletin of ``by``; see ``save_plan``."""
    workflow.require(by, "edit", message=_("您没有权限导入日报。"))
    return save_plan(plan_import(text, headline_choices=headline_choices), by=by, replace=replace)


def save_plan(
    plan: ImportPlan, *, by: User, replace: bool = False, discoveries=None
) -> ImportResult:
    """Save a plan as a draft bulletin of ``by``; one transaction, all or nothing.

    A date that already has an issue is refused, unless ``replace`` is true and that issue is
    still a draft. Unknown sections are created for chief editors and refused for others.
    The plan's discoveries are created (or reused, ``entities.create_discovered``) and linked
    as confirmed, like gazetteer links; ``discoveries``: the keys to keep (the preview's
    ticked boxes), None for all of them — an unticked one stays a candidate.
    """
    workflow.require(by, "edit", message=_("您没有权限导入日报。"))
    # Fact extraction only reads: done before the write transaction (as the plan is), so
    # that on SQLite other writers wait for the inserts alone (bounded: bulletins/limits.py).
    found_facts = [facts.extract(planned.body) for planned in plan.items]
    with transaction.atomic(), search.deferred_indexing():
        sections.require_known([(s.name, s.line) for s in plan.sections], by=by)
        existing = Bulletin.objects.select_for_update().filter(issued_on=plan.issued_on).first()
        if existing is not None:
            if not replace:
                raise workflow.TransitionNotAllowed(
                    _("%(date)s 已经有一期日报(%(status)s);如要替换仍为草稿的日报,请选择“替换”。")
                    % {"date": plan.issued_on, "status": existing.get_status_display()},
                    code="conflict",
                )
            if existing.status != BulletinStatus.DRAFT:
                raise workflow.TransitionNotAllowed(
                    _("%(date)s 的日报状态为“%(status)s”,只有草稿可以被导入替换。")
                    % {"date": plan.issued_on, "status": existing.get_status_display()},
                    code="invalid_state",
                )
            workflow.delete_draft_bulletin(existing, by=by)
        by_name = _sections_for(plan, by=by)
        bulletin = workflow.create_bulletin(issued_on=plan.issued_on, by=by, dateline=plan.dateline)
        items = workflow.add_items(
            bulletin,
            by=by,
            items=[
                {
                    "section": by_name[planned.section],
                    "body": planned.body,
                    "headline": planned.headline,
                    "headline_rank": planned.headline_rank,
                    "position": planned.position,
                    # Suggested event kind, round and facts: editors correct them before
                    # submitting.
                    "event_kind": found.event_kind,
                    "financing_round": found.financing_round,
                    "facts": found.as_json(),
                }
                for planned, found in zip(plan.items, found_facts, strict=True)
            ],
        )
        ticked = None if discoveries is None else set(discoveries)
        wanted = [d for d in plan.discoveries if ticked is None or d.key in ticked]
        created = entities.create_discovered(wanted, by=by)
        suggested = [
            (
                item,
                planned.suggestions,
                facts.roles_by_name(found),
                [
                    (created[d.key], d.candidate.text)
                    for d in planned.discoveries
                    if d.key in created
                ],
            )
            for item, planned, found in zip(items, plan.items, found_facts, strict=True)
        ]
        entities.link_new_items(suggested, by=by)
        bulletin.refresh_from_db()
    return ImportResult(bulletin=bulletin, plan=plan, replaced=existing is not None)


def _entity_ids(suggestions) -> set[int]:
    ids = set()
    for suggestion in suggestions:
        if suggestion.entity is not None:
            ids.add(suggestion.entity.pk)
        ids.update(entity.pk for entity in suggestion.candidates)
    return ids


def _sections_for(plan: ImportPlan, *, by: User) -> dict[str, Section]:
    """The plan's sections by name, creating the new ones through the section service
    (in the plan's order, after the existing sections)."""
    by_name = {section.name: section for section in Section.objects.all()}
    for name in plan.new_sections:
        if name not in by_name:  # another import may have created it since the plan
            by_name[name] = sections.save_section(Section(name=name), by=by)
    return by_name
