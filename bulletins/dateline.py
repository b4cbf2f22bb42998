"""The dateline of a 日报: ``(医药健闻2026年3月17日讯)``, with ASCII or full-width (\uff08) brackets.

A model-level format (the importer parses it, the pre-publish checks compare its date), so it
lives beside the models rather than inside ``importers/``.
"""

import datetime as dt
import re
from dataclasses import dataclass

DATELINE_RE = re.compile(
    r"^\s*[(\uff08]\s*(?P<name>[^()\uff08\uff09\d]+?)\s*(?P<year>\d{4})\s*年\s*(?P<month>\d{1,2})"
    r"\s*月\s*(?P<day>\d{1,2})\s*日\s*讯\s*[)\uff09]\s*$"
)


@dataclass(frozen=True)
class Dateline:
    """What a dateline says, before checking that the date exists."""

    name: str
    year: int
    month: int
    day: int

    @property
    def date(self) -> dt.date | None:
        try:
            return dt.date(self.year, self.month, self.day)
        except ValueError:
            return None


def match_dateline(text: str) -> Dateline | None:
    """The parts of a dateline, or None when the text is not shaped like one."""
    match = DATELINE_RE.match(text or "")
    if not match:
        return None
    return Dateline(
        name=match["name"].strip(),
        year=int(match["year"]),
        month=int(match["month"]),
        day=int(match["day"]),
    )


def dateline_date(text: str) -> dt.date | None:
    """The date a dateline names, or None when it is not a dateline or not a real date."""
    found = match_dateline(text)
    return found.date if found else None


def normalize_dateline(text: str) -> str:
    """A dateline with ASCII brackets and no spaces, for comparing what editors paste."""
    return re.sub(r"\s+", "", (text or "").replace("\uff08", "(").replace("\uff09", ")"))
