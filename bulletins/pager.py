"""Paging a long list of published items newest issue first, without sorting the archive."""

from django.db.models import Count

from .models import Bulletin
from .pagecache import cached

PAGE_SIZE = 30  # items per page of a list on the site


class IssueOrderedItems:
    """Items of a filtered queryset, newest issue first, sliceable like a queryset.

    Sorting a whole section (55,000 items in ten years) by issue date for every page is
    what makes a list slow. Below ``SORT_LIMIT`` items the database sorts; above it, a page
    walks the published issues newest first, in chunks that double (64, 128, …), counting
    this list's items per issue through the item→bulletin index, and fetches the items of
    the few issues the page spans. The first pages cost a fixed five queries; a deep page
    a few more (one pair per chunk).
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
    ):
        self.items = items
        self.order = ("-bulletin__issued_on", *order)
        self.key = key  # names the list for caching its length until the content changes
        # Known already from a read model: the length, or [(bulletin id, items)…] newest
        # first (then neither a COUNT nor a walk over the issues is needed, at any depth).
        self.issues = issues
        self._count = sum(n for _pk, n in issues) if issues is not None else count

    def count(self) -> int:
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
        issues = Bulletin.objects.published().order_by("-issued_on").values_list("pk", flat=True)
        wanted, seen, skip, offset, size = [], 0, 0, 0, self.FIRST_CHUNK
        while seen < stop:
            chunk = list(issues[offset : offset + size])
            if not chunk:
                break
            counts = dict(
                self.items.filter(bulletin_id__in=chunk)
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
            offset, size = offset + size, size * 2
        if not wanted:
            return []
        rows = list(self.items.filter(bulletin_id__in=wanted).order_by(*self.order))
        return rows[skip : skip + (stop - start)]

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
