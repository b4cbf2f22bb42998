"""An import creates and links the high-confidence discoveries (issue #15): names the gazetteer
does not know, found by a rule class measured precise enough (``discovery.AUTO_RULES``)."""

import re

import pytest
from django.urls import reverse

from bulletins import entities
from bulletins.admin.importing import digest
from bulletins.importers.service import import_issue, plan_import, save_plan
from bulletins.models import DismissedCandidate, Entity, ItemEntity, LinkSource
from bulletins.roles import TransitionNotAllowed

from .factories import EntityFactory

TEXT = (
    "启析生物完成A轮融资 | 日报\n"
    "(医药健闻2026年6月2日讯)\n"
    "\n"
    "企业动态\n"
    "杭州启析生物科技有限公司宣布完成1亿元人民币A轮融资,由元启资本领投,资金用于抗体药物研发。\n"
    "启析生物科技的QX-2107获国家药监局批准开展临床试验,这是该公司首个进入临床的品种。\n"
)
COMPANY = "杭州启析生物科技有限公司"  # named by its legal name; the short form an alias
SHORT_NAME = "启析生物科技"


def links_of(entity):
    return ItemEntity.objects.filter(entity=entity).order_by("item__position")


def test_import_creates_the_discoveries_and_links_them_confirmed(editor):
    bulletin = import_issue(TEXT, by=editor).bulletin
    company = Entity.objects.get(name=COMPANY, type="company")
    assert company.is_discovered
    assert set(company.aliases.values_list("alias", flat=True)) == {SHORT_NAME}
    # both items: the legal name in the first, the short form (a weaker rule) in the second
    assert [(link.item.position, link.is_confirmed, link.source) for link in links_of(company)] == [
        (1, True, LinkSource.LINKER),
        (2, True, LinkSource.LINKER),
    ]
    investor = Entity.objects.get(name="元启资本", type="investor")
    assert investor.is_discovered
    assert links_of(investor).get().role == "lead_investor"  # the facts' role, as printed
    assert Entity.objects.get(name="QX-2107", type="drug").is_discovered
    assert bulletin.items.count() == 2


def test_an_unticked_discovery_stays_a_candidate(editor):
    plan = plan_import(TEXT)
    keys = {d.key for d in plan.discoveries}
    assert f"company:{COMPANY}" in keys
    bulletin = save_plan(plan, by=editor, discoveries=keys - {f"company:{COMPANY}"}).bulletin
    assert not Entity.objects.filter(name=COMPANY).exists()
    assert Entity.objects.filter(name="元启资本").exists()
    first = bulletin.items.get(position=1)
    assert any(COMPANY in c.names for c in entities.item_candidates(first))


def test_a_dismissed_name_is_never_created(editor):
    entities.dismiss_candidate(COMPANY, by=editor)
    plan = plan_import(TEXT)
    assert f"company:{COMPANY}" not in {d.key for d in plan.discoveries}
    import_issue(TEXT, by=editor)
    assert not Entity.objects.filter(name=COMPANY).exists()


def test_a_name_dismissed_after_the_preview_is_not_created_on_save(editor):
    plan = plan_import(TEXT)
    DismissedCandidate.objects.create(name=SHORT_NAME)  # an alias of the discovery
    save_plan(plan, by=editor)
    assert not Entity.objects.filter(name=COMPANY).exists()
    assert Entity.objects.filter(name="元启资本").exists()


def test_an_existing_live_entity_of_that_type_and_name_is_reused(editor):
    plan = plan_import(TEXT)  # planned before the entity existed (e.g. another import)
    existing = EntityFactory(name=COMPANY, type="company")
    save_plan(plan, by=editor)
    assert Entity.objects.filter(name=COMPANY).count() == 1
    assert links_of(existing).count() == 2
    existing.refresh_from_db()
    assert not existing.is_discovered  # it was the chief editor's, not a discovery


def test_an_entity_named_so_in_another_case_or_by_an_alias_is_reused(editor):
    plan = plan_import(TEXT)
    existing = EntityFactory(name="启析", type="company", name_en="Qixi Bio")
    existing.aliases.create(alias=SHORT_NAME)
    save_plan(plan, by=editor)
    assert not Entity.objects.filter(name=COMPANY).exists()  # the one rule of find_by_name
    assert links_of(existing).count() == 2


def test_a_name_two_entities_share_is_left_to_the_editor(editor):
    plan = plan_import(TEXT)
    for name in ("启析甲", "启析乙"):
        EntityFactory(name=name, type="company").aliases.create(alias=SHORT_NAME)
    bulletin = save_plan(plan, by=editor).bulletin
    assert not Entity.objects.filter(name=COMPANY).exists()
    first = bulletin.items.get(position=1)
    assert not ItemEntity.objects.filter(item=first, entity__name__startswith="启析").exists()


def test_entities_named_reads_names_english_names_and_aliases_in_two_queries(
    db, django_assert_num_queries
):
    a = EntityFactory(name="甲乙", type="company", name_en="Jiayi Bio")
    a.aliases.create(alias="JY")
    with django_assert_num_queries(2):
        named = entities.entities_named(["甲乙", "jiayi bio", "jy", "丙丁"])
    assert named == {"甲乙": [a], "jiayi bio": [a], "jy": [a], "丙丁": []}


def test_a_discovered_entity_of_a_draft_is_not_public(client, editor):
    import_issue(TEXT, by=editor)
    company = Entity.objects.get(name=COMPANY)
    assert company not in Entity.objects.public()
    assert client.get(company.get_absolute_url()).status_code == 404
    api = client.get("/api/v1/entities/", {"search": COMPANY})
    assert COMPANY not in api.text


def test_a_discovered_entity_is_public_once_its_item_is_published(editor, reviewer, chief):
    from bulletins import workflow

    bulletin = import_issue(TEXT, by=editor).bulletin
    for item in bulletin.items.all():
        workflow.submit_item(item, by=editor)
        workflow.approve_item(item, by=reviewer)
    workflow.publish(bulletin, by=chief)
    assert Entity.objects.public().filter(name=COMPANY).exists()


def test_an_editor_may_create_discoveries_a_reviewer_may_not(editor, reviewer):
    plan = plan_import(TEXT)
    with pytest.raises(TransitionNotAllowed):
        entities.create_discovered(plan.discoveries, by=reviewer)
    assert not Entity.objects.filter(is_discovered=True).exists()
    with pytest.raises(TransitionNotAllowed):
        import_issue(TEXT, by=reviewer)
    assert set(entities.create_discovered(plan.discoveries, by=editor)) == {
        d.key for d in plan.discoveries
    }


def test_only_the_chief_editor_marks_discoveries_curated(editor, chief):
    import_issue(TEXT, by=editor)
    discovered = Entity.objects.filter(is_discovered=True)
    with pytest.raises(TransitionNotAllowed):
        entities.mark_curated(discovered, by=editor)
    assert entities.mark_curated(discovered, by=chief) == 3
    assert not Entity.objects.filter(is_discovered=True).exists()


def test_preview_shows_each_discovery_ticked_and_saves_only_the_ticked_ones(client, editor):
    url = reverse("bulletin_import")
    client.force_login(editor)
    preview = client.post(url, {"text": TEXT, "preview": "1"})
    assert preview.status_code == 200
    assert f'name="discover" value="company:{COMPANY}"' in preview.text
    assert 'value="investor:元启资本" id="discover-' in preview.text
    # each box ticked by default (not just any "checked" on the page: radio widgets have it)
    boxes = re.findall(r'<input type="checkbox" name="discover"[^>]*>', preview.text)
    assert len(boxes) == 3 and all(box.endswith(" checked>") for box in boxes)
    response = client.post(
        url,
        {
            "text": TEXT,
            "save": "1",
            "previewed": digest(TEXT),
            "discover": ["investor:元启资本", "drug:QX-2107"],  # the company unticked
        },
    )
    assert response.status_code == 302
    assert not Entity.objects.filter(name=COMPANY).exists()
    assert set(Entity.objects.filter(is_discovered=True).values_list("name", flat=True)) == {
        "元启资本",
        "QX-2107",
    }


def test_the_chief_editor_filters_the_discoveries_to_curate(client, editor, chief):
    import_issue(TEXT, by=editor)
    EntityFactory(name="别的公司", type="company")
    client.force_login(chief)
    response = client.get(reverse("admin:bulletins_entity_changelist"), {"discovered": "yes"})
    assert response.status_code == 200
    assert "自动发现,待整理" in response.text
    assert COMPANY in response.text and "别的公司" not in response.text


def test_the_api_import_creates_the_discoveries(editor):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(editor)
    response = client.post("/api/v1/bulletins/import/", {"text": TEXT}, format="json")
    assert response.status_code == 201, response.content
    assert Entity.objects.get(name=COMPANY).is_discovered


def test_the_import_command_creates_the_discoveries(editor, tmp_path):
    from io import StringIO

    from django.core.management import call_command

    path = tmp_path / "2026-06-02.txt"
    path.write_text(TEXT, encoding="utf-8")
    call_command(
        "import_bulletin", str(path), "--by", editor.username, "--no-progress", stdout=StringIO()
    )
    assert Entity.objects.get(name=COMPANY).is_discovered


@pytest.mark.parametrize("n", [2, 6])
def test_creating_discoveries_costs_the_same_queries_for_few_or_many(
    editor, n, django_assert_num_queries
):
    from bulletins.importers.service import PlannedDiscovery

    found = [
        PlannedDiscovery(
            f"company:甲{i}生物科技有限公司",
            f"甲{i}生物科技有限公司",
            "company",
            "company_legal",
            aliases=[f"甲{i}生物科技"],
        )
        for i in range(n)
    ]
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()
    # savepoint, role, dismissed names, names, aliases, free slugs, entities, aliases,
    # content type, log, release
    with django_assert_num_queries(11):
        created = entities.create_discovered(found, by=editor)
    assert len({e.pk for e in created.values()}) == n
    assert Entity.objects.filter(is_discovered=True).count() == n


def test_the_discovered_flag_is_not_a_form_field_the_action_is_the_one_way(client, editor, chief):
    """Clearing the flag is the chief's logged action (entities.mark_curated): the change form
    shows it read-only, so saving the form cannot untick it on the side."""
    import_issue(TEXT, by=editor)
    company = Entity.objects.get(name=COMPANY)
    client.force_login(chief)
    response = client.get(reverse("admin:bulletins_entity_change", args=[company.pk]))
    assert response.status_code == 200
    assert "is_discovered" not in response.context["adminform"].form.fields
    assert "自动发现,待整理" in response.content.decode()


def test_the_admin_history_names_the_rule_in_chinese(editor):
    import json

    from django.contrib.admin.models import LogEntry

    from bulletins import discovery

    import_issue(TEXT, by=editor)
    company = Entity.objects.get(name=COMPANY)
    entry = LogEntry.objects.get(object_id=str(company.pk))
    note = json.loads(entry.change_message)[0]["changed"]["note"]
    assert note == f"导入日报时自动发现(规则:{discovery.RULES['company_legal']})"


def test_a_discovery_whose_slug_is_taken_gets_the_next_number(editor):
    from bulletins.importers.service import PlannedDiscovery

    EntityFactory(name="别的甲", slug="jia-sheng-wu-ke-ji-you-xian-gong-si")
    EntityFactory(name="别的乙", slug="jia-sheng-wu-ke-ji-you-xian-gong-si-2")
    found = [
        PlannedDiscovery(f"company:{name}", name, "company", "company_legal")
        for name in ("甲生物科技有限公司", "贾生物科技有限公司")  # the same pinyin
    ]
    created = entities.create_discovered(found, by=editor)
    assert [e.slug for e in created.values()] == [
        "jia-sheng-wu-ke-ji-you-xian-gong-si-3",
        "jia-sheng-wu-ke-ji-you-xian-gong-si-4",
    ]
