"""Entity suggestions from item text, and mentions rendered as links.

The contract:

- ``suggest(text)`` returns one ``Suggestion`` per entity mentioned (its first mention), in
  text order. A name or alias shared by two live entities is not guessed: its suggestion has
  ``entity=None``, ``is_ambiguous=True`` and the possible entities in ``candidates``.
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

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

import ahocorasick
from django.core.cache import cache
from django.db.models import Count, Max
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

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


class Gazetteer:
    """An automaton over names: ``find(text)`` gives non-overlapping mentions."""

    def __init__(self, names: Iterable[tuple[str, int]]):
        by_key: dict[str, set[int]] = {}
        for name, entity_id in names:
            name = (name or "").strip()
            if len(name) < MIN_ALIAS_LENGTH:
                continue
            by_key.setdefault(fold(name), set()).add(entity_id)
        self.size = len(by_key)
        self._automaton = ahocorasick.Automaton()
        for key, ids in by_key.items():
            self._automaton.add_word(
                key,
                (
                    len(key),
                    tuple(sorted(ids)),
                    _is_word_char(key[0]),
                    _is_word_char(key[-1]),
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
        for end, (length, ids, bound_start, bound_end) in self._automaton.iter(folded):
            start = end - length + 1
            if bound_start and start > 0 and _is_word_char(folded[start - 1]):
                continue
            if bound_end and end < last and _is_word_char(folded[end + 1]):
                continue
            candidates.append((start, end + 1, ids))
        if len(candidates) > 1:
            candidates.sort(key=lambda c: (c[0] - c[1], c[0]))  # longest, then leftmost
            taken = bytearray(len(folded))
            kept = []
            for start, end, ids in candidates:
                if not any(taken[start:end]):
                    taken[start:end] = b"\x01" * (end - start)
                    kept.append((start, end, ids))
            candidates = sorted(kept)
        return [Mention(start, end, ids) for start, end, ids in candidates]


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
    entities = Entity.objects.aggregate(n=Count("pk"), t=Max("updated_at"))
    aliases = EntityAlias.objects.aggregate(n=Count("pk"), m=Max("pk"))
    return (
        cache.get(VERSION_CACHE_KEY, 0),
        entities["n"],
        entities["t"],
        aliases["n"],
        aliases["m"],
    )


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
            "alias", "entity_id"
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


def _suggestions(linker: _Linker, text: str) -> list[Suggestion]:
    seen: set[tuple[int, ...]] = set()
    out = []
    for mention in linker.gazetteer.find(text):
        if mention.entity_ids in seen:
            continue
        seen.add(mention.entity_ids)
        entities = tuple(linker.entities[pk] for pk in mention.entity_ids)
        piece = text[mention.start : mention.end]
        if len(entities) == 1:
            out.append(Suggestion(entities[0], mention.start, mention.end, piece))
        else:
            out.append(
                Suggestion(
                    None,
                    mention.start,
                    mention.end,
                    piece,
                    is_ambiguous=True,
                    candidates=entities,
                )
            )
    return out


def suggest(text: str) -> list[Suggestion]:
    """The entities mentioned in ``text``: one suggestion per entity, in text order."""
    return _suggestions(get_linker(), text or "")


def item_text(item) -> str:
    return f"{item.headline}\n{item.body}" if item.headline else item.body


def suggest_for_item(item) -> list[Suggestion]:
    return suggest(item_text(item))


def suggest_for_items(items: Iterable) -> dict[int, list[Suggestion]]:
    """Suggestions for many items with one version check: {item.pk: [Suggestion…]}."""
    linker = get_linker()
    return {item.pk: _suggestions(linker, item_text(item)) for item in items}


def suggest_for_texts(texts: Iterable[str]) -> list[list[Suggestion]]:
    """Suggestions for many texts with one version check, in the texts' order."""
    linker = get_linker()
    return [_suggestions(linker, text or "") for text in texts]


# ----------------------------------------------------------------------------- rendering


def _names_of(entity: Entity) -> list[str]:
    names = [entity.name, entity.name_en]
    names.extend(a.alias for a in entity.aliases.all())
    return names


def render_mentions(
    text: str, entities: Iterable[Entity], *, first_only: bool = False
) -> SafeString:
    """``text`` escaped, each mention of one of ``entities`` linked to its page.

    ``first_only``: link an entity at its first mention only, as news sites do — the
    same name underlined four times in a paragraph reads as noise.

    Give the item's confirmed entities (prefetch ``aliases``); a name two of them share
    stays plain text. Computed at render time, never stored.
    """
    entities = {e.pk: e for e in entities}
    if not text:
        return mark_safe("")
    if not entities:
        return mark_safe(escape(text))
    gazetteer = Gazetteer(
        (name, entity.pk) for entity in entities.values() for name in _names_of(entity)
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
