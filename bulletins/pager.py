"""Paging a long list of published items newest issue first, without sorting the archive.

Lists on the site page by key (``?after=<issue date>~<item id>``: the items that come after
that one, newest issue first), so a page's URL keeps showing the same items when new issues
are published and a page deep in ten years costs what the first one does. ``?page=N`` is
still understood (``IssueOrderedItems[…]``): the views redirect it to its key.
"""

import datetime as dt
import re
from dataclasses import dataclass

from django.db.models import Count, Q

from .models import Bulletin
from .pagecache import cached

PAGE_SIZE = 30  # items per page of a list on the site
KEY_PARAM = "after"
KEY_RE = re.compile(r"^([0-9]{4}-[0-9]{2}-[0-9]{2})~([0-9]{1,12})$")


class BadKey(ValueError):
    """A page key that is not ``YYYY-MM-DD~<id>`` with a real date."""


def parse_key(raw: str) -> tuple[dt.date, int]:
    match = KEY_RE.match(raw)
    if match is None:
        raise BadKey(raw)
    try:
        return dt.date.fromisoformat(match[1]), int(match[2])
    except ValueError:
        raise BadKey(raw) from None


def format_key(day: dt.date, pk: int) -> str:
    return f"{day:%Y-%m-%d}~{pk}"


@dataclass
class KeysetPage:
    """One page of a list: its items and the keys of the pages around it.

    ``older``: the key of the next page (``None`` on the last one); ``newer``: the key of the
    previous page, ``""`` when that is the first page (no key), ``None`` on the first page.
    """

    items: list
    older: str | None
    newer: str | None

    @property
    def is_first(self) -> bool:
        return self.newer is None


def keyset_after(keys, values, *, backwards: bool = False) -> Q:
    """Rows after ``values`` in the order ``keys`` ([(field, descending?)…]); ``backwards``:
    the rows before them.

    (a, b, c) after (x, y, z) = a>x | a=x & b>y | a=x & b=y & c>z, with per-key direction;
    the leading a>=x repeats what the OR implies so that the first key's index bounds the scan.
    """
    first, first_desc = keys[0]
    first_desc ^= backwards
    bound = Q(**{f"{first}__{'lte' if first_desc else 'gte'}": values[0]})
    condition = Q(pk__in=[])
    for i, (field, desc) in enumerate(keys):
        step = Q(**{f"{field}__{'lt' if desc ^ backwards else 'gt'}": values[i]})
        for j in range(i):
            step &= Q(**{keys[j][0]: values[j]})
        condition |= step
    return bound & condition


class IssueOrderedItems:
    """Items of a filtered queryset, newest issue first, sliceable like a queryset.

    Sorting a whole section (55,000 items in ten years) by issue date for every page is
    what makes a list slow. Below ``SORT_LIMIT`` items the database sorts; above it, a page
    walks the published issues newest first, in chunks that double (64, 128, …), counting
    this list's items per issue through the item→bulletin index, and fetches the items of
    the few issues the page spans. By offset (``[a:b]``, feeds and old ``?page=N`` links) a
    deep page walks from the newest issue, one pair of queries per chunk; by key (``page``)
    the walk starts at the key's issue date, so every page costs what the first does.
    """

    SORT_LIMIT = 2000
    FIRST_CHUNK = 64

    def __init__(
        self,
        items,
        *,
        order=("section__position", "position", "pk"),
        key=None,
        count=None,
        issues=None,
        issue_rows=None,
    ):
        self.items = items
        self.within = tuple(order)  # the order inside one issue
        self.order = ("-bulletin__issued_on", *order)
        self.key = key  # names the list for caching its length until the content changes
        # Known already from a read model: the length, or [(bulletin id, items)…] newest
        # first (then neither a COUNT nor a walk over the issues is needed, at any depth),
        # or the rows those come from (``issued_on``, ``bulletin_id``, ``n``) for keyset pages.
        self.issue_rows = issue_rows
        self._issues = issues
        self._count = count

    @property
    def issues(self):
        if self._issues is None and self.issue_rows is not None:
            self._issues = list(
                self.issue_rows.order_by("-issued_on").values_list("bulletin_id", "n")
            )
        return self._issues

    def count(self) -> int:
        if self._count is None and self.issues is not None:
            self._count = sum(n for _pk, n in self.issues)
        if self._count is None:
            if self.key is None:
                self._count = self.items.count()
            else:
                self._count = cached(f"site-list-count:{self.key}", self.items.count)
        return self._count

    def __len__(self):
        return self.count()

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index : index + 1][0]
        start = index.start or 0
        stop = index.stop if index.stop is not None else self.count()
        if self.issues is not None:
            return self._slice_by_issues(start, stop)
        if self.count() <= self.SORT_LIMIT:
            return list(self.items.order_by(*self.order)[start:stop])
        issues = Bulletin.objects.published().order_by("-issued_on")
        return self._walk(self.items, issues, start, stop, self.order)

    def _walk(self, items, issues, start, stop, order, *, fields=None):
        """Rows ``start:stop`` of ``items`` in ``order``, reading ``issues`` (published issues
        in the list's direction) in doubling chunks: only the issues the rows span are sorted.
        """
        issues = issues.values_list("pk", flat=True)
        wanted, seen, skip, offset, size = [], 0, 0, 0, self.FIRST_CHUNK
        while seen < stop:
            chunk = list(issues[offset : offset + size])
            if not chunk:
                break
            counts = dict(
                items.filter(bulletin_id__in=chunk)
                .order_by()
                .values("bulletin_id")
                .annotate(n=Count("pk"))
                .values_list("bulletin_id", "n")
            )
            for pk in chunk:
                n = counts.get(pk, 0)
                if n and seen + n > start and seen < stop:
                    if not wanted:
                        skip = start - seen
                    wanted.append(pk)
                seen += n
                if seen >= stop:
                    break
            if len(chunk) < size:  # the oldest (or newest) issue was in it
                break
            offset, size = offset + size, size * 2
        if not wanted:
            return []
        rows = items.filter(bulletin_id__in=wanted).order_by(*order)
        rows = list(rows.values_list(*fields) if fields else rows)
        return rows[skip : skip + (stop - start)]

    # ------------------------------------------------------------------------- keyset

    def key_at(self, index: int) -> str | None:
        """The key that starts the page after row ``index`` (for ``?page=N`` → ``?after=``)."""
        found = self[index : index + 1]
        return format_key(found[0].bulletin.issued_on, found[0].pk) if found else None

    def page(self, after: str | None, size: int = PAGE_SIZE) -> KeysetPage:
        """The ``size`` items after the item named by ``after`` (``None``: the first page).

        Raises ``BadKey`` for a malformed key. Costs the same few queries at any depth: the
        bound's position in its issue, then the issues next to the bound date.
        """
        if after is None:
            rows = self._window(None, size + 1, newer=False)
            newer = None
        else:
            bound = self._bound(*parse_key(after))
            rows = self._window(bound, size + 1, newer=False)
            if rows:
                first = rows[0]
                ahead = self._window(
                    (first.bulletin.issued_on, [getattr_path(first, f) for f in self.within]),
                    size + 1,
                    newer=True,
                )
                newer = format_key(*ahead[size]) if len(ahead) > size else ""
            else:  # past the end: the way back is the first page
                newer = ""
        older = None
        if len(rows) > size:
            rows = rows[:size]
            older = format_key(rows[-1].bulletin.issued_on, rows[-1].pk)
        return KeysetPage(items=rows, older=older, newer=newer)

    def _bound(self, day: dt.date, pk: int):
        """``(issue date, the item's values of the in-issue order)``; ``None`` values when the
        item is not (or no longer) in this list on that day: the page then starts with the
        whole issue. Looked up in the list itself, so a key says nothing of unpublished items."""
        found = self.items.filter(pk=pk, bulletin__issued_on=day)
        values = found.values_list(*self.within).first()
        return day, (list(values) if values is not None else None)

    def _beyond(self, bound, *, newer: bool) -> Q:
        """Items after (``newer``: before) the bound in list order."""
        day, values = bound
        if values is None:
            return Q(bulletin__issued_on__gt=day) if newer else Q(bulletin__issued_on__lte=day)
        # Inside the bound's issue: after (before) its values of the in-issue order.
        keys = [(field, False) for field in self.within]
        same_issue = keyset_after(keys, values, backwards=newer)
        across = Q(bulletin__issued_on__gt=day) if newer else Q(bulletin__issued_on__lt=day)
        return across | (Q(bulletin__issued_on=day) & same_issue)

    def _window(self, bound, limit: int, *, newer: bool) -> list:
        """Up to ``limit`` items beyond ``bound`` (``None``: from the newest), in list order;
        ``newer``: toward the newest issue, nearest first, as ``(issue date, id)`` keys."""
        items = self.items if bound is None else self.items.filter(self._beyond(bound, newer=newer))
        if newer:
            order = ("bulletin__issued_on", *[descending(f) for f in self.within])
            fields = ("bulletin__issued_on", "pk")
        else:
            order, fields = self.order, None
        day = None if bound is None else bound[0]
        if self.issue_rows is not None:  # the read model says which issues the page spans
            issue_rows = self.issue_rows
            if day is not None:
                issue_rows = issue_rows.filter(**{f"issued_on__{'gte' if newer else 'lte'}": day})
            # Every row counts at least one item: limit + 1 rows hold the page even when the
            # bound's own issue has nothing left beyond the bound.
            counts = list(
                issue_rows.order_by("issued_on" if newer else "-issued_on").values_list(
                    "bulletin_id", "n"
                )[: limit + 1]
            )
            wanted, seen = [], 0
            for i, (pk, n) in enumerate(counts):
                wanted.append(pk)
                # The bound's own issue may hold little beyond the bound: not counted.
                seen += n if i or bound is None else 0
                if seen >= limit:
                    break
            rows = items.filter(bulletin_id__in=wanted).order_by(*order)
            return list((rows.values_list(*fields) if fields else rows)[:limit])
        if self.count() <= self.SORT_LIMIT:
            rows = items.order_by(*order)
            return list((rows.values_list(*fields) if fields else rows)[:limit])
        issues = Bulletin.objects.published().order_by("issued_on" if newer else "-issued_on")
        if day is not None:
            issues = issues.filter(**{f"issued_on__{'gte' if newer else 'lte'}": day})
        return self._walk(items, issues, 0, limit, order, fields=fields)

    def _slice_by_issues(self, start: int, stop: int) -> list:
        wanted, seen, skip = [], 0, 0
        for pk, n in self.issues:
            if seen + n > start and seen < stop:
                if not wanted:
                    skip = start - seen
                wanted.append(pk)
            seen += n
            if seen >= stop:
                break
        if not wanted:
            return []
        rows = list(self.items.filter(bulletin_id__in=wanted).order_by(*self.order))
        return rows[skip : skip + (stop - start)]


def descending(field: str) -> str:
    return field[1:] if field.startswith("-") else f"-{field}"


def getattr_path(obj, path: str):
    for name in path.split("__"):
        obj = getattr(obj, name)
    return obj
