"""The 日报 text parser: a pure function from pasted text to a structure, or one ParseError."""

import datetime as dt

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from bulletins.importers.parser import ParsedIssue, ParseError, parse_issue

# Full-width forms, written as escapes: editors and tools silently normalise the literals.
FW_SEMICOLON, FW_LPAREN, FW_RPAREN, FW_BAR = "\uff1b", "\uff08", "\uff09", "\uff5c"
HEADLINES = [
    "罗氏携手英伟达构建行业最大规模AI工厂",
    "GSK首席财务官辞职",
    "AI生命科学公司百图生科被曝赴港上市",
]


def structure(parsed: ParsedIssue):
    return (
        parsed.headlines,
        parsed.kind,
        parsed.publication,
        parsed.issued_on,
        [(section.name, [item.body for item in section.items]) for section in parsed.sections],
    )


def small_issue(*body_lines: str) -> str:
    return "\n".join(["头条一;头条二 | 日报", "(医药健闻2026年3月17日讯)", "", *body_lines])


@pytest.mark.samples
def test_sample_structure(sample_text):
    parsed = parse_issue(sample_text)
    assert parsed.publication == "医药健闻"
    assert parsed.issued_on == dt.date(2026, 3, 17)
    assert parsed.kind == "日报"
    assert parsed.headlines == HEADLINES
    assert [(s.name, len(s.items)) for s in parsed.sections] == [("企业动态", 11), ("产业动态", 11)]
    assert parsed.sections[0].items[1].body.startswith("葛兰素史克宣布")
    assert parsed.warnings == []


@pytest.mark.samples
def test_sample_items_keep_their_line_numbers(sample_text):
    parsed = parse_issue(sample_text)
    assert parsed.sections[0].line == 4
    assert parsed.sections[0].items[0].line == 5


@pytest.mark.samples
@pytest.mark.parametrize(
    "variant",
    [
        pytest.param(lambda t: t.replace("\n", "\r\n"), id="crlf"),
        pytest.param(lambda t: t.replace("\n", "\r"), id="cr"),
        pytest.param(lambda t: "\ufeff" + t, id="bom"),
        pytest.param(lambda t: t + "\n", id="trailing-newline"),
        pytest.param(lambda t: t + "\n\n\n", id="trailing-blank-lines"),
        pytest.param(lambda t: t.replace("\n", "\n\n\n"), id="extra-blank-lines"),
        pytest.param(
            lambda t: "\n".join(f"  {line}\u3000 " for line in t.split("\n")), id="spaces"
        ),
        pytest.param(
            lambda t: "\n".join(f"\xa0\u200b{line}\u200b\t" for line in t.split("\n")),
            id="no-break-and-zero-width-spaces",
        ),
        pytest.param(
            lambda t: (
                t.replace(";", FW_SEMICOLON, 2)
                .replace("(医药健闻", FW_LPAREN + "医药健闻", 1)
                .replace("日讯)", "日讯" + FW_RPAREN, 1)
            ),
            id="full-width-title-and-dateline",
        ),
        pytest.param(lambda t: t.replace(" | ", FW_BAR, 1), id="full-width-bar"),
        pytest.param(
            lambda t: "\ufeff" + t.replace(";", FW_SEMICOLON, 2).replace("\n", "\r\n") + "\r\n",
            id="everything-at-once",
        ),
    ],
)
def test_pasted_variants_parse_to_the_same_structure(sample_text, variant):
    assert structure(parse_issue(variant(sample_text))) == structure(parse_issue(sample_text))


def test_unknown_section_is_a_new_section_with_a_warning():
    parsed = parse_issue(
        small_issue("企业动态", "某公司宣布完成融资。", "政策法规", "国家药监局发布新规。"),
        known_sections={"企业动态", "产业动态"},
    )
    assert [s.name for s in parsed.sections] == ["企业动态", "政策法规"]
    assert [(w.code, w.line) for w in parsed.warnings] == [("new_section", 6)]


def test_known_section_name_is_a_heading_even_with_punctuation():
    parsed = parse_issue(
        small_issue("政策,法规", "国家药监局发布新规。"), known_sections={"政策,法规"}
    )
    assert [s.name for s in parsed.sections] == ["政策,法规"]


def test_repeated_section_heading_joins_the_first_with_a_warning():
    parsed = parse_issue(small_issue("企业动态", "甲公司融资。", "企业动态", "乙公司融资。"))
    assert [len(s.items) for s in parsed.sections] == [2]
    assert [w.code for w in parsed.warnings] == ["repeated_section"]


def test_section_without_items_is_dropped_with_a_warning():
    parsed = parse_issue(small_issue("企业动态", "产业动态", "国家药监局发布新规。"))
    assert [s.name for s in parsed.sections] == ["产业动态"]
    assert [(w.code, w.line) for w in parsed.warnings] == [("empty_section", 4)]


def test_empty_headlines_between_separators_are_ignored():
    parsed = parse_issue("一;;二; | 日报\n(医药健闻2026年3月17日讯)\n企业动态\n甲公司融资。")
    assert parsed.headlines == ["一", "二"]


@pytest.mark.parametrize(
    ("text", "line", "code"),
    [
        ("", 0, "empty"),
        ("\ufeff\r\n  \n\n", 0, "empty"),
        ("头条 | 日报\n\n企业动态\n某公司宣布融资。", 3, "no_dateline"),
        ("头条 | 日报", 2, "no_dateline"),
        ("头条 | 日报\n(医药健闻2026年2月30日讯)\n\n企业动态\n某公司宣布融资。", 2, "invalid_date"),
        ("头条 | 日报\n(医药健闻2026年3月17日讯)\n\n企业动态\n", 4, "no_items"),
        (
            "头条 | 日报\n(医药健闻2026年3月17日讯)\n\n某公司宣布完成融资。\n企业动态",
            4,
            "item_before_section",
        ),
        ("头条;日报\n(医药健闻2026年3月17日讯)\n\n企业动态\n某公司宣布融资。", 1, "no_title_bar"),
        ("\n\n(医药健闻2026年3月17日讯)\n\n企业动态\n某公司宣布融资。", 3, "no_title_bar"),
        (
            "头条 | 日报\n(医药健闻2026年3月17日讯)\n企业动态\n某公司\x00融资。",
            4,
            "control_character",
        ),
        (
            "头" * 121 + " | 日报\n(医药健闻2026年3月17日讯)\n企业动态\n某公司融资。",
            1,
            "headline_too_long",
        ),
    ],
)
def test_errors_name_their_line_and_reason(text, line, code):
    with pytest.raises(ParseError) as caught:
        parse_issue(text)
    error = caught.value
    assert (error.line, error.code) == (line, code)
    assert error.message and error.message_en
    if line:
        assert f"第 {line} 行" in str(error)
    # One language at a time (the user's), never both: Chinese by default, English on request.
    assert error.message_en not in str(error)
    with translation.override("en"):
        assert error.message_en in str(error) and error.message not in str(error)
        if line:
            assert f"line {line}" in str(error)


@settings(max_examples=100, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(
            list("企业动态产业日报医药健闻年月日讯()|;,。 \t\r\n\ufeff0123456789abc")
            + [FW_SEMICOLON, FW_LPAREN, FW_RPAREN, FW_BAR, "\x00", "\u3000", "\u2028"]
        ),
        max_size=200,
    )
)
def test_arbitrary_text_parses_or_raises_parse_error_only(text):
    try:
        result = parse_issue(text)
    except ParseError as error:
        assert error.line >= 0
    else:
        assert isinstance(result, ParsedIssue)
        assert result.items


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300))
def test_any_unicode_text_parses_or_raises_parse_error_only(text):
    try:
        parse_issue(text)
    except ParseError:
        pass


@settings(max_examples=50, deadline=None)
@given(
    st.text(max_size=300),
)
def test_almost_valid_issue_with_arbitrary_body_parses_or_raises(body):
    try:
        parse_issue("头条 | 日报\n(医药健闻2026年3月17日讯)\n企业动态\n" + body)
    except ParseError:
        pass
