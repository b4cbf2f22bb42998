"""Matching the title's headlines to the items they summarise."""

import pytest

from bulletins.importers.headlines import match_headlines
from bulletins.importers.parser import parse_issue

BODIES = [
    "瑞士制药巨头罗氏周一宣布扩建其人工智能基础设施。",
    "葛兰素史克宣布,朱比·钱迪辞去全职董事兼首席财务官职务。",
    "某医疗科技公司宣布完成近亿元人民币B轮融资。",
]


@pytest.mark.samples
def test_sample_headlines_match_items_1_2_and_4_of_company_news(sample_text):
    parsed = parse_issue(sample_text)
    company_news = [item.body for item in parsed.sections[0].items]
    matches = match_headlines(parsed.headlines, [item.body for item in parsed.items])
    assert [m.index for m in matches] == [0, 1, 3]
    assert [m.rank for m in matches] == [1, 2, 3]
    assert len(company_news) == 11


def test_headline_matches_by_shared_characters_without_any_entity():
    [match] = match_headlines(["GSK首席财务官辞职"], BODIES)
    assert match.index == 1


def test_shared_entity_decides_when_characters_do_not():
    # "Roche scales up" shares no characters with any item; the linker found 罗氏 (entity 7)
    # in the headline (via its English alias) and in the first item.
    [match] = match_headlines(
        ["Roche scales up"],
        BODIES,
        headline_entities=[{7}],
        item_entities=[{7}, {3}, set()],
    )
    assert match.index == 0


def test_headline_without_a_likely_item_stays_unmatched():
    [match] = match_headlines(["美国国会通过新法案"], BODIES)
    assert match.index is None


def test_an_item_takes_at_most_one_headline():
    matches = match_headlines(["罗氏扩建人工智能基础设施", "罗氏扩建AI设施"], BODIES)
    indexes = [m.index for m in matches if m.index is not None]
    assert indexes == [0]


def test_matches_keep_title_order_and_ranks():
    matches = match_headlines(["某医疗科技公司B轮融资", "GSK首席财务官辞职"], BODIES)
    assert [(m.rank, m.index) for m in matches] == [(1, 2), (2, 1)]
