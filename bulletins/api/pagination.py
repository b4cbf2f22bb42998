"""Pagination: keyset cursors, so that a deep page costs what the first does.

Item lists use a cursor on the reading order (issue date, section, position, id) rather than
an offset, so a client walking the archive neither skips nor repeats items while new issues
are published ahead of it. Relevance-ranked search results are a fixed ranking, so their
cursor is a position in that ranking.

The other lists (issues, entities, sections) were documented with ``?page=N``, which keeps
working; their ``next``/``previous`` links carry a keyset cursor on the list's order
(``KeysetPagination``), so following them is stable and costs the same at any depth.
"""

import base64
import binascii
import datetime as dt
import json
from collections import OrderedDict

from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination, PageNumberPagination
from rest_framework.response import Response

from ..pager import keyset_after

MAX_PAGE_SIZE = 100
MAX_INT = 2**63 - 1
MAX_RANKED_OFFSET = 10_000  # relevance past this is noise; the date orderings go further


def page_url(request, **changes) -> str:
    """This request's URL with some query parameters replaced (``None`` removes one).

    Built from the decoded parameters rather than the raw query string: a client that sends
    ``?q=恒瑞`` unencoded reaches Django as Latin-1 text, which DRF's URL helpers would
    encode a second time into a link that searches for mojibake.
    """
    params = request.query_params.copy()
    for name, value in changes.items():
        if value is None:
            params.pop(name, None)
        else:
            params[name] = value
    query = params.urlencode()
    return request.build_absolute_uri(f"{request.path}?{query}" if query else request.path)


class StandardPagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_next_link(self):
        if not self.page.has_next():
            return None
        return page_url(self.request, **{self.page_query_param: self.page.next_page_number()})

    def get_previous_link(self):
        if not self.page.has_previous():
            return None
        number = self.page.previous_page_number()
        return page_url(self.request, **{self.page_query_param: None if number == 1 else number})


class CursorCodec:
    """An opaque cursor: URL-safe base64 of a small JSON object whose ``o`` names the order."""

    cursor_query_param = "cursor"
    invalid_cursor_message = _("无效的分页游标。")

    def _decode(self, request):
        raw = request.query_params.get(self.cursor_query_param)
        if not raw:
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(raw.encode("ascii") + b"==").decode())
            if not isinstance(data, dict) or not isinstance(data.get("o"), str):
                raise ValueError
            return data
        except (ValueError, UnicodeError, binascii.Error, TypeError):
            raise ValidationError({"cursor": [self.invalid_cursor_message]}) from None

    @staticmethod
    def _encode(data) -> str:
        raw = json.dumps(data, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")

    def _invalid(self):
        return ValidationError({"cursor": [self.invalid_cursor_message]})


# ordering name → keyset fields (annotation or column, descending?)
ITEM_ORDERINGS = {
    "-date": [("issued_on", True), ("section_position", False), ("position", False), ("id", False)],
    "date": [("issued_on", False), ("section_position", False), ("position", False), ("id", False)],
}
DEFAULT_ITEM_ORDERING = "-date"


def with_order_keys(queryset):
    """Annotate what the keyset compares; the joins are the ones select_related makes anyway."""
    return queryset.annotate(
        issued_on=F("bulletin__issued_on"), section_position=F("section__position")
    )


def order_items(queryset, ordering: str):
    keys = ITEM_ORDERINGS[ordering]
    return with_order_keys(queryset).order_by(*[f"-{f}" if desc else f for f, desc in keys])


class ItemCursorPagination(CursorCodec, BasePagination):
    """``?cursor=`` from the previous page's ``next``; ``?page_size=`` up to 100."""

    page_size = 20
    max_page_size = MAX_PAGE_SIZE
    page_size_query_param = "page_size"

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            raise ValidationError({"page_size": [_("请输入整数。")]}) from None
        if size < 1:
            raise ValidationError({"page_size": [_("必须大于 0。")]})
        return min(size, self.max_page_size)

    def paginate_queryset(
        self, queryset, request, view=None, *, ordering=DEFAULT_ITEM_ORDERING, ranking=None
    ):
        """``ranking(limit)`` (ids, best first) pages a relevance search instead of the keyset."""
        self.request = request
        self.page_size_now = self.get_page_size(request)
        cursor = self._decode(request)
        if cursor is not None and cursor["o"] != ("relevance" if ranking is not None else ordering):
            raise ValidationError({"cursor": [self.invalid_cursor_message]})
        if ranking is not None:
            return self._paginate_ranking(queryset, ranking, cursor)
        keys = ITEM_ORDERINGS[ordering]
        ordered = order_items(queryset.prefetch_related(None), ordering)
        if cursor is not None:
            ordered = ordered.filter(self._after(keys, cursor.get("v")))
        # Sort narrow rows (the keys), then load the page's items by id: the sort is what a
        # large archive pays for, and it costs far less without the item text in each row.
        window = list(ordered.values_list(*[f for f, _desc in keys])[: self.page_size_now + 1])
        self.next_cursor = None
        if len(window) > self.page_size_now:
            window = window[: self.page_size_now]
            values = list(window[-1])
            values[0] = values[0].isoformat()
            self.next_cursor = {"o": ordering, "v": values}
        ids = [row[-1] for row in window]
        by_id = {item.pk: item for item in queryset.filter(pk__in=ids)}
        return [by_id[pk] for pk in ids]

    def _after(self, keys, values) -> Q:
        if not isinstance(values, list) or len(values) != len(keys):
            raise ValidationError({"cursor": [self.invalid_cursor_message]})
        try:
            parsed = [dt.date.fromisoformat(values[0])] + [int(v) for v in values[1:]]
        except (TypeError, ValueError):
            raise ValidationError({"cursor": [self.invalid_cursor_message]}) from None
        if any(not 0 <= v <= MAX_INT for v in parsed[1:]):
            raise ValidationError({"cursor": [self.invalid_cursor_message]})
        return keyset_after(keys, parsed)

    def _paginate_ranking(self, queryset, ranking, cursor):
        offset = 0
        if cursor is not None:
            offset = cursor.get("n")
            if not isinstance(offset, int) or not 0 <= offset <= MAX_RANKED_OFFSET:
                raise ValidationError({"cursor": [self.invalid_cursor_message]})
        end = offset + self.page_size_now
        ranked = list(ranking(end + 1))  # the search stops at what this page needs
        window = ranked[offset:end]
        by_id = {row.pk: row for row in queryset.filter(pk__in=window)}
        rows = [by_id[pk] for pk in window if pk in by_id]
        self.next_cursor = {"o": "relevance", "n": end} if len(ranked) > end else None
        return rows

    def get_next_link(self):
        if self.next_cursor is None:
            return None
        return page_url(self.request, **{self.cursor_query_param: self._encode(self.next_cursor)})

    def get_paginated_response(self, data):
        return Response(OrderedDict([("next", self.get_next_link()), ("results", data)]))

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["next", "results"],
            "properties": {
                "next": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "description": "The next page, or null on the last one.",
                },
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Opaque cursor from the previous page's `next`.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Items per page (default {self.page_size}, at most {self.max_page_size}).",
                "schema": {"type": "integer", "minimum": 1},
            },
        ]


KEY_KINDS = {"date", "int", "str"}
MAX_KEY_TEXT = 1000


class KeysetPagination(CursorCodec, StandardPagination):
    """``?page=N`` as before, plus ``?cursor=`` (the list's keyset) from ``next``/``previous``.

    The view names its order as ``keyset = [(field, descending?, "date"|"int"|"str")…]``,
    ending with a unique field. Following the links is stable while new rows arrive and a deep
    page costs what the first does: no OFFSET. ``count`` is kept (the documented shape).
    """

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.keys = [(field, desc) for field, desc, _kind in view.keyset]
        self.kinds = [kind for _field, _desc, kind in view.keyset]
        self.name = ",".join(f"-{f}" if d else f for f, d in self.keys)
        self.ordered = queryset.order_by(*[f"-{f}" if d else f for f, d in self.keys])
        cursor = self._decode(request)
        self.cursor_page = cursor is not None
        if cursor is None:  # page numbers, as documented; the links go on by cursor
            rows = super().paginate_queryset(self.ordered, request, view)
            self.has_more = self.page.has_next()
            self.has_before = self.page.has_previous()
            return rows
        if cursor["o"] != self.name or cursor.get("d") not in ("n", "p"):
            raise self._invalid()
        self.page_size_now = self.get_page_size(request)
        self.total = self.ordered.count()
        backwards = cursor["d"] == "p"
        rows = self.ordered.filter(
            keyset_after(self.keys, self._parse(cursor.get("v")), backwards=backwards)
        )
        if backwards:
            rows = rows.reverse()
        rows = list(rows[: self.page_size_now + 1])
        beyond = len(rows) > self.page_size_now
        rows = rows[: self.page_size_now]
        if backwards:
            rows.reverse()
            self.has_more, self.has_before = True, beyond
        else:
            self.has_more, self.has_before = beyond, True
        self.rows = rows
        return rows

    def _parse(self, values) -> list:
        if not isinstance(values, list) or len(values) != len(self.kinds):
            raise self._invalid()
        parsed = []
        for kind, value in zip(self.kinds, values, strict=True):
            try:
                if kind == "date":
                    parsed.append(dt.date.fromisoformat(value))
                elif kind == "int":
                    if type(value) is not int or not 0 <= value <= MAX_INT:
                        raise ValueError
                    parsed.append(value)
                else:
                    if not isinstance(value, str) or len(value) > MAX_KEY_TEXT or "\0" in value:
                        raise ValueError
                    parsed.append(value)
            except (TypeError, ValueError):
                raise self._invalid() from None
        return parsed

    def _values(self, row) -> list:
        values = []
        for (field, _desc), kind in zip(self.keys, self.kinds, strict=True):
            value = getattr(row, field)
            values.append(value.isoformat() if kind == "date" else value)
        return values

    def _rows(self) -> list:
        return self.rows if self.cursor_page else list(self.page)

    def _link(self, direction: str, row) -> str:
        cursor = self._encode({"o": self.name, "d": direction, "v": self._values(row)})
        return page_url(
            self.request, **{self.cursor_query_param: cursor, self.page_query_param: None}
        )

    def get_next_link(self):
        rows = self._rows()
        if not self.has_more or not rows:
            return None
        return self._link("n", rows[-1])

    def get_previous_link(self):
        if not self.cursor_page:
            return super().get_previous_link()  # page numbers back to page 1
        rows = self._rows()
        if not self.has_before or not rows:
            return None
        return self._link("p", rows[0])

    def get_paginated_response(self, data):
        count = self.total if self.cursor_page else self.page.paginator.count
        return Response(
            OrderedDict(
                [
                    ("count", count),
                    ("next", self.get_next_link()),
                    ("previous", self.get_previous_link()),
                    ("results", data),
                ]
            )
        )

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        properties = response["properties"]
        properties["next"]["description"] = (
            "The next page, by keyset cursor (stable while new rows are published), or null."
        )
        properties["previous"]["description"] = (
            "The page before: by page number after ?page=N, by cursor after ?cursor=; null on "
            "the first page."
        )
        return response

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["description"] = (
                    "Page number (still works); `next` and `previous` links carry a cursor."
                )
        parameters.append(
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": (
                    "Opaque cursor from a page's `next` or `previous`; takes precedence over "
                    "`page`."
                ),
                "schema": {"type": "string"},
            }
        )
        return parameters
