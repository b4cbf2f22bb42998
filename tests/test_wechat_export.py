"""复制到公众号: inline styles only, 阅读原文 link, warnings for the 公众号 limits."""

import re

from bulletins import workflow
from bulletins.exporters.wechat import (
    CONTENT_MAX_CHARS,
    TITLE_MAX_CHARS,
    export_wechat,
    wechat_article,
    wechat_warnings,
)


def test_article_is_inline_styled_with_a_read_original_link(draft_bulletin):
    html = export_wechat(draft_bulletin)
    assert "<style" not in html and "<script" not in html and "<img" not in html
    assert "class=" not in html and "<link" not in html
    tags = re.findall(r"<(h1|h2|p|section)\b([^>]*)>", html)
    assert tags and all('style="' in attrs for _tag, attrs in tags)
    assert "企业动态" in html and "罗氏宣布扩建AI工厂。" in html
    assert re.search(r'<a href="http[^"]+/2026/03/17/"[^>]*>阅读原文</a>', html)


def test_text_is_escaped(draft_bulletin, editor, company_news):
    workflow.add_item(draft_bulletin, by=editor, section=company_news, body="<b>加粗</b>&公司")
    html = export_wechat(draft_bulletin)
    assert "<b>" not in html and "&lt;b&gt;加粗&lt;/b&gt;&amp;公司" in html


def test_within_limits_no_warning(draft_bulletin):
    assert wechat_warnings(wechat_article(draft_bulletin)) == []


def test_long_title_and_body_warn_without_blocking(draft_bulletin, editor, company_news):
    workflow.add_item(
        draft_bulletin,
        by=editor,
        section=company_news,
        body="某公司" * 1600,
        headline="一个远远超过公众号标题限制的非常非常长的标题用来测试提醒是否出现",
        headline_rank=2,
    )
    for _n in range(4):  # items stay within the edit limit (bulletins/limits.py); the issue not
        workflow.add_item(draft_bulletin, by=editor, section=company_news, body="某公司" * 1600)
    article = wechat_article(draft_bulletin)
    assert len(article.title) > TITLE_MAX_CHARS and len(article.content) > CONTENT_MAX_CHARS
    warnings = wechat_warnings(article)
    assert any("标题" in w and "32" in w for w in warnings)
    assert any("正文" in w for w in warnings)
    assert len(article.digest) <= 128


def test_limits_are_a_prepublish_warning_not_a_block(draft_bulletin, editor, company_news):
    from bulletins.checks import prepublish_checks

    workflow.add_item(
        draft_bulletin,
        by=editor,
        section=company_news,
        body="某公司宣布一项合作。",
        headline="一个远远超过公众号标题限制的非常非常长的标题用来测试提醒是否出现",
        headline_rank=2,
    )
    report = prepublish_checks(draft_bulletin)
    [check] = [c for c in report.checks if c.code == "wechat_limit"]
    assert not check.is_blocking and "32" in check.message


def test_export_format_is_registered_with_the_one_exporter(draft_bulletin):
    from bulletins import exporters

    exported = exporters.export(draft_bulletin, format="wechat")
    assert exported.content_type == "text/html; charset=utf-8" and "阅读原文" in exported.content


def test_admin_page_offers_the_export_and_shows_warnings(client, chief, draft_bulletin):
    client.force_login(chief)
    page = client.get(f"/admin/bulletins/bulletin/{draft_bulletin.pk}/change/")
    url = f"/admin/distribution/delivery/wechat/{draft_bulletin.pk}/"
    assert url in page.content.decode()
    response = client.get(url)
    assert response.status_code == 200
    content = response.content.decode()
    assert "阅读原文" in content and "罗氏扩建AI工厂" in content
    assert "都在公众号的限制之内" in content
