"""The dateline of a 日报: ``(医药健闻2026年3月17日讯)``, with ASCII or full-width brackets."""

import datetime as dt
import re

DATELINE_RE = re.compile(
    r"^\s*[((]\s*(?P<name>[^()()\d]+?)\s*(?P<year>\d{4})\s*年\s*(?P<month>\d{1,2})\s*月"
    r"\s*(?P<day>\d{1,2})\s*日\s*讯\s*[))]\s*$"
)


def dateline_date(text: str) -> dt.date | None:
    """The date a dateline names, or None when it is not a dateline or not a real date."""
    match = DATELINE_RE.match(text or "")
    if not match:
        return None
    try:
        return dt.date(int(match["year"]), int(match["month"]), int(match["day"]))
    except ValueError:
        return None
