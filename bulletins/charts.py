"""An entity's mentions per month as SVG bar geometry (the site draws it without script)."""

import datetime as dt
from collections import Counter

from django.db.models import Count
from django.utils.safestring import mark_safe

from .models import Entity, ItemEntity


def live_monthly_mentions(entity: Entity) -> Counter:
    """Mentions per month counted from the links (the read model's reference)."""
    # Grouped by issue date (an index column), rolled up to months here: a date function
    # in SQL would run once per mention.
    rows = (
        ItemEntity.objects.confirmed()
        .on_published_items()
        .filter(entity=entity)
        .values("item__bulletin__issued_on")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("item__bulletin__issued_on", "n")
    )
    counts = Counter()
    for day, n in rows:
        counts[day.replace(day=1)] += n
    return counts


def mention_chart(entity: Entity, counts=None) -> dict | None:
    """Mentions per month, from the first month mentioned to the last, as SVG bar geometry.

    ``counts`` ({first day of month: n}) defaults to the read model
    (``readmodels.monthly_mentions``)."""
    if counts is None:
        from .readmodels import monthly_mentions

        counts = monthly_mentions(entity)
    if not counts:
        return None
    months = []
    last = max(counts)
    # At least a year of bars, so that one busy month does not fill the whole chart.
    year_before = (
        dt.date(last.year, 1, 1) if last.month == 12 else dt.date(last.year - 1, last.month + 1, 1)
    )
    month = min(min(counts), year_before)
    while month <= last:
        months.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    height, bar, gap, top = 100, max(4, min(24, 600 // len(months))), 2, max(counts.values())
    bars = []
    for index, month in enumerate(months):
        n = counts.get(month, 0)
        h = round(n * height / top, 1)
        bars.append(
            {
                "x": index * (bar + gap),
                "y": height - h,
                "height": h,
                "width": bar,
                "n": n,
                "month": month,
            }
        )
    return {
        "bars": bars,
        # The bars as SVG, written here rather than by a template loop: ten years are ~120
        # bars of five values each, a few ms of template lookups on an entity page. Numbers
        # print as the template printed them (str, no grouping), months as 2026年3月.
        "svg_bars": mark_safe(
            "".join(
                f'<rect x="{b["x"]}" y="{b["y"]}" width="{b["width"]}" height="{b["height"]}">'
                f"<title>{b['month'].year}年{b['month'].month}月:{b['n']} 条</title></rect>"
                for b in bars
            )
        ),
        "width": len(months) * (bar + gap),
        "height": height,
        "max": top,
        "first": months[0],
        "last": months[-1],
    }
