"""The one exchange-rate table of the trackers: amounts normalised to CNY and USD.

A fixed reference table, stated with its date on /deals/ and in the downloads, so a reader
knows what a converted figure means. Deal amounts are converted once, when a tracker row is
written (``bulletins.trackers``); changing this table needs ``manage.py rebuild_trackers``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

# Yuan per unit of each currency, end-of-year reference rates.
RATES_DATE = dt.date(2025, 12, 31)
CNY_PER_UNIT: dict[str, Decimal] = {
    "CNY": Decimal("1"),
    "USD": Decimal("7.03"),
    "HKD": Decimal("0.904"),
    "EUR": Decimal("8.26"),
    "GBP": Decimal("9.46"),
    "CHF": Decimal("8.87"),
    "JPY": Decimal("0.0449"),
}


def to_cny(amount, currency: str) -> int | None:
    """``amount`` units of ``currency`` in whole yuan; None for an unknown currency."""
    rate = CNY_PER_UNIT.get(str(currency).upper())
    if rate is None or amount is None:
        return None
    try:
        return int(Decimal(str(amount)) * rate)
    except ArithmeticError:
        return None


def to_usd(amount, currency: str) -> int | None:
    cny = to_cny(amount, currency)
    return None if cny is None else int(Decimal(cny) / CNY_PER_UNIT["USD"])


def rate_rows() -> list[tuple[str, Decimal]]:
    """(currency, yuan per unit) for the page and the downloads, CNY first."""
    return list(CNY_PER_UNIT.items())


def format_amount(value: int | None, currency: str) -> str:
    """A normalised amount as a reader says it: 1.2亿元, 3,500万美元."""
    if value is None:
        return ""
    unit = "元" if currency == "CNY" else "美元"
    if abs(value) >= 10**8:
        return f"{value / 10**8:,.2f}".rstrip("0").rstrip(".") + "亿" + unit
    if abs(value) >= 10**4:
        return f"{value / 10**4:,.0f}万{unit}"
    return f"{value:,}{unit}"
