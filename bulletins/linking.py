"""Entity suggestions from item text, and mentions rendered as links.

The contract:

- ``suggest(text)`` returns one ``Suggestion`` per entity mentioned (its first mention), in
  text order. A name or alias shared by two live entities, or marked ambiguous
  (``EntityAlias.is_ambiguous``), is linked only with context — another unambiguous name of
  the same entity in the text, or words in its clause that fit exactly one entity's type
  (领投 for an investor, 获批 for a drug …); otherwise its suggestion has ``entity=None``,
  ``is_ambiguous=True`` and the possible entities in ``candidates``.
- A known name inside a longer unknown name found by ``bulletins.discovery`` is not linked
  (罗氏 inside 罗氏诊断, 瑞基奥仑赛 inside 舒瑞基奥仑赛): the longer name is proposed
  instead — except a known company inside its own legal name (百济神州生物科技有限公司), a
  known organisation at the end of a span whose front is doubtful (进入国家药监局), and spans
  of another kind (a disease span never overrides a company).
- ``analyse(text)`` / ``analyse_texts({key: text})`` give the suggestions and the discovery
  candidates the gazetteer does not know (admin only: the import preview and the item page).
- Matching is done by an Aho–Corasick automaton over every live entity's canonical name,
  English name and aliases (aliases shorter than two characters are ignored: noise).
- Overlaps are resolved longest first (葛兰素史克 over 葛兰素史, 华润医药投资 over 华润医药;
  in unsegmented Chinese the longer name is the more specific one), then leftmost; the
  returned spans never overlap.
- Latin letters match case-insensitively, full-width forms as half-width (ＧＳＫ = GSK);
  a name that starts or ends with a Latin letter or digit only matches on a word boundary
  (GSK not inside GSKX, AI not inside AIFA). CJK characters need no boundary.
- The automaton is built once per process and rebuilt only when the gazetteer changes: a
  version stamp made of a shared cache key (bumped by ``bulletins.entities`` services, so
  every gunicorn worker sees it) and the entities' count/last update plus the aliases'
  count/highest id (so admin and shell edits are noticed too). Checking it costs one query.
- ``render_mentions(text, entities)`` is pure: it escapes the text and links the mentions of
  the given (confirmed) entities to their pages. Pass entities with ``aliases`` prefetched to
  keep a page's query count constant.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

import ahocorasick
from django.core.cache import cache
from django.db import connection
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from . import discovery
from .models import Entity, EntityAlias

VERSION_CACHE_KEY = "bulletins:linker-version"
MIN_ALIAS_LENGTH = 2

# Full-width ASCII (！…～) to half-width and ASCII upper to lower case: a one-to-one mapping,
# so offsets in the folded text are offsets in the original text.
_FOLD = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
_FOLD.update({c: c + 32 for c in range(ord("A"), ord("Z") + 1)})
_FOLD.update({c: c - 0xFEE0 + 32 for c in range(0xFF21, 0xFF3B)})  # Ａ-Ｚ → a-z
_FOLD.update({0x3000: 0x20})


def fold(text: str) -> str:
    """The form both names and text are matched in (same length as ``text``)."""
    return text.translate(_FOLD)


def _is_word_char(char: str) -> bool:
    # Latin letters and digits (incl. accented ones as in Farmacéutica), not CJK.
    return char.isalnum() and ord(char) < 0x2E80


def _joined(text: str, i: int, step: int) -> bool:
    """Whether the character at ``i`` continues a Latin word: a letter/digit, or a hyphen
    followed by one (HEC is not in HEC-88473)."""
    char = text[i]
    if _is_word_char(char):
        return True
    j = i + step
    return char == "-" and 0 <= j < len(text) and _is_word_char(text[j])


@dataclass(frozen=True)
class Suggestion:
    entity: Entity | None
    start: int
    end: int
    text: str
    is_ambiguous: bool = False
    candidates: tuple[Entity, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    entity_ids: tuple[int, ...]
    # the entities for which this name is marked ambiguous (they need context to be linked)
    weak_ids: frozenset[int] = frozenset()


class Gazetteer:
    """An automaton over names: ``find(text)`` gives non-overlapping mentions."""

    def __init__(self, names: Iterable[tuple]):
        """``names``: ``(name, entity id)`` or ``(name, entity id, is_ambiguous)``."""
        by_key: dict[str, set[int]] = {}
        weak: dict[str, set[int]] = {}
        for name, entity_id, *flag in names:
            name = (name or "").strip()
            if len(name) < MIN_ALIAS_LENGTH:
                continue
            key = fold(name)
            by_key.setdefault(key, set()).add(entity_id)
            if flag and flag[0]:
                weak.setdefault(key, set()).add(entity_id)
        self.size = len(by_key)
        self.keys = frozenset(by_key)
        self._automaton = ahocorasick.Automaton()
        for key, ids in by_key.items():
            self._automaton.add_word(
                key,
                (
                    len(key),
                    tuple(sorted(ids)),
                    _is_word_char(key[0]),
                    _is_word_char(key[-1]),
                    frozenset(weak.get(key, ())),
                ),
            )
        if by_key:
            self._automaton.make_automaton()

    def find(self, text: str) -> list[Mention]:
        if not self.size or not text:
            return []
        folded = fold(text)
        last = len(folded) - 1
        candidates = []
        for end, (length, ids, bound_start, bound_end, weak) in self._automaton.iter(folded):
            start = end - length + 1
            if bound_start and start > 0 and _joined(folded, start - 1, -1):
                continue
            if bound_end and end < last and _joined(folded, end + 1, 1):
                continue
            candidates.append((start, end + 1, ids, weak))
        if len(candidates) > 1:
            candidates.sort(key=lambda c: (c[0] - c[1], c[0]))  # longest, then leftmost
            taken = bytearray(len(folded))
            kept = []
            for start, end, ids, weak in candidates:
                if not any(taken[start:end]):
                    taken[start:end] = b"\x01" * (end - start)
                    kept.append((start, end, ids, weak))
            candidates = sorted(kept, key=lambda c: c[0])
        return [Mention(start, end, ids, weak) for start, end, ids, weak in candidates]

    def lookup(self, name: str) -> Mention | None:
        """``name`` as a whole mention (offsets 0…len), or None when it is no known name."""
        key = fold((name or "").strip())
        value = self._automaton.get(key, None) if self.size else None
        if value is None:
            return None
        length, ids, _bound_start, _bound_end, weak = value
        return Mention(0, length, ids, weak)

    def knows(self, name: str) -> bool:
        """Whether ``name`` is exactly one of the names (as folded)."""
        return fold((name or "").strip()) in self.keys


# ----------------------------------------------------------------------------- the cached linker


class _Linker:
    def __init__(self, gazetteer: Gazetteer, entities: dict[int, Entity], stamp):
        self.gazetteer = gazetteer
        self.entities = entities
        self.stamp = stamp


_lock = threading.Lock()
_current: _Linker | None = None


def bump_version() -> None:
    """Tell every process that the gazetteer changed (called by the entity services)."""
    try:
        cache.incr(VERSION_CACHE_KEY)
    except ValueError:
        cache.set(VERSION_CACHE_KEY, 1, None)


def _stamp():
    # one round trip (the version check runs on every suggestion call)
    entity, alias = Entity._meta.db_table, EntityAlias._meta.db_table
    updated = Entity._meta.get_field("updated_at").column
    alias_pk = EntityAlias._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*), MAX({updated}), (SELECT COUNT(*) FROM {alias}), "  # noqa: S608
            f"(SELECT MAX({alias_pk}) FROM {alias}) FROM {entity}"
        )
        counts = cursor.fetchone()
    return (cache.get(VERSION_CACHE_KEY, 0), *counts)


def _build(stamp) -> _Linker:
    entities = {
        e.pk: e for e in Entity.objects.live().only("pk", "type", "name", "name_en", "slug")
    }
    names: list[tuple[str, int]] = []
    for entity in entities.values():
        names.append((entity.name, entity.pk))
        if entity.name_en:
            names.append((entity.name_en, entity.pk))
    names.extend(
        EntityAlias.objects.filter(entity__merged_into__isnull=True).values_list(
            "alias", "entity_id", "is_ambiguous"
        )
    )
    return _Linker(Gazetteer(names), entities, stamp)


def get_linker() -> _Linker:
    """The automaton for the current gazetteer, rebuilt only if it changed."""
    global _current
    stamp = _stamp()
    linker = _current
    if linker is not None and linker.stamp == stamp:
        return linker
    with _lock:
        if _current is None or _current.stamp != stamp:
            _current = _build(stamp)
        return _current


# Words near an ambiguous name that tell which kind of entity it is (same clause).
TYPE_CONTEXT = {
    "investor": r"领投|跟投|参投|投资方|投资机构|加码|融资|基金|资本|创投|LP|GP",
    "regulator": r"批准|获批|受理|审评|认定|核准|授予|监管|药监|发布|征求意见|IND|NDA|BLA",
    "drug": r"获批|上市申请|临床|适应症|治疗|注射液|片剂|胶囊|单抗|剂量|疗效|用药",
    "disease": r"患者|治疗|适应症|一线|二线|晚期|罹患|发病|病人",
    "company": r"宣布|公司|股价|财报|子公司|旗下|营收|收购|净利润|CEO|总裁|董事长",
    "person": r"表示|博士|先生|女士|任命|CEO|首席|教授|院士|董事长|总裁",
    "institution": r"医院|大学|研究所|研究院|学会|协会|中心",
    "device": r"器械|设备|系统|注册证|植入|诊断",
}
_TYPE_CONTEXT = {t: re.compile(p) for t, p in TYPE_CONTEXT.items()}
_CLAUSE_END = re.compile(r"[,\uff0c;\uff1b。!\uff01?\uff1f\n]")


def _clause(text: str, start: int, end: int) -> str:
    left = max((m.end() for m in _CLAUSE_END.finditer(text, 0, start)), default=0)
    right = _CLAUSE_END.search(text, end)
    return text[left : right.start() if right else len(text)]


@dataclass(frozen=True)
class Analysis:
    """What the linker makes of one text: links/suggestions, and names it does not know."""

    suggestions: list[Suggestion]
    candidates: list[discovery.Candidate]


def _same_company(span: discovery.Candidate, mention_text: str) -> bool:
    """A legal name around a known short name is that company: 百济神州生物科技有限公司."""
    core = discovery.legal_core(span.text)
    if core is None:  # not a legal name: 罗氏诊断 is not 罗氏
        return False
    if mention_text == discovery.legal_core(span.text, keep_place=True):
        return True  # 苏州某某控股 + 股份有限公司
    return core == mention_text or (
        core.startswith(mention_text) and discovery.is_company_suffix(core[len(mention_text) :])
    )


_ORGANISATIONS = {"company", "investor", "regulator", "institution"}


def _extra_in_front(span: discovery.Candidate, mention: Mention, linker: _Linker) -> bool:
    """A known name at the end of a longer span, with words only in front: the span's start
    is the doubtful part for an organisation (进入国家药监局) and for one stray character
    (继特应性皮炎); a longer front of a drug or disease makes another name (舒瑞基奥仑赛,
    季节性过敏性鼻炎)."""
    if mention.end != span.end:
        return False
    types = {linker.entities[pk].type for pk in mention.entity_ids}
    return bool(types & _ORGANISATIONS) or ("disease" in types and mention.start - span.start < 2)


def _same_kind(span: discovery.Candidate, mention: Mention, linker: _Linker) -> bool:
    """A drug or disease span only overrides a drug or disease name, an organisation span an
    organisation (诺华 is not part of a disease read from 诺华担任中国肿瘤)."""
    types = {linker.entities[pk].type for pk in mention.entity_ids}
    if span.type in ("drug", "disease", "device"):
        return bool(types & {"drug", "disease", "device"})
    return bool(types & (_ORGANISATIONS | {"person"}))


_LEGAL_FORM_AFTER = re.compile(
    r"(?:[(\uff08][^()\uff08\uff09]{2,6}[)\uff09])?(?:集团)?(?:股份)?有限(?:责任)?公司|集团(?!旗下)"
)
_COURSE_BEFORE = re.compile(f"(?:{discovery.DISEASE_COURSE})+$")
_COURSE_FRONT = re.compile(f"(?:{discovery.DISEASE_COURSE})+")
_PLACE_BEFORE = re.compile(f"(?:{discovery.PLACES})(?:省|市)?$")


def _as_written(linker: _Linker, text: str, mention: Mention) -> Mention:
    """The link over the name as the item writes it: a company's legal form after it and its
    city in front (元禾控股 + 股份有限公司, 北京 + 某某基因), a medicine's salt and dosage form,
    a disease's course (the same entity each time)."""
    types = {linker.entities[pk].type for pk in mention.entity_ids}
    if types == {"drug"}:  # 盐酸 + 二甲双胍 + 缓释片: the medicine as written
        start, end = discovery.preparation_span(text, mention.start, mention.end)
        return Mention(start, end, mention.entity_ids, mention.weak_ids)
    if types == {"disease"}:  # 阵发性 + 心房颤动: the disease with its course, as written
        course = _COURSE_BEFORE.search(text, max(0, mention.start - 12), mention.start)
        if course and discovery.a_name_may_start(text, course.start(), disease=True):
            return Mention(course.start(), mention.end, mention.entity_ids, mention.weak_ids)
        return mention
    if not types & {"company", "investor"}:
        return mention
    start, end = mention.start, mention.end
    if tail := _LEGAL_FORM_AFTER.match(text, end):
        end = tail.end()
    place = _PLACE_BEFORE.search(text, max(0, start - 4), start)
    if place and discovery.a_name_may_start(text, place.start()):
        start = place.start()
    if (start, end) == (mention.start, mention.end):
        return mention
    return Mention(start, end, mention.entity_ids, mention.weak_ids)


def _widened(linker: _Linker, text: str, mentions: list[Mention]) -> list[Mention]:
    """Each mention over its name as written (``_as_written``), never over a neighbour."""
    out: list[Mention] = []
    for i, mention in enumerate(mentions):
        written = _as_written(linker, text, mention)
        low = out[-1].end if out else 0
        high = mentions[i + 1].start if i + 1 < len(mentions) else len(text)
        out.append(written if low <= written.start and written.end <= high else mention)
    return out


def _disease_as_descriptor(linker: _Linker, text: str, mention: Mention) -> bool:
    """日本糖尿病业务, 乳腺癌市场: a disease naming a business or a market, not an
    indication the item is about (``discovery.NOT_INDICATION_AFTER``)."""
    return all(linker.entities[pk].type == "disease" for pk in mention.entity_ids) and bool(
        discovery.NOT_INDICATION_AFTER.match(text, mention.end)
    )


def _analyse(linker: _Linker, text: str, *, candidates: bool = True) -> Analysis:
    gazetteer = linker.gazetteer
    spans = discovery.find(text, complete=candidates)
    mentions = [m for m in gazetteer.find(text) if not _disease_as_descriptor(linker, text, m)]
    # Precision: a known short name inside a longer unknown name is not linked (罗氏 inside
    # 罗氏诊断): the longer name is proposed instead — unless it is the known company's legal
    # name.
    kept = []
    for mention in mentions:
        piece = text[mention.start : mention.end]
        outer = next(
            (
                span
                for span in spans
                if not span.rule.startswith(("person", "code"))  # as in find(complete=False)
                and span.start <= mention.start
                and mention.end <= span.end
                and span.end - span.start > mention.end - mention.start
                # (by its printed text only: 舒瑞基奥仑赛(satri-cel) is a known drug by its
                # bracketed alias, and still not 瑞基奥仑赛)
                and not gazetteer.knows(span.text)
                and not _same_company(span, piece)
                and not discovery.preparation_of(span.text, piece)
                and not _extra_in_front(span, mention, linker)
                # (持续性 + 心房颤动: the course in front names no other disease)
                and not (
                    mention.end == span.end
                    and _COURSE_FRONT.fullmatch(text, span.start, mention.start)
                )
                and _same_kind(span, mention, linker)
            ),
            None,
        )
        if outer is None:
            kept.append(mention)
    kept = _widened(linker, text, kept)
    strong = {m.entity_ids[0] for m in kept if len(m.entity_ids) == 1 and not m.weak_ids}
    seen: set[int] = set()
    seen_ambiguous: set[tuple[int, ...]] = set()
    suggestions = []
    for mention in kept:
        piece = text[mention.start : mention.end]
        ids = mention.entity_ids
        chosen = None
        if len(ids) == 1 and not mention.weak_ids:
            chosen = ids[0]
        else:
            # Ambiguous: another (unambiguous) name of the entity in the same text settles
            # it, else words around it that fit exactly one of the entities' types.
            by_name = [pk for pk in ids if pk in strong]
            if len(by_name) == 1:
                chosen = by_name[0]
            elif not by_name:
                clause = _clause(text, mention.start, mention.end)
                fitting = [
                    pk
                    for pk in ids
                    if (pattern := _TYPE_CONTEXT.get(linker.entities[pk].type))
                    and pattern.search(clause)
                ]
                types = {linker.entities[pk].type for pk in ids}
                if len(fitting) == 1 and (len(ids) == 1 or len(types) > 1):
                    chosen = fitting[0]
        if chosen is not None:
            if chosen not in seen:
                seen.add(chosen)
                suggestions.append(
                    Suggestion(linker.entities[chosen], mention.start, mention.end, piece)
                )
            continue
        if ids in seen_ambiguous:
            continue
        seen_ambiguous.add(ids)
        suggestions.append(
            Suggestion(
                None,
                mention.start,
                mention.end,
                piece,
                is_ambiguous=True,
                candidates=tuple(linker.entities[pk] for pk in ids),
            )
        )
    # An ambiguous name resolved elsewhere in the text is not asked about again.
    suggestions = [
        s for s in suggestions if not s.is_ambiguous or not all(c.pk in seen for c in s.candidates)
    ]
    if not candidates:
        return Analysis(suggestions, [])
    linked = [(m.start, m.end) for m in kept]
    found = [
        c
        for c in spans
        if not any(gazetteer.knows(n) for n in (c.text, *c.names))
        and not any(
            (start <= c.start and c.end <= end) or (c.start <= start and end <= c.end)
            for start, end in linked
        )
    ]
    return Analysis(suggestions, found)


def _suggestions(linker: _Linker, text: str) -> list[Suggestion]:
    return _analyse(linker, text, candidates=False).suggestions


def suggest(text: str) -> list[Suggestion]:
    """The entities mentioned in ``text``: one suggestion per entity, in text order."""
    return _suggestions(get_linker(), text or "")


def analyse(text: str) -> Analysis:
    """Suggestions and the unknown names (discovery candidates, known names removed)."""
    return _analyse(get_linker(), text or "")


def item_text(item) -> str:
    return f"{item.headline}\n{item.body}" if item.headline else item.body


def suggest_for_item(item) -> list[Suggestion]:
    return suggest(item_text(item))


def suggest_for_items(items: Iterable) -> dict[int, list[Suggestion]]:
    """Suggestions for many items with one version check: {item.pk: [Suggestion…]}."""
    linker = get_linker()
    return {item.pk: _suggestions(linker, item_text(item)) for item in items}


def analyse_texts(texts: dict) -> dict:
    """``analyse`` for {key: text} with one version check: {key: Analysis}."""
    linker = get_linker()
    return {key: _analyse(linker, text or "") for key, text in texts.items()}


# ----------------------------------------------------------------------------- rendering


def _names_of(entity: Entity, aliases=None) -> list[str]:
    names = [entity.name, entity.name_en]
    if aliases is not None:
        names.extend(aliases.get(entity.pk, ()))
    else:
        names.extend(a.alias for a in entity.aliases.all())
    return names


def render_mentions(
    text: str, entities: Iterable[Entity], *, first_only: bool = False, aliases=None
) -> SafeString:
    """``text`` escaped, each mention of one of ``entities`` linked to its page.

    ``first_only``: link an entity at its first mention only, as news sites do — the
    same name underlined four times in a paragraph reads as noise.

    Give the item's confirmed entities (prefetch ``aliases``, or pass ``aliases`` as
    {entity id: [alias…]}); a name two of them share stays plain text. Pages read it stored
    per item version (``readmodels.ItemMarkup``), rendered again when that is stale.
    """
    entities = {e.pk: e for e in entities}
    if not text:
        return mark_safe("")
    if not entities:
        return mark_safe(escape(text))
    gazetteer = Gazetteer(
        (name, entity.pk) for entity in entities.values() for name in _names_of(entity, aliases)
    )
    out = []
    pos = 0
    linked = set()
    for mention in gazetteer.find(text):
        if len(mention.entity_ids) != 1:
            continue
        entity = entities[mention.entity_ids[0]]
        if first_only and entity.pk in linked:
            continue
        linked.add(entity.pk)
        out.append(escape(text[pos : mention.start]))
        out.append(
            f'<a class="entity-mention entity-{escape(entity.type)}" '
            f'href="{escape(entity.get_absolute_url())}">'
            f"{escape(text[mention.start : mention.end])}</a>"
        )
        pos = mention.end
    out.append(escape(text[pos:]))
    return mark_safe("".join(out))
