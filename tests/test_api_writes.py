"""Editorial writes through the API: the workflow's permission matrix, four eyes, locking."""

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from bulletins import workflow
from bulletins.models import Bulletin, Item, ItemEntity, ItemStatus
from bulletins.readmodels import visibility_changed

from .factories import EntityFactory

pytestmark = pytest.mark.django_db

SMALL_ISSUE = "罗氏扩建工厂 | 日报\n(医药健闻2026年4月2日讯)\n\n企业动态\n罗氏宣布扩建工厂。\n"


@pytest.fixture
def users(editor, reviewer, chief, nobody):
    return {"editor": editor, "reviewer": reviewer, "chief": chief, "nobody": nobody}


def client_for(user):
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def _submitted(bulletin, editor):
    workflow.submit_bulletin(bulletin, by=editor)
    return bulletin


def _approved(bulletin, editor, reviewer):
    _submitted(bulletin, editor)
    for item in bulletin.items.all():
        workflow.approve_item(item, by=reviewer)
    return bulletin


def _first(bulletin):
    return bulletin.items.order_by("pk").first()


# Each action: how to bring the newsroom into the state it needs, and the request.
def req_create_bulletin(ctx):
    return "post", "/api/v1/bulletins/", {"issued_on": "2026-04-01"}


def req_import(ctx):
    return "post", "/api/v1/bulletins/import/", {"text": SMALL_ISSUE}


def req_add_item(ctx):
    ctx["draft"]
    body = {"bulletin": "2026-03-17", "section": "company-news", "body": "新条目。"}
    return "post", "/api/v1/items/", body


def req_edit_item(ctx):
    item = _first(ctx["draft"])
    return "patch", f"/api/v1/items/{item.pk}/", {"version": item.version, "body": "改过。"}


def req_submit_item(ctx):
    return "post", f"/api/v1/items/{_first(ctx['draft']).pk}/submit/", {}


def req_spike_item(ctx):
    return "post", f"/api/v1/items/{_first(ctx['draft']).pk}/spike/", {}


def req_link(ctx):
    EntityFactory(slug="roche", name="罗氏")
    return "post", f"/api/v1/items/{_first(ctx['draft']).pk}/link/", {"entity": "roche"}


def req_reorder(ctx):
    items = list(ctx["draft"].items.order_by("-pk"))
    order = [{"item": i.pk, "section": i.section.slug} for i in items]
    return "post", "/api/v1/bulletins/2026-03-17/reorder/", {"order": order}


def req_submit_bulletin(ctx):
    ctx["draft"]
    return "post", "/api/v1/bulletins/2026-03-17/submit/", {}


def req_approve_item(ctx):
    item = _first(_submitted(ctx["draft"], ctx["editor"]))
    return "post", f"/api/v1/items/{item.pk}/approve/", {}


def req_request_changes(ctx):
    item = _first(_submitted(ctx["draft"], ctx["editor"]))
    return "post", f"/api/v1/items/{item.pk}/request-changes/", {"comment": "请核实。"}


def req_publish(ctx):
    _approved(ctx["draft"], ctx["editor"], ctx["reviewer"])
    return "post", "/api/v1/bulletins/2026-03-17/publish/", {}


def req_schedule(ctx):
    _approved(ctx["draft"], ctx["editor"], ctx["reviewer"])
    at = (timezone.now() + dt.timedelta(days=1)).isoformat()
    return "post", "/api/v1/bulletins/2026-03-17/schedule/", {"at": at}


def req_correct(ctx):
    ctx["published"]
    return "post", "/api/v1/bulletins/2026-03-17/correct/", {"note": "更正:日期有误。"}


def req_retract(ctx):
    ctx["published"]
    return "post", "/api/v1/bulletins/2026-03-17/retract/", {"comment": "内容有误。"}


def req_create_entity(ctx):
    return "post", "/api/v1/entities/", {"type": "company", "name": "新公司", "slug": "xin"}


def req_update_entity(ctx):
    EntityFactory(slug="upd", name="旧名")
    return "patch", "/api/v1/entities/upd/", {"name": "新名", "aliases": ["XM"]}


def req_merge_entity(ctx):
    item = _first(ctx["published"])
    for slug in ("dup", "keep"):
        ItemEntity.objects.create(item=item, entity=EntityFactory(slug=slug, name=slug))
    visibility_changed(items=[item])  # rows written directly: the workflow's hook
    return "post", "/api/v1/entities/dup/merge/", {"into": "keep"}


E, R, C = "editor", "reviewer", "chief"
# action → (request, {role: expected status}); anonymous clients always get 401.
MATRIX = {
    "create_bulletin": (req_create_bulletin, {E: 201, R: 403, C: 201, "nobody": 403}),
    "import": (req_import, {E: 201, R: 403, C: 201, "nobody": 403}),
    "add_item": (req_add_item, {E: 201, R: 403, C: 201, "nobody": 403}),
    "edit_item": (req_edit_item, {E: 200, R: 403, C: 200, "nobody": 404}),
    "link_entity": (req_link, {E: 200, R: 403, C: 200, "nobody": 404}),
    "reorder": (req_reorder, {E: 200, R: 403, C: 200, "nobody": 404}),
    "submit_item": (req_submit_item, {E: 200, R: 403, C: 200, "nobody": 404}),
    "spike_item": (req_spike_item, {E: 200, R: 403, C: 200, "nobody": 404}),
    "submit_bulletin": (req_submit_bulletin, {E: 200, R: 403, C: 200, "nobody": 404}),
    "approve_item": (req_approve_item, {E: 403, R: 200, C: 200, "nobody": 404}),
    "request_changes": (req_request_changes, {E: 403, R: 200, C: 200, "nobody": 404}),
    "publish": (req_publish, {E: 403, R: 403, C: 200, "nobody": 404}),
    "schedule": (req_schedule, {E: 403, R: 403, C: 200, "nobody": 404}),
    "correct": (req_correct, {E: 403, R: 403, C: 200, "nobody": 403}),
    "retract": (req_retract, {E: 403, R: 403, C: 200, "nobody": 403}),
    "create_entity": (req_create_entity, {E: 201, R: 403, C: 201, "nobody": 403}),
    "update_entity": (req_update_entity, {E: 403, R: 403, C: 200, "nobody": 404}),
    "merge_entity": (req_merge_entity, {E: 403, R: 403, C: 200, "nobody": 403}),
}
CASES = [
    (action, role, expected)
    for action, (_req, by_role) in MATRIX.items()
    for role, expected in [*by_role.items(), ("anonymous", 401)]
]


class Context(dict):
    """Lazily builds the states (draft, published) an action needs from the pytest fixtures."""

    def __init__(self, request):
        super().__init__()
        self.request = request

    def __missing__(self, key):
        fixture = {"draft": "draft_bulletin", "published": "published_bulletin"}.get(key, key)
        value = self.request.getfixturevalue(fixture)
        self[key] = value
        return value


@pytest.mark.parametrize(("action", "role", "expected"), CASES)
def test_permission_matrix(request, users, action, role, expected):
    ctx = Context(request)
    method, url, body = MATRIX[action][0](ctx)
    client = client_for(users.get(role))
    response = getattr(client, method)(url, body, format="json")
    assert response.status_code == expected, response.content.decode()
    if expected >= 400:
        assert set(response.json()) >= {"code", "message", "field_errors"}
    if expected == 403:
        assert response.json()["code"] == "forbidden"


def test_refused_transition_changes_nothing(draft_bulletin, reviewer):
    item = _first(draft_bulletin)
    client_for(reviewer).post(f"/api/v1/items/{item.pk}/submit/", {}, format="json")
    item.refresh_from_db()
    assert item.status == ItemStatus.DRAFT


def test_four_eyes_chief_cannot_approve_an_item_they_edited(draft_bulletin, editor, chief):
    item = _first(draft_bulletin)
    chief_api = client_for(chief)
    edited = chief_api.patch(
        f"/api/v1/items/{item.pk}/", {"version": item.version, "body": "主编改写。"}, format="json"
    )
    assert edited.status_code == 200
    workflow.submit_bulletin(draft_bulletin, by=editor)
    response = chief_api.post(f"/api/v1/items/{item.pk}/approve/", {}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


def test_four_eyes_author_cannot_approve_own_item(draft_bulletin, chief, company_news):
    item = workflow.add_item(draft_bulletin, by=chief, section=company_news, body="主编写的。")
    workflow.submit_item(item, by=chief)
    response = client_for(chief).post(f"/api/v1/items/{item.pk}/approve/", {}, format="json")
    assert response.status_code == 403


def test_stale_version_gets_409_with_the_current_version(draft_bulletin, editor, editor2):
    item = _first(draft_bulletin)
    opened = item.version
    first = client_for(editor).patch(
        f"/api/v1/items/{item.pk}/", {"version": opened, "body": "第一次保存。"}, format="json"
    )
    assert first.status_code == 200
    second = client_for(editor2).patch(
        f"/api/v1/items/{item.pk}/", {"version": opened, "body": "第二次保存。"}, format="json"
    )
    assert second.status_code == 409
    assert second.json()["code"] == "conflict"
    assert second.json()["current_version"] == first.json()["version"]
    item.refresh_from_db()
    assert item.body == "第一次保存。"


def test_patch_without_version_is_400(draft_bulletin, editor):
    item = _first(draft_bulletin)
    response = client_for(editor).patch(f"/api/v1/items/{item.pk}/", {"body": "x"}, format="json")
    assert response.status_code == 400
    assert "version" in response.json()["field_errors"]


def test_patch_cannot_change_a_status(draft_bulletin, editor):
    item = _first(draft_bulletin)
    client_for(editor).patch(
        f"/api/v1/items/{item.pk}/",
        {"version": item.version, "status": "approved", "body": "改。"},
        format="json",
    )
    item.refresh_from_db()
    assert item.status == ItemStatus.DRAFT


def test_wrong_state_is_409(published_bulletin, chief):
    response = client_for(chief).post("/api/v1/bulletins/2026-03-17/publish/", {}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_state"


def test_request_changes_needs_a_comment(draft_bulletin, editor, reviewer):
    item = _first(_submitted(draft_bulletin, editor))
    response = client_for(reviewer).post(
        f"/api/v1/items/{item.pk}/request-changes/", {}, format="json"
    )
    assert response.status_code == 400
    assert "comment" in response.json()["field_errors"]


def test_taken_headline_rank_is_400(draft_bulletin, editor):
    body = {"bulletin": "2026-03-17", "section": "company-news", "body": "x", "headline_rank": 1}
    response = client_for(editor).post("/api/v1/items/", body, format="json")
    assert response.status_code == 400
    assert "headline_rank" in response.json()["field_errors"]


@pytest.mark.parametrize(
    "body",
    [
        {"bulletin": "2026-03-17", "section": "company-news", "facts": {"a": "\x00"}},
        {"bulletin": "2026-03-17", "section": "company-news", "position": 2**70},
        {"bulletin": "2026-03-17", "section": "nope"},
        {"bulletin": "2026-02-30", "section": "company-news"},
        {"bulletin": "2026-03-17", "section": "company-news", "sources": ["javascript:x"]},
        ["not", "an", "object"],
    ],
)
def test_hostile_item_input_is_400_not_500(draft_bulletin, editor, body):
    response = client_for(editor).post("/api/v1/items/", body, format="json")
    assert response.status_code == 400


def test_malformed_json_is_400(draft_bulletin, editor):
    response = client_for(editor).post(
        "/api/v1/items/", "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_import_of_unreadable_text_is_400_with_the_line(editor):
    response = client_for(editor).post(
        "/api/v1/bulletins/import/", {"text": "只有一行"}, format="json"
    )
    assert response.status_code == 400
    assert "text" in response.json()["field_errors"]
    assert not Bulletin.objects.exists()


def test_import_of_the_real_sample_makes_a_draft(editor, sample_text):
    response = client_for(editor).post(
        "/api/v1/bulletins/import/", {"text": sample_text}, format="json"
    )
    assert response.status_code == 201, response.content.decode()
    data = response.json()
    assert data["issued_on"] == "2026-03-17"
    assert data["status"] == "draft"
    assert Item.objects.filter(bulletin__issued_on=dt.date(2026, 3, 17)).count() == sum(
        len(s["items"]) for s in data["sections"]
    )


def test_token_endpoint_returns_a_working_token(editor):
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": "editor1", "password": "pw"}, format="json"
    )
    assert response.status_code == 200
    token = response.json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.post("/api/v1/bulletins/", {"issued_on": "2026-05-01"}).status_code == 201


def test_token_endpoint_refuses_a_wrong_password(editor):
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": "editor1", "password": "bad"}, format="json"
    )
    assert response.status_code == 400
    assert "token" not in response.json()


def test_bad_token_is_401(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token nope")
    assert client.get("/api/v1/bulletins/").status_code == 401


def test_whole_review_flow_through_the_api(editor, reviewer, chief, db):
    """The README's walk-through: draft → item → submit → approve → publish → public."""
    ed, rv, ch = client_for(editor), client_for(reviewer), client_for(chief)
    assert ed.post("/api/v1/bulletins/", {"issued_on": "2026-03-18"}).status_code == 201
    item = ed.post(
        "/api/v1/items/",
        {"bulletin": "2026-03-18", "section": "company-news", "body": "某公司完成A轮融资。"},
        format="json",
    ).json()
    assert APIClient().get("/api/v1/bulletins/2026-03-18/").status_code == 404
    assert ed.post("/api/v1/bulletins/2026-03-18/submit/").json()["status"] == "in_review"
    assert rv.post(f"/api/v1/items/{item['id']}/approve/").json()["status"] == "approved"
    published = ch.post("/api/v1/bulletins/2026-03-18/publish/")
    assert published.status_code == 200, published.content.decode()
    assert published.json()["status"] == "published"
    public = APIClient().get("/api/v1/bulletins/2026-03-18/").json()
    assert public["sections"][0]["items"][0]["body"] == "某公司完成A轮融资。"


def test_chief_edits_an_entity_through_the_entity_service(chief):
    EntityFactory(slug="upd", name="旧名")
    response = client_for(chief).patch(
        "/api/v1/entities/upd/", {"name": "新名", "aliases": ["XM"]}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["name"] == "新名"
    assert response.json()["aliases"] == ["XM"]
