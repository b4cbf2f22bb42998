import pytest
from django.db.models import F

from bulletins import workflow
from bulletins.entities import apply_fact_suggestions
from bulletins.facts import (
    extract,
    extract_amounts,
    extract_investors,
    extract_old_investors,
    normalize_round,
)
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
    status_changes = Transition.objects.exclude(from_status=F("to_status"))
    before = status_changes.count()
    item = apply_fact_suggestions(financing_item, by=editor)
    assert item.status == "submitted" and status_changes.count() == before
    # The facts are content: the change is on record as the editor's (four eyes reads it).
    assert Transition.objects.filter(item=item, action="revise", by=editor).exists()


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


# ----------------------------------------------------------------------------- issue #15 facts


def test_amount_ranges_give_the_lower_bound_and_the_upper():
    (amount,) = extract_amounts("募资1-2亿元")
    assert (amount.amount, amount.upper, amount.currency) == (100_000_000, 200_000_000, "CNY")
    (amount,) = extract_amounts("5000万~1亿美元")
    assert (amount.amount, amount.upper, amount.currency) == (50_000_000, 100_000_000, "USD")


def test_caps_are_not_approximations_but_near_and_several_are():
    assert amounts("募集资金不超过18亿元") == [(1_800_000_000, "CNY", False)]
    assert amounts("最高达9亿美元") == [(900_000_000, "USD", False)]
    assert amounts("数千万元人民币") == [(10_000_000, "CNY", True)]
    assert amounts("逾2亿港元") == [(200_000_000, "HKD", True)]
    assert amounts("4200万英镑") == [(42_000_000, "GBP", False)]


def test_financing_headline_amount_round_and_investor_roles():
    facts = extract(
        "某某生物宣布完成近2亿元人民币B+轮融资,由礼来亚洲基金领投,山河资本、和玉资本跟投,"
        "老股东启明创投持续加码。公司估值超过20亿元。"
    )
    assert facts.event_kind == "financing" and facts.financing_round == "B+"
    assert facts.amount.amount == 200_000_000 and facts.amount.approximate
    assert facts.lead_investors == ["礼来亚洲基金"]
    assert facts.investors == ["山河资本", "和玉资本", "启明创投"]
    assert facts.old_investors == ["启明创投"]
    assert facts.as_json()["amount"]["text"] == "近2亿元人民币"


def test_sole_investor_leads_and_unclear_rounds_stay_empty():
    facts = extract("甲公司完成数千万元天使轮融资,本轮由乙资本独家投资。")
    assert facts.lead_investors == ["乙资本"] and facts.financing_round == "天使"
    assert extract("丙公司完成3500万瑞士法郎种子轮及A轮融资。").financing_round == ""
    assert extract("丁公司拟向特定对象发行股票募集资金不超过18亿元。").financing_round == "定增"


def test_licensing_terms_and_total_as_the_amount():
    facts = extract(
        "甲医药与默沙东达成独家许可协议,将获得1亿美元首付款,里程碑付款最高9亿美元,"
        "交易总额最高10亿美元。"
    )
    assert facts.event_kind == "partnership"
    terms = facts.as_json()["licensing"]
    assert (
        terms["upfront"]["amount"],
        terms["milestones"]["amount"],
        terms["total"]["amount"],
    ) == (
        100_000_000,
        900_000_000,
        1_000_000_000,
    )
    assert facts.amount.amount == 1_000_000_000
    assert "amount" not in extract("甲医药与乙公司达成合作,首付款5000万元。").as_json()


@pytest.mark.parametrize(
    ("text", "decision", "regulator"),
    [
        ("甲药的上市申请获国家药监局受理。", "acceptance", "国家药品监督管理局"),
        (
            "甲药获CDE纳入优先审评,此前已获突破性疗法认定。",
            "priority_review",
            "国家药品监督管理局药品审评中心",
        ),
        ("美国FDA授予甲药孤儿药资格。", "orphan", "美国食品药品监督管理局"),
        ("甲药获得国家药监局核准签发的药物临床试验批准通知书。", "ind", "国家药品监督管理局"),
        ("欧盟委员会附条件批准甲药上市。", "conditional_approval", "欧盟委员会"),
        ("FDA向甲公司发出完整回复函。", "rejection", "美国食品药品监督管理局"),
        ("甲药在日本获PMDA批准上市。", "approval", "日本医药品医疗器械综合机构"),
    ],
)
def test_approval_decisions_and_regulators(text, decision, regulator):
    facts = extract(text)
    assert (facts.event_kind, facts.decision, facts.regulator) == ("approval", decision, regulator)


def test_approval_names_drug_and_indication_as_written():
    facts = extract("国家药监局批准恒瑞医药的SHR-A1811上市,用于治疗HER2阳性乳腺癌。")
    assert (facts.drug, facts.indication) == ("SHR-A1811", "HER2阳性乳腺癌")


def test_m_and_a_buyer_target_price_and_stake():
    facts = extract("甲药业宣布以5.2亿元收购乙生物51%股权。")
    deal = facts.as_json()["ma"]
    assert (deal["buyer"], deal["target"], deal["price"]["amount"], deal["stake"]) == (
        "甲药业",
        "乙生物",
        520_000_000,
        "51%",
    )
    assert facts.amount.amount == 520_000_000


def test_the_lead_sentence_decides_the_event_kind():
    assert extract("国家药监局批准甲药上市。公司将与合作伙伴共同推广。").event_kind == "approval"
    assert extract("甲公司在港交所主板挂牌上市,募资净额约4亿港元。").event_kind == "ipo"
    assert extract("工信部等七部门印发《医药工业行动方案》。").event_kind == "policy"
    assert extract("乙公司完成Pre-IPO轮融资。").event_kind == "financing"


def test_a_fund_named_after_its_group_and_an_oversubscribing_old_investor():
    text = "公司完成A轮融资,由甲乙资本领投,丙丁资本旗下丙丁创新基金跟投,老股东戊己资本超额跟投。"
    leads, others = extract_investors(text)
    assert leads == ["甲乙资本"]
    assert others == ["丙丁创新基金", "戊己资本"]
    assert extract_old_investors(text) == ["戊己资本"]
