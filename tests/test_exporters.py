"""Exports of a stored bulletin: canonical text, Markdown, HTML fragment."""

import re

import pytest

from bulletins import workflow
from bulletins.exporters import export
from bulletins.exporters.html import export_html
from bulletins.exporters.markdown import escape_markdown, export_markdown
from bulletins.exporters.text import export_text


@pytest.fixture
def hostile_bulletin(draft_bulletin, editor, company_news):
    workflow.add_item(
        draft_bulletin,
        by=editor,
        section=company_news,
        body='<script>alert("x")</script> & *粗体* [链接](http://e.com) 1. 不是列表',
        headline="<b>标题</b>",
        headline_rank=2,
    )
    return draft_bulletin


def test_text_title_follows_headline_ranks_and_has_no_final_newline(draft_bulletin, editor):
    item = draft_bulletin.items.get(position=2, section__slug="company-news")
    workflow.edit_item(
        item, by=editor, expected_version=item.version, headline="恒瑞新药获批", headline_rank=0
    )
    text = export_text(draft_bulletin)
    assert text.split("\n")[0] == "恒瑞新药获批;罗氏扩建AI工厂 | 日报"
    assert text.split("\n")[1] == "(医药健闻2026年3月17日讯)"
    assert not text.endswith("\n")


@pytest.mark.parametrize("format", ["text", "markdown", "html"])
def test_spiked_items_are_not_exported(draft_bulletin, editor, format):
    item = draft_bulletin.items.get(body="罗氏宣布扩建AI工厂。")
    workflow.spike_item(item, by=editor)
    out = export(draft_bulletin, format=format).content
    assert "罗氏宣布扩建AI工厂" not in out
    assert "恒瑞医药新药获批" in out


def test_markdown_structure(draft_bulletin):
    blocks = export_markdown(draft_bulletin).split("\n\n")
    assert blocks[0] == "# 罗氏扩建AI工厂 \\| 日报"
    assert blocks[1:4] == ["(医药健闻2026年3月17日讯)", "## 企业动态", "罗氏宣布扩建AI工厂。"]
    assert "## 产业动态" in blocks


def test_markdown_text_stays_literal(hostile_bulletin):
    out = export_markdown(hostile_bulletin)
    assert "<script>" not in out and "\\<script\\>" in out
    assert "\\*粗体\\*" in out and "\\[链接\\]" in out


@pytest.mark.parametrize(
    ("text", "escaped"),
    [("1. 不是列表", "1\\. 不是列表"), ("# 不是标题", "\\# 不是标题"), ("- 不是", "\\- 不是")],
)
def test_markdown_line_starts_are_escaped(text, escaped):
    assert escape_markdown(text) == escaped


def test_html_is_escaped(hostile_bulletin):
    out = export_html(hostile_bulletin)
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert "&lt;b&gt;标题&lt;/b&gt;" in out
    assert "&amp; *粗体*" in out


def test_html_uses_only_inline_styles(draft_bulletin):
    out = export_html(draft_bulletin)
    tags = re.findall(r"<(\w+)([^>]*)>", out)
    assert {tag for tag, _attrs in tags} <= {"section", "h1", "h2", "p"}
    assert all(attrs.startswith(' style="') for _tag, attrs in tags)
    assert "class=" not in out and "<style" not in out
    assert out.count("<p ") == 1 + 3  # the dateline, then one paragraph per item


def test_unknown_format_is_refused(draft_bulletin):
    with pytest.raises(ValueError):
        export(draft_bulletin, format="pdf")
