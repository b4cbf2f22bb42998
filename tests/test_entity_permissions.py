"""Defect 13: a staff user with no role exported every entity (unpublished-only ones too) as
CSV from the admin while the entity list was 403 for them; editors could create entities in
the admin but not through the API. One rule now (workflow "create_entity"), one answer."""

import pytest

from bulletins.models import Entity

from .factories import EntityFactory
from .test_api_writes import client_for

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_a_staff_user_without_a_role_cannot_export_entities(client, nobody, fmt):
    EntityFactory(name="只在草稿中出现的公司", slug="draft-only")
    client.force_login(nobody)
    response = client.get(f"/admin/bulletins/entity/export/?format={fmt}")
    assert response.status_code == 403
    assert "只在草稿中出现的公司" not in response.content.decode()
    assert client.get("/admin/bulletins/entity/").status_code == 403


def test_an_editor_still_exports(client, editor):
    EntityFactory(name="某公司", slug="some-co")
    client.force_login(editor)
    response = client.get("/admin/bulletins/entity/export/?format=csv")
    assert response.status_code == 200 and "某公司" in response.content.decode()


ROLES = {"editor": True, "chief": True, "reviewer": False, "nobody": False}


@pytest.mark.parametrize(("role", "allowed"), ROLES.items())
def test_creating_an_entity_has_one_answer_in_admin_and_api(client, request, role, allowed):
    user = request.getfixturevalue(role)
    api = client_for(user).post(
        "/api/v1/entities/", {"type": "company", "name": f"{role}公司"}, format="json"
    )
    assert (api.status_code == 201) is allowed, api.content
    assert (api.status_code == 403) is not allowed
    client.force_login(user)
    admin = client.post(
        "/admin/bulletins/entity/add/",
        {
            "type": "company",
            "name": f"{role}药业",
            "slug": "",
            "external_ids": "{}",
            "aliases-TOTAL_FORMS": "0",
            "aliases-INITIAL_FORMS": "0",
        },
    )
    assert (admin.status_code == 302) is allowed
    assert (admin.status_code == 403) is not allowed
    assert Entity.objects.filter(name__startswith=role).count() == (2 if allowed else 0)
