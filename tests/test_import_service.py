"""Saving a pasted issue as a draft bulletin, through the workflow, all or nothing."""

import datetime as dt

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bulletins import linking, search, workflow
from bulletins.exporters.text import export_text
from bulletins.importers.parser import ParseError
from bulletins.importers.service import import_issue, plan_import, save_plan
from bulletins.models import (
    Bulletin,
    BulletinStatus,
    Item,
    ItemEntity,
    ItemStatus,
    LinkSource,
    Section,
    Transition,
)
from bulletins.sections import section_slug

from .factories import EntityAliasFactory, EntityFactory

FW_SEMICOLON, FW_LPAREN, FW_RPAREN = "\uff1b", "\uff08", "\uff09"
SMALL = "某公司完成B轮融资 | 日报\n(医药健闻2026年3月18日讯)\n\n企业动态\n某公司宣布完成B轮融资。"


def database_state():
    return (
        Bulletin.objects.count(),
        Item.objects.count(),
        Section.objects.count(),
        Transition.objects.count(),
        ItemEntity.objects.count(),
    )


@pytest.mark.samples
def test_sample_round_trip_is_byte_identical(editor, sample_text):
    result = import_issue(sample_text, by=editor)
    assert export_text(result.bulletin).encode() == sample_text.encode()


@pytest.mark.samples
def test_sample_becomes_a_draft_of_its_date_recorded_as_the_importers_work(editor, sample_text):
    bulletin = import_issue(sample_text, by=editor).bulletin
    assert bulletin.issued_on == dt.date(2026, 3, 17)
    assert bulletin.status == BulletinStatus.DRAFT
    assert bulletin.created_by == editor
    assert bulletin.dateline == ""  # the canonical dateline is derived, not stored
    items = list(bulletin.items.in_issue_order())
    assert len(items) == 22
    assert {item.status for item in items} == {ItemStatus.DRAFT}
    assert {item.created_by_id for item in items} == {editor.pk}
    assert Transition.objects.filter(bulletin=bulletin, action="create").count() == 23


@pytest.mark.samples
def test_sample_headlines_go_to_items_1_2_and_4_of_company_news(editor, sample_text):
    bulletin = import_issue(sample_text, by=editor).bulletin
    ranked = bulletin.items.filter(headline_rank__isnull=False).order_by("headline_rank")
    assert [(i.section.slug, i.position, i.headline_rank) for i in ranked] == [
        ("company-news", 1, 1),
        ("company-news", 2, 2),
        ("company-news", 4, 3),
    ]
    assert ranked[1].headline == "GSK首席财务官辞职"


@pytest.mark.samples
def test_pasted_variant_exports_the_canonical_sample(editor, sample_text):
    variant = "\ufeff" + (
        sample_text.replace(";", FW_SEMICOLON, 2)
        .replace("(医药健闻", FW_LPAREN + "医药健闻", 1)
        .replace("日讯)", "日讯" + FW_RPAREN, 1)
        .replace("\n", "\r\n\r\n")
        + "\r\n"
    )
    bulletin = import_issue(variant, by=editor).bulletin
    assert bulletin.dateline == ""
    assert export_text(bulletin) == sample_text


def test_other_dateline_is_kept_as_written(editor):
    text = SMALL.replace("医药健闻", "医药观察")
    result = import_issue(text, by=editor)
    assert result.bulletin.dateline == "(医药观察2026年3月18日讯)"
    assert "other_publication" in {w.code for w in result.plan.warnings}
    assert export_text(result.bulletin) == text


def test_linker_suggestions_become_entity_links(editor):
    gsk = EntityFactory(name="葛兰素史克", slug="gsk")
    EntityAliasFactory(entity=gsk, alias="GSK")
    text = SMALL.replace("某公司宣布完成B轮融资。", "葛兰素史克宣布首席财务官辞职。")
    item = import_issue(text, by=editor).bulletin.items.get()
    link = item.entity_links.get()
    assert (link.entity, link.source, link.is_confirmed) == (gsk, LinkSource.LINKER, True)


def test_name_shared_by_two_entities_suggests_both_unconfirmed(editor):
    first = EntityFactory(name="信达生物", slug="innovent")
    second = EntityFactory(name="信达证券", slug="cinda")
    EntityAliasFactory(entity=first, alias="信达")
    EntityAliasFactory(entity=second, alias="信达")
    text = SMALL.replace("某公司", "信达")
    links = import_issue(text, by=editor).bulletin.items.get().entity_links.all()
    assert {(link.entity, link.is_confirmed) for link in links} == {
        (first, False),
        (second, False),
    }


def test_an_editors_import_naming_an_unknown_section_is_refused_before_saving(editor):
    text = SMALL + "\n政策法规\n国家药监局发布新规。"
    before = database_state()
    with pytest.raises(workflow.TransitionNotAllowed) as caught:
        import_issue(text, by=editor)
    assert caught.value.code == "forbidden"
    assert caught.value.message == (
        "第 6 行:栏目「政策法规」尚不存在;新建栏目需由主编操作。现有栏目:企业动态、产业动态"
    )
    assert database_state() == before


def test_a_chief_editors_import_creates_an_unknown_section_with_a_warning(chief):
    text = SMALL + "\n政策法规\n国家药监局发布新规。"
    result = import_issue(text, by=chief)
    section = Section.objects.get(name="政策法规")
    assert section.slug == "zheng-ce-fa-gui"
    assert section.position > Section.objects.get(slug="industry-news").position
    assert "new_section" in {w.code for w in result.plan.warnings}
    assert export_text(result.bulletin) == text


def test_a_save_links_the_text_once_and_indexes_each_item_once(editor, monkeypatch):
    EntityFactory(name="某公司", slug="mou")
    text = SMALL + "\n罗氏宣布扩建工厂。\n\n产业动态\n某公司与药明康德合作。"
    linked, indexed = [], []
    analyse_texts, document_texts = linking.analyse_texts, search.document_texts
    monkeypatch.setattr(
        linking, "analyse_texts", lambda texts: linked.append(texts) or analyse_texts(texts)
    )
    # document_texts reads what an indexing pass writes: one call per batch of items indexed.
    monkeypatch.setattr(
        search, "document_texts", lambda ids: indexed.extend(ids) or document_texts(ids)
    )
    plan = plan_import(text)
    result = save_plan(plan, by=editor)
    items = list(result.bulletin.items.values_list("pk", flat=True))
    assert len(linked) == 1  # the plan's; the save reuses it
    assert sorted(indexed) == sorted(items)  # every item once, after its links exist
    assert ItemEntity.objects.filter(item_id__in=items, entity__slug="mou").count() == 2
    assert search.search_ids("某公司", items=Item.objects.all()) != []


def test_section_slug_falls_back_when_a_name_has_no_letters():
    assert section_slug("★★") == ""
    assert section_slug("Policy 政策") == "policy-zheng-ce"


def test_unmatched_headline_is_a_warning_and_left_out(editor):
    text = SMALL.replace("某公司完成B轮融资", "美国国会通过新法案")
    result = import_issue(text, by=editor)
    assert [w.code for w in result.plan.warnings] == ["unmatched_headline"]
    assert not result.bulletin.items.filter(headline_rank__isnull=False).exists()


def test_editor_choice_places_an_unmatched_headline(editor):
    text = SMALL.replace("某公司完成B轮融资", "美国国会通过新法案")
    result = import_issue(text, by=editor, headline_choices={1: 0})
    item = result.bulletin.items.get()
    assert (item.headline, item.headline_rank) == ("美国国会通过新法案", 1)


def test_existing_date_is_refused(editor, draft_bulletin, sample_text):
    before = database_state()
    with pytest.raises(workflow.TransitionNotAllowed) as caught:
        import_issue(sample_text, by=editor)
    assert caught.value.code == "conflict"
    assert database_state() == before


def test_replace_overwrites_a_draft(editor, draft_bulletin, sample_text):
    result = import_issue(sample_text, by=editor, replace=True)
    assert result.replaced
    assert not Bulletin.objects.filter(pk=draft_bulletin.pk).exists()
    assert result.bulletin.items.count() == 22


def test_replace_never_overwrites_a_published_issue(editor, published_bulletin, sample_text):
    before = database_state()
    with pytest.raises(workflow.TransitionNotAllowed):
        import_issue(sample_text, by=editor, replace=True)
    assert database_state() == before
    published_bulletin.refresh_from_db()
    assert published_bulletin.status == BulletinStatus.PUBLISHED


def test_reviewer_may_not_import(reviewer):
    with pytest.raises(workflow.TransitionNotAllowed) as caught:
        import_issue(SMALL, by=reviewer)
    assert caught.value.code == "forbidden"
    assert not Bulletin.objects.exists()


@pytest.mark.parametrize(
    "text",
    [
        "",
        "头条 | 日报\n\n企业动态\n某公司宣布融资。",
        "头条 | 日报\n(医药健闻2026年2月30日讯)\n\n企业动态\n某公司宣布融资。",
        "头条 | 日报\n(医药健闻2026年3月18日讯)\n\n",
        "头条 | 日报\n(医药健闻2026年3月18日讯)\n\n某公司宣布完成融资。\n企业动态",
        "头条;日报\n(医药健闻2026年3月18日讯)\n\n企业动态\n某公司宣布融资。",
    ],
    ids=["empty", "no-dateline", "no-such-date", "no-items", "item-first", "no-bar"],
)
def test_parse_errors_save_nothing(editor, text):
    before = database_state()
    with pytest.raises(ParseError) as caught:
        import_issue(text, by=editor)
    assert caught.value.message
    assert database_state() == before


def test_failure_while_saving_rolls_back_everything(chief, monkeypatch):
    text = SMALL + "\n政策法规\n国家药监局发布新规。"  # a chief's import: the section too
    before = database_state()
    calls = []

    def failing_add_items(*args, **kwargs):
        calls.append(original(*args, **kwargs))  # the items are written, then the disk fills
        raise RuntimeError("disk full")

    original = workflow.add_items
    monkeypatch.setattr(workflow, "add_items", failing_add_items)
    with pytest.raises(RuntimeError):
        import_issue(text, by=chief)
    assert database_state() == before


def test_plan_writes_nothing(editor):
    before = database_state()
    plan = plan_import(SMALL + "\n政策法规\n国家药监局发布新规。")
    assert plan.new_sections == ["政策法规"]
    assert database_state() == before


# ----------------------------------------------------------------------------- property

CHARS = "罗氏恒瑞医药百济神州药明康德宣布完成融资合作获批临床研究上市公司新药美元亿元ABCDEFGHxyz0123456789 "
body_text = (
    st.text(alphabet=CHARS, min_size=4, max_size=60)
    .map(str.strip)
    .filter(lambda s: sum(ch.isalnum() for ch in s) >= 4)
)
item_strategy = st.tuples(
    st.sampled_from(["company-news", "industry-news", "policy"]),
    body_text,
    st.sampled_from(["。", ",详见公告。", "(Roche)。"]),
    st.booleans(),  # has a headline
    st.integers(min_value=4, max_value=12),  # headline length
)
bulletin_strategy = st.tuples(
    st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31)),
    st.sampled_from(["", "canonical", "(医药观察{y}年{m}月{d}日讯)"]),
    st.lists(item_strategy, min_size=1, max_size=8),
    st.randoms(use_true_random=False),
)


@pytest.mark.django_db
@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=bulletin_strategy)
def test_export_import_export_is_a_fixed_point(editor, data):
    day, dateline, rows, rng = data
    with transaction.atomic():
        Section.objects.get_or_create(slug="policy", defaults={"name": "政策法规", "position": 3})
        sections = {s.slug: s for s in Section.objects.all()}
        if dateline == "canonical":
            dateline = f"(医药健闻{day.year}年{day.month}月{day.day}日讯)"
        dateline = dateline.format(y=day.year, m=day.month, d=day.day)
        bulletin = workflow.create_bulletin(issued_on=day, by=editor, dateline=dateline)
        ranks = list(range(1, len(rows) + 1))
        rng.shuffle(ranks)
        for (slug, body, ending, has_headline, length), rank in zip(rows, ranks, strict=True):
            headline = body[:length].strip() if has_headline else ""
            ok = sum(ch.isalnum() for ch in headline) >= 4
            workflow.add_item(
                bulletin,
                by=editor,
                section=sections[slug],
                body=body + ending,
                headline=headline if ok else "",
                headline_rank=rank if ok else None,
            )
        first = export_text(bulletin)
        again = import_issue(first, by=editor, replace=True).bulletin
        assert export_text(again) == first
        transaction.set_rollback(True)


@pytest.mark.samples
def test_sample_with_the_demo_gazetteer_keeps_its_headlines_and_links_entities(editor, sample_text):
    from bulletins.demo.loader import load_entities

    load_entities()
    bulletin = import_issue(sample_text, by=editor).bulletin
    ranked = bulletin.items.filter(headline_rank__isnull=False).order_by("headline_rank")
    assert [(i.section.slug, i.position) for i in ranked] == [
        ("company-news", 1),
        ("company-news", 2),
        ("company-news", 4),
    ]
    assert ItemEntity.objects.filter(item__bulletin=bulletin, source=LinkSource.LINKER).exists()
    assert export_text(bulletin) == sample_text


def test_import_fills_event_kind_facts_and_investor_roles(sample_text, editor, chief):
    from bulletins.entities import load_gazetteer
    from bulletins.importers.service import import_issue

    load_gazetteer(by=chief)
    bulletin = import_issue(sample_text, by=editor).bulletin
    item = bulletin.items.get(body__contains="佰特微医疗")
    assert (item.event_kind, item.financing_round) == ("financing", "B")
    assert item.facts["lead_investors"] == ["天士力资本"]
    assert item.facts["amounts"][0]["approximate"] is True
    roles = dict(item.entity_links.values_list("entity__name", "role"))
    assert roles.get("天士力资本") == "lead_investor"
