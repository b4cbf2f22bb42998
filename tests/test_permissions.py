"""The permission matrix of the design: every role, a user in no group and an anonymous
visitor × every action — through the workflow services, and through the admin's HTTP endpoints.

The expected table is written out here from DESIGN.md, not derived from workflow.ACTIONS,
so that a change to the code's matrix cannot silently change what the tests expect.
"""

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from bulletins import sections, workflow
from bulletins.models import Bulletin, BulletinStatus, Item, ItemStatus, Section

from .test_admin_workflow import admin_form_data

pytestmark = pytest.mark.django_db

ROLES = ["editor", "reviewer", "chief", "nobody", "anonymous"]
E, R, C = "editor", "reviewer", "chief"
MATRIX = {
    "create_bulletin": {E, C},
    "add_item": {E, C},
    "edit_item": {E, C},
    "reorder": {E, C},
    "restore_revision": {E, C},
    "submit_item": {E, C},
    "submit_bulletin": {E, C},
    "spike": {E, C},
    "unspike": {E, C},
    "approve": {R, C},
    "request_changes": {R, C},
    "publish": {C},
    "schedule": {C},
    "unschedule": {C},
    "correct": {C},
    "retract": {C},
    "manage_sections": {C},
}
NEW_DAY = dt.date(2026, 3, 18)


@pytest.fixture
def actor(request, editor2, reviewer, chief, nobody):
    """The person trying the action — never the author of the items, so four eyes is not
    what decides here (it has its own tests)."""
    return {
        "editor": editor2,
        "reviewer": reviewer,
        "chief": chief,
        "nobody": nobody,
        "anonymous": AnonymousUser(),
    }[request.param]


class World:
    """Puts one issue in the state an action needs, acting as the fixtures' own staff."""

    def __init__(self, bulletin, editor, reviewer, chief):
        self.bulletin, self.editor, self.reviewer, self.chief = bulletin, editor, reviewer, chief

    @property
    def item(self) -> Item:
        return self.bulletin.items.in_issue_order().first()

    def in_review(self):
        workflow.submit_bulletin(self.bulletin, by=self.editor)
        return self

    def approved(self):
        self.in_review()
        for item in self.bulletin.items.all():
            workflow.approve_item(item, by=self.reviewer)
        return self

    def scheduled(self):
        self.approved()
        workflow.schedule(self.bulletin, by=self.chief, at=timezone.now() + dt.timedelta(hours=3))
        return self

    def published(self):
        self.approved()
        workflow.publish(self.bulletin, by=self.chief)
        return self

    def edited(self):
        item = self.item
        workflow.edit_item(item, by=self.editor, expected_version=item.version, body="第二版。")
        return self

    def spiked(self):
        workflow.spike_item(self.item, by=self.editor)
        return self

    def status(self) -> str:
        self.bulletin.refresh_from_db()
        return self.bulletin.status

    def item_status(self) -> str:
        return self.item.status


@pytest.fixture
def world(draft_bulletin, editor, reviewer, chief):
    return World(draft_bulletin, editor, reviewer, chief)


# Each action: how to prepare, how to do it through the service, and whether it happened.
def _prepare(world, action):
    return {
        "approve": world.in_review,
        "request_changes": world.in_review,
        "publish": world.approved,
        "schedule": world.approved,
        "unschedule": world.scheduled,
        "correct": world.published,
        "retract": world.published,
        "restore_revision": world.edited,
        "unspike": world.spiked,
    }.get(action, lambda: world)()


def _happened(world, action) -> bool:
    w = world
    return {
        "create_bulletin": lambda: Bulletin.objects.filter(issued_on=NEW_DAY).exists(),
        "add_item": lambda: Item.objects.filter(body="新加的一条。").exists(),
        "edit_item": lambda: Item.objects.filter(body="改过的正文。").exists(),
        "reorder": lambda: w.item.body == "国家药监局批准一款新药。",
        "restore_revision": lambda: w.item.body == "罗氏宣布扩建AI工厂。",
        "submit_item": lambda: w.item_status() == ItemStatus.SUBMITTED,
        "submit_bulletin": lambda: w.status() == BulletinStatus.IN_REVIEW,
        "spike": lambda: w.item_status() == ItemStatus.SPIKED,
        "unspike": lambda: w.item_status() == ItemStatus.DRAFT,
        "approve": lambda: w.item_status() == ItemStatus.APPROVED,
        "request_changes": lambda: w.item_status() == ItemStatus.CHANGES_REQUESTED,
        "publish": lambda: w.status() == BulletinStatus.PUBLISHED,
        "schedule": lambda: w.status() == BulletinStatus.SCHEDULED,
        "unschedule": lambda: w.status() == BulletinStatus.APPROVED,
        "correct": lambda: w.status() == BulletinStatus.CORRECTED,
        "retract": lambda: w.status() == BulletinStatus.RETRACTED,
        "manage_sections": lambda: Section.objects.filter(slug="policy").exists(),
    }[action]()


def _reordered(world):
    items = list(world.bulletin.items.in_issue_order())
    return [(items[2].pk, items[0].section_id), *[(i.pk, i.section_id) for i in items[:2]]]


def _service(world, action, user):
    w, b = world, world.bulletin
    soon = timezone.now() + dt.timedelta(hours=2)
    calls = {
        "create_bulletin": lambda: workflow.create_bulletin(issued_on=NEW_DAY, by=user),
        "add_item": lambda: workflow.add_item(
            b, by=user, section=w.item.section, body="新加的一条。"
        ),
        "edit_item": lambda: workflow.edit_item(
            w.item, by=user, expected_version=w.item.version, body="改过的正文。"
        ),
        "reorder": lambda: workflow.reorder_items(b, by=user, order=_reordered(w)),
        "restore_revision": lambda: workflow.restore_revision(
            w.item,
            by=user,
            revision=w.item.revisions.order_by("version").first(),
            expected_version=w.item.version,
        ),
        "submit_item": lambda: workflow.submit_item(w.item, by=user),
        "submit_bulletin": lambda: workflow.submit_bulletin(b, by=user),
        "spike": lambda: workflow.spike_item(w.item, by=user),
        "unspike": lambda: workflow.unspike_item(w.item, by=user),
        "approve": lambda: workflow.approve_item(w.item, by=user),
        "request_changes": lambda: workflow.request_changes(w.item, by=user, comment="请改。"),
        "publish": lambda: workflow.publish(b, by=user),
        "schedule": lambda: workflow.schedule(b, by=user, at=soon),
        "unschedule": lambda: workflow.unschedule(b, by=user),
        "correct": lambda: workflow.correct(b, by=user, note="更正:日期。"),
        "retract": lambda: workflow.retract(b, by=user, comment="不实。"),
    }
    calls["manage_sections"] = lambda: sections.save_section(
        Section(name="政策", slug="policy"), by=user
    )
    try:
        calls[action]()
    except workflow.TransitionNotAllowed as exc:
        assert exc.code == "forbidden", exc.message


CASES = [(role, action) for action in MATRIX for role in ROLES]


@pytest.mark.parametrize(
    "actor,action", CASES, indirect=["actor"], ids=[f"{r}-{a}" for r, a in CASES]
)
def test_service_permission_matrix(request, world, actor, action):
    role = request.node.callspec.params["actor"]
    _prepare(world, action)
    _service(world, action, actor)
    assert _happened(world, action) is (role in MATRIX[action])


@pytest.mark.parametrize("role", ROLES)
def test_entity_curation_is_for_the_chief_editor_only(request, role, editor, reviewer, chief):
    users = {"editor": editor, "reviewer": reviewer, "chief": chief}
    user = users.get(role) or (
        AnonymousUser() if role == "anonymous" else request.getfixturevalue("nobody")
    )
    assert workflow.can(user, "manage_entities") is (role == "chief")


# ----------------------------------------------------------------------------- over HTTP


def _http(world, action, client: Client, chief_client: Client):
    """Do the action the way the admin's pages do it: a POST to its endpoint."""
    w, b = world, world.bulletin
    item = w.item
    bulletin_act = lambda name: reverse("admin:bulletins_bulletin_act", args=[b.pk, name])  # noqa: E731
    item_act = lambda name: reverse("admin:bulletins_item_act", args=[item.pk, name])  # noqa: E731
    soon = timezone.localtime() + dt.timedelta(hours=2)
    if action == "create_bulletin":
        return client.post(
            reverse("admin:bulletins_bulletin_add"),
            {"issued_on": NEW_DAY.isoformat(), "items-TOTAL_FORMS": 0, "items-INITIAL_FORMS": 0},
        )
    if action == "add_item":
        return client.post(
            reverse("admin:bulletins_item_add"),
            {
                "bulletin": b.pk,
                "section": item.section_id,
                "body": "新加的一条。",
                "facts": "{}",
                "sources": "[]",
                "entity_links-TOTAL_FORMS": 0,
                "entity_links-INITIAL_FORMS": 0,
            },
        )
    if action == "edit_item":
        url = reverse("admin:bulletins_item_change", args=[item.pk])
        data = admin_form_data(chief_client.get(url))
        data["body"] = "改过的正文。"
        return client.post(url, data)
    if action == "reorder":
        url = reverse("admin:bulletins_bulletin_change", args=[b.pk])
        data = admin_form_data(chief_client.get(url))
        data["item_order"] = ",".join(f"{i}:{s}" for i, s in _reordered(w))
        return client.post(url, data)
    if action == "restore_revision":
        return client.post(
            reverse("admin:bulletins_item_revisions", args=[item.pk]),
            {
                "revision": item.revisions.order_by("version").first().pk,
                "expected_version": item.version,
            },
        )
    if action in ("submit_item", "spike", "unspike", "approve", "request_changes"):
        name = "submit" if action == "submit_item" else action
        return client.post(item_act(name), {"comment": "请改。"})
    if action == "submit_bulletin":
        return client.post(bulletin_act("submit"))
    if action == "schedule":
        return client.post(
            bulletin_act("schedule"),
            {"publish_at": soon.strftime("%Y-%m-%dT%H:%M"), "confirmed": "1"},
        )
    if action == "correct":
        return client.post(bulletin_act("correct"), {"note": "更正:日期。"})
    if action == "retract":
        return client.post(bulletin_act("retract"), {"comment": "不实。"})
    if action in ("publish", "unschedule"):
        return client.post(bulletin_act(action), {"confirmed": "1"})  # past the confirmation
    if action == "manage_sections":
        return client.post(
            reverse("admin:bulletins_section_add"),
            {"name": "政策", "slug": "policy", "position": 3},
        )
    raise AssertionError(action)


@pytest.mark.parametrize(
    "actor,action", CASES, indirect=["actor"], ids=[f"{r}-{a}" for r, a in CASES]
)
def test_admin_http_permission_matrix(request, world, actor, action, chief):
    role = request.node.callspec.params["actor"]
    _prepare(world, action)
    client, chief_client = Client(), Client()
    chief_client.force_login(world.chief)
    if role != "anonymous":
        client.force_login(actor)
    response = _http(world, action, client, chief_client)
    assert _happened(world, action) is (role in MATRIX[action])
    if role == "anonymous":
        assert response.status_code == 302
        assert "/admin/login/" in response["Location"]
    elif role == "nobody":
        assert response.status_code == 403
    elif role in MATRIX[action]:
        assert response.status_code == 302  # done, back to the page
    else:
        assert response.status_code in (302, 403)  # refused: a message, or no admin access


@pytest.mark.parametrize("role", ["nobody", "anonymous"])
@pytest.mark.parametrize(
    "name", ["bulletin_changelist", "bulletin_dashboard", "item_review", "item_changelist"]
)
def test_people_outside_the_newsroom_see_no_admin_page(client, role, name, nobody):
    if role == "nobody":
        client.force_login(nobody)
    response = client.get(reverse(f"admin:bulletins_{name}"))
    assert response.status_code == (403 if role == "nobody" else 302)
