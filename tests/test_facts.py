import pytest

from bulletins import workflow
from bulletins.entities import apply_fact_suggestions
from bulletins.facts import extract, extract_amounts, normalize_round
from bulletins.models import EventKind, Transition


def sample_line(sample_text, needle):
    return next(line for line in sample_text.splitlines() if needle in line)


def amounts(text):
    return [(a.amount, a.currency, a.approximate) for a in extract_amounts(text)]


@pytest.mark.samples
def test_bitmicro_financing_is_round_b_of_nearly_100m_yuan_led_by_tasly_capital(sample_text):
    facts = extract(sample_line(sample_text, "佰特微医疗"))
    assert facts.event_kind == EventKind.FINANCING
    assert facts.financing_round == "B"
    assert [(a.amount, a.currency, a.approximate, a.text) for a in facts.amounts] == [
        (100_000_000, "CNY", True, "近亿元人民币")
    ]
    assert facts.lead_investors == ["天士力资本"]
    assert facts.investors == ["勤智资本"]


@pytest.mark.samples
def test_puyi_financing_is_round_b_of_150m_yuan_led_by_the_yinhe_guoke_fund(sample_text):
    facts = extract(sample_line(sample_text, "普译生物"))
    assert facts.event_kind == EventKind.FINANCING
    assert facts.financing_round == "B"
    assert [(a.amount, a.currency, a.approximate) for a in facts.amounts] == [
        (150_000_000, "CNY", False)
    ]
    assert facts.lead_investors == ["浙江银河国科消费健康股权投资基金"]
    assert facts.investors == ["国科创投", "中银资本", "昌发展集团", "万孚生物", "IDG资本"]


@pytest.mark.samples
def test_sample_event_kinds(sample_text):
    kinds = {
        "朱比·钱迪": EventKind.PERSONNEL,
        "递交了上市申请": EventKind.IPO,
        "华润医药公告": EventKind.MA,
        "金斯瑞": EventKind.EARNINGS,
        "海正药业": EventKind.PARTNERSHIP,
        "中慧生物": EventKind.PARTNERSHIP,
        "百时美施贵宝": EventKind.APPROVAL,
    }
    assert {needle: extract(sample_line(sample_text, needle)).event_kind for needle in kinds} == (
        kinds
    )


@pytest.mark.samples
def test_sample_regulators(sample_text):
    assert extract(sample_line(sample_text, "AIFA")).regulator == "意大利药品管理局"
    assert extract(sample_line(sample_text, "VG081821")).regulator == (
        "国家药品监督管理局药品审评中心"
    )
    assert extract(sample_line(sample_text, "NMPA批准")).regulator == "国家药品监督管理局"


def test_amount_with_unit_million_and_approximate_prefix():
    assert amounts("收入约959.5百万美元") == [(959_500_000, "USD", True)]


def test_amount_with_currency_before_the_number():
    assert amounts("底价约为人民币5.1亿元。") == [(510_000_000, "CNY", True)]


def test_amount_exact_in_hundred_millions_of_dollars():
    assert amounts("销售额为83.04亿美元") == [(8_304_000_000, "USD", False)]


def test_percentages_and_counts_are_not_amounts():
    assert amounts("持有约23.75%股权,新增2176个GPU,2025年") == []


def test_latin_amounts():
    assert amounts("raised $1.2 billion") == [(1_200_000_000, "USD", False)]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("pre-a", "Pre-A"), ("PreIPO", "Pre-IPO"), ("b+", "B+"), ("天使", "天使"), ("A", "A")],
)
def test_rounds_are_normalized(raw, expected):
    assert normalize_round(raw) == expected


def test_round_is_read_from_the_text():
    assert extract("宣布完成数千万元Pre-A+轮融资").financing_round == "Pre-A+"


def test_no_facts_in_plain_text():
    facts = extract("今天天气很好。")
    assert (facts.event_kind, facts.as_json()) == ("", {})


@pytest.fixture
def financing_item(draft_bulletin, editor, company_news):
    return workflow.add_item(
        draft_bulletin,
        by=editor,
        section=company_news,
        body="某公司宣布完成近亿元人民币B轮融资,由甲资本领投,乙资本跟投。",
    )


def test_apply_suggestions_fills_empty_fields_through_the_workflow(financing_item, editor):
    item = apply_fact_suggestions(financing_item, by=editor)
    item.refresh_from_db()
    assert item.event_kind == EventKind.FINANCING and item.financing_round == "B"
    assert item.facts["lead_investors"] == ["甲资本"] and item.facts["investors"] == ["乙资本"]
    assert item.facts["amounts"][0]["amount"] == 100_000_000
    assert item.version == financing_item.version + 1 and item.updated_by == editor


def test_apply_suggestions_keeps_what_an_editor_set(financing_item, editor):
    item = workflow.edit_item(
        financing_item,
        by=editor,
        expected_version=financing_item.version,
        financing_round="B+",
        facts={"lead_investors": ["丙资本"]},
    )
    item = apply_fact_suggestions(item, by=editor)
    assert item.financing_round == "B+"
    assert item.facts["lead_investors"] == ["丙资本"] and item.facts["investors"] == ["乙资本"]


def test_apply_suggestions_never_changes_a_status(financing_item, editor):
    workflow.submit_item(financing_item, by=editor)
    financing_item.refresh_from_db()
    before = Transition.objects.count()
    item = apply_fact_suggestions(financing_item, by=editor)
    assert item.status == "submitted" and Transition.objects.count() == before


def test_apply_suggestions_needs_edit_permission(financing_item, reviewer):
    with pytest.raises(workflow.TransitionNotAllowed) as error:
        apply_fact_suggestions(financing_item, by=reviewer)
    assert error.value.code == "forbidden"


def test_apply_suggestions_gives_linked_investors_their_role(financing_item, editor):
    from bulletins.models import ItemEntity

    from .factories import EntityFactory

    lead = EntityFactory(name="甲资本", slug="jia", type="investor")
    other = EntityFactory(name="乙资本", slug="yi", type="investor")
    ItemEntity.objects.create(item=financing_item, entity=lead)
    ItemEntity.objects.create(item=financing_item, entity=other, role="editor-set")
    apply_fact_suggestions(financing_item, by=editor)
    roles = dict(ItemEntity.objects.values_list("entity__slug", "role"))
    assert roles == {"jia": "lead_investor", "yi": "editor-set"}
