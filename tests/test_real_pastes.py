"""Real pastes — WeChat, Word, outlines, hard-wrapped e-mail — read as the clean text does.

The corpus under tests/data/pastes/ was written for this project: ``clean.txt`` is an issue
in the house format, every other file is the same issue as a tool would hand it over.
"""

import datetime as dt
from pathlib import Path

import pytest
from django.utils import translation

from bulletins.importers.parser import heading_name, parse_issue, strip_item_number
from bulletins.importers.service import import_issue, plan_import
from bulletins.models import Item

PASTES = Path(__file__).resolve().parent / "data" / "pastes"
KNOWN = {"企业动态", "产业动态"}
VARIANTS = ["wechat.txt", "word.txt", "outline.txt", "email.txt"]


def read(name: str) -> str:
    return (PASTES / name).read_bytes().decode("utf-8")


def structure(parsed):
    return [(s.name, [item.body for item in s.items]) for s in parsed.sections]


@pytest.mark.parametrize("name", VARIANTS)
def test_each_paste_parses_to_the_clean_structure(name):
    clean = parse_issue(read("clean.txt"), known_sections=KNOWN)
    parsed = parse_issue(read(name), known_sections=KNOWN)
    assert structure(parsed) == structure(clean)
    assert [w.code for w in parsed.warnings if w.code != "joined_lines"] == []
    assert len(clean.items) == 7


@pytest.mark.django_db
@pytest.mark.parametrize("name", VARIANTS)
def test_each_paste_imports_to_the_same_items(name, editor):
    clean = plan_import(read("clean.txt"), link=False)
    result = import_issue(read(name), by=editor)
    stored = list(
        Item.objects.filter(bulletin=result.bulletin)
        .in_issue_order()
        .values_list("section__name", "position", "body", "headline_rank")
    )
    assert stored == [
        (item.section, item.position, item.body, item.headline_rank) for item in clean.items
    ]


def test_hard_wrapped_paste_keeps_its_joins_for_the_preview():
    parsed = parse_issue(read("email.txt"), known_sections=KNOWN)
    first = parsed.sections[0].items[0]
    assert first.lines == [5, 6, 7]
    assert first.parts[1].startswith("投,老股东")
    joined = [w for w in parsed.warnings if w.code == "joined_lines"]
    assert len(joined) == 1 and joined[0].line == 6
    # the wrap fell on a full stop inside the first item: the width rule keeps it together
    assert "跟投。本轮资金" in first.body


@pytest.mark.parametrize(
    ("line", "name"),
    [
        ("【企业动态】", "企业动态"),
        ("一、企业动态", "企业动态"),
        ("（二）产业动态：", "产业动态"),
        ("■ 企业动态", "企业动态"),
        ("第一部分 企业动态", "企业动态"),
        ("企业动态：", "企业动态"),
    ],
)
def test_heading_markup_is_removed(line, name):
    assert heading_name(line) == (name, True)


@pytest.mark.parametrize(
    ("line", "text"),
    [
        ("1、瑞士某公司宣布。", "瑞士某公司宣布。"),
        ("12. 某公司宣布。", "某公司宣布。"),
        ("(3)某公司宣布。", "某公司宣布。"),
        ("③某公司宣布。", "某公司宣布。"),
        ("1.5亿元融资落地。", "1.5亿元融资落地。"),  # a number, not numbering
        ("2026年某公司宣布。", "2026年某公司宣布。"),
        ("3,000名员工受影响。", "3,000名员工受影响。"),
    ],
)
def test_item_numbering_is_removed_but_numbers_stay(line, text):
    assert strip_item_number(line)[0] == text


def small(*lines):
    return "\n".join(["头条 | 日报", "(医药健闻2026年4月2日讯)", "", *lines])


def test_wrap_between_latin_words_gets_its_space_back_and_a_fragment_is_no_section():
    parsed = parse_issue(
        small(
            "企业动态",
            "甲公司宣布完成融资,由Northwind",
            "Therapeutics领投,跟投方为",
            "某基金与某资本",  # short, no punctuation: would have been a new section
            "等机构。",
            "乙公司宣布。",
        ),
        known_sections=KNOWN,
    )
    assert structure(parsed) == [
        (
            "企业动态",
            [
                "甲公司宣布完成融资,由Northwind Therapeutics领投,跟投方为某基金与某资本等机构。",
                "乙公司宣布。",
            ],
        )
    ]


def test_unknown_marked_heading_is_a_new_section_named_without_markup():
    parsed = parse_issue(small("【政策法规】", "国家药监局发布新规。"), known_sections=KNOWN)
    assert [s.name for s in parsed.sections] == ["政策法规"]
    assert [(w.code, w.line) for w in parsed.warnings] == [("new_section", 4)]


def test_messages_come_in_the_users_language_only():
    parsed = parse_issue(small("【政策法规】", "国家药监局发布新规。"), known_sections=KNOWN)
    (warning,) = parsed.warnings
    assert str(warning).startswith("第 4 行:") and "existing" not in str(warning)
    with translation.override("en"):
        assert str(warning).startswith("line 4:") and "栏目" not in str(warning)


# ----------------------------------------------------------------------------- duplicates


def test_the_same_item_twice_in_a_paste_is_flagged_at_the_later_line(db):
    text = small(
        "企业动态",
        "甲公司宣布完成5亿元B轮融资,由某基金领投。",
        "乙公司宣布任命新首席执行官。",
        "产业动态",
        "甲公司宣布完成5亿元B轮融资,由某基金领投!",  # the same news, one character changed
    )
    plan = plan_import(text, link=False)
    dups = [w for w in plan.warnings if w.code == "duplicate_in_paste"]
    assert [(w.line, "第 5 行" in w.message) for w in dups] == [(8, True)]


def test_an_item_published_days_ago_is_flagged_with_a_link(db, published_bulletin):
    old = published_bulletin.items.first()
    day = published_bulletin.issued_on + dt.timedelta(days=3)
    text = "\n".join(
        [
            "头条 | 日报",
            f"(医药健闻{day.year}年{day.month}月{day.day}日讯)",
            "企业动态",
            "全新的一条:丙公司宣布与丁公司合作。",
            old.body,
        ]
    )
    plan = plan_import(text, link=False)
    (dup,) = [w for w in plan.warnings if w.code == "duplicate_published"]
    assert dup.line == 5
    assert dup.url.endswith(f"/{old.pk}/change/")
    # too old to matter: outside the window it is not flagged
    far = published_bulletin.issued_on + dt.timedelta(days=30)
    text = text.replace(
        f"{day.year}年{day.month}月{day.day}日", f"{far.year}年{far.month}月{far.day}日"
    )
    assert not [w for w in plan_import(text, link=False).warnings if w.code.startswith("dup")]


def test_warnings_come_in_line_order(db):
    text = small(
        "企业动态",
        "甲公司宣布完成融资。",
        "甲公司宣布完成融资。",
        "【政策法规】",
        "国家药监局发布新规。",
    )
    lines = [w.line for w in plan_import(text, link=False).warnings]
    assert lines == sorted(lines, key=lambda n: (n == 0, n)) and len(lines) >= 2


def test_clean_items_of_equal_length_are_not_taken_for_a_hard_wrap():
    same = ["甲公司宣布完成了一轮融资,详见公告。", "乙公司宣布完成了一轮融资,详见公告。"]
    same.append("丙公司宣布完成了一轮融资,详见公告。")
    same.append("丁公司宣布完成了一轮融资,详见公告。")
    parsed = parse_issue(small("企业动态", *same), known_sections=KNOWN)
    assert [item.body for item in parsed.items] == same
