"""Defects 1 and 2: four eyes on *content*, and re-review on every reader-visible change.

1. The chief edited the body of editor2's submitted item, editor2 then PATCHed only
   ``{"event_kind": "other"}``, and the chief could approve text he wrote himself: the rule
   looked only at who created or last edited the item. Now nobody who contributed to the
   item since its last approval (its creator, before any approval) may approve it.
2. Facts, round, sources, image and entity links changed after approval without re-review;
   only body/headline edits sent the item back. Now every reader-visible field does.
Through the services, the admin and the API alike.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from bulletins import entities, workflow
from bulletins.models import ItemStatus

from .factories import EntityFactory, UserFactory
from .test_admin_workflow import act_url, admin_form_data, change_url, messages_of
from .test_api_writes import client_for
from .test_images import image_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted(draft_bulletin, editor2, company_news):
    """An item editor2 wrote and submitted."""
    item = workflow.add_item(
        draft_bulletin, by=editor2, section=company_news, body="某公司宣布完成B轮融资。"
    )
    workflow.submit_item(item, by=editor2)
    item.refresh_from_db()
    return item


def _sidestep(item, chief, editor2):
    """The attack of defect 1: the chief rewrites, editor2 touches another field last."""
    item = workflow.edit_item(
        item, by=chief, expected_version=item.version, body="主编改写的正文。"
    )
    return workflow.edit_item(item, by=editor2, expected_version=item.version, event_kind="other")


def test_services_refuse_an_approver_who_wrote_part_of_the_text(submitted, chief, editor2):
    item = _sidestep(submitted, chief, editor2)
    assert item.updated_by == editor2  # the old rule's only witness
    assert not workflow.can_decide(chief, item)
    with pytest.raises(workflow.TransitionNotAllowed) as caught:
        workflow.approve_item(item, by=chief)
    assert caught.value.code == "forbidden" and "四眼" in caught.value.message
    with pytest.raises(workflow.TransitionNotAllowed):
        workflow.request_changes(item, by=chief, comment="自己退回自己的文字")


def test_api_refuses_the_sidestep_with_403(submitted, chief, editor2):
    api_chief = client_for(chief)
    response = api_chief.patch(
        f"/api/v1/items/{submitted.pk}/",
        {"version": submitted.version, "body": "主编改写的正文。"},
        format="json",
    )
    assert response.status_code == 200
    version = response.json()["version"]
    response = client_for(editor2).patch(
        f"/api/v1/items/{submitted.pk}/", {"version": version, "event_kind": "other"}, format="json"
    )
    assert response.status_code == 200
    response = api_chief.post(f"/api/v1/items/{submitted.pk}/approve/", {}, format="json")
    assert response.status_code == 403
    submitted.refresh_from_db()
    assert submitted.status == ItemStatus.SUBMITTED


def test_admin_refuses_the_sidestep(client, submitted, chief, editor2):
    item = _sidestep(submitted, chief, editor2)
    client.force_login(chief)
    assert "approve" not in client.get(change_url(item)).context["wf_item_actions"]
    response = client.post(act_url(item, "approve"), follow=True)
    assert any("四眼" in m for m in messages_of(response))
    queue = client.get(reverse("admin:bulletins_item_review"))
    assert item not in queue.context["items"]
    item.refresh_from_db()
    assert item.status == ItemStatus.SUBMITTED


def test_a_third_person_may_approve_and_an_approval_resets_the_contributors(
    submitted, chief, editor2, reviewer
):
    item = _sidestep(submitted, chief, editor2)
    workflow.approve_item(item, by=reviewer)  # reviewed by someone who wrote none of it
    item.refresh_from_db()
    item = workflow.edit_item(item, by=editor2, expected_version=item.version, facts={"轮次": "B"})
    assert item.status == ItemStatus.SUBMITTED
    # Since the approval only editor2 changed it: the chief may now review that change.
    assert workflow.can_decide(chief, item)
    assert not workflow.can_decide(editor2, item)


READER_VISIBLE = {
    "body": "改过的正文。",
    "headline": "改过的标题",
    "facts": {"金额": "2亿元"},
    "financing_round": "C",
    "event_kind": "financing",
    "sources": ["https://example.com/changed"],
}


@pytest.fixture
def approved(submitted, reviewer):
    item = workflow.approve_item(submitted, by=reviewer)
    item.refresh_from_db()
    assert item.status == ItemStatus.APPROVED
    return item


@pytest.mark.parametrize(("field", "value"), READER_VISIBLE.items(), ids=READER_VISIBLE)
def test_every_reader_visible_change_sends_an_approved_item_back(approved, editor, field, value):
    item = workflow.edit_item(
        approved, by=editor, expected_version=approved.version, **{field: value}
    )
    assert item.status == ItemStatus.SUBMITTED, field


@pytest.mark.parametrize(("field", "value"), READER_VISIBLE.items(), ids=READER_VISIBLE)
def test_the_api_patch_of_defect_2_sends_it_back(approved, editor, field, value):
    response = client_for(editor).patch(
        f"/api/v1/items/{approved.pk}/", {"version": approved.version, field: value}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "submitted"


def test_a_layout_change_keeps_the_approval(approved, editor):
    item = workflow.edit_item(approved, by=editor, expected_version=approved.version, position=9)
    assert item.status == ItemStatus.APPROVED


def test_an_admin_facts_edit_sends_it_back(client, approved, editor):
    client.force_login(editor)
    data = admin_form_data(client.get(change_url(approved)))
    data["financing_round"] = "D"
    response = client.post(change_url(approved), data)
    assert response.status_code == 302, response.context and response.context["errors"]
    approved.refresh_from_db()
    assert (approved.financing_round, approved.status) == ("D", ItemStatus.SUBMITTED)


def test_an_image_change_sends_it_back(client, approved, editor, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(editor)
    data = admin_form_data(client.get(change_url(approved)))
    data["image"] = SimpleUploadedFile("new.png", image_bytes("PNG"))
    response = client.post(change_url(approved), data)
    assert response.status_code == 302
    approved.refresh_from_db()
    assert approved.image and approved.status == ItemStatus.SUBMITTED


def test_a_public_entity_link_change_sends_it_back(approved, editor):
    entity = EntityFactory(name="新链接公司", slug="new-link")
    entities.link(approved, entity, by=editor, is_confirmed=True)
    approved.refresh_from_db()
    assert approved.status == ItemStatus.SUBMITTED
    # …and the one who linked it is a contributor: they may not approve it.
    chief = UserFactory(username="chief-links", role="主编")
    entities.unlink(approved, entity, by=chief)
    approved.refresh_from_db()
    assert not workflow.can_decide(chief, approved)
