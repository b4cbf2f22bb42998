"""What a reader scans an issue by: event-kind chips, fact chips, "today at a glance",
the desktop side column. Pure functions over items already loaded (no queries), reading the
stored facts through the trackers' row builder so a page and /deals/ agree on every figure.
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache

from django.http import Http404
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from . import fx, trackers
from .models import EntityType, EventKind

# The chip a reader sees: short verbs, as Chinese pharma news sites label items.
KIND_CHIPS = {
    EventKind.APPROVAL: _lazy("获批"),
    EventKind.FINANCING: _lazy("融资"),
    EventKind.PARTNERSHIP: _lazy("合作"),
    EventKind.MA: _lazy("并购"),
    EventKind.PERSONNEL: _lazy("人事"),
    EventKind.IPO: _lazy("上市"),
    EventKind.EARNINGS: _lazy("业绩"),
    EventKind.CLINICAL: _lazy("临床"),
    EventKind.POLICY: _lazy("政策"),
    EventKind.OTHER: _lazy("其他"),
}
# An approval item's chip says what the regulator actually did, when the facts know it.
DECISION_CHIPS = {
    "acceptance": _lazy("受理"),
    "priority_review": _lazy("优先审评"),
    "breakthrough": _lazy("突破性疗法"),
    "ind": _lazy("获准临床"),
    "orphan": _lazy("孤儿药"),
    "fast_track": _lazy("快速通道"),
    "clinical_hold": _lazy("临床暂停"),
    "rejection": _lazy("未获批"),
    "conditional_approval": _lazy("附条件获批"),
}
TOP_ENTITIES = 8


@lru_cache(maxsize=16)
def _labels(language: str | None) -> dict:
    """The chips' words in ``language`` (the active one), translated once per process: an
    issue page asked gettext for them a hundred times (~0.3 ms)."""
    return {
        "kinds": {kind: str(label) for kind, label in KIND_CHIPS.items()},
        "decisions": {decision: str(label) for decision, label in DECISION_CHIPS.items()},
        "amount": _("金额"),
        "round": _("轮次"),
        "lead": _("领投"),
        "regulator": _("监管"),
    }


def kind_chip(item) -> str:
    labels = _labels(get_language())
    facts = item.facts if isinstance(item.facts, dict) else {}
    decision = facts.get("decision")
    if item.event_kind in (EventKind.APPROVAL, EventKind.CLINICAL) and decision in DECISION_CHIPS:
        return labels["decisions"][decision]
    return labels["kinds"].get(item.event_kind, "")


def fact_chips(item, row) -> list[tuple[str, str]]:
    """(label, value) of the key facts: amount, round, lead investor, regulator."""
    labels = _labels(get_language())
    chips = []
    if row is not None and row.amount_text:
        chips.append((labels["amount"], row.amount_text))
    if item.event_kind == EventKind.FINANCING and item.financing_round:
        chips.append((labels["round"], item.financing_round))
    facts = item.facts if isinstance(item.facts, dict) else {}
    leads = facts.get("lead_investors")
    if isinstance(leads, list) and leads and isinstance(leads[0], str):
        chips.append((labels["lead"], "、".join(x for x in leads[:2] if isinstance(x, str))))
    regulator = facts.get("regulator")
    if isinstance(regulator, str) and regulator:
        chips.append((labels["regulator"], regulator))
    return chips


def annotate(items, *, corrected_ids=()) -> None:
    """Give each item ``kind_chip``, ``fact_chips``, ``facts_row`` and ``is_corrected``."""
    corrected = set(corrected_ids)
    for item in items:
        issued_on = item.bulletin.issued_on
        item.facts_row = trackers.row_for(item, issued_on) if item.event_kind else None
        item.kind_chip = kind_chip(item)
        item.fact_chips = fact_chips(item, item.facts_row)
        item.is_corrected = item.pk in corrected
        text = f"{item.headline}{item.body}"
        companies = [
            link.entity
            for link in getattr(item, "public_links", [])
            if link.entity.type == EntityType.COMPANY
        ]
        companies.sort(key=lambda e: (text.find(e.name) % (len(text) + 1), e.name))
        item.lead_company = companies[0] if companies else None


def glance(items, *, base_url: str) -> dict:
    """Counts by event kind (each a filter link), the day's financing total and approvals by
    regulator. The total adds the amounts the facts know; it is marked approximate when any
    of them is, and says how many financings named no amount."""
    counts = Counter(item.event_kind for item in items if item.event_kind)
    kinds = [
        {
            "kind": kind.value,
            "label": KIND_CHIPS[kind],
            "n": counts[kind],
            "url": f"{base_url}?kind={kind.value}#items",
        }
        for kind in EventKind
        if counts.get(kind)
    ]
    total, approximate, unknown, n_financing = 0, False, 0, 0
    regulators = Counter()
    for item in items:
        row = getattr(item, "facts_row", None)
        if item.event_kind == EventKind.FINANCING:
            n_financing += 1
            if row is not None and row.amount_cny is not None:
                total += row.amount_cny
                approximate = approximate or row.approximate
            else:
                unknown += 1
        if row is not None and row.tracker == "approvals" and row.regulator:
            regulators[row.regulator] += 1
    return {
        "kinds": kinds,
        "financing_count": n_financing,
        "financing_total": fx.format_amount(total, "CNY") if total else "",
        "financing_total_usd": fx.format_amount(fx.to_usd(total, "CNY"), "USD") if total else "",
        "financing_approximate": approximate or unknown > 0,
        "financing_unknown": unknown,
        "regulators": regulators.most_common(),
    }


def side_deal(item) -> tuple[int, str, str]:
    """(item id, label, note) of a deal in the side column: the lead company (else the
    headline or the kind), then the kind, round and amount."""
    label = item.lead_company.name if item.lead_company else (item.headline or item.kind_chip)
    note = item.kind_chip
    if item.financing_round:
        note += f" · {item.financing_round}轮"
    if item.facts_row.amount_text:
        note += f" · {item.facts_row.amount_text}"
    return item.pk, label, note


def side_approval(item) -> tuple[int, str, str]:
    """(item id, label, note) of an approval in the side column: the drug (else the lead
    company, the headline, the regulator or the kind), then the kind and the regulator
    when the label is not the regulator."""
    row = item.facts_row
    company = item.lead_company.name if item.lead_company else ""
    label = row.drug or company or item.headline or row.regulator or item.kind_chip
    note = item.kind_chip
    if row.regulator and (row.drug or company or item.headline):
        note += f" · {row.regulator}"
    return item.pk, label, note


def issue_extras(context: dict, *, kind: str | None, base_url: str) -> dict:
    """Chips, the glance block, the side column and the ``?kind=`` filter for an issue page
    (``context`` as ``views.issue_context`` built it)."""
    items = context.get("items") or []
    annotate(items, corrected_ids=[c.item_id for c in context.get("corrections", []) if c.item_id])
    if kind and kind not in EventKind.values:
        raise Http404(_("没有这种类型的条目。"))
    sections = context.get("sections") or []
    if kind:
        sections = [
            (section, [i for i in members if i.event_kind == kind]) for section, members in sections
        ]
        sections = [(section, members) for section, members in sections if members]
    mentioned = Counter()
    names = {}
    for item in items:
        for link in getattr(item, "public_links", []):
            mentioned[link.entity.pk] += 1
            names[link.entity.pk] = link.entity
    deals = [i for i in items if i.facts_row is not None and i.facts_row.tracker == "deals"]
    approvals = [i for i in items if i.facts_row is not None and i.facts_row.tracker == "approvals"]
    return {
        "glance": glance(items, base_url=base_url),
        "sections": sections,
        "current_kind": kind or "",
        "current_kind_label": KIND_CHIPS.get(kind, "") if kind else "",
        "shown_count": sum(len(members) for _s, members in sections),
        "side_deals": [side_deal(item) for item in deals[:8]],
        "side_approvals": [side_approval(item) for item in approvals[:8]],
        "top_entities": [(names[pk], n) for pk, n in mentioned.most_common(TOP_ENTITIES)],
    }
