import json

import pytest
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import reverse

from bulletins import entities
from bulletins.admin.entities import ItemEntityInline
from bulletins.models import Entity, Item, ItemEntity

from .factories import EntityAliasFactory, EntityFactory

CHANGELIST = "/admin/bulletins/entity/"


@pytest.fixture
def item(draft_bulletin):
    return draft_bulletin.items.get(body="恒瑞医药新药获批。")


@pytest.fixture
def hengrui(db):
    return EntityFactory(name="恒瑞医药", slug="hengrui", name_en="Hengrui")


def test_entity_list_shows_mention_counts_and_filters_by_type(
    client, chief, published_bulletin, hengrui
):
    # The column counts published mentions, from the read model the entity services keep.
    published = published_bulletin.items.get(body="恒瑞医药新药获批。")
    entities.link(published, hengrui, by=chief)
    EntityFactory(name="国家药品监督管理局", slug="nmpa", type="regulator")
    client.force_login(chief)
    response = client.get(CHANGELIST, {"type__exact": "regulator"})
    assert response.status_code == 200
    names = [e.name for e in response.context["cl"].result_list]
    assert names == ["国家药品监督管理局"]
    response = client.get(CHANGELIST, {"o": "-4"})
    first = response.context["cl"].result_list[0]
    assert (first.name, first.mention_count) == ("恒瑞医药", 1)


def test_editor_sees_the_list_but_not_the_merge_action(client, editor, hengrui):
    client.force_login(editor)
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    assert "merge_selected" not in dict(response.context["action_form"].fields["action"].choices)


def test_chief_merges_selected_entities_through_the_action(client, chief, item, hengrui):
    duplicate = EntityFactory(name="恒瑞", slug="hengrui-dup")
    ItemEntity.objects.create(item=item, entity=duplicate)
    client.force_login(chief)
    confirm = client.post(
        CHANGELIST,
        {"action": "merge_selected", ACTION_CHECKBOX_NAME: [hengrui.pk, duplicate.pk]},
    )
    assert confirm.status_code == 200 and "admin/bulletins/entity_merge.html" in [
        t.name for t in confirm.templates
    ]
    client.post(
        CHANGELIST,
        {
            "action": "merge_selected",
            ACTION_CHECKBOX_NAME: [hengrui.pk, duplicate.pk],
            "post": "yes",
            "target": hengrui.pk,
        },
    )
    duplicate.refresh_from_db()
    assert duplicate.merged_into == hengrui
    assert ItemEntity.objects.get(item=item).entity == hengrui


def test_chief_merges_one_entity_from_its_page(client, chief, hengrui):
    duplicate = EntityFactory(name="恒瑞", slug="hengrui-dup")
    client.force_login(chief)
    url = reverse("admin:bulletins_entity_merge", args=[duplicate.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"target": hengrui.pk})
    assert response.status_code == 302
    duplicate.refresh_from_db()
    assert duplicate.merged_into == hengrui


def test_editor_cannot_merge_from_the_entity_page(client, editor, hengrui):
    duplicate = EntityFactory(name="恒瑞", slug="hengrui-dup")
    client.force_login(editor)
    client.post(
        reverse("admin:bulletins_entity_merge", args=[duplicate.pk]), {"target": hengrui.pk}
    )
    duplicate.refresh_from_db()
    assert duplicate.merged_into is None


def test_a_suggestion_is_accepted_in_one_click(client, editor, item, hengrui):
    client.force_login(editor)
    response = client.post(
        reverse("admin:bulletins_entity_accept_suggestion"),
        {"item": item.pk, "entity": hengrui.pk},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:bulletins_item_change", args=[item.pk])
    link = ItemEntity.objects.get(item=item, entity=hengrui)
    assert link.is_confirmed and link.source == "linker"


def test_a_reviewer_cannot_accept_a_suggestion(client, reviewer, item, hengrui):
    client.force_login(reviewer)
    client.post(
        reverse("admin:bulletins_entity_accept_suggestion"),
        {"item": item.pk, "entity": hengrui.pk},
    )
    assert not ItemEntity.objects.filter(item=item).exists()


def test_a_selected_name_becomes_a_new_entity_from_the_item_form(client, editor, item):
    client.force_login(editor)
    client.post(
        reverse("admin:bulletins_entity_create_from_name"),
        {"item": item.pk, "name": "恒瑞医药", "type": "company", "next": "https://evil.example/"},
    )
    entity = Entity.objects.get(name="恒瑞医药")
    assert ItemEntity.objects.get(item=item).entity == entity


def test_the_item_form_shows_suggestions_with_one_click_accept(client, editor, item, hengrui):
    client.force_login(editor)
    response = client.get(reverse("admin:bulletins_item_change", args=[item.pk]))
    html = response.content.decode()
    assert "entity-suggestions" in html
    assert reverse("admin:bulletins_entity_accept_suggestion") in html
    assert f'name="entity" value="{hengrui.pk}"' in html


def test_the_suggestions_partial_offers_each_candidate_of_an_ambiguous_name(rf, item):
    from django.template.loader import render_to_string

    from bulletins.linking import suggest

    first, second = EntityFactory(name="甲", slug="a"), EntityFactory(name="乙", slug="b")
    EntityAliasFactory(entity=first, alias="恒瑞医药")
    EntityAliasFactory(entity=second, alias="恒瑞医药")
    html = render_to_string(
        "admin/bulletins/_entity_suggestions.html",
        {"item": item, "suggestions": suggest(item.body)},
        request=rf.get("/"),
    )
    assert html.count('name="entity"') == 2 and "有歧义" in html


def test_the_item_entity_inline_saves_through_the_services(item, editor, hengrui):
    request = RequestFactory().post("/")
    request.user = editor
    inline = ItemEntityInline(Item, admin.site)
    FormSet = inline.get_formset(request, item)
    prefix = FormSet.get_default_prefix()
    data = {
        f"{prefix}-TOTAL_FORMS": "1",
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-0-entity": str(hengrui.pk),
        f"{prefix}-0-role": "regulator",
        f"{prefix}-0-is_confirmed": "on",
    }
    formset = FormSet(data, instance=item, prefix=prefix)
    assert formset.is_valid(), formset.errors
    formset.save()
    link = ItemEntity.objects.get(item=item)
    assert (link.entity, link.role, link.is_confirmed) == (hengrui, "regulator", True)


def test_import_and_export_views(client, chief):
    client.force_login(chief)
    upload = SimpleUploadedFile(
        "entities.json",
        json.dumps([{"slug": "roche", "type": "company", "name": "罗氏"}]).encode(),
    )
    response = client.post(
        reverse("admin:bulletins_entity_import"), {"file": upload, "format": "json"}
    )
    assert response.status_code == 302
    exported = client.get(reverse("admin:bulletins_entity_export"), {"format": "json"})
    assert [row["slug"] for row in json.loads(exported.content)] == ["roche"]


def test_a_bad_import_shows_the_row_number_and_saves_nothing(client, chief):
    client.force_login(chief)
    upload = SimpleUploadedFile("entities.csv", "type,name\ncompany,好公司\nplanet,火星\n".encode())
    response = client.post(
        reverse("admin:bulletins_entity_import"), {"file": upload, "format": "csv"}
    )
    assert response.status_code == 200 and response.context["errors"][0][0] == 2
    assert not Entity.objects.exists()


def test_an_editor_adds_an_entity_without_a_slug(client, editor):
    client.force_login(editor)
    response = client.post(
        "/admin/bulletins/entity/add/",
        {
            "type": "company",
            "name": "春禾医药",
            "slug": "",
            "external_ids": "{}",
            "aliases-TOTAL_FORMS": "0",
            "aliases-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Entity.objects.get(name="春禾医药").slug == "chun-he-yi-yao"


def test_facts_are_filled_from_the_item_form(client, editor, draft_bulletin, company_news):
    from bulletins import workflow

    item = workflow.add_item(
        draft_bulletin, by=editor, section=company_news, body="某公司完成1.5亿元人民币B轮融资。"
    )
    client.force_login(editor)
    client.post(reverse("admin:bulletins_entity_apply_facts"), {"item": item.pk})
    item.refresh_from_db()
    assert (item.event_kind, item.financing_round) == ("financing", "B")
    assert item.facts["amounts"][0]["amount"] == 150_000_000
