"""Discovery of unknown names, linking precision, and candidates in the admin (issue #15)."""

import json

import pytest

from bulletins import discovery, entities, linking, workflow
from bulletins.models import DismissedCandidate, Entity, ItemEntity
from bulletins.workflow import TransitionNotAllowed

from .factories import EntityAliasFactory, EntityFactory


def found(text):
    return {(c.name, c.type) for c in discovery.find(text)}


# ----------------------------------------------------------------------------- discovery (pure)


@pytest.mark.parametrize("code", ["XYZ1234", "AB-123", "9XY456", "SHR-A1811", "HS-20093", "RC48"])
def test_company_drug_codes_are_drug_candidates(code):
    assert (code, "drug") in found(f"公司宣布{code}获批开展临床试验。")


@pytest.mark.parametrize(
    "word", ["CD20", "IL-17", "PD-1", "GLP-1", "COVID-19", "G12C", "ASCO2025", "2025", "HER2"]
)
def test_targets_mutations_conferences_and_years_are_not_codes(word):
    assert not any(t == "drug" for _n, t in found(f"针对{word}的研究在大会上公布。"))


def test_a_legal_name_and_its_short_form_are_one_company_candidate():
    text = (
        "苏州某某生物科技有限公司(以下简称\u201c某某生物\u201d)宣布完成B轮融资。"
        "某某生物成立于2020年。"
    )
    candidates = [c for c in discovery.find(text) if c.type == "company"]
    assert len(candidates) == 1
    assert candidates[0].name == "某某生物"
    assert "苏州某某生物科技有限公司" in candidates[0].aliases


def test_company_names_start_after_function_words():
    assert ("和铂医药", "company") in found("罗氏与和铂医药达成合作。")
    assert ("普瑞眸医药", "company") in found("专注于眼科创新药的普瑞眸医药宣布。")


def test_investors_are_found_by_their_role_in_a_financing_sentence():
    names = found(
        "甲公司完成2亿元A轮融资,由礼来亚洲基金领投,山河资本、Foo Ventures跟投,老股东启明创投持续加码。"
    )
    assert {
        ("礼来亚洲基金", "investor"),
        ("山河资本", "investor"),
        ("启明创投", "investor"),
    } <= names


def test_regulators_people_and_institutions():
    names = found(
        "巴西国家卫生监督局(ANVISA)批准了该药。首席执行官张伟表示,研究由复旦大学附属华山医院"
        "李振东教授牵头。公司任命Maria Ortega为首席医学官。"
    )
    assert ("巴西国家卫生监督局", "regulator") in names
    assert {("张伟", "person"), ("李振东", "person"), ("Maria Ortega", "person")} <= names
    assert ("复旦大学附属华山医院", "institution") in names
    anvisa = next(
        c for c in discovery.find("巴西国家卫生监督局(ANVISA)批准") if c.type == "regulator"
    )
    assert "ANVISA" in anvisa.aliases


def test_plain_text_has_no_candidates():
    assert discovery.find("今天天气很好,大家都去公园散步。") == []


# ----------------------------------------------------------------------------- linking precision


def linked(text):
    return {s.entity.name for s in linking.suggest(text) if s.entity is not None}


def test_a_short_name_inside_a_longer_unknown_name_is_not_linked(db):
    roche = EntityFactory(name="罗氏", type="company")
    analysis = linking.analyse("罗氏诊断宣布推出新的检测试剂。")
    assert [s.entity for s in analysis.suggestions] == []
    assert [c.name for c in analysis.candidates] == ["罗氏诊断"]
    EntityFactory(name="罗氏诊断", type="company", parent=roche)
    assert linked("罗氏诊断宣布推出新的检测试剂。") == {"罗氏诊断"}  # the subsidiary itself
    assert linked("罗氏宣布扩建工厂。") == {"罗氏"}


def test_a_known_company_inside_its_legal_name_is_linked(db):
    EntityFactory(name="百济神州", type="company")
    analysis = linking.analyse("百济神州生物科技有限公司宣布。")
    assert {s.entity.name for s in analysis.suggestions} == {"百济神州"}
    assert analysis.candidates == []


def test_latin_names_do_not_match_inside_hyphenated_codes(db):
    EntityAliasFactory(entity=EntityFactory(name="东阳光", type="company"), alias="HEC")
    assert linked("东阳光药的HEC-88473获批。") == {"东阳光"}
    assert linked("HEC宣布。") == {"东阳光"}
    assert ("HEC-88473", "drug") in {
        (c.name, c.type) for c in linking.analyse("HEC-88473获批").candidates
    }


def test_an_ambiguous_alias_needs_context(db):
    bio = EntityFactory(name="信达生物", type="company")
    EntityAliasFactory(entity=bio, alias="信达", is_ambiguous=True)
    # alone: a suggestion for the editor, no link
    alone = linking.suggest("信达公布了一项新进展。")
    assert [(s.entity, s.is_ambiguous) for s in alone] == [(None, True)]
    # another name of the same entity in the text settles it
    assert linked("信达生物宣布……信达表示将继续推进。") == {"信达生物"}
    # two entities sharing the alias: the type of the words around it settles it
    capital = EntityFactory(name="信达资本", type="investor")
    EntityAliasFactory(entity=capital, alias="信达", is_ambiguous=True)
    assert linked("本轮由信达领投。") == {"信达资本"}
    assert linked("信达公布了一项新进展。") == set()


def test_candidates_drop_known_names(db):
    EntityFactory(name="恒瑞医药", type="company")
    names = {c.name for c in linking.analyse("恒瑞医药与普瑞眸医药达成合作。").candidates}
    assert names == {"普瑞眸医药"}


# ----------------------------------------------------------------------------- candidates (services)


@pytest.fixture
def issue(editor, company_news, industry_news):
    bulletin = workflow.create_bulletin(issued_on="2026-05-06", by=editor)
    first = workflow.add_item(
        bulletin,
        by=editor,
        section=company_news,
        body="苏州某某生物科技有限公司(以下简称\u201c某某生物\u201d)宣布完成B轮融资。",
    )
    second = workflow.add_item(
        bulletin, by=editor, section=industry_news, body="某某生物的新药获批开展临床试验。"
    )
    third = workflow.add_item(bulletin, by=editor, section=industry_news, body="另一条新闻。")
    return first, second, third


def test_one_click_creates_the_entity_with_aliases_and_links_it_across_the_issue(issue, editor):
    first, second, third = issue
    candidate = next(c for c in entities.item_candidates(first) if c.type == "company")
    entity, created, linked_ids = entities.create_from_candidate(
        first, by=editor, name=candidate.name, type=candidate.type, aliases=candidate.aliases
    )
    assert created and entity.name == "某某生物" and entity.type == "company"
    assert "苏州某某生物科技有限公司" in set(entity.aliases.values_list("alias", flat=True))
    assert sorted(linked_ids) == sorted([first.pk, second.pk])
    assert set(ItemEntity.objects.filter(entity=entity).values_list("item_id", "is_confirmed")) == {
        (first.pk, True),
        (second.pk, True),
    }
    assert not any(c.name == "某某生物" for c in entities.item_candidates(first))
    # a second click finds the entity instead of duplicating it
    again, created, _ids = entities.create_from_candidate(
        second, by=editor, name="某某生物", type="company"
    )
    assert again == entity and not created


def test_a_dismissed_candidate_is_not_proposed_again(issue, editor):
    first, second, _third = issue
    assert any(c.name == "某某生物" for c in entities.item_candidates(second))
    entities.dismiss_candidate("某某生物", by=editor)
    assert DismissedCandidate.objects.filter(name="某某生物").exists()
    assert not any(c.name == "某某生物" for c in entities.item_candidates(second))
    assert not any("某某生物" in c.names for c in entities.item_candidates(first))


def test_reviewers_may_not_create_or_dismiss_candidates(issue, reviewer):
    first, _second, _third = issue
    with pytest.raises(TransitionNotAllowed):
        entities.create_from_candidate(first, by=reviewer, name="某某生物", type="company")
    with pytest.raises(TransitionNotAllowed):
        entities.dismiss_candidate("某某生物", by=reviewer)
    assert not Entity.objects.filter(name="某某生物").exists()


def test_a_candidate_must_be_in_the_item(issue, editor):
    _first, _second, third = issue
    with pytest.raises(TransitionNotAllowed):
        entities.create_from_candidate(third, by=editor, name="某某生物", type="company")


def test_candidates_show_on_the_item_page_and_in_the_import_preview(issue, editor, client):
    first, _second, _third = issue
    client.force_login(editor)
    page = client.get(f"/admin/bulletins/item/{first.pk}/change/").content.decode()
    assert "新名称(候选)" in page and 'value="某某生物"' in page
    text = (
        "某某生物完成融资 | 日报\n(医药健闻2026年5月7日讯)\n\n企业动态\n"
        "杭州某某制药有限公司宣布,其XYZ1234获批开展临床试验,由甲乙资本领投。\n"
    )
    preview = client.post("/admin/bulletins/import/", {"text": text, "preview": "1"})
    body = preview.content.decode()
    assert "XYZ1234" in body and "imp-candidate" in body


def test_one_click_through_the_admin(issue, editor, client):
    first, second, _third = issue
    client.force_login(editor)
    response = client.post(
        "/admin/bulletins/entity/suggestions/candidate/",
        {
            "item": first.pk,
            "name": "某某生物",
            "type": "company",
            "aliases": "苏州某某生物科技有限公司",
        },
    )
    assert response.status_code == 302
    entity = Entity.objects.get(name="某某生物")
    assert set(entity.item_links.values_list("item_id", flat=True)) == {first.pk, second.pk}
    client.post("/admin/bulletins/entity/suggestions/dismiss/", {"item": first.pk, "name": "B轮"})
    assert DismissedCandidate.objects.filter(name="B轮").exists()


def test_candidates_never_reach_public_surfaces(db, client):
    """A published item naming an unknown company: its text is public, the candidate is not —
    no entity page, no entity in the API, no candidate markup on the site."""
    import datetime as dt

    from .site_data import make_issue

    bulletin = make_issue(dt.date(2026, 5, 6), 1)
    item = bulletin.items.get()
    item.body = "苏州某某生物科技有限公司宣布完成B轮融资,由甲乙资本领投。"
    item.save(update_fields=["body"])
    assert {c.name for c in entities.item_candidates(item)} >= {"甲乙资本"}
    api = client.get(f"/api/v1/items/{item.pk}/").json()
    assert api["entities"] == [] and "candidates" not in api
    page = client.get(f"/items/{item.pk}/").content.decode()
    assert "某某生物" in page  # the published text itself
    assert "候选" not in page and "entity-candidates" not in page
    for url in ("/api/v1/entities/?q=甲乙", "/entities/"):
        assert "甲乙资本" not in client.get(url).content.decode()
    assert not Entity.objects.filter(name__in=["甲乙资本", "某某生物"]).exists()


def test_banks_are_found_by_their_deal_role():
    names = found("甲公司递交招股书,乙证券与丙资本国际担任联席保荐人。")
    assert {("乙证券", "company"), ("丙资本国际", "company")} <= names
    assert ("丁证券", "company") in found("拟募资10亿元,保荐机构为丁证券。")


def test_saving_an_item_in_the_admin_fills_its_empty_facts_and_keeps_the_editors(
    client, draft_bulletin, editor
):
    from .test_admin_workflow import admin_form_data, change_url

    item = draft_bulletin.items.first()
    client.force_login(editor)
    data = admin_form_data(client.get(change_url(item)))
    data["body"] = "某某生物宣布完成近2亿元人民币B轮融资,由礼来亚洲基金领投。"
    data["facts"] = "{}"  # as a browser posts the empty object
    assert client.post(change_url(item), data).status_code == 302
    item.refresh_from_db()
    assert (item.event_kind, item.financing_round) == ("financing", "B")
    assert item.facts["amount"]["amount"] == 200_000_000
    assert item.facts["lead_investors"] == ["礼来亚洲基金"]

    data = admin_form_data(client.get(change_url(item)))
    data["financing_round"] = "C"  # the editor's correction
    data["facts"] = json.dumps(item.facts, ensure_ascii=False)
    data["body"] = "某某生物宣布完成近2亿元人民币B轮融资,由礼来亚洲基金领投,山河资本跟投。"
    assert client.post(change_url(item), data).status_code == 302
    item.refresh_from_db()
    assert item.financing_round == "C"
    assert item.facts["lead_investors"] == ["礼来亚洲基金"]


def test_the_chief_editor_may_undo_a_dismissal_in_the_admin(client, editor, chief):
    entities.dismiss_candidate("某某生物", by=editor)
    row = DismissedCandidate.objects.get(name="某某生物")
    url = f"/admin/bulletins/dismissedcandidate/{row.pk}/delete/"
    client.force_login(editor)
    assert client.get("/admin/bulletins/dismissedcandidate/").status_code == 200
    assert client.post(url, {"post": "yes"}).status_code == 403
    client.force_login(chief)
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not DismissedCandidate.objects.exists()


@pytest.mark.django_db
def test_suggestions_are_the_same_with_or_without_candidates():
    """The import links what ``suggest`` links; ``analyse`` only adds the candidates."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    for name, type_ in [("罗氏", "company"), ("信达生物", "company"), ("乳腺癌", "disease")]:
        EntityFactory(name=name, type=type_)
    alphabet = list("罗氏诊断信达生物医药乳腺癌三阴性由领投与和、,。公司宣布AB-1234获批")

    @settings(max_examples=200, deadline=None)
    @given(st.text(alphabet=alphabet, max_size=40))
    def check(text):
        assert linking.analyse(text).suggestions == linking.suggest(text)

    check()


# ----------------------------------------------------------------------------- rule classes


def rules(text):
    return {c.name: c.rule for c in discovery.find(text)}


def test_a_code_next_to_a_drug_context_is_its_own_class():
    assert rules("公司宣布QX-2107获批开展临床试验。")["QX-2107"] == "code_drug_context"
    assert rules("本次发布会展示了QX-2107。")["QX-2107"] == "code"


@pytest.mark.parametrize("text", ["公司公布III期GLORY-2研究结果。", "公司的ESLIM-02试验达到终点。"])
def test_a_trial_named_like_a_code_is_no_candidate(text):
    assert not any(c.type == "drug" for c in discovery.find(text))


def test_a_place_cut_by_a_one_character_stop_word_stays_in_the_legal_name():
    # 上 is a stop word and the first character of 上海
    found = rules("公司拟收购上海瑞塔生物科技有限公司70%股权。")
    assert found["上海瑞塔生物科技有限公司"] == "company_legal"
    assert "海瑞塔生物科技有限公司" not in found


def test_a_kind_of_hospital_is_no_institution():
    assert rules("推动公立医院改革,北京大学人民医院参与试点。") == {
        "北京大学人民医院": "institution_academic"
    }


def test_a_name_read_by_its_role_wins_over_its_ending():
    assert rules("本轮由方正证券担任独家财务顾问。")["方正证券"] == "company_adviser"


def test_only_classes_measured_precise_enough_are_created_by_an_import():
    legal, suffix = discovery.find("杭州甲乙生物科技有限公司与丙丁生物签署合作协议。")
    assert discovery.is_auto(legal) and legal.rule == "company_legal"
    assert not discovery.is_auto(suffix) and suffix.rule == "company_suffix"
    assert discovery.AUTO_RULES <= set(discovery.RULES)


@pytest.mark.parametrize("target", ["B7H3", "P2X3", "GPR75", "HSD17B13", "SSTR2"])
def test_targets_with_two_digits_are_no_codes_even_in_a_drug_clause(target):
    assert not discovery.find(f"针对{target}的ADC药物获批临床。")


@pytest.mark.parametrize(
    "text",
    [
        "研究发表于《Journal of Clinical Oncology》。",
        "ASCO Clinical Oncology年会上公布数据。",
        "国内医院和重点大学参与研究。",
        "患者可在互联网医院复诊。",
        "各地肿瘤医院和部分三甲医院参与。",
    ],
)
def test_journals_meetings_and_kinds_of_place_are_no_organisations(text):
    assert not discovery.find(text)


def test_a_two_word_product_in_capitals_next_to_a_device_word_is_a_device():
    assert rules("其自主研发的NUMEN Flow颅内取栓支架系统获批上市。") == {
        "NUMEN Flow": "device_context"
    }


@pytest.mark.parametrize(
    "text", ["中国工程院院士李兰娟表示,", "全球华人博士论坛召开。", "首席医学官兼总裁陈博士表示,"]
)
def test_a_body_or_a_title_is_no_persons_name(text):
    names = {c.name for c in discovery.find(text) if c.type == "person"}
    assert names <= {"李兰娟"} and not names & {"程院", "华人", "陈博士"}


def test_a_code_before_a_device_word_is_a_device_model_not_a_drug():
    found = {c.name: c for c in discovery.find("其XY-300心脏起搏器获国家药监局批准上市。")}
    device = found["XY-300"]
    assert (device.type, device.rule) == ("device", "device_code")
    assert device.aliases == ("XY-300心脏起搏器",)
    assert not discovery.is_auto(device)  # too few on tuning to be created unattended


def test_a_code_after_a_device_word_is_a_device_model():
    found = {c.name: c for c in discovery.find("公司的胶囊内镜系统KV-72已完成注册检验。")}
    assert found["KV-72"].type == "device"


@pytest.mark.parametrize(
    ("text", "disease"),
    [
        ("该药拟用于治疗复发或难治性边缘区淋巴管瘤的临床申请获受理。", "边缘区淋巴管瘤"),
        ("新药用于一线治疗局部晚期或转移性胸腺鳞状细胞癌。", "胸腺鳞状细胞癌"),
        ("III期研究入组中重度掌跖角化病患者。", "掌跖角化病"),
        ("用于治疗FGFR3融合阳性的晚期尿道腺癌。", "尿道腺癌"),
        ("拟用于慢性心功能不全的III期临床试验启动。", "慢性心功能不全"),
        ("该疫苗用于预防侵袭性曲霉菌感染。", "侵袭性曲霉菌感染"),
        ("已纳入新生儿呼吸窘迫综合征诊疗指南。", "新生儿呼吸窘迫综合征"),
    ],
)
def test_a_disease_is_named_without_the_patients_it_is_for(text, disease):
    # stage, line, severity and a biomarker in front say which patients, not which disease
    names = [c.name for c in discovery.find(text) if c.type == "disease"]
    assert names == [disease]


@pytest.mark.parametrize(
    "text",
    [
        "公司管线覆盖晚期实体瘤。",
        "国家卫健委发布第三批罕见病目录。",
        "公司是一家聚焦抗感染领域的药企。",
        "今年新增戈谢病等适应症。",
    ],
)
def test_a_field_a_list_or_a_front_word_is_no_disease(text):
    assert not [c for c in discovery.find(text) if c.type == "disease" and c.name != "戈谢病"]


@pytest.mark.parametrize(
    "name",
    [
        "上海市经济和信息化委员会",
        "深圳市南山区科技创新局",
        "成都市药品监督管理局",
        "美国外国投资委员会",
        "国家疾病预防控制局",
    ],
)
def test_a_public_body_is_named_by_its_jurisdiction_and_its_kind(name):
    found = {c.name: c for c in discovery.find(f"{name}近日印发新版实施细则,自下月起执行。")}
    assert found[name].type == "regulator"


@pytest.mark.parametrize(
    "text", ["公司加速上海市场布局。", "行业进入新的发展格局。", "宣布退出日本市场。"]
)
def test_everyday_words_ending_like_a_body_are_no_regulator(text):
    assert not [c for c in discovery.find(text) if c.type == "regulator"]


def test_a_city_hospital_keeps_its_city_a_foreign_university_loses_its_country():
    found = {
        c.name: c for c in discovery.find("研究在宁波市妇幼保健院和荷兰莱顿大学医学中心开展。")
    }
    assert found["宁波市妇幼保健院"].aliases == ()
    assert "莱顿大学医学中心" in found["荷兰莱顿大学医学中心"].aliases


@pytest.mark.parametrize(
    ("text", "person"),
    [
        ("公司宣布由宋知远出任首席执行官。", "宋知远"),
        ("董事会同意蔡明川辞去公司总经理职务。", "蔡明川"),
        ("原首席医学官罗思敏将担任研发总裁。", "罗思敏"),
        ("新任总裁将接替邱文澜,负责全球业务。", "邱文澜"),
        ("公司宣布,顾承泽被任命为中国区总经理。", "顾承泽"),
    ],
)
def test_people_in_more_sentence_shapes(text, person):
    found = {c.name: c for c in discovery.find(text) if c.type == "person"}
    assert person in found and found[person].rule == "person_role"


@pytest.mark.parametrize(
    ("text", "device"),
    [
        ("其自主研发的Lumora胸主动脉覆膜支架系统获批上市。", "Lumora"),
        ("公司旗下的VeloStream颅内血流导向装置完成首例植入。", "VeloStream"),
        ("其连续血糖监测系统GlucaTrace 3已获批上市。", "GlucaTrace 3"),
    ],
)
def test_a_latin_product_name_next_to_a_device_word_is_a_device(text, device):
    found = {c.name: c for c in discovery.find(text)}
    assert (found[device].type, found[device].rule) == ("device", "device_name")
    assert not discovery.is_auto(found[device])  # a class of its own, not measured yet


def test_a_latin_company_before_a_device_clause_is_no_device():
    assert not [c for c in discovery.find("Medtronic的新一代起搏器获批。") if c.type == "device"]


def test_a_society_committee_is_no_public_body():
    assert not [
        c for c in discovery.find("中国药学会肿瘤药学专业委员会发布共识。") if c.type == "regulator"
    ]


def test_a_development_zone_committee_is_a_public_body():
    found = {c.name: c for c in discovery.find("绍兴高新区管委会与公司签署投资协议。")}
    assert found["绍兴高新区管委会"].type == "regulator"


def test_a_former_executive_named_by_a_role_word():
    found = {
        c.name
        for c in discovery.find("公司任命前礼来高管邬嘉文为首席商务官。")
        if c.type == "person"
    }
    assert found == {"邬嘉文"}


@pytest.mark.parametrize(
    ("text", "person"),
    [
        ("公司CEO彼得·霍尔曼表示,将加快全球临床。", "彼得·霍尔曼"),
        ("董事长兼首席执行官安德烈·穆勒表示,公司将继续投资。", "安德烈·穆勒"),
        ("公司宣布卡琳娜·贝克博士加入公司。", "卡琳娜·贝克"),
    ],
)
def test_a_foreign_name_in_characters_is_read_whole(text, person):
    people = [c for c in discovery.find(text) if c.type == "person"]
    assert [(c.name, c.rule) for c in people] == [(person, "person_translit")]


def test_a_dotted_institution_is_no_person():
    assert not [
        c for c in discovery.find("约翰斯·霍普金斯大学教授团队参与研究。") if c.type == "person"
    ]


@pytest.mark.parametrize("target", ["COX-2", "LAG-3", "CTLA-4", "SGLT2", "PDE4", "MUC16"])
def test_more_target_families_are_no_codes(target):
    assert not [
        c for c in discovery.find(f"公司的{target}抑制剂获批开展临床试验。") if c.type == "drug"
    ]


@pytest.mark.parametrize(
    "drug", ["莫洛特韦", "艾拉戈利", "伊瑞昔布", "贝曲沙班", "欧克司兰", "瑞它西普"]
)
def test_more_inn_endings_make_drug_candidates(drug):
    assert drug in {
        c.name for c in discovery.find(f"公司宣布其{drug}获批上市。") if c.type == "drug"
    }


def test_insulin_alone_is_no_drug_candidate():
    assert not [c for c in discovery.find("患者需每日注射胰岛素。") if c.type == "drug"]


def test_a_person_elected_to_a_role():
    assert {c.name for c in discovery.find("韩立诚当选公司董事长。") if c.type == "person"} == {
        "韩立诚"
    }


def test_a_disease_keeps_the_indication_as_stated_as_an_alias():
    # the facts' indication is the phrase after 用于治疗; the entity is the disease in it
    (found,) = [
        c for c in discovery.find("用于治疗复发或难治性边缘区淋巴管瘤。") if c.type == "disease"
    ]
    assert (found.name, found.aliases) == ("边缘区淋巴管瘤", ("复发或难治性边缘区淋巴管瘤",))
    (plain,) = [c for c in discovery.find("研究纳入掌跖角化病患者。") if c.type == "disease"]
    assert plain.aliases == ()


def test_a_place_then_a_one_character_stop_word_starts_the_legal_name():
    found = rules("集团公告,全资子公司苏州中科瑞康制药有限公司获批。")
    assert found.get("苏州中科瑞康制药有限公司") == "company_legal"


def test_a_company_as_the_subject_of_the_news_is_its_own_class():
    found = rules("岭川生物宣布完成2亿元B轮融资。另有禾川医药参与。")
    assert found["岭川生物"] == "company_subject"
    assert not discovery.is_auto(discovery.find("岭川生物宣布完成2亿元B轮融资。")[0])


# ----------------------------------------------------------------------------- issue 15: text the rules were not written for


def names_of(text, type_):
    return {n for c in discovery.find(text) if c.type == type_ for n in c.names}


def test_a_disease_after_a_genotype_or_a_phase_is_the_disease():
    assert ("家族性乳糜微粒血症", "disease") in found(
        "该药正在开展治疗纯合子家族性乳糜微粒血症的III期临床。"
    )
    assert ("慢性淋巴细胞白血病", "disease") in found("用于治疗加速期慢性淋巴细胞白血病成人患者。")
    # a long name whose start is beyond twelve characters is still read whole
    assert ("鸟苷酸环化酶激活蛋白缺乏症", "disease") in found(
        "公司的基因疗法用于鸟苷酸环化酶激活蛋白缺乏症。"
    )


def test_a_course_written_in_parallel_with_another_is_a_modifier():
    assert ("特发性血小板减少症", "disease") in found(
        "用于治疗持续性或急性特发性血小板减少症成人患者。"
    )
    # without the parallel course, 慢性 is part of the name
    assert ("慢性粒细胞白血病", "disease") in found("用于治疗慢性粒细胞白血病。")


def test_a_disease_naming_a_business_or_a_field_is_no_indication():
    assert not names_of("她曾负责公司欧洲哮喘业务,也参与过炎症管线的规划。", "disease")


def test_an_eponymous_disease_is_a_disease_candidate():
    assert ("Gaucher病", "disease") in found("其首个项目针对Gaucher病,计划明年递交IND。")
    assert ("Alport综合征", "disease") in found("用于治疗Alport综合征的II期研究。")


def test_drug_words_in_front_of_a_generic_name_are_not_part_of_it():
    drugs = names_of("在降压药氯沙坦基础上,按最大耐受剂量他汀治疗。", "drug")
    assert "降压药氯沙坦" not in drugs and "最大耐受剂量他汀" not in drugs
    assert "氯沙坦" in drugs


def test_a_radioligand_code_with_its_isotope_is_a_drug_code():
    assert ("QXR-Lu07", "drug") in found("靶向FAP的放射配体QXR-Lu07进入I期临床。")
    assert ("ABQ-Ac225", "drug") in found("公司的ABQ-Ac225获批开展临床试验。")


def test_a_target_written_with_a_number_is_no_code():
    assert not names_of("核心产品为VEGF/ANG-2双抗,正在开展临床试验。", "drug") & {"ANG-2"}


def test_a_code_named_with_what_it_treats_is_a_drug_not_a_device():
    candidates = {
        (c.name, c.type) for c in discovery.find("口服疗法ZQT-515治疗系统性硬化症的II期研究。")
    }
    assert ("ZQT-515", "drug") in candidates and ("ZQT-515", "device") not in candidates
    assert ("PLM-220", "drug") in found("公司推动PLM-220进入治疗胆管导管癌的I期临床。")


def test_a_code_in_a_licensing_or_project_clause_is_a_drug_code():
    codes = {
        c.name: c.rule
        for c in discovery.find(
            "授予后者双特异性抗体QV-4410在全球的开发和商业化权利。首个项目WX-B02针对视网膜疾病。"
        )
    }
    assert codes["QV-4410"] == "code_drug_context" and codes["WX-B02"] == "code_drug_context"


def test_a_device_is_named_with_its_whole_description():
    assert "LP-M20经导管二尖瓣修复系统" in names_of(
        "国家药监局批准LP-M20经导管二尖瓣修复系统创新产品注册申请。", "device"
    )
    assert "NeoVia-Cath颅内抽吸导管" in names_of(
        "其核心产品NeoVia-Cath颅内抽吸导管已获批上市。", "device"
    )
    assert "QS-Scope一次性电子支气管镜" in names_of(
        "公司QS-Scope一次性电子支气管镜已获注册证。", "device"
    )
    assert "LT-Hip 3髋关节置换手术导航系统" in names_of(
        "批准LT-Hip 3髋关节置换手术导航系统注册申请。", "device"
    )
    assert "xCT Orion 3T全身磁共振成像系统" in names_of(
        "其xCT Orion 3T全身磁共振成像系统获得FDA上市许可。", "device"
    )


def test_a_product_named_by_prefix_and_word_in_a_drug_clause_is_a_drug():
    assert ("TQM-Relay", "drug") in found("公司的核心资产TQM-Relay是一款皮下持续输注疗法。")
    assert not names_of("公司的TQM-Relay平台已完成升级。", "drug")


def test_people_in_varied_sentence_shapes():
    assert ("邵明川", "person") in found("原首席财务官邵明川因个人原因辞任。")
    assert ("上官明", "person") in found("董事会任命李文为首席执行官,接替将于年底退休的上官明。")
    assert ("殷若溪", "person") in found("某药企宣布,殷若溪将自10月1日起出任中国区总裁。")


def test_an_institution_with_a_place_in_its_middle_is_one_name():
    assert ("江城大学上海医学院", "institution") in found("他毕业于江城大学上海医学院。")


def test_a_company_ending_inside_a_fund_or_zone_name_is_not_a_company():
    names = found("投资方包括江州发展医疗健康基金和某某资本。江州国际医疗旅游先行区发布通知。")
    assert ("江州发展医疗健康基金", "investor") in names
    assert ("江州发展医疗", "company") not in names
    assert ("江州国际医疗旅游先行区", "institution") in names


def test_investors_listed_by_what_they_are():
    names = found("公司完成数亿元战略融资,投资方包括川西科创投集团、某某资本和江南健康基金。")
    assert {("川西科创投集团", "investor"), ("某某资本", "investor")} <= names
    by_rule = {
        c.name: c.rule for c in discovery.find("双方设立基金,由宁东高投集团担任基石出资人。")
    }
    assert by_rule.get("宁东高投集团") == "investor_role"


def test_an_adviser_for_this_offering_is_read_by_its_role():
    by_rule = {c.name: c.rule for c in discovery.find("甲证券公司担任本次发行的保荐机构。")}
    assert by_rule.get("甲证券公司") == "company_adviser"


def test_firms_and_latin_legal_names_are_companies():
    assert ("德勤华永会计师事务所", "company") in found("他曾任德勤华永会计师事务所合伙人。")
    velmo = next(
        c for c in discovery.find("拟收购奥地利公司Brenvia GmbH 60%股权。") if c.type == "company"
    )
    assert (
        velmo.name == "Brenvia GmbH"
        and "Brenvia" in velmo.aliases
        and velmo.rule == "company_latin"
    )


def test_government_bodies_not_read_from_listings_or_delegations():
    names = found("公司获上交所上市审核委员会审议通过。江南省药品上市许可持有人委托生产细则发布。")
    assert not {n for n, t in names if t == "regulator"}
    assert ("国家组织医用耗材联合采购办公室", "regulator") in found(
        "国家组织医用耗材联合采购办公室发布公告。"
    )


@pytest.mark.parametrize(
    "drug",
    [
        "艾司奥美拉唑",
        "帕洛诺司琼",
        "比索洛尔",
        "利扎曲坦",
        "替卡格雷",
        "马昔腾生坦",
        "米卡芬净",
        "美罗培南",
        "来那度胺",
        "依诺肝素",
        "亮丙瑞林",
        "瑞戈非尼",
        "达罗他胺",
        "布地奈德",
        "地塞米松",
        "噻托溴铵",
    ],
)
def test_generic_names_by_more_inn_stems_are_drug_candidates(drug):
    assert (drug, "drug") in found(f"公司的{drug}获批上市。")


@pytest.mark.parametrize("disease", ["痛风", "近视", "青光眼", "房颤", "慢性荨麻疹", "偏头痛"])
def test_diseases_named_by_one_word_are_disease_candidates(disease):
    assert (disease, "disease") in found(f"该药拟用于治疗{disease}的III期研究已启动。")


def test_a_device_description_in_front_of_its_model_is_its_full_name():
    names = names_of("国家药监局批准某某医疗生产的植入式心脏起搏器QB-300注册申请。", "device")
    assert "植入式心脏起搏器QB-300" in names


def test_more_institutions_and_roles():
    names = found(
        "青石镇卫生院与东湖生命健康示范区签约。协会秘书长韩立明表示欢迎。"
        "公司宣布,杜若衡获委任为首席医学官。"
    )
    assert {
        ("青石镇卫生院", "institution"),
        ("东湖生命健康示范区", "institution"),
        ("韩立明", "person"),
        ("杜若衡", "person"),
    } <= names


def test_a_disease_read_on_past_an_inner_ending_and_with_its_type():
    names = found("用于治疗中重度活动性溃疡性结肠炎,另一项研究针对B型血友病和1型糖尿病。")
    assert {
        ("溃疡性结肠炎", "disease"),
        ("B型血友病", "disease"),
        ("1型糖尿病", "disease"),
    } <= names
    assert ("活动性溃疡", "disease") not in names
    assert ("炎症性肠病", "disease") in found("该药拟用于炎症性肠病。")


def test_a_latin_name_after_the_word_for_a_company_is_a_company_candidate():
    by_name = {c.name: c for c in discovery.find("瑞士生物技术公司Lumora宣布完成B轮融资。")}
    assert by_name["Lumora"].type == "company" and by_name["Lumora"].rule == "company_described"
    assert not found("公司CEO表示")


def test_hospital_names_with_characters_that_are_also_function_words():
    names = found(
        "研究由江汉科技大学同济医学院附属协和医院完成,宁江市中心医院与东江大学附属中山医院参与。"
        "要求二级以上公立医院开展研究。"
    )
    assert {
        ("江汉科技大学同济医学院附属协和医院", "institution"),
        ("宁江市中心医院", "institution"),
        ("东江大学附属中山医院", "institution"),
    } <= names
    assert not {n for n, t in names if t == "institution" and "公立医院" in n}


@pytest.mark.parametrize(
    ("text", "name", "model"),
    [
        (
            "其自主研发的\u201cKV-Scan 900光子计数能谱CT\u201d获批上市。",
            "KV-Scan 900光子计数能谱CT",
            "KV-Scan 900",
        ),
        (
            "公司的\u201cQP-HPV9人乳头瘤病毒E6/E7 mRNA检测试剂盒(荧光PCR法)\u201d获批注册。",
            "QP-HPV9人乳头瘤病毒E6/E7 mRNA检测试剂盒(荧光PCR法)",
            "QP-HPV9",
        ),
        ("旗下产品\u201c经导管二尖瓣夹合系统\u201d进入创新通道。", "经导管二尖瓣夹合系统", None),
    ],
)
def test_a_quoted_product_ending_in_a_device_word_is_a_device_with_its_model(text, name, model):
    found = {c.name: c for c in discovery.find(text)}
    assert (found[name].type, found[name].rule) == ("device", "device_quoted")
    assert discovery.is_auto(found[name])
    assert found[name].aliases == ((model,) if model else ())


@pytest.mark.parametrize(
    "text",
    [
        "会议提出推进\u201c人工智能+医疗器械\u201d发展。",  # a slogan: no model, no product word
        "苏州某某医疗科技有限公司(以下简称\u201c某某医疗系统\u201d)完成融资。",  # a short name
    ],
)
def test_quoted_words_that_name_no_product_are_no_device(text):
    assert not [c for c in discovery.find(text) if c.rule == "device_quoted"]


@pytest.mark.parametrize("code", ["ZE-AAV07", "HX-siR07", "MJN-Lu02"])
def test_codes_with_a_modality_after_the_hyphen_are_drug_codes(code):
    found = {c.name: c for c in discovery.find(f"其核心产品{code}已获批开展临床试验。")}
    assert found[code].type == "drug"


def test_a_cell_therapy_code_is_read_in_its_drug_context():
    found = {c.name: c for c in discovery.find("其核心产品QT-19B为自体CD19/BCMA双靶点CAR-T。")}
    assert found["QT-19B"].rule == "code_drug_context"


def test_a_fund_named_after_its_group_is_two_investors():
    text = "公司完成A轮融资,由甲乙资本领投,丙丁资本旗下丙丁创新基金、戊己资本跟投。"
    names = {c.name for c in discovery.find(text) if c.type == "investor"}
    assert {"甲乙资本", "丙丁资本", "丙丁创新基金", "戊己资本"} <= names
    assert "丙丁资本旗下丙丁创新基金" not in names


def test_latin_names_with_two_endings_or_a_region_are_one_name():
    found = {
        c.name: c
        for c in discovery.find(
            "由Bain Capital Life Sciences孵化,美国子公司Vanta Medical America负责销售。"
        )
    }
    assert found["Bain Capital Life Sciences"].type == "investor"
    assert found["Vanta Medical America"].type == "company"
    assert "Life Sciences" not in found


def test_a_legal_name_with_a_holding_or_an_international_tail_is_read_whole():
    names = {c.name for c in discovery.find("全资子公司深圳甲乙科技控股有限责任公司拟收购。")}
    names |= {
        a for c in discovery.find("子公司丙丁化成(香港)国际有限公司拟收购。") for a in c.names
    }
    assert "深圳甲乙科技控股有限责任公司" in names
    assert "丙丁化成(香港)国际有限公司" in names


def test_an_adverb_after_a_surname_is_no_person():
    assert not [
        c
        for c in discovery.find("她于2012年加入公司,曾先后担任中国区负责人。")
        if c.type == "person"
    ]


def test_a_provincial_body_after_a_preposition_starts_at_its_place():
    names = {c.name for c in discovery.find("由湖南省医疗保障局牵头的联盟集采启动。")}
    assert "湖南省医疗保障局" in names
    assert "由湖南省医疗保障局" not in names


@pytest.mark.parametrize(
    ("text", "disease"),
    [
        ("用于治疗B细胞非霍奇金淋巴瘤。", "B细胞非霍奇金淋巴瘤"),
        ("用于治疗X连锁视网膜色素变性。", "X连锁视网膜色素变性"),
        ("用于可切除局部进展期胃腺癌的围手术期治疗。", "胃腺癌"),
    ],
)
def test_disease_names_keep_a_letter_and_drop_a_stage(text, disease):
    assert (disease, "disease") in found(text)


@pytest.mark.parametrize(
    ("text", "person"),
    [
        ("原董事长韩立群转任首席执行官。", "韩立群"),
        ("医院心内科潘明远团队完成首例植入。", "潘明远"),
        ("公司任命安娜·科瓦尔斯基(Anna Kowalski)为首席医学官。", "安娜·科瓦尔斯基"),
    ],
)
def test_people_moved_leading_a_team_or_appointed_by_a_foreign_name(text, person):
    assert (person, "person") in found(text)


def test_a_foreign_name_keeps_its_latin_spelling_as_an_alias():
    people = {c.name: c for c in discovery.find("公司任命安娜·科瓦尔斯基(Anna Kowalski)为总裁。")}
    assert "Anna Kowalski" in people["安娜·科瓦尔斯基"].aliases


def test_a_former_post_and_a_university_department_are_read_as_institutions():
    names = {
        c.name
        for c in discovery.find("其创始人原复旦大学生物医学研究院研究员,现与浙江大学化学系合作。")
    }
    assert "复旦大学生物医学研究院" in names
    assert "浙江大学化学系" in names


def test_latin_companies_in_mixed_case_and_with_ltd():
    names = {
        c.name
        for c in discovery.find("由Velora BioSciences负责,并收购Harlow Bioassays Ltd全部股权。")
    }
    assert {"Velora BioSciences", "Harlow Bioassays Ltd"} <= names


@pytest.mark.parametrize(
    ("text", "drug"),
    [
        ("其独家品种芪归通络胶囊纳入医保目录。", "芪归通络胶囊"),
        ("岭北清肺颗粒获批上市,用于咳嗽。", "岭北清肺颗粒"),
        ("公司的岩茶素片通过一致性评价。", "岩茶素片"),
    ],
)
def test_a_medicine_named_with_its_dosage_form_is_a_drug_candidate(text, drug):
    found = {c.name: c for c in discovery.find(text)}
    assert (found[drug].type, found[drug].rule) == ("drug", "drug_preparation")


@pytest.mark.parametrize(
    "text", ["公司拥有中药饮片生产线。", "该器官芯片平台已建成。", "每片含量为5mg。"]
)
def test_forms_without_a_medicine_name_are_no_drug(text):
    assert not [c for c in discovery.find(text) if c.rule == "drug_preparation"]


def test_a_known_medicine_links_over_its_salt_and_form(db):
    drug = EntityFactory(name="二甲双胍", type="drug")
    found = {
        s.entity.pk: s.text for s in linking.suggest("盐酸二甲双胍缓释片中选集采。") if s.entity
    }
    assert found[drug.pk] == "盐酸二甲双胍缓释片"


def test_an_investment_firm_by_its_legal_name_is_an_investor():
    found = {c.name: c for c in discovery.find("由广州甲乙产业发展基金管理有限公司担任管理人。")}
    name = "广州甲乙产业发展基金管理有限公司"
    assert (found[name].type, found[name].rule) == ("investor", "investor_legal")


def test_a_legal_name_goes_on_over_its_city_in_brackets():
    found = {c.name: c for c in discovery.find("全资子公司甲乙(苏州)新药研究中心有限公司拟收购。")}
    assert found["甲乙(苏州)新药研究中心有限公司"].type == "company"


def test_a_firm_acting_as_adviser_is_no_person():
    assert not [c for c in discovery.find("高盛担任安斯泰来的独家财务顾问。") if c.type == "person"]


def test_a_device_code_with_a_treatment_system_or_an_imaging_modality_is_a_device():
    names = {
        c.name: c
        for c in discovery.find(
            "其IVQ-300血管内冲击波治疗系统获批,RY-PC900光子计数能谱CT系统也获批。"
        )
    }
    assert names["IVQ-300"].type == "device"
    assert "IVQ-300血管内冲击波治疗系统" in names["IVQ-300"].aliases
    assert "RY-PC900光子计数能谱CT系统" in names["RY-PC900"].aliases


def test_a_korean_executive_appointed_with_the_latin_name_in_brackets():
    people = {c.name: c for c in discovery.find("公司宣布任命金在勋(Kim Jae-hoon)为总裁。")}
    assert "Kim Jae-hoon" in people["金在勋"].aliases


@pytest.mark.parametrize(
    ("text", "disease"),
    [
        ("用于症状性阵发性心房颤动的治疗。", "阵发性心房颤动"),
        ("包括先天性肌无力综合征等罕见病。", "先天性肌无力综合征"),
        ("目前正在澳大利亚开展肥胖症Ib期研究。", "肥胖症"),
    ],
)
def test_disease_names_in_clinical_prose(text, disease):
    assert (disease, "disease") in found(text)


def test_a_known_disease_links_with_its_course_written_in_front(db):
    af = EntityFactory(name="心房颤动", type="disease")
    found_ = {
        s.entity.pk: s.text for s in linking.suggest("用于治疗持续性心房颤动患者。") if s.entity
    }
    assert found_[af.pk] == "持续性心房颤动"


@pytest.mark.parametrize(
    ("text", "name", "rule"),
    [
        (
            "公布其VistaRead乳腺X线摄影人工智能辅助诊断软件的研究结果。",
            "VistaRead乳腺X线摄影人工智能辅助诊断软件",
            "device_described",
        ),
        ("主导了uSCOPE全景动态PET/CT的产业化。", "uSCOPE全景动态PET/CT", "device_described"),
        ("Orvia的KELTON脊柱导航机器人已获FDA批准。", "KELTON脊柱导航机器人", "device_described"),
        (
            "基于\u201c天枢\u201d2.0骨科手术导航定位机器人开展研究。",
            "\u201c天枢\u201d2.0骨科手术导航定位机器人",
            "device_brand",
        ),
        (
            "其人类ALK基因融合检测试剂盒(荧光PCR法)获批注册。",
            "人类ALK基因融合检测试剂盒(荧光PCR法)",
            "device_kit",
        ),
        ("其消融系统(型号:QF-ABL 1000)获批注册。", "QF-ABL 1000", "device_model"),
    ],
)
def test_devices_written_the_ways_the_press_writes_them(text, name, rule):
    found = {c.name: c for c in discovery.find(text)}
    assert (found[name].type, found[name].rule) == ("device", rule)
    assert not discovery.is_auto(found[name])  # classes of their own until measured


def test_a_company_named_before_a_device_description_is_the_device():
    found = {c.name: c for c in discovery.find("可与公司Meridia三维心脏电生理标测系统配合使用。")}
    assert found["Meridia"].type == "device"


def test_latin_legal_forms_keep_their_dot_and_give_the_short_name():
    found = {
        c.name: c
        for c in discovery.find("子公司Velora Medical Corp.与Biovanta Diagnostics S.p.A.合作。")
    }
    assert "Velora Medical Corp." in found
    assert "Biovanta" in found["Biovanta Diagnostics S.p.A."].aliases
