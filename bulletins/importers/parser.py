"""Read the text of a whole 日报 into a structure — a pure function, no database, no web.

The format (``../shared/samples/2026-03-17.txt``)::

    headline 1;headline 2;headline 3 | 日报       title: headlines joined by ';', then ' | ' kind
    (医药健闻2026年3月17日讯)                     dateline: publication name, date, 讯
                                                  blank line(s)
    企业动态                                       section heading
    one item = one paragraph = one line
    …

``parse_issue(text)`` accepts what editors paste: ASCII or full-width ``;`` ``(`` ``|``, CRLF or
CR line ends, a BOM, stray spaces and blank lines, a trailing newline. It returns a
``ParsedIssue`` (with warnings for what it had to guess) or raises ``ParseError`` — its only
error type — naming the line and the reason in Chinese and English.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..dateline import match_dateline
from ..limits import (
    CONTROL_RE,
    MAX_HEADLINE_CHARS,
    MAX_IMPORT_CHARS,
    MAX_IMPORT_ITEMS,
    MAX_ITEM_CHARS,
    describe_character,
)

# Limits of the columns the result is stored in (bulletins.models) and of an edit
# (bulletins.limits); checked here so that a paste that cannot be stored, or that a later
# edit would refuse, is refused with its line number instead.
MAX_HEADLINE_LENGTH = MAX_HEADLINE_CHARS
MAX_DATELINE_LENGTH = 100
MAX_SECTION_NAME_LENGTH = 20

# Invisible characters that word processors and WeChat leave around pasted lines.
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
LINE_BREAK_RE = re.compile(r"\r\n|\r|\n")
TITLE_BAR_RE = re.compile(r"[|\uff5c]")
HEADLINE_SEPARATOR_RE = re.compile(r"[;\uff1b]")
# Sentence punctuation (ASCII and full-width): a line containing any is an item, not a heading.
SENTENCE_PUNCTUATION = set(",.;:!?\u3002\uff0c\uff1b\uff1a\uff01\uff1f\u3001")


class ParseError(ValueError):
    """The text is not a 日报 the importer can read; nothing was imported.

    ``line`` is 1-based (0 when the whole text is at fault), ``code`` a stable name for the
    rule, ``message`` the reason in Chinese, ``message_en`` in English.
    """

    def __init__(self, *, line: int, code: str, message: str, message_en: str):
        self.line = line
        self.code = code
        self.message = message
        self.message_en = message_en
        super().__init__(str(self))

    def __str__(self):
        if self.line:
            return f"第 {self.line} 行:{self.message}(line {self.line}: {self.message_en})"
        return f"{self.message}({self.message_en})"


@dataclass(frozen=True)
class ParseWarning:
    line: int
    code: str
    message: str
    message_en: str

    def __str__(self):
        where = f"第 {self.line} 行:" if self.line else ""
        return f"{where}{self.message}({self.message_en})"


@dataclass
class ParsedItem:
    body: str
    line: int


@dataclass
class ParsedSection:
    name: str
    line: int
    items: list[ParsedItem] = field(default_factory=list)


@dataclass
class ParsedIssue:
    headlines: list[str]
    kind: str
    publication: str
    issued_on: dt.date
    dateline: str
    sections: list[ParsedSection]
    warnings: list[ParseWarning] = field(default_factory=list)
    title_line: int = 1
    dateline_line: int = 2

    @property
    def items(self) -> list[ParsedItem]:
        return [item for section in self.sections for item in section.items]


def split_lines(text: str) -> list[str]:
    """Lines of pasted text: BOM dropped, any line end (CRLF, CR, LF), a final newline ignored."""
    text = text.removeprefix("\ufeff")
    lines = LINE_BREAK_RE.split(text)
    if len(lines) > 1 and lines[-1] == "":
        lines.pop()
    return lines


def clean_line(line: str) -> str:
    """A line without surrounding spaces (incl. full-width and no-break) or zero-width marks."""
    return line.strip().strip(ZERO_WIDTH).strip()


def looks_like_heading(line: str) -> bool:
    """A short line without sentence punctuation: 企业动态, 产业动态, 政策法规 …"""
    return (
        0 < len(line) <= MAX_SECTION_NAME_LENGTH
        and not SENTENCE_PUNCTUATION.intersection(line)
        and any(ch.isalpha() for ch in line)
    )


def parse_issue(text: str, *, known_sections: Iterable[str] | None = None) -> ParsedIssue:
    """Parse the text of one issue; ``known_sections`` names the sections that exist already.

    A line equal to a known section name is always a heading; another short line without
    sentence punctuation is taken as a new section, with a warning when ``known_sections``
    is given.
    """
    known = set(known_sections) if known_sections is not None else None
    if len(text) > MAX_IMPORT_CHARS:
        raise ParseError(
            line=0,
            code="too_long",
            message=f"全文 {len(text)} 个字符,超过上限 {MAX_IMPORT_CHARS} 个字符;请分期导入。",
            message_en=f"the text has {len(text)} characters, more than {MAX_IMPORT_CHARS}",
        )
    lines = [clean_line(line) for line in split_lines(text)]
    for number, line in enumerate(lines, 1):
        found = CONTROL_RE.search(line)
        if found:
            char = describe_character(found.group())
            raise ParseError(
                line=number,
                code="control_character",
                message=f"第 {found.start() + 1} 个字符是控制字符或残缺字符({char}),无法保存;"
                "请删除后再导入。",
                message_en=f"character {found.start() + 1} is a control or broken character "
                f"({char}) that cannot be stored",
            )
    numbered = [(number, line) for number, line in enumerate(lines, 1) if line]
    if not numbered:
        raise ParseError(
            line=0,
            code="empty",
            message="内容为空,没有可导入的日报。",
            message_en="the text is empty; there is no issue to import",
        )
    warnings: list[ParseWarning] = []
    title_line, title = numbered[0]
    headlines, kind = _parse_title(title, title_line, warnings)

    if len(numbered) < 2:
        raise ParseError(
            line=title_line + 1,
            code="no_dateline",
            message="标题之后缺少电头,应为例如 (医药健闻2026年3月17日讯)。",
            message_en="the dateline is missing after the title, e.g. (医药健闻2026年3月17日讯)",
        )
    dateline_line, dateline_text = numbered[1]
    found = match_dateline(dateline_text)
    if found is None:
        raise ParseError(
            line=dateline_line,
            code="no_dateline",
            message="这一行应为电头,例如 (医药健闻2026年3月17日讯)。",
            message_en="this line should be the dateline, e.g. (医药健闻2026年3月17日讯)",
        )
    issued_on = found.date
    if issued_on is None:
        raise ParseError(
            line=dateline_line,
            code="invalid_date",
            message=f"电头中的日期 {found.year}年{found.month}月{found.day}日 不存在。",
            message_en=f"the dateline's date {found.year}-{found.month:02d}-{found.day:02d} does not exist",
        )
    if len(dateline_text) > MAX_DATELINE_LENGTH:
        raise ParseError(
            line=dateline_line,
            code="dateline_too_long",
            message=f"电头超过 {MAX_DATELINE_LENGTH} 个字符。",
            message_en=f"the dateline is longer than {MAX_DATELINE_LENGTH} characters",
        )

    sections = _parse_body(numbered[2:], known, warnings)
    _check_item_limits(sections)
    if not any(section.items for section in sections):
        last_line = numbered[-1][0]
        raise ParseError(
            line=last_line,
            code="no_items",
            message="这期日报没有任何条目。",
            message_en="the issue has no items",
        )
    return ParsedIssue(
        headlines=headlines,
        kind=kind,
        publication=found.name,
        issued_on=issued_on,
        dateline=dateline_text,
        sections=[section for section in sections if section.items],
        warnings=warnings,
        title_line=title_line,
        dateline_line=dateline_line,
    )


def _parse_title(title: str, number: int, warnings: list[ParseWarning]) -> tuple[list[str], str]:
    bars = list(TITLE_BAR_RE.finditer(title))
    if not bars:
        raise ParseError(
            line=number,
            code="no_title_bar",
            message="标题行缺少“ | ”,应为例如 标题一;标题二 | 日报。",
            message_en="the title has no ' | ', e.g. headline one;headline two | 日报",
        )
    bar = bars[-1]
    kind = title[bar.end() :].strip()
    headlines = []
    for part in HEADLINE_SEPARATOR_RE.split(title[: bar.start()]):
        headline = part.strip()
        if not headline:
            continue
        if len(headline) > MAX_HEADLINE_LENGTH:
            raise ParseError(
                line=number,
                code="headline_too_long",
                message=f"标题“{headline[:20]}…”超过 {MAX_HEADLINE_LENGTH} 个字符。",
                message_en=f"a headline is longer than {MAX_HEADLINE_LENGTH} characters",
            )
        headlines.append(headline)
    if not kind:
        warnings.append(
            ParseWarning(
                number,
                "no_kind",
                "标题“ | ”之后没有刊物类型(如 日报)。",
                "nothing follows ' | ' in the title (e.g. 日报)",
            )
        )
    if not headlines:
        warnings.append(
            ParseWarning(number, "no_headlines", "标题中没有头条。", "the title has no headlines")
        )
    return headlines, kind


def _parse_body(numbered, known, warnings: list[ParseWarning]) -> list[ParsedSection]:
    sections: list[ParsedSection] = []
    by_name: dict[str, ParsedSection] = {}
    current: ParsedSection | None = None
    for number, line in numbered:
        is_heading = (known is not None and line in known) or looks_like_heading(line)
        if is_heading:
            if line in by_name:
                warnings.append(
                    ParseWarning(
                        number,
                        "repeated_section",
                        f"栏目“{line}”重复出现,其条目并入第一次出现的位置。",
                        f"section {line!r} appears again; its items join its first occurrence",
                    )
                )
                current = by_name[line]
                continue
            current = ParsedSection(name=line, line=number)
            sections.append(current)
            by_name[line] = current
            if known is not None and line not in known:
                warnings.append(
                    ParseWarning(
                        number,
                        "new_section",
                        f"“{line}”不是已有栏目,将作为新栏目创建;如果它其实是一条条目,请加上标点。",
                        f"{line!r} is not an existing section and will be created; "
                        "if it is an item, add punctuation",
                    )
                )
            continue
        if current is None:
            raise ParseError(
                line=number,
                code="item_before_section",
                message="条目出现在任何栏目标题(如 企业动态)之前。",
                message_en="an item comes before any section heading (e.g. 企业动态)",
            )
        current.items.append(ParsedItem(body=line, line=number))
    for section in sections:
        if not section.items:
            warnings.append(_empty_section_warning(section))
    return sections


def _check_item_limits(sections) -> None:
    items = [item for section in sections for item in section.items]
    for item in items:
        if len(item.body) > MAX_ITEM_CHARS:
            raise ParseError(
                line=item.line,
                code="item_too_long",
                message=f"这一条有 {len(item.body)} 个字符,超过上限 {MAX_ITEM_CHARS} 个字符"
                "(与编辑时相同)。",
                message_en=f"the item has {len(item.body)} characters, more than "
                f"{MAX_ITEM_CHARS} (the same limit as an edit)",
            )
    if len(items) > MAX_IMPORT_ITEMS:
        raise ParseError(
            line=items[MAX_IMPORT_ITEMS].line,
            code="too_many_items",
            message=f"一期最多 {MAX_IMPORT_ITEMS} 条,这是第 {MAX_IMPORT_ITEMS + 1} 条;请分期导入。",
            message_en=f"an issue holds at most {MAX_IMPORT_ITEMS} items; this is item "
            f"{MAX_IMPORT_ITEMS + 1}",
        )


def _empty_section_warning(section: ParsedSection) -> ParseWarning:
    return ParseWarning(
        section.line,
        "empty_section",
        f"栏目“{section.name}”下没有条目,已忽略。",
        f"section {section.name!r} has no items and is ignored",
    )
