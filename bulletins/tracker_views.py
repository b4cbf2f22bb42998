"""Pages, downloads and feeds of the /deals/ and /approvals/ trackers (rules in trackers.py).

A page costs a fixed number of queries whatever its size: one for the rows (with their item
and issue), one for the rows' company links. Downloads stream every filtered row — exactly
what the page filters show, all pages, in the page's order — with the exchange-rate table.
"""

from __future__ import annotations

import csv
import json

from django.contrib.syndication.views import Feed
from django.http import HttpResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from . import fx, trackers
from .models import EventKind, PublicationSettings
from .tracker_rows import Tracker

DOWNLOAD_CHUNK = 1000
FEED_SIZE = 50
KIND_LABELS = dict(EventKind.choices)


def row_facts(row, cny: str, usd: str) -> list[tuple[str, str, str]]:
    """(label, text, note) lines of a row card, only the fields the facts know."""
    if row.tracker == Tracker.APPROVALS:
        pairs = [
            ("监管机构", row.regulator, ""),
            ("药品", row.drug, ""),
            ("适应症", row.indication, ""),
        ]
    else:
        note = ("约数 · " if row.approximate else "") + (f"≈{cny} / {usd}" if cny else "")
        pairs = [
            ("金额", row.amount_text, note.strip(" ·")),
            ("轮次", row.financing_round, ""),
            ("领投", row.lead_investors, ""),
            ("投资方", row.investors, ""),
            ("首付款", row.upfront_text, ""),
            ("总额", row.total_text, ""),
            ("收购方", row.buyer, ""),
            ("标的", row.target, ""),
        ]
    return [(label, text, note) for label, text, note in pairs if text]


def describe(row) -> dict:
    """What readers, the downloads and the feeds see of one row."""
    item = row.item
    companies = trackers.companies(row)
    cny = fx.format_amount(row.amount_cny, "CNY")
    usd = fx.format_amount(row.amount_usd, "USD")
    chip = str(trackers.DECISIONS.get(row.decision, "")) if row.tracker == Tracker.APPROVALS else ""
    return {
        "facts": row_facts(row, cny, usd),
        "chip": chip or str(KIND_LABELS.get(row.kind, "")),
        "fallback_name": (f"{row.buyer} → {row.target}" if row.buyer and row.target else "")
        or row.buyer
        or row.target
        or item.headline,
        "row": row,
        "date": row.issued_on,
        "url": item.get_absolute_url(),
        "headline": item.headline,
        "kind": row.kind,
        "kind_label": str(KIND_LABELS.get(row.kind, "")),
        "companies": companies,
        "company_names": "、".join(c.name for c in companies),
        "cny": cny,
        "usd": usd,
        "decision_label": str(trackers.DECISIONS.get(row.decision, "")),
    }


# Row cards and filter inputs are written here rather than in templates: 25 cards through
# the template engine cost more than everything else on a tracker page (the bench measures
# the page on ten years of issues; the queries take about a millisecond).


def render_deal(deal: dict) -> SafeString:
    """One row card (``bulletins/_deal.html`` documents the same markup for entity pages)."""
    day = deal["date"].isoformat()
    companies = format_html_join(
        "、", '<a href="{}">{}</a>', ((c.url, c.name) for c in deal["companies"])
    ) or format_html("{}", deal["fallback_name"])
    facts = format_html_join(
        "",
        "<dt>{}</dt><dd>{}{}</dd>",
        (
            (label, text, format_html(' <span class="approx">{}</span>', note) if note else "")
            for label, text, note in deal["facts"]
        ),
    )
    return format_html(
        '<li class="deal"><article aria-label="{} {}">'
        '<div class="deal-head"><time class="meta" datetime="{}">{}</time> '
        '<span class="chip kind-{}">{}</span> <span class="company">{}</span></div>'
        "{}"
        '<p class="item-tools"><a class="permalink" href="{}">查看条目{}</a></p>'
        "</article></li>\n",
        day,
        deal["company_names"] or deal["chip"],
        day,
        day,
        deal["kind"],
        deal["chip"],
        companies,
        format_html("<dl>{}</dl>", facts) if deal["facts"] else "",
        deal["url"],
        f"：{deal['headline']}" if deal["headline"] else "",
    )


def render_controls(controls: list[dict]) -> SafeString:
    parts = []
    for field in controls:
        invalid = (
            format_html(' aria-invalid="true" aria-describedby="{}-error"', field["id"])
            if field["errors"]
            else ""
        )
        if field["choices"]:
            options = format_html_join(
                "",
                '<option value="{}"{}>{}</option>',
                (
                    (value, mark_safe(" selected") if value == field["value"] else "", label)
                    for value, label in field["choices"]
                ),
            )
            control = format_html(
                '<select name="{}" id="{}"{}>{}</select>',
                field["name"],
                field["id"],
                invalid,
                options,
            )
        else:
            attrs = format_html_join("", ' {}="{}"', field["attrs"].items())
            control = format_html(
                '<input type="text" name="{}" id="{}" value="{}"{}{}>',
                field["name"],
                field["id"],
                field["value"],
                attrs,
                invalid,
            )
        errors = (
            format_html(
                '<span class="errorlist" id="{}-error">{}</span>',
                field["id"],
                " ".join(field["errors"]),
            )
            if field["errors"]
            else ""
        )
        parts.append(
            format_html(
                '<p><label for="{}">{}</label>{}{}</p>',
                field["id"],
                field["label"],
                control,
                errors,
            )
        )
    return mark_safe("".join(parts))  # noqa: S308  (each part built by format_html)


class TrackerView(TemplateView):
    template_name = "bulletins/tracker.html"
    tracker = Tracker.DEALS

    def get(self, request, *args, **kwargs):
        self.form = trackers.FilterForm(request.GET, tracker=self.tracker)
        context = self.get_context_data(**kwargs)
        return self.render_to_response(context, status=200 if self.form.is_valid() else 400)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = self.form
        rows, next_cursor = [], ""
        if form.is_valid():
            rows, next_cursor = trackers.page(form, trackers.rows(self.tracker))
        query = self.request.GET.copy()
        query.pop("after", None)
        base = query.urlencode()
        name = "deals" if self.tracker == Tracker.DEALS else "approvals"
        described = [describe(row) for row in rows]
        context.update(
            tracker=self.tracker,
            tracker_name=name,
            title=_("交易追踪") if self.tracker == Tracker.DEALS else _("审批追踪"),
            form=form,
            controls_html=render_controls(form.controls()),
            rows=described,
            rows_html=mark_safe("".join(render_deal(deal) for deal in described)),  # noqa: S308
            has_rows=bool(rows),
            next_url=f"?{base + '&' if base else ''}after={next_cursor}" if next_cursor else "",
            is_first_page=not self.request.GET.get("after"),
            first_url=f"?{base}" if base else self.request.path,
            query=base,
            filtered=any(v for k, v in self.request.GET.items() if k not in ("after", "sort")),
            rates=fx.rate_rows(),
            rates_date=fx.RATES_DATE,
            csv_url=reverse(f"bulletins:{name}_csv") + (f"?{base}" if base else ""),
            json_url=reverse(f"bulletins:{name}_json") + (f"?{base}" if base else ""),
            rss_url=reverse(f"bulletins:{name}_rss"),
            atom_url=reverse(f"bulletins:{name}_atom"),
        )
        return context


class DealsView(TrackerView):
    tracker = Tracker.DEALS


class ApprovalsView(TrackerView):
    tracker = Tracker.APPROVALS


# ----------------------------------------------------------------------------- downloads

DEAL_COLUMNS = [
    ("date", "日期"),
    ("kind", "类型"),
    ("companies", "公司"),
    ("amount_text", "金额(原文)"),
    ("approximate", "约数"),
    ("currency", "币种"),
    ("amount_cny", "折合人民币(元)"),
    ("amount_usd", "折合美元"),
    ("round", "轮次"),
    ("lead_investors", "领投方"),
    ("investors", "投资方"),
    ("upfront", "首付款"),
    ("total", "总额"),
    ("buyer", "收购方"),
    ("target", "标的"),
    ("url", "条目链接"),
]
APPROVAL_COLUMNS = [
    ("date", "日期"),
    ("regulator", "监管机构"),
    ("decision", "结果"),
    ("drug", "药品"),
    ("indication", "适应症"),
    ("companies", "公司"),
    ("url", "条目链接"),
]


def export_record(request, row) -> dict:
    item_url = request.build_absolute_uri(row.item.get_absolute_url())
    names = "、".join(c.name for c in trackers.companies(row))
    if row.tracker == Tracker.APPROVALS:
        return {
            "date": row.issued_on.isoformat(),
            "regulator": row.regulator,
            "decision": row.decision,
            "drug": row.drug,
            "indication": row.indication,
            "companies": names,
            "url": item_url,
        }
    return {
        "date": row.issued_on.isoformat(),
        "kind": row.kind,
        "companies": names,
        "amount_text": row.amount_text,
        "approximate": row.approximate if row.amount_text else None,
        "currency": row.currency,
        "amount_cny": row.amount_cny,
        "amount_usd": row.amount_usd,
        "round": row.financing_round,
        "lead_investors": row.lead_investors,
        "investors": row.investors,
        "upfront": row.upfront_text,
        "total": row.total_text,
        "buyer": row.buyer,
        "target": row.target,
        "url": item_url,
    }


def _filtered_rows(request, tracker):
    form = trackers.FilterForm(request.GET, tracker=tracker)
    if not form.is_valid():
        return form, None
    return form, form.filter(trackers.rows(tracker), paged=False).iterator(
        chunk_size=DOWNLOAD_CHUNK
    )


def _bad_filters(form):
    errors = {field: [str(e) for e in errs] for field, errs in form.errors.items()}
    body = {"code": "invalid_filters", "message": _("筛选条件有误。"), "field_errors": errors}
    return HttpResponse(
        json.dumps(body, ensure_ascii=False),
        status=400,
        content_type="application/json; charset=utf-8",
    )


def _cell(value):
    """A CSV cell; text that a spreadsheet would run as a formula is quoted with '."""
    if value is True:
        return "是"
    if value in (None, False):
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


class _Echo:
    def write(self, value):
        return value


def download_csv(request, tracker):
    form, rows = _filtered_rows(request, tracker)
    if rows is None:
        return _bad_filters(form)
    columns = DEAL_COLUMNS if tracker == Tracker.DEALS else APPROVAL_COLUMNS
    writer = csv.writer(_Echo())

    def lines():
        yield "\ufeff"  # Excel reads UTF-8 only with the byte-order mark
        yield writer.writerow([label for _key, label in columns])
        for row in rows:
            record = export_record(request, row)
            yield writer.writerow([_cell(v) for v in record.values()])
        yield writer.writerow([])
        rates = "; ".join(f"1 {code} = {rate} CNY" for code, rate in fx.rate_rows())
        yield writer.writerow([f"汇率 {fx.RATES_DATE.isoformat()}: {rates}"])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{tracker}.csv"'
    return response


def download_json(request, tracker):
    form, rows = _filtered_rows(request, tracker)
    if rows is None:
        return _bad_filters(form)

    def chunks():
        head = {
            "tracker": str(tracker),
            "filters": {k: v for k, v in request.GET.items() if k != "after"},
            "fx": {
                "date": fx.RATES_DATE.isoformat(),
                "cny_per_unit": {code: str(rate) for code, rate in fx.rate_rows()},
            },
        }
        yield json.dumps(head, ensure_ascii=False)[:-1] + ', "rows": ['
        for n, row in enumerate(rows):
            yield ("," if n else "") + json.dumps(export_record(request, row), ensure_ascii=False)
        yield "]}"

    response = StreamingHttpResponse(chunks(), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{tracker}.json"'
    return response


def deals_csv(request):
    return download_csv(request, Tracker.DEALS)


def deals_json(request):
    return download_json(request, Tracker.DEALS)


def approvals_csv(request):
    return download_csv(request, Tracker.APPROVALS)


def approvals_json(request):
    return download_json(request, Tracker.APPROVALS)


# ----------------------------------------------------------------------------- feeds


class TrackerFeed(Feed):
    feed_type = Rss201rev2Feed
    language = "zh-CN"
    tracker = Tracker.DEALS

    def title(self):
        kind = _("交易追踪") if self.tracker == Tracker.DEALS else _("审批追踪")
        return f"{kind} | {PublicationSettings.load().name}"

    def description(self):
        return self.title()

    def link(self):
        return reverse(
            "bulletins:deals" if self.tracker == Tracker.DEALS else "bulletins:approvals"
        )

    def items(self):
        rows = trackers.rows(self.tracker).select_related("item__bulletin")
        rows = rows.only(
            *trackers.ROW_FIELDS, "item__headline", "item__body", "item__bulletin__publish_at"
        )
        return list(rows.order_by("-issued_on", "-item_id")[:FEED_SIZE])

    def item_title(self, row):
        info = describe(row)
        if row.tracker == Tracker.APPROVALS:
            parts = [row.regulator, info["decision_label"], row.drug, info["company_names"]]
        else:
            parts = [info["kind_label"], info["company_names"], row.financing_round]
            parts.append(row.amount_text)
        return " · ".join(p for p in parts if p) or row.item.headline or info["kind_label"]

    def item_description(self, row):
        return row.item.body

    def item_link(self, row):
        return row.item.get_absolute_url()

    def item_pubdate(self, row):
        return row.item.bulletin.publish_at


class DealsFeed(TrackerFeed):
    tracker = Tracker.DEALS


class DealsAtomFeed(DealsFeed):
    feed_type = Atom1Feed


class ApprovalsFeed(TrackerFeed):
    tracker = Tracker.APPROVALS


class ApprovalsAtomFeed(ApprovalsFeed):
    feed_type = Atom1Feed
