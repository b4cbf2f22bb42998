"""The search service (bulletins.search): semantics, ranking, freshness and safety.

Runs on SQLite and on PostgreSQL (``.ci/run``); both must give the same hits.
"""

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from bulletins import search, workflow
from bulletins.models import Item, ItemEntity, SearchDocument

from .factories import EntityAliasFactory, EntityFactory


def add(bulletin, by, section, body, **kwargs):
    return workflow.add_item(bulletin, by=by, section=section, body=body, **kwargs)


def publish_all(bulletin, *, editor, reviewer, chief, at=None):
    workflow.submit_bulletin(bulletin, by=editor)
    for item in bulletin.items.all():
        workflow.approve_item(item, by=reviewer)
    return workflow.publish(bulletin, by=chief, at=at)


@pytest.fixture
def make_issue(editor, reviewer, chief, company_news):
    """make_issue(date, [body or (body, headline)…]) → the published bulletin's items."""

    def make(day, entries, *, publish=True, at=None):
        bulletin = workflow.create_bulletin(issued_on=day, by=editor)
        items = []
        for rank, entry in enumerate(entries, start=1):
            body, headline = (entry, "") if isinstance(entry, str) else entry
            items.append(
                add(
                    bulletin,
                    editor,
                    company_news,
                    body,
                    headline=headline,
                    headline_rank=rank if headline else None,
                )
            )
        if publish:
            publish_all(bulletin, editor=editor, reviewer=reviewer, chief=chief, at=at)
        return items

    return make


def bodies(ids):
    by_pk = Item.objects.in_bulk(ids)
    return [by_pk[pk].body for pk in ids]


DAY = dt.date(2026, 3, 10)


# ----------------------------------------------------------------------------- matching


def test_two_character_chinese_name_is_found_inside_a_longer_run(make_issue):
    make_issue(DAY, ["阿斯利康与罗氏达成合作。", "恒瑞医药新药获批。"])
    assert bodies(search.search_ids("罗氏")) == ["阿斯利康与罗氏达成合作。"]


def test_one_character_query_finds_every_item_containing_it(make_issue):
    make_issue(DAY, ["罗氏宣布合作。", "恒瑞医药获批。", "百济神州发布业绩,罗"])
    assert set(bodies(search.search_ids("罗"))) == {"罗氏宣布合作。", "百济神州发布业绩,罗"}


def test_longer_chinese_query_is_a_substring_not_a_bag_of_bigrams(make_issue):
    # 药监 and 监局 both occur, but never as 药监局.
    make_issue(DAY, ["国家药监局批准新药。", "药监部门与监局会谈。"])
    assert bodies(search.search_ids("国家药监局")) == ["国家药监局批准新药。"]
    assert bodies(search.search_ids("药监局")) == ["国家药监局批准新药。"]


def test_chinese_phrase_does_not_run_across_punctuation(make_issue):
    make_issue(DAY, ["合作伙伴罗氏,氏族企业。"])
    assert search.search_ids("罗氏氏族") == []


def test_latin_word_matches_case_insensitively_as_a_whole_word(make_issue):
    make_issue(DAY, ["FDA批准新药。", "意大利药品管理局(AIFA)签发许可。", "罗氏扩建AI工厂。"])
    assert bodies(search.search_ids("fda")) == ["FDA批准新药。"]
    assert bodies(search.search_ids("AI")) == ["罗氏扩建AI工厂。"]


def test_full_width_latin_matches_half_width(make_issue):
    make_issue(DAY, ["ＦＤＡ批准新药。"])
    assert bodies(search.search_ids("FDA")) == ["ＦＤＡ批准新药。"]


def test_term_ending_with_star_is_a_prefix(make_issue):
    make_issue(DAY, ["新增2176个英伟达Blackwell GPU。", "Black公司宣布合作。"])
    assert bodies(search.search_ids("Blackw*")) == ["新增2176个英伟达Blackwell GPU。"]
    assert search.search_ids("Blackw") == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("B轮", ["完成1.5亿元人民币B轮融资。"]),
        ("GLP-1", ["GLP-1类药物获批。"]),
        ("PD-L1", ["PD-L1抑制剂上市。"]),
        ("AI工厂", ["罗氏扩建AI工厂。"]),
        ("1.5亿元", ["完成1.5亿元人民币B轮融资。"]),
    ],
)
def test_mixed_terms_match_exactly_as_written(make_issue, query, expected):
    make_issue(
        DAY,
        [
            "完成1.5亿元人民币B轮融资。",
            "完成5亿元人民币AB轮融资。",
            "GLP-1类药物获批。",
            "GLP 1受体激动剂和GLP-1RA。",
            "PD-L1抑制剂上市。",
            "罗氏扩建AI 工厂。",
            "罗氏扩建AI工厂。",
        ],
    )
    assert bodies(search.search_ids(query)) == expected


def test_every_space_separated_term_must_match(make_issue):
    make_issue(DAY, ["罗氏获FDA批准。", "罗氏扩建工厂。", "辉瑞获FDA批准。"])
    assert bodies(search.search_ids("罗氏 FDA")) == ["罗氏获FDA批准。"]


def test_quoted_phrase_matches_as_a_phrase(make_issue):
    make_issue(DAY, ["Best 365 Labs建立合作。", "Labs of Best 365。"])
    assert bodies(search.search_ids('"best 365 labs"')) == ["Best 365 Labs建立合作。"]
    assert len(search.search_ids("best 365 labs")) == 2


@pytest.mark.parametrize(
    "query",
    ['"', "*", "AND", "'", "罗氏'", '"罗氏', "OR NOT", "NEAR(罗氏", "{title}:罗氏", "a:*", "!&|<->",
     "\\", "%_", "罗氏\x00", "‘’“”", "-", "()", "' OR 1=1 --", "🙂"],
)  # fmt: skip
def test_query_syntax_characters_never_error(make_issue, query):
    make_issue(DAY, ["罗氏宣布合作。"])
    assert isinstance(search.search_ids(query), list)
    assert isinstance(search.highlight("罗氏宣布合作。", query), str)


def test_punctuation_around_a_term_is_ignored(make_issue):
    make_issue(DAY, ["罗氏宣布合作。"])
    assert bodies(search.search_ids("「罗氏」")) == ["罗氏宣布合作。"]
    assert bodies(search.search_ids('"罗氏')) == ["罗氏宣布合作。"]


def test_blank_query_finds_nothing(make_issue):
    make_issue(DAY, ["罗氏宣布合作。"])
    assert search.search_ids("") == []
    assert search.search_ids("  ,。 ") == []


# ----------------------------------------------------------------------------- entity names


def test_entity_alias_alone_is_not_a_hit(make_issue):
    """Precision as a substring scan: NMPA must not find an item that says only 国家药监局."""
    (item,) = make_issue(DAY, ["葛兰素史克宣布辞职。"])
    alias = EntityAliasFactory(alias="GSK", entity=EntityFactory(name="葛兰素史克"))
    ItemEntity.objects.create(item=item, entity=alias.entity, is_confirmed=True)
    search.index_items([item.pk])
    assert search.search_ids("GSK") == []
    assert search.search_ids("葛兰素史克") == [item.pk]


def test_item_linked_to_the_named_entity_ranks_first(make_issue):
    # Without the entity tier the lower item id (the first) would come first.
    unlinked, linked = make_issue(DAY, ["某公司引进罗氏产品。", "罗氏与英伟达合作。"])
    entity = EntityFactory(name="罗氏")
    ItemEntity.objects.create(item=linked, entity=entity, is_confirmed=True)
    search.index_items([unlinked.pk, linked.pk])
    assert search.search_ids("罗氏") == [linked.pk, unlinked.pk]


def test_unconfirmed_entity_link_is_not_searchable(make_issue):
    (item,) = make_issue(DAY, ["葛兰素史克宣布辞职。"])
    alias = EntityAliasFactory(alias="GSK", entity=EntityFactory(name="葛兰素史克"))
    ItemEntity.objects.create(item=item, entity=alias.entity, is_confirmed=False)
    search.index_items([item.pk])
    assert search.search_ids("GSK") == []


# ----------------------------------------------------------------------------- ranking


def test_headline_hits_rank_before_text_hits(make_issue):
    make_issue(DAY - dt.timedelta(days=1), [("罗氏与英伟达达成合作。", "英伟达携手罗氏")])
    make_issue(DAY, ["英伟达发布新款GPU。"])
    assert bodies(search.search_ids("英伟达")) == ["罗氏与英伟达达成合作。", "英伟达发布新款GPU。"]


def test_newer_issues_rank_first_among_equal_hits(make_issue):
    make_issue(DAY - dt.timedelta(days=2), ["恒瑞医药获批。"])
    make_issue(DAY, ["恒瑞医药获批。"])
    make_issue(DAY - dt.timedelta(days=1), ["恒瑞医药获批。"])
    ids = search.search_ids("恒瑞")
    days = [Item.objects.get(pk=pk).bulletin.issued_on for pk in ids]
    assert days == sorted(days, reverse=True)


def test_a_limited_search_is_the_start_of_the_full_ranking(make_issue):
    make_issue(DAY - dt.timedelta(days=3), [("英伟达发布芯片。", "英伟达新品")])
    make_issue(DAY - dt.timedelta(days=2), ["英伟达与罗氏合作。", "英伟达扩产。"])
    make_issue(DAY, ["英伟达获投资。"])
    full = search.search_ids("英伟达")
    assert bodies(full[:2]) == ["英伟达发布芯片。", "英伟达获投资。"]
    assert [search.search_ids("英伟达", limit=n) for n in range(5)] == [full[:n] for n in range(5)]


def test_a_limited_mixed_term_search_is_the_start_of_the_full_ranking(make_issue):
    make_issue(DAY - dt.timedelta(days=2), [("完成B轮融资。", "B轮融资"), "AB轮融资。"])
    make_issue(DAY - dt.timedelta(days=1), ["B 轮融资。", "完成B轮。"])
    make_issue(DAY, ["再获B轮。"])
    full = search.search_ids("B轮")
    assert bodies(full) == ["完成B轮融资。", "再获B轮。", "完成B轮。"]
    assert [search.search_ids("B轮", limit=n) for n in range(5)] == [full[:n] for n in range(5)]


def test_items_restricts_the_results(make_issue, industry_news, editor):
    (first,) = make_issue(DAY, ["罗氏宣布合作。"])
    scope = Item.objects.published().exclude(pk=first.pk)
    assert search.search_ids("罗氏", items=scope) == []
    assert search.search_ids("罗氏", items=Item.objects.published()) == [first.pk]


def test_limit_cuts_the_ranked_list(make_issue):
    make_issue(DAY, ["罗氏一。", "罗氏二。", "罗氏三。"])
    full = search.search_ids("罗氏")
    assert search.search_ids("罗氏", limit=2) == full[:2]
    assert search.search_ids("罗-氏*", limit=1) == []


# ----------------------------------------------------------------------------- freshness


def test_draft_items_are_never_found(make_issue):
    make_issue(DAY, ["罗氏宣布合作。"], publish=False)
    assert SearchDocument.objects.exists()  # indexed, but not public
    assert search.search_ids("罗氏") == []


def test_scheduled_issue_is_found_only_once_due(make_issue):
    (item,) = make_issue(DAY, ["罗氏宣布合作。"], at=timezone.now() + dt.timedelta(hours=1))
    assert search.search_ids("罗氏") == []
    due = Item.objects.published(at=timezone.now() + dt.timedelta(hours=2))
    assert search.search_ids("罗氏", items=due) == [item.pk]


def test_retraction_removes_hits_at_once(make_issue, chief):
    (item,) = make_issue(DAY, ["罗氏宣布合作。"])
    assert search.search_ids("罗氏") == [item.pk]
    workflow.retract(item.bulletin, by=chief, comment="信息有误")
    assert search.search_ids("罗氏") == []


def test_correction_replaces_the_indexed_text(make_issue, chief):
    (item,) = make_issue(DAY, ["罗氏宣布合作。"])
    workflow.correct(item.bulletin, by=chief, note="更正公司名", item=item, body="辉瑞宣布合作。")
    assert search.search_ids("罗氏") == []
    assert search.search_ids("辉瑞") == [item.pk]


def test_edit_reindexes_the_item(make_issue, editor):
    (item,) = make_issue(DAY, ["罗氏宣布合作。"], publish=False)
    workflow.edit_item(item, by=editor, expected_version=item.version, body="诺华宣布合作。")
    assert SearchDocument.objects.get(item=item).body == search.tokenize("诺华宣布合作。")


def test_rebuild_command_restores_a_lost_index(make_issue):
    (item,) = make_issue(DAY, ["罗氏宣布合作。"])
    SearchDocument.objects.all().delete()
    assert search.search_ids("罗氏") == []
    call_command("rebuild_search_index", no_progress=True, stdout=None)
    assert search.search_ids("罗氏") == [item.pk]


# ----------------------------------------------------------------------------- highlight


def test_highlight_marks_matched_terms_and_escapes_html():
    snippet = search.highlight("<b>罗氏</b>获fda批准,罗氏扩建", "罗氏 FDA")
    assert (
        snippet
        == "&lt;b&gt;<mark>罗氏</mark>&lt;/b&gt;获<mark>fda</mark>批准,<mark>罗氏</mark>扩建"
    )


def test_highlight_is_a_window_around_the_first_match():
    text = "甲" * 200 + "罗氏" + "乙" * 200
    snippet = search.highlight(text, "罗氏", width=80)
    assert "<mark>罗氏</mark>" in snippet
    assert snippet.startswith("…") and snippet.endswith("…")
    assert len(snippet.replace("<mark>", "").replace("</mark>", "")) == 82


def test_highlight_respects_the_word_rule():
    assert "<mark>" not in search.highlight("意大利药品管理局(AIFA)", "AI")


# ----------------------------------------------------------------------------- the sample issue


def _import_sample(sample_text, editor, reviewer, chief):
    from bulletins.importers.service import import_issue

    bulletin = import_issue(sample_text, by=editor).bulletin
    return publish_all(bulletin, editor=editor, reviewer=reviewer, chief=chief)


# Each expected hit is named by a short fragment of its text.
SAMPLE_QUERIES = [
    ("罗氏", {"(Roche)", "Pola-R-GemOx"}),
    ("葛兰素史", {"首席财务官", "Arexvy"}),
    ("FDA", {"Arexvy", "(PsA)", "Givastomig"}),
    ("B轮", {"天士力资本", "普译"}),
    ("国家药监局", {"海曲泊帕", "脑机接口"}),
    ("NMPA", {"Pola-R-GemOx", "康哲药业"}),
    ("AI", {"(Roche)", "BioMap"}),
    ("GSK", {"首席财务官"}),
    ("脑机接口", {"脑机接口"}),
    ("Blackwell", {"(Roche)"}),
    ("gpu", {"(Roche)"}),
    ("诺和诺德", set()),
    ("瘫", {"脑机接口"}),
    ("AIFA", {"拉考沙胺"}),
    ('"罗氏" AND \'*', set()),
]


@pytest.mark.samples
def test_sample_issue_query_table(sample_text, editor, reviewer, chief):
    _import_sample(sample_text, editor, reviewer, chief)
    items = list(Item.objects.published())
    failures = []
    for query, fragments in SAMPLE_QUERIES:
        found = set(search.search_ids(query))
        expected = {item.pk for item in items if any(f in item.body for f in fragments)}
        assert len(expected) == len(fragments), f"fragments of {query} are ambiguous"
        if found != expected:
            failures.append((query, sorted(bodies(found)), sorted(bodies(expected))))
    assert failures == []


@pytest.mark.samples
def test_sample_headline_hit_ranks_first(sample_text, editor, reviewer, chief):
    _import_sample(sample_text, editor, reviewer, chief)
    ids = search.search_ids("上市")
    assert len(ids) > 3
    assert "BioMap" in Item.objects.get(pk=ids[0]).body  # the only headline with 上市


def test_sample_table_holds_with_the_gazetteer_linked(sample_text, editor, reviewer, chief):
    """As in the demo: the sample imported with the gazetteer's links confirmed. Aliases rank
    but never add hits, so NMPA still finds only the two items that print NMPA."""
    from bulletins.entities import load_gazetteer
    from bulletins.importers.service import import_issue

    load_gazetteer(by=chief)
    bulletin = import_issue(sample_text, by=editor).bulletin
    assert bulletin.items.filter(entity_links__is_confirmed=True).exists()
    workflow.submit_bulletin(bulletin, by=editor)
    for item in bulletin.items.all():
        workflow.approve_item(item, by=reviewer)
    workflow.publish(bulletin, by=chief)
    expected = {"罗氏": 2, "葛兰素史": 2, "FDA": 3, "B轮": 2, "国家药监局": 2, "NMPA": 2,
                "AI": 2, "GSK": 1, "脑机接口": 1, "Blackwell": 1}  # fmt: skip
    assert {q: len(search.search_ids(q)) for q in expected} == expected
