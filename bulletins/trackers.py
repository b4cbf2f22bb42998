"""The /deals/ and /approvals/ trackers: which items they list, their rows, filters and pages.

Read rules live here once — the tracker pages, their downloads, their feeds and the
investor entity pages all call ``deals()`` / ``approvals()`` and ``Filters``.

Rows come from the item's *stored* facts (``Item.event_kind``, ``financing_round``,
``facts`` — see /work/notes/FACTS_SCHEMA.md): where extraction was unsure a key is absent,
and the row shows that field empty rather than a guess. ``index_items`` rewrites rows; the
workflow calls it where an item's facts are written (``add_item``, ``add_items`` — an
import — and ``edit_item`` when the event kind, round or facts change), so an editor's
correction reaches the tracker at once. Bulk writers (the archive generator) call it
themselves. Publishing, retracting or withdrawing rewrites nothing: rows are joined to the
published rule when read.

Pages are keyset-paginated: ``?after=<sort key>~<item id>`` continues after the last row
shown, so a deep page costs what the first one does and new deals do not shift pages.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django import forms
from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.utils.translation import gettext_lazy as _

from . import fx
from .models import EntityType, EventKind, Item, ItemEntity
from .tracker_rows import Tracker, TrackerRow

PAGE_SIZE = 25  # a phone screenful or three; the next page is one keyset step away
DEAL_KINDS = (EventKind.FINANCING, EventKind.MA, EventKind.PARTNERSHIP)
DECISIONS = {
    "approval": _("批准上市"),
    "conditional_approval": _("附条件批准"),
    "acceptance": _("受理"),
    "priority_review": _("优先审评"),
    "breakthrough": _("突破性疗法"),
    "ind": _("临床试验批准"),
    "orphan": _("孤儿药资格"),
    "fast_track": _("快速通道"),
    "clinical_hold": _("临床暂停"),
    "rejection": _("不予批准"),
}
ROUNDS = ["天使", "种子", "Pre-A", "A", "A+", "Pre-B", "B", "B+", "C", "C+", "D", "E", "F"]
ROUNDS += ["Pre-IPO", "战略融资", "定增"]


# ----------------------------------------------------------------------------- writing


def _amount(value) -> dict | None:
    """An amount object of the facts contract, or None when it is not one."""
    if not isinstance(value, dict):
        return None
    amount, currency = value.get("amount"), value.get("currency")
    if not isinstance(amount, int | float) or isinstance(amount, bool) or amount < 0:
        return None
    if not isinstance(currency, str) or currency.upper() not in fx.CNY_PER_UNIT:
        return None
    return value


def _text(value, limit: int) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


def _names(value, limit: int) -> str:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return ""
    return "、".join(v.strip() for v in value if isinstance(v, str) and v.strip())[:limit]


def tracker_of(item: Item) -> str:
    """Which tracker lists this item, or "" for none."""
    facts = item.facts if isinstance(item.facts, dict) else {}
    if item.event_kind == EventKind.APPROVAL or (
        facts.get("decision") in DECISIONS and item.event_kind not in DEAL_KINDS
    ):
        return Tracker.APPROVALS
    if item.event_kind in (EventKind.FINANCING, EventKind.MA):
        return Tracker.DEALS
    # A partnership is a deal when money is named: licensing terms or a headline amount.
    if item.event_kind == EventKind.PARTNERSHIP and (
        isinstance(facts.get("licensing"), dict) or _amount(facts.get("amount"))
    ):
        return Tracker.DEALS
    return ""


def row_for(item: Item, issued_on: dt.date) -> TrackerRow | None:
    tracker = tracker_of(item)
    if not tracker:
        return None
    facts = item.facts if isinstance(item.facts, dict) else {}
    licensing = facts.get("licensing") if isinstance(facts.get("licensing"), dict) else {}
    ma = facts.get("ma") if isinstance(facts.get("ma"), dict) else {}
    headline = (
        _amount(facts.get("amount")) or _amount(licensing.get("total")) or _amount(ma.get("price"))
    )
    row = TrackerRow(item_id=item.pk, tracker=tracker, kind=item.event_kind, issued_on=issued_on)
    if headline:
        currency = headline["currency"].upper()
        row.amount_text = _text(headline.get("text"), 80) or f"{headline['amount']} {currency}"
        row.currency = currency
        row.approximate = headline.get("approximate") is True
        row.amount_cny = fx.to_cny(headline["amount"], currency)
        row.amount_usd = fx.to_usd(headline["amount"], currency)
        row.sort_amount = row.amount_cny if row.amount_cny is not None else -1
    if item.event_kind == EventKind.FINANCING:
        row.financing_round = _text(item.financing_round, 20)
    row.lead_investors = _names(facts.get("lead_investors"), 300)
    row.investors = _names(facts.get("investors"), 500)
    for field, key in (("upfront_text", "upfront"), ("total_text", "total")):
        part = _amount(licensing.get(key))
        if part:
            setattr(row, field, _text(part.get("text"), 80))
    row.buyer = _text(ma.get("buyer"), 120)
    row.target = _text(ma.get("target"), 120)
    row.regulator = _text(facts.get("regulator"), 120)
    row.decision = facts.get("decision") if facts.get("decision") in DECISIONS else ""
    row.drug = _names(facts.get("drug"), 120)
    row.indication = _names(facts.get("indication"), 120)
    return row


def index_items(item_ids: Iterable[int]) -> None:
    """Rewrite the tracker rows of these items from their stored facts (any status)."""
    ids = sorted({int(pk) for pk in item_ids})
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        items = Item.objects.filter(pk__in=chunk).only(
            "pk", "event_kind", "financing_round", "facts", "bulletin__issued_on"
        )
        rows = [row_for(item, item.bulletin.issued_on) for item in items.select_related("bulletin")]
        with transaction.atomic():
            TrackerRow.objects.filter(item_id__in=chunk).delete()
            TrackerRow.objects.bulk_create([row for row in rows if row is not None])


# ----------------------------------------------------------------------------- reading


def _company_links():
    return (
        ItemEntity.objects.filter(is_confirmed=True, entity__merged_into__isnull=True)
        .filter(entity__type=EntityType.COMPANY)
        .select_related("entity")
        .only("item_id", "entity__name", "entity__slug", "entity__type")
        .order_by("pk")
    )


ROW_FIELDS = [f.name for f in TrackerRow._meta.concrete_fields]


def rows(tracker: str):
    """Published rows of a tracker with what a page shows of their item (fixed query count)."""
    return (
        TrackerRow.objects.published()
        .filter(tracker=tracker)
        # What a row shows of its item; the issue is joined for the published rule only.
        .select_related("item")
        .only(*ROW_FIELDS, "item__headline", "item__body", "item__bulletin_id")
        .prefetch_related(
            Prefetch("item__entity_links", queryset=_company_links(), to_attr="tracker_links")
        )
    )


def deals():
    return rows(Tracker.DEALS)


def approvals():
    return rows(Tracker.APPROVALS)


@dataclass
class Company:
    name: str
    url: str


def companies(row: TrackerRow) -> list[Company]:
    """The companies a row is about: its confirmed company links in the order the text
    names them (the headline of a deal names the company first)."""
    item = row.item
    text = f"{item.headline}{item.body}"
    found = [
        link.entity
        for link in getattr(item, "tracker_links", [])
        if link.entity.type == EntityType.COMPANY
    ]
    if text:
        found.sort(key=lambda e: (text.find(e.name) % (len(text) + 1), e.name))
    return [Company(e.name, e.get_absolute_url()) for e in found]


# ----------------------------------------------------------------------------- filters


class FilterForm(forms.Form):
    """The tracker filters; invalid input is reported on the page, never a server error."""

    kind = forms.ChoiceField(
        label=_("类型"),
        required=False,
        choices=[("", _("全部")), *[(k.value, k.label) for k in DEAL_KINDS]],
    )
    round = forms.ChoiceField(
        label=_("轮次"), required=False, choices=[("", _("全部")), *[(r, r) for r in ROUNDS]]
    )
    # Text inputs with a numeric keyboard: a rejected value is shown back as typed, which a
    # type=number or type=date input may not hold (and the validator would refuse).
    min = forms.IntegerField(
        label=_("最低金额(万元)"),
        required=False,
        min_value=0,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "placeholder": "例如 5000"}),
    )
    max = forms.IntegerField(
        label=_("最高金额(万元)"),
        required=False,
        min_value=0,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "placeholder": "例如 100000"}),
    )
    regulator = forms.CharField(label=_("监管机构"), required=False, max_length=60)
    decision = forms.ChoiceField(
        label=_("结果"), required=False, choices=[("", _("全部")), *DECISIONS.items()]
    )
    drug = forms.CharField(label=_("药品"), required=False, max_length=60)
    investor = forms.CharField(label=_("投资方"), required=False, max_length=60)
    company = forms.CharField(label=_("公司"), required=False, max_length=60)
    start = forms.DateField(
        label=_("起始日期"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "2026-01-01", "inputmode": "numeric"}),
    )
    end = forms.DateField(
        label=_("截止日期"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "2026-12-31", "inputmode": "numeric"}),
    )
    sort = forms.ChoiceField(
        label=_("排序"),
        required=False,
        choices=[
            ("-date", _("日期(新→旧)")),
            ("date", _("日期(旧→新)")),
            ("-amount", _("金额(大→小)")),
            ("amount", _("金额(小→大)")),
        ],
    )
    after = forms.RegexField(regex=r"^-?[0-9-]{1,20}~[0-9]{1,12}$", required=False)

    RARE = 500  # linked items up to which a company filter starts from the links

    DEAL_FIELDS = ("kind", "round", "min", "max", "investor", "company", "start", "end", "sort")
    APPROVAL_FIELDS = ("regulator", "decision", "drug", "company", "start", "end", "sort")

    def __init__(self, data, *, tracker: str):
        super().__init__(data)
        self.tracker = tracker
        keep = self.DEAL_FIELDS if tracker == Tracker.DEALS else self.APPROVAL_FIELDS
        for name in list(self.fields):
            if name not in (*keep, "after"):
                del self.fields[name]
        if tracker == Tracker.APPROVALS:
            self.fields["sort"].choices = self.fields["sort"].choices[:2]

    def clean(self):
        data = super().clean()
        low, high = data.get("min"), data.get("max")
        if low is not None and high is not None and low > high:
            self.add_error("max", _("最高金额不能小于最低金额。"))
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            self.add_error("end", _("截止日期不能早于起始日期。"))
        after = data.get("after")
        if after:
            key, _sep, pk = after.rpartition("~")
            field = (data.get("sort") or "-date").lstrip("-")
            try:
                key = dt.date.fromisoformat(key) if field == "date" else int(key)
                data["after"] = (key, int(pk))
            except ValueError:
                self.add_error("after", _("翻页位置无效,请从第一页开始。"))
        return data

    def controls(self) -> list[dict]:
        """The fields as plain data for the page's hand-written inputs (Django's widget
        templates cost more than the rows of a page)."""
        out = []
        for name, field in self.fields.items():
            if name == "after":
                continue
            value = self.data.get(name, "") if self.is_bound else ""
            choices = getattr(field, "choices", None)
            out.append(
                {
                    "name": name,
                    "id": f"id_{name}",
                    "label": str(field.label),
                    "value": value,
                    "choices": [(str(k), str(v)) for k, v in choices] if choices else None,
                    "attrs": field.widget.attrs,
                    "errors": [str(e) for e in self.errors.get(name, [])] if self.is_bound else [],
                }
            )
        return out

    def ordering(self) -> tuple[str, bool]:
        value = (self.cleaned_data.get("sort") if hasattr(self, "cleaned_data") else "") or "-date"
        return value.lstrip("-"), value.startswith("-")

    def filter(self, queryset, *, paged: bool = True):
        """``queryset`` filtered, sorted and (``paged``) started after the cursor."""
        data = self.cleaned_data
        if data.get("kind"):
            queryset = queryset.filter(kind=data["kind"])
        if data.get("round"):
            queryset = queryset.filter(financing_round=data["round"])
        if data.get("min") is not None:
            queryset = queryset.filter(amount_cny__gte=data["min"] * 10_000)
        if data.get("max") is not None:
            queryset = queryset.filter(amount_cny__lte=data["max"] * 10_000)
        if data.get("regulator"):
            queryset = queryset.filter(regulator__icontains=data["regulator"])
        if data.get("decision"):
            queryset = queryset.filter(decision=data["decision"])
        if data.get("drug"):
            queryset = queryset.filter(drug__icontains=data["drug"])
        if data.get("investor"):
            name = data["investor"]
            queryset = queryset.filter(
                Q(lead_investors__icontains=name) | Q(investors__icontains=name)
            )
        if data.get("company"):
            # Items linked to a company whose name contains the text. A rare company is
            # found from the (entity, item) index and its few rows sorted; a common one
            # (罗氏: thousands of items) by walking the date index until a page is full —
            # each way is the slow one for the other case, so one small count decides.
            named = ItemEntity.objects.filter(
                is_confirmed=True,
                entity__type=EntityType.COMPANY,
                entity__merged_into__isnull=True,
                entity__name__icontains=data["company"],
            )
            if named[: self.RARE + 1].count() <= self.RARE:
                queryset = queryset.filter(item_id__in=named.values("item_id"))
            else:
                queryset = queryset.filter(Exists(named.filter(item=OuterRef("item_id"))))
        if data.get("start"):
            queryset = queryset.filter(issued_on__gte=data["start"])
        if data.get("end"):
            queryset = queryset.filter(issued_on__lte=data["end"])
        field, descending = self.ordering()
        column = "issued_on" if field == "date" else "sort_amount"
        after = data.get("after") if paged else None
        if after:
            key, pk = after
            # "Up to the key, minus the rows of the key already shown": a range the index
            # can seek to, where "before the key OR (at the key AND before the id)" is a scan.
            bound, seen = ("lte", "gte") if descending else ("gte", "lte")
            queryset = queryset.filter(**{f"{column}__{bound}": key}).exclude(
                **{column: key, f"item_id__{seen}": pk}
            )
        sign = "-" if descending else ""
        return queryset.order_by(f"{sign}{column}", f"{sign}item_id")

    def cursor(self, row: TrackerRow) -> str:
        field, _descending = self.ordering()
        key = row.issued_on.isoformat() if field == "date" else str(row.sort_amount)
        return f"{key}~{row.item_id}"


def page(form: FilterForm, queryset, size: int = PAGE_SIZE) -> tuple[list[TrackerRow], str]:
    """One page of rows and the cursor of the next page ("" on the last)."""
    found = list(form.filter(queryset)[: size + 1])
    more = len(found) > size
    found = found[:size]
    return found, (form.cursor(found[-1]) if more and found else "")


def entity_deals(entity, limit: int = 20) -> list[TrackerRow]:
    """Published deals whose item has a confirmed link to ``entity`` (an investor's page)."""
    linked = ItemEntity.objects.filter(entity=entity, is_confirmed=True)
    if linked[: FilterForm.RARE + 1].count() <= FilterForm.RARE:  # see FilterForm.filter
        found = deals().filter(item_id__in=linked.values("item_id"))
    else:
        found = deals().filter(Exists(linked.filter(item=OuterRef("item_id"))))
    return list(found.order_by("-issued_on", "-item_id")[:limit])
