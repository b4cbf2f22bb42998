import json

import pytest
from django.core.management import call_command

from bulletins import entities, linking
from bulletins.entities import (
    EntityImportError,
    auto_link,
    create_entity_from_name,
    export_entities,
    import_entities,
    link,
    load_gazetteer,
    merge,
    read_rows,
    to_csv,
    to_json,
    unlink,
)
from bulletins.models import Entity, EntityAlias, ItemEntity
from bulletins.workflow import TransitionNotAllowed

from .factories import EntityAliasFactory, EntityFactory, ItemFactory


@pytest.fixture
def item(draft_bulletin):
    return draft_bulletin.items.get(body="恒瑞医药新药获批。")


# ----------------------------------------------------------------------------- gazetteer


def test_gazetteer_has_at_least_sixty_entities_with_parents_and_former_names(db):
    report = load_gazetteer()
    assert len(report.created) >= 60
    assert Entity.objects.get(slug="cr-pharma-investment").parent.slug == "cr-pharma"
    assert EntityAlias.objects.get(alias="德度司他").entity.name == "德昔度司他"
    assert Entity.objects.get(slug="vg081821").type == "drug"
    assert EntityAlias.objects.get(alias="TJ-CD4B").kind == "code"
    assert {"nmpa", "cde", "fda", "aifa", "ema"} <= set(
        Entity.objects.filter(type="regulator").values_list("slug", flat=True)
    )


def test_loading_the_gazetteer_twice_changes_nothing(db):
    load_gazetteer()
    counts = (Entity.objects.count(), EntityAlias.objects.count())
    report = load_gazetteer()
    assert report.created == [] and report.aliases_added == 0
    assert (Entity.objects.count(), EntityAlias.objects.count()) == counts


def test_shipped_gazetteer_data_is_valid():
    """Every slug unique, types valid, parents present, no name shared unless marked ambiguous."""
    rows = entities.gazetteer_rows()
    assert len(rows) >= 1500
    assert entities.check_gazetteer(rows) == []


def test_gazetteer_check_finds_each_kind_of_problem():
    rows = [
        {"slug": "a", "type": "company", "name": "甲生物", "aliases": ["甲方"]},
        {"slug": "a", "type": "company", "name": "乙生物"},
        {"slug": "b", "type": "planet", "name": "丙", "parent": "zzz"},
        {"slug": "c", "type": "company", "name": "丁医药", "aliases": {"zh": ["甲方"]}},
        {
            "slug": "d",
            "type": "investor",
            "name": "戊资本",
            "aliases": ["甲方"],
            "ambiguous": ["甲方"],
        },
    ]
    problems = entities.check_gazetteer(rows)
    assert "slug 'a' twice (rows 1 and 2)" in problems
    assert "b: unknown type 'planet'" in problems
    assert "b: parent 'zzz' does not exist" in problems
    assert "name '甲方' of a, c not marked ambiguous" in problems
    rows[3]["ambiguous"] = ["甲方"]
    assert not any("甲方" in p for p in entities.check_gazetteer(rows))


def test_the_gazetteer_folder_is_loaded_with_ambiguous_marks(db, tmp_path):
    (tmp_path / "a.json").write_text(
        json.dumps(
            [
                {
                    "slug": "xin-bio",
                    "type": "company",
                    "name": "信达生物",
                    "aliases": ["信达"],
                    "ambiguous": ["信达"],
                },
                {"slug": "xin-cap", "type": "investor", "name": "信达资本", "parent": "xin-bio"},
            ],
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    (tmp_path / "b.json").write_text(
        json.dumps([{"slug": "yi", "type": "drug", "name": "乙药", "aliases": ["YI-101"]}]),
        encoding="utf-8",
    )
    report = load_gazetteer(tmp_path)
    assert sorted(report.created) == ["xin-bio", "xin-cap", "yi"]
    assert EntityAlias.objects.get(alias="信达").is_ambiguous
    assert not EntityAlias.objects.get(alias="YI-101").is_ambiguous
    assert Entity.objects.get(slug="xin-cap").parent.slug == "xin-bio"
    again = load_gazetteer(tmp_path)
    assert (again.created, again.updated, again.aliases_added) == ([], [], 0)


def test_loading_costs_the_same_queries_for_ten_or_a_hundred_entities(db):
    """Bulk writes: the query count does not grow with the number of rows."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def rows(n, prefix):
        return [
            {
                "slug": f"{prefix}-{i}",
                "type": "company",
                "name": f"{prefix}公司{i}",
                "aliases": [f"{prefix.upper()}{i}X"],
                "parent": f"{prefix}-0" if i else "",
            }
            for i in range(n)
        ]

    with CaptureQueriesContext(connection) as small:
        import_entities(rows(10, "s"), by=None)
    with CaptureQueriesContext(connection) as large:
        import_entities(rows(100, "l"), by=None)
    assert len(large) == len(small)
    assert Entity.objects.filter(parent__slug="l-0").count() == 99


def test_load_gazetteer_command(db, capsys):
    call_command("load_gazetteer")
    assert "created" in capsys.readouterr().out
    assert Entity.objects.filter(slug="gsk").exists()


# ----------------------------------------------------------------------------- links


def test_editor_links_and_unlinks_an_entity(item, editor):
    hengrui = EntityFactory(name="恒瑞医药", slug="hengrui")
    row = link(item, hengrui, by=editor)
    assert row.is_confirmed and row.source == "editor"
    assert unlink(item, hengrui, by=editor) is True
    assert not ItemEntity.objects.filter(item=item).exists()


def test_linking_twice_keeps_one_row_and_confirms_it(item, editor):
    hengrui = EntityFactory(name="恒瑞医药", slug="hengrui")
    link(item, hengrui, by=editor, source="linker", is_confirmed=False)
    link(item, hengrui, by=editor)
    assert ItemEntity.objects.get(item=item, entity=hengrui).is_confirmed


def test_reviewer_cannot_link_entities(item, reviewer):
    with pytest.raises(TransitionNotAllowed) as error:
        link(item, EntityFactory(), by=reviewer)
    assert error.value.code == "forbidden"


def test_editor_cannot_change_links_of_a_published_item(published_bulletin, editor, chief):
    item = published_bulletin.items.first()
    entity = EntityFactory()
    with pytest.raises(TransitionNotAllowed):
        link(item, entity, by=editor)
    assert link(item, entity, by=chief).is_confirmed


def test_auto_link_stores_unconfirmed_linker_suggestions(item, editor):
    EntityFactory(name="恒瑞医药", slug="hengrui")
    [row] = auto_link(item, by=editor)
    assert (row.entity.slug, row.source, row.is_confirmed) == ("hengrui", "linker", False)
    assert auto_link(item, by=editor) == []


def test_pending_suggestions_leave_out_confirmed_links(item, editor):
    hengrui = EntityFactory(name="恒瑞医药", slug="hengrui")
    assert [s.entity for s in entities.pending_suggestions(item)] == [hengrui]
    link(item, hengrui, by=editor)
    assert entities.pending_suggestions(item) == []


def test_a_selected_name_becomes_a_linked_entity(item, editor):
    entity, created = create_entity_from_name(item, by=editor, name="恒瑞医药", type="company")
    assert created and entity.slug == "heng-rui-yi-yao"
    assert ItemEntity.objects.get(item=item, entity=entity).is_confirmed
    assert [s.entity for s in linking.suggest("恒瑞医药宣布")] == [entity]


def test_a_selected_known_name_reuses_the_entity(item, editor):
    hengrui = EntityFactory(name="恒瑞医药", slug="hengrui")
    entity, created = create_entity_from_name(item, by=editor, name="恒瑞医药", type="company")
    assert (entity, created) == (hengrui, False)
    assert Entity.objects.count() == 1


def test_a_selected_name_must_be_in_the_item(item, editor):
    with pytest.raises(TransitionNotAllowed) as error:
        create_entity_from_name(item, by=editor, name="罗氏", type="company")
    assert error.value.code == "invalid"


# ----------------------------------------------------------------------------- merge


def test_merge_keeps_every_link(chief, draft_bulletin):
    items = list(draft_bulletin.items.all())
    source = EntityFactory(name="葛兰素史", slug="gsk-dup")
    target = EntityFactory(name="葛兰素史克", slug="gsk")
    for it in items:
        ItemEntity.objects.create(item=it, entity=source, is_confirmed=False, role="investor")
    ItemEntity.objects.create(item=items[0], entity=target, is_confirmed=False)
    merge(source, target, by=chief)
    assert set(ItemEntity.objects.filter(entity=target).values_list("item_id", flat=True)) == {
        it.pk for it in items
    }
    assert not ItemEntity.objects.filter(entity=source).exists()
    assert ItemEntity.objects.filter(item=items[0]).count() == 1
    assert ItemEntity.objects.get(item=items[0], entity=target).role == "investor"


def test_merge_moves_aliases_and_the_source_name_becomes_an_alias(chief):
    source = EntityFactory(name="葛兰素史", slug="gsk-dup", name_en="GlaxoSmithKline")
    target = EntityFactory(name="葛兰素史克", slug="gsk")
    EntityAliasFactory(entity=source, alias="GSK")
    EntityAliasFactory(entity=target, alias="GSK")
    merge(source, target, by=chief)
    assert sorted(target.aliases.values_list("alias", flat=True)) == [
        "GSK",
        "GlaxoSmithKline",
        "葛兰素史",
    ]
    assert [s.entity for s in linking.suggest("葛兰素史宣布")] == [target]


def test_merge_moves_children_and_collapses_earlier_merges(chief):
    source = EntityFactory(name="华润医药集团", slug="crp-dup")
    target = EntityFactory(name="华润医药", slug="crp")
    child = EntityFactory(name="华润医药投资", slug="crp-inv", parent=source)
    older = EntityFactory(name="华润医药老", slug="crp-old", merged_into=source)
    merge(source, target, by=chief)
    child.refresh_from_db()
    older.refresh_from_db()
    source.refresh_from_db()
    assert child.parent == target and older.merged_into == target
    assert source.merged_into == target


def test_the_old_slug_redirects_to_the_survivor(chief, client):
    source = EntityFactory(name="葛兰素史", slug="gsk-dup")
    target = EntityFactory(name="葛兰素史克", slug="gsk")
    merge(source, target, by=chief)
    response = client.get("/entities/gsk-dup/")
    assert response.status_code == 301 and response["Location"] == target.get_absolute_url()


def test_only_the_chief_editor_merges(editor):
    with pytest.raises(TransitionNotAllowed) as error:
        merge(EntityFactory(), EntityFactory(), by=editor)
    assert error.value.code == "forbidden"


def test_an_entity_cannot_be_merged_into_itself_or_twice(chief):
    a, b, c = EntityFactory(), EntityFactory(), EntityFactory()
    with pytest.raises(TransitionNotAllowed):
        merge(a, a, by=chief)
    merge(a, b, by=chief)
    with pytest.raises(TransitionNotAllowed):
        merge(a, c, by=chief)


# ----------------------------------------------------------------------------- import / export


def test_json_export_imports_back_identically(db):
    load_gazetteer()
    rows = export_entities()
    text = to_json(rows)
    Entity.objects.all().delete()
    import_entities(read_rows(text, format="json"), by=None)
    assert export_entities() == rows


def test_csv_export_imports_back_identically(db):
    parent = EntityFactory(name="华润医药", slug="crp")
    child = EntityFactory(name="华润医药投资", slug="crp-inv", parent=parent, ticker="X")
    EntityAliasFactory(entity=child, alias="CRPI", kind="abbr")
    rows = export_entities()
    text = to_csv(rows)
    Entity.objects.all().delete()
    import_entities(read_rows(text, format="csv"), by=None)
    assert export_entities() == rows


def test_a_bad_row_refuses_the_whole_file_with_its_number(db):
    rows = [
        {"slug": "ok", "type": "company", "name": "好公司"},
        {"slug": "bad", "type": "planet", "name": "火星"},
    ]
    with pytest.raises(EntityImportError) as error:
        import_entities(rows, by=None)
    assert [n for n, _reason in error.value.errors] == [2]
    assert not Entity.objects.exists()


def test_import_refuses_an_unknown_parent_and_a_name_clash(db):
    EntityFactory(name="罗氏", slug="roche")
    rows = [
        {"slug": "roche-2", "type": "company", "name": "罗氏"},
        {"slug": "x", "type": "company", "name": "某公司", "parent": "nowhere"},
    ]
    with pytest.raises(EntityImportError) as error:
        import_entities(rows, by=None)
    assert sorted(n for n, _reason in error.value.errors) == [1, 2]


def test_editor_cannot_import_entities(editor):
    with pytest.raises(TransitionNotAllowed):
        import_entities([{"type": "company", "name": "某公司"}], by=editor)


def test_export_and_import_commands(db, tmp_path, capsys):
    EntityFactory(name="罗氏", slug="roche", name_en="Roche")
    path = tmp_path / "entities.csv"
    call_command("export_entities", "--format", "csv", "--output", str(path))
    Entity.objects.all().delete()
    call_command("import_entities", str(path))
    assert Entity.objects.get(slug="roche").name_en == "Roche"
    capsys.readouterr()
    call_command("export_entities")
    assert json.loads(capsys.readouterr().out)[0]["slug"] == "roche"


def test_a_confirmed_link_reaches_search_ranking_once_committed(
    published_bulletin, chief, django_capture_on_commit_callbacks
):
    from bulletins.search import search_ids

    approved = published_bulletin.items.get(body="恒瑞医药新药获批。")
    other = published_bulletin.items.get(body="国家药监局批准一款新药。")
    before = search_ids("新药")
    assert set(before) == {approved.pk, other.pk}
    ranked_last = before[-1]
    # An entity whose name matches the query puts its linked item among the first hits.
    entity = EntityFactory(name="新药研发中心")
    target = published_bulletin.items.get(pk=ranked_last)
    with django_capture_on_commit_callbacks(execute=True):
        link(target, entity, by=chief)
    assert search_ids("新药")[0] == ranked_last
    with django_capture_on_commit_callbacks(execute=True):
        entities.unlink(target, entity, by=chief)
    assert search_ids("新药") == before


def test_demo_links_its_items_to_the_gazetteer(db):
    call_command("load_demo")
    from bulletins.demo import content

    published = ItemFactory._meta.model.objects.filter(bulletin__issued_on=content.PUBLISHED_ON)
    linked = published.filter(entity_links__is_confirmed=True).distinct().count()
    assert linked >= 10
    assert Entity.objects.get(slug="hengrui").items.filter(bulletin__issued_on=content.PUBLISHED_ON)
