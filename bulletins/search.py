"""The search service used by the public site, the API (``q``) and the admin.

Semantics (the same on SQLite and PostgreSQL):

* Chinese (any CJK run) matches as a plain substring, from one character up: 罗氏 is found
  inside 阿斯利康与罗氏达成合作.
* Latin words and numbers match as whole words, case-insensitively: ``fda`` finds FDA,
  ``AI`` finds AI工厂 but not AIFA; ``Blackw*`` is a prefix. Mixed terms (AI工厂, B轮,
  GLP-1, 1.5亿元) match as written, with the word rule at their Latin edges.
* Space-separated terms must all match; a quoted ``"phrase"`` is one term. Punctuation at the
  edges of a term is ignored; operators (AND, OR, quotes, ``*`` elsewhere) are plain text, so
  no input can reach the full-text engine's syntax.
* Only published items are returned: every item (any status) is indexed and the query is
  restricted to ``Item.objects.published()``, so publishing, scheduling, correcting and
  retracting change results at once without touching the index.
* A hit is an item whose headline or text contains the query (the issue's precision rule:
  exactly the items a substring scan finds). Confirmed entity names and aliases only rank:
  NMPA does not find an item that says only 国家药监局, but among the items that say
  罗氏, those linked to the entity 罗氏 come first.
* Ranking: hits also in the headline or a confirmed entity's names first, then the others; within each tier the newest issue first (then the lower item id). No engine score
  (FTS5 ``bm25``, ``ts_rank``): measured at ~4 µs per hit it cost 35 ms on a query with
  8,000 hits, and the two engines score differently — with discrete tiers both databases
  return the same ids in the same order.

How: a ``SearchDocument`` per item holds its headline + entity names and its text,
pre-tokenised — Chinese runs as overlapping character bigrams followed by the run's last
character, Latin as lower-cased words. Both engines split that text on spaces only (FTS5
``unicode61``, PostgreSQL ``to_tsvector('simple')``), so each bigram is one indexed term:

    罗氏携手英伟达 AI工厂  →  罗氏 氏携 携手 手英 英伟 伟达 达 ai 工厂 厂

A Chinese query of n ≥ 2 characters becomes the phrase of its n-1 bigrams, which occurs in
the token stream exactly where the substring occurs (the closing single character keeps a
phrase from running across two runs); a one-character query is the prefix ``罗*``, which
hits the bigram that starts with it or the closing character. A single Chinese run or a
single Latin word is therefore answered exactly by the index. Terms mixing scripts or
containing punctuation (GLP-1, B轮) use the index as a filter and are then checked as exact
substrings (with the word rule) against the item's text.

SQLite: an external-content FTS5 table over ``SearchDocument`` kept in step by triggers,
keyed by ``SearchDocument.sort_key`` (issue date, then item), so FTS5 yields hits newest
first and a page's LIMIT ends the scan early; each tier (headline/entity names, then text
only) is one query. PostgreSQL: a stored generated ``tsvector`` column (headline and names
at weight A) with a GIN index, one query ordered by tier and sort key. Created by
migrations ``0003``/``0004`` in raw SQL, each statement a no-op on the other database.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import batched

from django.db import connections, transaction
from django.db.models import QuerySet
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .models import EntityAlias, Item, ItemEntity, SearchDocument

FTS_TABLE = "bulletins_search_fts"
DOC_TABLE = SearchDocument._meta.db_table
ITEM_TABLE = Item._meta.db_table
MAX_QUERY_LENGTH = 200
MAX_TERMS = 8
BATCH_SIZE = 500
ID_MASK = 2**32 - 1  # item ids below 4 billion fit the low half of a sort key

# Scripts written without spaces between words: cut into bigrams. Han (with extension A, the
# compatibility block and the supplementary planes), kana and Hangul syllables.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f"
# A run of CJK, or a Latin "word": letters and digits of any other script (no underscore).
TOKEN_RE = re.compile(f"([{_CJK}]+)|([^\\W_{_CJK}]+)")
WORD_CHAR = f"[^\\W_{_CJK}]"
SPACE_RE = re.compile(r"\s+")


def normalize(text: str) -> str:
    """Full-width to half-width, compatibility forms folded, case folded (ＦＤＡ → fda)."""
    return unicodedata.normalize("NFKC", text).casefold()


def _run_tokens(run: str) -> list[str]:
    return [run[i : i + 2] for i in range(len(run) - 1)] + [run[-1]]


def tokenize(text: str) -> str:
    """The indexed form of ``text``: space-separated terms (see the module docstring)."""
    out: list[str] = []
    for run, word in TOKEN_RE.findall(normalize(text)):
        if word:
            out.append(word)
        else:
            out.extend(_run_tokens(run))
    return " ".join(out)


# ----------------------------------------------------------------------------- queries


@dataclass(frozen=True)
class Term:
    """One search term: its normalised text and the index tokens of its phrase."""

    text: str
    tokens: tuple[str, ...]  # the phrase, in order
    is_prefix: bool  # the last token is a prefix
    is_exact_in_index: bool  # the index alone decides; no substring check needed

    def pattern(self) -> re.Pattern:
        """The exact rule: substring, with whole-word edges where the term is Latin."""
        left = f"(?<!{WORD_CHAR})" if re.match(WORD_CHAR, self.text[0]) else ""
        right = ""
        if re.match(WORD_CHAR, self.text[-1]) and not self.is_prefix:
            right = f"(?!{WORD_CHAR})"
        # A quoted phrase: any run of spaces between its words, but never across fields.
        body = r"[^\S\n]+".join(re.escape(part) for part in self.text.split(" "))
        return re.compile(left + body + right)


def _term(raw: str) -> Term | None:
    matches = list(TOKEN_RE.finditer(raw))
    if not matches:
        return None
    tail = raw[matches[-1].end() :]
    # Punctuation around a term is noise (「罗氏」, 罗氏, FDA?); inside it is meant (GLP-1).
    text = raw[matches[0].start() : matches[-1].end()]
    is_prefix = "*" in tail
    tokens: list[str] = []
    last_prefix = False
    for index, match in enumerate(matches):
        run, word = match.groups()
        is_last = index == len(matches) - 1
        if word:
            tokens.append(word)
            last_prefix = is_last and is_prefix
        elif len(run) == 1 and is_last:
            tokens.append(run)  # any bigram starting with it, or the run's closing character
            last_prefix = True
        else:
            grams = _run_tokens(run)
            # Followed by more of the term, the run must end here: keep its closing character.
            tokens.extend(grams if not is_last else grams[:-1])
    return Term(
        text=text,
        tokens=tuple(tokens),
        is_prefix=last_prefix,
        is_exact_in_index=len(matches) == 1,
    )


def parse_query(q: str) -> list[Term]:
    """The terms of a user query; never raises. Quoted text is one phrase term."""
    if not isinstance(q, str):
        return []
    q = SPACE_RE.sub(" ", normalize(q[: MAX_QUERY_LENGTH * 2]))[:MAX_QUERY_LENGTH]
    raws: list[str] = []
    for index, chunk in enumerate(q.split('"')):
        if index % 2:  # inside quotes (an unbalanced quote opens a phrase to the end)
            raws.append(chunk.strip())
        else:
            raws.extend(chunk.split())
    terms: list[Term] = []
    for raw in raws:
        term = _term(raw)
        if term is not None and term not in terms:
            terms.append(term)
    return terms[:MAX_TERMS]


def _fts5_expression(terms: list[Term], *, title_only: bool = False) -> str:
    # Tokens are letters, digits and CJK only, so quoting them cannot break the syntax.
    phrases = []
    for term in terms:
        phrase = '"' + " ".join(term.tokens) + '"'
        phrases.append(phrase + " *" if term.is_prefix else phrase)
    expression = " AND ".join(phrases)
    return f"{{title}} : ({expression})" if title_only else f"{{body}} : ({expression})"


def _tsquery(terms: list[Term], *, weight: str = "D") -> str:
    # The headline and text carry the default weight D in ``document``; ``title_document``
    # (headline and entity names) has no weights: ``weight=""``.
    parts = []
    for term in terms:
        operands = [f"'{token}':{weight}" if weight else f"'{token}'" for token in term.tokens]
        if term.is_prefix:
            operands[-1] = f"'{term.tokens[-1]}':*{weight}"
        parts.append("(" + " <-> ".join(operands) + ")")
    return " & ".join(parts)


# ----------------------------------------------------------------------------- search


def search_ids(
    q: str, *, items: QuerySet[Item] | None = None, limit: int | None = None
) -> list[int]:
    """Ids of published items matching ``q``, best first.

    Headline/entity-name hits, then text-only hits; newest first within each. ``items`` is an
    already-filtered queryset (section, entity, dates…) to restrict to; it defaults to
    ``Item.objects.published()``. Never raises on user input; a blank query gives ``[]``.
    """
    terms = parse_query(q)
    if not terms:
        return []
    if items is None:
        items = Item.objects.published()
    if items.query.distinct or items.query.is_sliced:
        items = Item.objects.filter(pk__in=items.values("pk"))
    to_check = [term for term in terms if not term.is_exact_in_index]
    if limit is not None and limit <= 0:
        return []
    fields = ("pk", "headline", "body") if to_check else ("pk",)
    vendor = connections[items.db].vendor
    if vendor == "sqlite":
        title, text = _fts5_expression(terms, title_only=True), _fts5_expression(terms)
        title, rest = f"({text}) AND ({title})", f"({text}) NOT ({title})"
        tiers = [_sqlite_hits(items, title, fields), _sqlite_hits(items, rest, fields)]
    elif vendor == "postgresql":
        title, text = _tsquery(terms, weight=""), _tsquery(terms)
        tiers = [
            # A hit is in the text; the title (headline, entity names) only ranks it first.
            _PostgresTier(items, [("title_document", title), ("document", text)], fields),
            _PostgresTier(items, [("document", text)], fields, exclude=("title_document", title)),
        ]
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        raise NotImplementedError(f"search does not support {vendor}")
    if not to_check:
        found = []
        for tier in tiers:
            rows = tier if limit is None else tier[: limit - len(found)]
            found += [pk for (pk,) in rows]
            if limit is not None and len(found) >= limit:
                break
        return found
    # The index found candidates; the exact rule decides on headline and text, page by page
    # in rank order so a limited search stops early.
    patterns = [term.pattern() for term in to_check]

    def passes(*texts):
        text = normalize("\n".join(texts))
        return all(pattern.search(text) for pattern in patterns)

    found = []
    page = BATCH_SIZE if limit is None else max(2 * limit, 50)
    for tier in tiers:
        offset = 0
        while limit is None or len(found) < limit:
            rows = list(tier if limit is None else tier[offset : offset + page])
            found += [pk for pk, headline, body in rows if passes(headline, body)]
            offset += len(rows)
            if limit is None or len(rows) < page:
                break
            page *= 2
    return found if limit is None else found[:limit]


def _sqlite_hits(items: QuerySet[Item], expression: str, fields) -> QuerySet:
    """The rows of ``items`` whose document matches, newest first, straight from FTS5 (lazy).

    The FTS5 row id is the document's sort key, so FTS5 yields hits newest first and a
    LIMIT stops the scan after one page. The join is written with extra(): the virtual
    table is not a model. It joins on an expression of the row id, which FTS5 cannot use
    as a constraint: offered "rowid = ?", SQLite may loop over the items and re-run the
    MATCH for each one (seconds, measured); this way the MATCH drives the loop and each hit
    looks its item up by primary key.
    """
    hits = items.extra(
        tables=[FTS_TABLE],
        where=[
            f"{ITEM_TABLE}.id = {ID_MASK} - ({FTS_TABLE}.rowid & {ID_MASK})",
            f"{FTS_TABLE} MATCH %s",
        ],
        params=[expression],
        select={"search_key": f"{FTS_TABLE}.rowid"},
    ).order_by("-search_key")
    return hits.values_list(*fields)


class _PostgresTier:
    """The rows of ``items`` whose document matches ``queries`` (and not ``exclude``), newest
    first, read lazily in sort-key windows (60 days, then 480 days, then the rest).

    One query over the whole archive would have PostgreSQL visit every matching document
    (a common word is in 40 % of them: a 350 ms bitmap heap scan) only to keep the newest
    page. A window of issue dates joined to the GIN match visits only that window's
    documents, and a page is usually full after the first window. After ``WINDOWS`` windows
    the rest is read at once: a word still short of a page by then is rare, and the GIN
    match alone is cheap for it. So a tier costs at most ``WINDOWS + 1`` queries.
    """

    FIRST_WINDOW_DAYS = 60
    GROWTH = 8
    WINDOWS = 2

    def __init__(self, items, queries, fields, *, exclude=None):
        where = [f"{DOC_TABLE}.item_id = {ITEM_TABLE}.id"]
        params = []
        for column, query in queries:
            where.append(f"{DOC_TABLE}.{column} @@ to_tsquery('simple', %s)")
            params.append(query)
        if exclude is not None:
            where.append(f"NOT ({DOC_TABLE}.{exclude[0]} @@ to_tsquery('simple', %s))")
            params.append(exclude[1])
        self.hits = items.extra(
            tables=[DOC_TABLE],
            where=where,
            params=params,
            select={"search_key": f"{DOC_TABLE}.sort_key"},
        ).order_by("-search_key")
        self.fields = fields
        self.rows: list = []
        self.upper = None  # exclusive upper sort key of what is not read yet
        self.done = False
        self.span = self.FIRST_WINDOW_DAYS
        self.windows = 0

    def _window(self, upper, lower):
        where = [f"{DOC_TABLE}.sort_key < %s"]
        params = [upper]
        if lower is not None:
            where.append(f"{DOC_TABLE}.sort_key >= %s")
            params.append(lower)
        return self.hits.extra(where=where, params=params).values_list(*self.fields)

    def _read_until(self, wanted: int | None) -> None:
        if self.upper is None:
            newest = list(
                SearchDocument.objects.order_by("-sort_key").values_list("sort_key", flat=True)[:1]
            )
            if not newest:
                self.done = True
                return
            self.upper = ((newest[0] >> 32) + 1) << 32  # the day after the newest document
        while not self.done and (wanted is None or len(self.rows) < wanted):
            lower = None
            if wanted is not None and self.windows < self.WINDOWS:
                lower = self.upper - (self.span << 32)
                self.span *= self.GROWTH
                if lower <= 0:
                    lower = None
            self.rows += list(self._window(self.upper, lower))
            self.windows += 1
            self.upper = lower
            self.done = lower is None

    def __iter__(self):
        self._read_until(None)
        return iter(self.rows)

    def __getitem__(self, index: slice):
        self._read_until(index.stop)
        return self.rows[index]


def sort_key(issued_on, item_id: int) -> int:
    """Newest issue first, then the lower item id — as one integer."""
    return (issued_on.toordinal() << 32) + (ID_MASK - item_id)


def highlight(text: str, q: str, *, width: int = 80) -> SafeString:
    """An HTML-escaped snippet of about ``width`` characters around the first match, with
    ``<mark>`` around every matched term in it; the start of the text when nothing matches
    (a hit through an entity name)."""
    text = text or ""
    # Normalise character by character so positions map back to the original text.
    owners: list[int] = []
    folded = []
    for index, char in enumerate(text):
        norm = normalize(char)
        folded.append(norm)
        owners.extend([index] * len(norm))
    owners.append(len(text))
    haystack = "".join(folded)
    spans = []
    for term in parse_query(q):
        for match in term.pattern().finditer(haystack):
            if match.end() > match.start():
                spans.append((owners[match.start()], owners[match.end() - 1] + 1))
    spans.sort()
    if spans:
        first_start, first_end = spans[0]
        start = max(0, first_start - max(0, width - (first_end - first_start)) // 3)
    else:
        start = 0
    end = min(len(text), start + width)
    start = max(0, min(start, end - width))
    out = ["…" if start > 0 else ""]
    position = start
    for span_start, span_end in spans:
        span_start, span_end = max(span_start, position), min(span_end, end)
        if span_start >= span_end:
            continue
        out.append(escape(text[position:span_start]))
        out.append(f"<mark>{escape(text[span_start:span_end])}</mark>")
        position = span_end
    out.append(escape(text[position:end]))
    if end < len(text):
        out.append("…")
    return mark_safe("".join(out))  # noqa: S308 - every piece of text above is escaped


# ----------------------------------------------------------------------------- indexing


def document_texts(item_ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """``{item id: (headline and confirmed entity names, headline and text)}``, as written.

    The second part decides whether an item matches (a substring of what readers read); the
    first only ranks (a hit also in the headline or a confirmed entity's names comes first).
    An alias alone is no hit: NMPA must not find an item that only says 国家药监局.
    """
    item_ids = list(item_ids)
    rows = Item.objects.filter(pk__in=item_ids).values_list("pk", "headline", "body")
    names: dict[int, list[str]] = defaultdict(list)
    entities: dict[int, list[int]] = defaultdict(list)
    links = (
        ItemEntity.objects.confirmed()
        .filter(item_id__in=item_ids)
        .values_list("item_id", "entity_id", "entity__name", "entity__name_en")
    )
    for item_id, entity_id, name, name_en in links.order_by("item_id", "entity_id"):
        names[item_id] += [name, name_en]
        entities[entity_id].append(item_id)
    if entities:
        aliases = EntityAlias.objects.filter(entity_id__in=list(entities)).values_list(
            "entity_id", "alias"
        )
        for entity_id, alias in aliases.order_by("entity_id", "alias"):
            for item_id in entities[entity_id]:
                names[item_id].append(alias)
    return {
        pk: ("\n".join([headline, *filter(None, names[pk])]), f"{headline}\n{body}")
        for pk, headline, body in rows
    }


_deferred = threading.local()


@contextmanager
def deferred_indexing():
    """Index each item once for a whole batch of writes (an import adds an item, then its
    links; both would index it): inside, ``index_items`` only notes the ids; on leaving, the
    noted items are indexed in one pass. Nested uses index at the outermost one."""
    if getattr(_deferred, "ids", None) is not None:
        yield
        return
    _deferred.ids = set()
    try:
        yield
        ids = _deferred.ids
    finally:
        _deferred.ids = None
    index_items(ids)


def index_items(item_ids, *, progress: Callable[[int], object] | None = None) -> None:
    """(Re)index these items' search documents, whatever their status; bulk-capable.

    Ids of deleted items are dropped from the index. ``progress(n)`` is called after each
    batch with the number of ids done.
    """
    ids = sorted({int(pk) for pk in item_ids})
    pending = getattr(_deferred, "ids", None)
    if pending is not None:  # inside deferred_indexing(): indexed once, on leaving it
        pending.update(ids)
        return
    for chunk in batched(ids, BATCH_SIZE):
        texts = document_texts(chunk)
        days = dict(Item.objects.filter(pk__in=chunk).values_list("pk", "bulletin__issued_on"))
        documents = [
            SearchDocument(
                item_id=pk,
                title=tokenize(title),
                body=tokenize(body),
                sort_key=sort_key(days[pk], pk),
            )
            for pk, (title, body) in texts.items()
        ]
        with transaction.atomic():
            SearchDocument.objects.filter(item_id__in=chunk).delete()
            SearchDocument.objects.bulk_create(documents)
        if progress is not None:
            progress(len(chunk))


def rebuild_index(*, progress: Callable[[int], object] | None = None) -> int:
    """Index every item again; returns the number of items.

    Batch by batch, each replacing its own documents: search keeps answering during a
    rebuild (documents of deleted items went with them, by cascade).
    """
    ids = list(Item.objects.order_by("pk").values_list("pk", flat=True))
    index_items(ids, progress=progress)
    connection = connections[SearchDocument.objects.db]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('optimize')")
        elif connection.vendor == "postgresql":
            # Replacing every document leaves as many dead rows; until they are vacuumed a
            # common word's hits are spread over three times the pages (measured 3x slower).
            vacuum = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
            cursor.execute(f"{vacuum} {DOC_TABLE}")
    return len(ids)
