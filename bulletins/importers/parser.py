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
error type — naming the line and the reason (Chinese and English are both kept; ``str()`` gives
the one of the active language, so an editor never reads every message twice).

Real pastes from WeChat, Word and e-mail are understood too:

- headings written ``【企业动态】``, ``一、企业动态``, ``（一）企业动态``, ``■企业动态：`` or in
  full-width letters are matched to the known sections (spaces and width ignored);
- item numbering (``1、`` ``1.`` ``(1)`` ``①`` …) and indents (ideographic spaces) are removed;
- a line that continues the previous item — the item does not end a sentence and the line
  does not start a new one (no numbering, no heading) — is joined to it; the item keeps its
  pieces (``ParsedItem.parts``) so the preview can show where it joined.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.utils import translation

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

# Heading markup: 【企业动态】, 〖…〗, [ … ], ■ / ▌ / # bullets, 一、 / （一） / 第一部分, a colon.
CN_NUMERAL = "一二三四五六七八九十"
HEADING_BRACKETS_RE = re.compile(r"^[【〖\[［「]\s*(?P<name>[^】〗\]］」]+?)\s*[】〗\]］」]$")
HEADING_PREFIX_RE = re.compile(
    rf"^(?:[■□▌▍▎●◆◇★☆#＃*＊>＞|｜]+\s*"
    rf"|[{CN_NUMERAL}]+\s*[、.．]\s*"
    rf"|[(（]\s*[{CN_NUMERAL}]+\s*[)）]\s*"
    rf"|第[{CN_NUMERAL}]+(?:部分|章|节|版)?\s*[、.．:：]?\s*)"
)
HEADING_SUFFIX_RE = re.compile(r"[\s:：*＊#＃]+$")
# Item numbering an editor's tool left in front of the text: 1、 1. 1．(1) （1） 1) ① …
ITEM_NUMBER_RE = re.compile(
    r"^(?:\d{1,3}\s*[、．]|\d{1,3}\.(?!\d)|\d{1,3}\s*[)）]|[(（]\s*\d{1,3}\s*[)）]"
    r"|[\u2460-\u2473\u2776-\u277f])\s*"
)
# An item ends a sentence when its last character (after closing quotes/brackets) is one of
# these; otherwise the next line, unless it starts something new, continues it.
SENTENCE_END = set("。！？!?；;…")
CLOSERS = "”’」』）)】>》\"'"


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
        return _localized(self.line, self.message, self.message_en)


def _localized(line: int, message: str, message_en: str) -> str:
    """The message in the active language only (Chinese unless the user chose English)."""
    if (translation.get_language() or "").startswith("en"):
        return f"line {line}: {message_en}" if line else message_en
    return f"第 {line} 行:{message}" if line else message


@dataclass(frozen=True)
class ParseWarning:
    line: int
    code: str
    message: str
    message_en: str
    url: str = ""  # a page the warning is about (an earlier item it duplicates)

    def __str__(self):
        return _localized(self.line, self.message, self.message_en)


@dataclass
class ParsedItem:
    body: str
    line: int
    # The pasted lines it was made of (a hard-wrapped item spans several) and their text.
    lines: list[int] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)

    @property
    def joined(self) -> bool:
        return len(self.parts) > 1


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


def _key(name: str) -> str:
    """What two spellings of a heading share: width (NFKC) and spaces ignored."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name))


def heading_name(line: str) -> tuple[str, bool]:
    """The heading inside ``line`` without its markup, and whether it had any:
    【企业动态】, 一、企业动态, （一）企业动态, ■企业动态: → (企业动态, True)."""
    name, marked = line, False
    found = HEADING_BRACKETS_RE.match(name)
    if found:
        name, marked = found["name"], True
    stripped = HEADING_PREFIX_RE.sub("", name, count=1)
    if stripped != name:
        name, marked = stripped, True
        found = HEADING_BRACKETS_RE.match(name)
        if found:
            name = found["name"]
    stripped = HEADING_SUFFIX_RE.sub("", name)
    if stripped != name and stripped:
        name, marked = stripped, True
    return name.strip(), marked


def strip_item_number(line: str) -> tuple[str, bool]:
    """``1、瑞士制药…`` → (``瑞士制药…``, True); a line without numbering is returned as is."""
    stripped = ITEM_NUMBER_RE.sub("", line, count=1)
    if stripped != line and stripped:
        return stripped, True
    return line, False


def ends_sentence(text: str) -> bool:
    text = text.rstrip(CLOSERS)
    return not text or text[-1] in SENTENCE_END


def wrap_width(lines: list[str]) -> int | None:
    """The width a plain-text paste was hard-wrapped at, if it was: the longest line length,
    shared by at least three lines, one of which is cut mid-sentence (so a clean paste whose
    items merely happen to be as long is never taken for wrapped). A full-width line then
    continues even after a full stop (the wrap fell on a sentence end inside the item)."""
    if not lines:
        return None
    longest = max(len(line) for line in lines)
    full = [line for line in lines if len(line) == longest]
    if longest >= 20 and len(full) >= 3 and any(not ends_sentence(line) for line in full):
        return longest
    return None


def join_separator(before: str, after: str) -> str:
    """A wrap between two Latin words swallowed a space; inside Chinese text or a number
    (a character wrap splits 5000 as 500|0) nothing was lost."""
    a, b = before[-1:], after[:1]
    return " " if a.isascii() and a.isalpha() and b.isascii() and b.isalpha() else ""


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
    known_by_key = {_key(name): name for name in known or ()}
    joins: list[int] = []
    last_item: ParsedItem | None = None  # the item the next line might continue
    width = wrap_width([line for _number, line in numbered])
    for number, line in numbered:
        name = _heading(line, known, known_by_key)
        text, has_number = strip_item_number(line) if name is None else (line, False)
        if (
            last_item is not None
            and not has_number
            and (not ends_sentence(last_item.body) or len(last_item.parts[-1]) == width)
            and (name is None or (name not in known_by_key.values() and line == name))
        ):
            # A hard-wrapped line (even a short unpunctuated fragment that would otherwise
            # look like a new section) belongs to the item it continues.
            last_item.body += join_separator(last_item.body, line) + line
            last_item.lines.append(number)
            last_item.parts.append(line)
            joins.append(number)
            continue
        if name is not None:
            last_item = None
            if name in by_name:
                warnings.append(
                    ParseWarning(
                        number,
                        "repeated_section",
                        f"栏目“{name}”重复出现,其条目并入第一次出现的位置。",
                        f"section {name!r} appears again; its items join its first occurrence",
                    )
                )
                current = by_name[name]
                continue
            current = ParsedSection(name=name, line=number)
            sections.append(current)
            by_name[name] = current
            if known is not None and name not in known:
                warnings.append(
                    ParseWarning(
                        number,
                        "new_section",
                        f"“{name}”不是已有栏目,将作为新栏目创建;如果它其实是一条条目,请加上标点。",
                        f"{name!r} is not an existing section and will be created; "
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
        last_item = ParsedItem(body=text, line=number, lines=[number], parts=[text])
        current.items.append(last_item)
    if joins:
        warnings.append(
            ParseWarning(
                joins[0],
                "joined_lines",
                f"有 {len(joins)} 行没有以句末标点结束的上一行续接,已并入上一条(第 "
                f"{_line_list(joins)} 行);合并处在预览中以 ⏎ 标出,请核对。",
                f"{len(joins)} line(s) continue an item that did not end a sentence and were "
                f"joined to it (lines {_line_list(joins)}); the joins are marked ⏎ in the preview",
            )
        )
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


def _heading(line: str, known, known_by_key: dict[str, str]) -> str | None:
    """The section a line names, or None when it is an item. A known section matches in
    any spelling; an unknown name is a heading when marked up (【…】, 一、…) or when the
    bare line is short and has no sentence punctuation."""
    if known is not None and line in known:
        return line
    name, marked = heading_name(line)
    if _key(name) in known_by_key:
        return known_by_key[_key(name)]
    numbered, has_number = strip_item_number(line)
    if has_number and _key(heading_name(numbered)[0]) in known_by_key:
        return known_by_key[_key(heading_name(numbered)[0])]
    if marked and looks_like_heading(name):
        return unicodedata.normalize("NFKC", name)
    if looks_like_heading(line) and not has_number:
        return line
    return None


def _line_list(numbers: list[int], limit: int = 8) -> str:
    shown = "、".join(str(n) for n in numbers[:limit])
    return shown + ("…" if len(numbers) > limit else "")


def _empty_section_warning(section: ParsedSection) -> ParseWarning:
    return ParseWarning(
        section.line,
        "empty_section",
        f"栏目“{section.name}”下没有条目,已忽略。",
        f"section {section.name!r} has no items and is ignored",
    )
