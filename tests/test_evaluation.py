"""evaluate_linking: the arithmetic on a two-item fixture, and nothing is saved."""

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from bulletins.models import Bulletin, Entity

from .factories import EntityAliasFactory, EntityFactory

ISSUE = (
    "甲乙生物完成1亿元A轮融资;国家药监局批准罗氏新药 | 日报\n"
    "(医药健闻2026年6月1日讯)\n"
    "\n"
    "企业动态\n"
    "甲乙生物宣布完成1亿元人民币A轮融资,由丙丁资本领投,资金用于新药研发和团队建设。\n"
    "国家药监局批准罗氏的XYZ1234上市,这是该药在中国获批的首个适应症,公司将尽快上市。\n"
)
GOLD = {
    "date": "2026-06-01",
    "items": [
        {
            "n": 1,
            "starts": "甲乙生物宣布完成1亿元人民",
            "entities": [
                {"type": "company", "names": ["甲乙生物"]},
                {"type": "investor", "names": ["丙丁资本"]},
            ],
            "event_kind": "financing",
            "facts": {
                "amount": {"amount": 100000000, "currency": "CNY", "approximate": False},
                "round": "A",
                "lead_investors": ["丙丁资本"],
            },
        },
        {
            "n": 2,
            "starts": "国家药监局批准罗氏的XYZ1",
            "entities": [
                {"type": "regulator", "names": ["国家药监局"]},
                {"type": "company", "names": ["罗氏"]},
                {"type": "drug", "names": ["XYZ1234"]},
            ],
            "event_kind": "approval",
            "facts": {"regulator": "NMPA", "decision": "ind"},
        },
    ],
}


@pytest.fixture
def evaluation_dir(tmp_path, db):
    folder = tmp_path / "tuning"
    folder.mkdir()
    (folder / "2026-06-01.txt").write_text(ISSUE, encoding="utf-8")
    (folder / "2026-06-01.gold.json").write_text(json.dumps(GOLD, ensure_ascii=False), "utf-8")
    nmpa = EntityFactory(name="国家药品监督管理局", type="regulator")
    EntityAliasFactory(entity=nmpa, alias="国家药监局")
    EntityFactory(name="罗氏", type="company")
    EntityFactory(name="上市", type="institution")  # a wrong link the gold does not expect
    return tmp_path


def run(evaluation_dir, *args):
    from io import StringIO

    out = StringIO()
    call_command(
        "evaluate_linking",
        "--part",
        "tuning",
        "--dir",
        str(evaluation_dir),
        "--no-gazetteer",
        *args,
        stdout=out,
        stderr=StringIO(),
    )
    return out.getvalue()


def test_the_figures_add_up(evaluation_dir):
    lines = [line.split() for line in run(evaluation_dir).splitlines()]
    text = {" ".join(words[:2]): words for words in lines}
    # gazetteer links: 国家药监局 ✓, 罗氏 ✓, 上市 ✗ → precision 2/3; 2 of 5 gold entities
    assert text["gazetteer only"][2:] == [
        "precision",
        "0.667",
        "(2/3)",
        "recall",
        "0.400",
        "(2/5)",
    ]
    # automatic links add the discoveries an import creates: 丙丁资本 (由…领投) and XYZ1234
    # (a code next to 批准…上市) → 4/5 and 4/5; 甲乙生物 (the subject, by its ending) stays a candidate
    assert text["automatic links"][2:] == [
        "precision",
        "0.800",
        "(4/5)",
        "recall",
        "0.800",
        "(4/5)",
    ]
    assert text["discoveries created"][2:] == ["precision", "1.000", "(2/2)"]
    # per class: the candidates the linker leaves, then every span the rule reads
    rules = {words[1]: words[2:] for words in lines if words and words[0] == "auto"}
    assert rules["investor_role"] == ["1.000", "(1/1)", "1.000", "(1/1)"]
    assert rules["code_drug_context"] == ["1.000", "(1/1)", "1.000", "(1/1)"]
    classes = {words[0]: words[1:] for words in lines if len(words) == 5}
    # 甲乙生物宣布…: a company as the subject of the news, a candidate (not auto); 国家药监局
    # is read as a regulator by its ending too, a name the gazetteer knows
    assert classes["company_subject"] == ["1.000", "(1/1)", "1.000", "(1/1)"]
    assert classes["regulator_suffix"] == ["-", "(0/0)", "1.000", "(1/1)"]
    # candidates add 甲乙生物, 丙丁资本 and XYZ1234 → 5/5
    assert text["links +"][3:] == ["recall", "1.000", "(5/5)"]
    by_type = {
        words[0]: words[1:]
        for words in lines
        if words and words[0] in ("company", "drug", "institution")
    }
    assert by_type["company"] == ["1.000", "(1/1)", "0.500", "(1/2)", "1.000", "(2/2)"]
    assert by_type["drug"] == ["1.000", "(1/1)", "1.000", "(1/1)", "1.000", "(1/1)"]
    assert by_type["institution"][:2] == ["0.000", "(0/1)"]  # the wrong link, by its own type
    fields = {words[0]: words[1:] for words in lines if len(words) == 3}
    for name in ("amount", "currency", "round", "lead_investors", "regulator"):
        assert fields[name] == ["1.000", "(1/1)"], name
    assert fields["decision"] == ["0.000", "(0/1)"]  # 批准…上市 is an approval, the gold says ind
    assert text["event kind"][-2:] == ["1.000", "(2/2)"]


def test_nothing_is_saved(evaluation_dir):
    run(evaluation_dir)
    Entity.objects.all().delete()  # the shipped gazetteer names some of the fixture's entities
    call_command(
        "evaluate_linking",
        "--part",
        "tuning",
        "--dir",
        str(evaluation_dir),
        stdout=__import__("io").StringIO(),
        stderr=__import__("io").StringIO(),
    )  # with the shipped gazetteer loaded inside the rolled-back transaction
    assert Entity.objects.count() == 0
    assert not Bulletin.objects.exists()


def test_a_gold_file_out_of_line_is_refused_with_where_and_why(evaluation_dir):
    gold = evaluation_dir / "tuning" / "2026-06-01.gold.json"
    broken = json.loads(gold.read_text("utf-8"))
    broken["items"][1]["starts"] = "别的条目"
    gold.write_text(json.dumps(broken, ensure_ascii=False), "utf-8")
    with pytest.raises(CommandError, match="2026-06-01.gold.json: item 2 starts"):
        run(evaluation_dir)


def test_misses_are_for_tuning_only(evaluation_dir):
    with pytest.raises(CommandError, match="tuning only"):
        call_command("evaluate_linking", "--part", "all", "--misses", "--dir", str(evaluation_dir))
    assert "wrong link: 上市" in run(evaluation_dir, "--misses")


@pytest.mark.django_db
def test_auto_rules_are_exactly_the_classes_measured_precise_enough_on_tuning():
    # AUTO_RULES is chosen on the tuning part only (never holdout): ≥ 0.98 with ≥ 5 candidates
    from django.conf import settings

    from bulletins import discovery, evaluation
    from bulletins.entities import load_gazetteer

    load_gazetteer()
    score = evaluation.evaluate_part(Path(settings.BASE_DIR) / "evaluation", "tuning")
    assert discovery.AUTO_RULES == evaluation.measured_auto_rules(score)


def test_the_shipped_gazetteer_is_scored_alone_and_the_database_is_left_as_it_was(
    evaluation_dir,
):
    # The fixture's "上市" (a wrong link against the database's own entities) is set aside
    # when the shipped gazetteer is scored, and comes back afterwards.
    from io import StringIO

    out, err = StringIO(), StringIO()
    call_command(
        "evaluate_linking",
        "--part",
        "tuning",
        "--dir",
        str(evaluation_dir),
        "--misses",
        stdout=out,
        stderr=err,
    )
    assert "set aside for this run" in err.getvalue()
    assert "wrong link: 上市" not in out.getvalue()
    assert Entity.objects.filter(name="上市").exists()
