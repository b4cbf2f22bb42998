"""Defect 12: an entity could be its own parent, parent cycles were accepted, and ``facts``
nested thousands deep answered 409 "conflict" (blaming a concurrent edit) instead of 400."""

import json

import pytest
from django.core.exceptions import ValidationError

from bulletins.entities import would_cycle
from bulletins.models import Entity

from .factories import EntityFactory
from .test_api_writes import _first, client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def family(db):
    grand = EntityFactory(name="华润集团", slug="crc")
    parent = EntityFactory(name="华润医药", slug="crp", parent=grand)
    child = EntityFactory(name="华润医药投资", slug="crp-inv", parent=parent)
    return grand, parent, child


def test_cycle_rule(family):
    grand, parent, child = family
    assert would_cycle(grand, grand)
    assert would_cycle(grand, child)  # child → parent → grand → child
    assert not would_cycle(child, grand)


def test_model_validation_refuses_self_and_cycles(family):
    grand, _parent, child = family
    grand.parent = grand
    with pytest.raises(ValidationError) as excinfo:
        grand.full_clean()
    assert "parent" in excinfo.value.message_dict
    grand.parent = child
    with pytest.raises(ValidationError, match="循环"):
        grand.full_clean()


@pytest.mark.parametrize("target", ["crc", "crp-inv"])
def test_api_refuses_self_parent_and_cycles_with_400(family, chief, target):
    response = client_for(chief).patch("/api/v1/entities/crc/", {"parent": target}, format="json")
    assert response.status_code == 400, response.content
    assert "parent" in response.json()["field_errors"]
    assert Entity.objects.get(slug="crc").parent is None


def test_admin_refuses_self_parent(family, client, chief):
    grand, _parent, child = family
    client.force_login(chief)
    response = client.post(
        f"/admin/bulletins/entity/{grand.pk}/change/",
        {
            "type": grand.type,
            "name": grand.name,
            "slug": grand.slug,
            "parent": child.pk,
            "external_ids": "{}",
            "aliases-TOTAL_FORMS": "0",
            "aliases-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "parent" in response.context["adminform"].form.errors
    grand.refresh_from_db()
    assert grand.parent is None


def test_import_refuses_self_parent_and_a_cycle_with_its_row(family, chief):
    from bulletins.entities import EntityImportError, import_entities

    rows = [
        {"slug": "x-self", "type": "company", "name": "自指公司", "parent": "x-self"},
        {"slug": "crc", "type": "company", "name": "华润集团", "parent": "crp-inv"},
    ]
    with pytest.raises(EntityImportError) as excinfo:
        import_entities(rows, by=chief)
    assert excinfo.value.errors[0][0] == 1 and "自己" in excinfo.value.errors[0][1]
    assert excinfo.value.errors[1][0] == 2 and "循环" in excinfo.value.errors[1][1]
    assert not Entity.objects.filter(slug="x-self").exists()
    assert Entity.objects.get(slug="crc").parent is None


def deep(depth):
    return "{" + '"a":{' * depth + "}" * depth + "}"


@pytest.mark.parametrize("depth", [64, 3000])  # 3000 levels stay under the 20 kB facts limit
def test_deeply_nested_facts_are_invalid_not_a_conflict(draft_bulletin, editor, depth):
    item = _first(draft_bulletin)
    body = f'{{"version": {item.version}, "facts": {deep(depth)}}}'
    response = client_for(editor).generic(
        "PATCH", f"/api/v1/items/{item.pk}/", body, content_type="application/json"
    )
    assert response.status_code == 400, response.content
    payload = response.json()
    assert payload["code"] in {"invalid", "parse_error"}
    assert "嵌套" in payload["message"] or "facts" in payload["field_errors"]
    json.dumps(payload)
