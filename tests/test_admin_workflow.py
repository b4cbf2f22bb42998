"""The editorial workflow through the admin, as the three roles use it.

The admin only delegates to bulletins.workflow; these tests show that it does, that a refused
transition comes back as a message, and that a concurrent edit keeps the second person's text.
"""

import datetime as dt
import json

import pytest
from django.contrib.messages import get_messages
from django.forms import JSONField
from django.urls import reverse
from django.utils import timezone

from bulletins import workflow
from bulletins.models import Bulletin, BulletinStatus, Item, ItemStatus, Transition

pytestmark = pytest.mark.django_db


def admin_form_data(response) -> dict:
    """The POST data of an admin change form as rendered: main form plus inline formsets."""
    data = {}

    def add_form(form):
        for name, field in form.fields.items():
            if field.disabled or name == "image":
                continue
            value = form[name].value()
            if isinstance(field, JSONField) and not isinstance(value, str):
                value = field.prepare_value(value)
            if value is None:
                value = ""
            if isinstance(value, bool):
                if value:
                    data[form.add_prefix(name)] = "on"
                continue
            data[form.add_prefix(name)] = value

    add_form(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management[name].value()
        data[management.add_prefix("TOTAL_FORMS")] = len(formset.initial_forms)
        for form in formset.initial_forms:
            add_form(form)
    return data


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def change_url(obj) -> str:
    return reverse(f"admin:bulletins_{obj._meta.model_name}_change", args=[obj.pk])


def act_url(obj, action) -> str:
    return reverse(f"admin:bulletins_{obj._meta.model_name}_act", args=[obj.pk, action])


# ----------------------------------------------------------------------------- walk-through


def test_three_people_take_an_issue_from_draft_to_published_through_the_admin(
    client, editor, reviewer, chief, company_news, industry_news
):
    day = dt.date(2026, 3, 17)
    # The editor creates the issue and types two items into the inline.
    client.force_login(editor)
    response = client.post(
        reverse("admin:bulletins_bulletin_add"),
        {
            "issued_on": day.isoformat(),
            "dateline": "",
            "items-TOTAL_FORMS": "0",
            "items-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    bulletin = Bulletin.objects.get(issued_on=day)
    page = client.get(change_url(bulletin))
    data = admin_form_data(page)
    data.update(
        {
            "items-TOTAL_FORMS": "2",
            "items-0-section": company_news.pk,
            "items-0-body": "罗氏宣布扩建AI工厂。",
            "items-0-headline": "罗氏扩建AI工厂",
            "items-0-headline_rank": "1",
            "items-1-section": industry_news.pk,
            "items-1-body": "国家药监局批准一款新药。",
        }
    )
    response = client.post(change_url(bulletin), data)
    assert response.status_code == 302, response.context["errors"]
    assert bulletin.items.count() == 2
    response = client.post(act_url(bulletin, "submit"), follow=True)
    assert "已提交审核。" in messages_of(response)
    bulletin.refresh_from_db()
    assert bulletin.status == BulletinStatus.IN_REVIEW

    # The reviewer works the queue: one item with its own button, the other in bulk.
    client.force_login(reviewer)
    queue = client.get(reverse("admin:bulletins_item_review"))
    first, second = bulletin.items.in_issue_order()
    assert list(queue.context["items"]) == [first, second]
    client.post(reverse("admin:bulletins_item_review"), {"decide": f"approve:{first.pk}"})
    client.post(reverse("admin:bulletins_item_review"), {"bulk": "approve", "ids": [second.pk]})
    bulletin.refresh_from_db()
    assert bulletin.status == BulletinStatus.APPROVED

    # The chief editor sees the checks pass and publishes.
    client.force_login(chief)
    page = client.get(change_url(bulletin))
    assert page.context["wf_checks"].ok
    assert "publish" in page.context["wf_allowed"]
    # 立即发布 asks first, showing the check summary; nothing is published yet.
    confirm = client.post(act_url(bulletin, "publish"))
    assert confirm.status_code == 200 and "确认立即发布" in confirm.content.decode()
    assert "没有阻断项" in confirm.content.decode()
    bulletin.refresh_from_db()
    assert bulletin.status == BulletinStatus.APPROVED
    response = client.post(act_url(bulletin, "publish"), {"confirmed": "1"}, follow=True)
    assert "已发布。" in messages_of(response)
    bulletin.refresh_from_db()
    assert bulletin.status == BulletinStatus.PUBLISHED

    client.logout()
    public = client.get(bulletin.get_absolute_url())
    assert public.status_code == 200
    assert "罗氏宣布扩建AI工厂。" in public.content.decode()
    actors = set(bulletin.transitions.values_list("action", "by__username"))
    assert {("submit", editor.username), ("approve", reviewer.username)} <= actors
    assert ("publish", chief.username) in actors


# ----------------------------------------------------------------------------- refusals


def test_a_refused_transition_shows_its_message(client, draft_bulletin, editor):
    client.force_login(editor)
    response = client.post(act_url(draft_bulletin, "publish"), follow=True)
    assert any("没有权限" in m for m in messages_of(response))
    draft_bulletin.refresh_from_db()
    assert draft_bulletin.status == BulletinStatus.DRAFT


def test_four_eyes_is_enforced_through_the_admin(client, draft_bulletin, editor, chief):
    workflow.submit_bulletin(draft_bulletin, by=editor)
    item = draft_bulletin.items.first()
    workflow.edit_item(item, by=chief, expected_version=item.version + 0, body="主编改写。")
    client.force_login(chief)
    page = client.get(change_url(item))
    assert "approve" not in page.context["wf_item_actions"]
    response = client.post(act_url(item, "approve"), follow=True)
    assert any("四眼原则" in m for m in messages_of(response))
    item.refresh_from_db()
    assert item.status == ItemStatus.SUBMITTED
    queue = client.get(reverse("admin:bulletins_item_review"))
    assert item not in queue.context["items"]


def test_request_changes_in_bulk_needs_a_comment(client, draft_bulletin, editor, reviewer):
    workflow.submit_bulletin(draft_bulletin, by=editor)
    ids = list(draft_bulletin.items.values_list("pk", flat=True))
    client.force_login(reviewer)
    response = client.post(
        reverse("admin:bulletins_item_review"),
        {"bulk": "request_changes", "ids": ids, "comment": ""},
        follow=True,
    )
    assert any("必须写明原因" in m for m in messages_of(response))
    client.post(
        reverse("admin:bulletins_item_review"),
        {"bulk": "request_changes", "ids": ids, "comment": "来源不足。"},
    )
    assert set(draft_bulletin.items.values_list("status", flat=True)) == {
        ItemStatus.CHANGES_REQUESTED
    }
    assert Transition.objects.filter(action="request_changes", comment="来源不足。").count() == 3


def test_status_cannot_be_set_through_the_item_form(client, draft_bulletin, editor):
    item = draft_bulletin.items.first()
    client.force_login(editor)
    data = admin_form_data(client.get(change_url(item)))
    data.update({"status": "approved", "body": "改了正文。"})
    client.post(change_url(item), data)
    item.refresh_from_db()
    assert item.body == "改了正文。"
    assert item.status == ItemStatus.DRAFT


def test_buttons_are_only_those_the_user_may_use(client, draft_bulletin, editor, reviewer, chief):
    workflow.submit_bulletin(draft_bulletin, by=editor)
    client.force_login(reviewer)
    page = client.get(change_url(draft_bulletin))
    assert page.context["wf_allowed"] == []
    assert "立即发布" not in page.content.decode()
    assert "审核通过" in page.content.decode()  # item buttons in the inline
    client.force_login(editor)
    page = client.get(change_url(draft_bulletin))
    # already in review with nothing left to submit: 提交整期审核 is not offered again
    assert page.context["wf_allowed"] == []
    assert "提交整期审核" not in page.content.decode()
    assert 'value="approve"' not in page.content.decode()
    item = draft_bulletin.items.first()
    workflow.request_changes(item, by=reviewer, comment="再看看。")
    page = client.get(change_url(draft_bulletin))
    assert page.context["wf_allowed"] == ["submit"]  # a sent-back item can go again


# ----------------------------------------------------------------------------- nothing lost


def test_concurrent_item_edit_is_refused_and_the_second_text_is_shown_back(
    client, draft_bulletin, editor, editor2
):
    item = draft_bulletin.items.first()
    client.force_login(editor)
    first_data = admin_form_data(client.get(change_url(item)))
    client.force_login(editor2)
    second_data = admin_form_data(client.get(change_url(item)))

    client.force_login(editor)
    first_data["body"] = "第一位编辑的修改。"
    assert client.post(change_url(item), first_data).status_code == 302

    client.force_login(editor2)
    second_data["body"] = "第二位编辑的修改。"
    response = client.post(change_url(item), second_data)
    assert response.status_code == 200  # re-rendered, not redirected
    html = response.content.decode()
    assert "第二位编辑的修改。" in html  # their text, in the form
    assert "第一位编辑的修改。" in html  # and what is saved now, in the error
    assert "没有保存" in html
    item.refresh_from_db()
    assert item.body == "第一位编辑的修改。"

    # The conflict screen shows their text against mine as a diff.
    assert response.context["adminform"].form.conflicts[0]["name"] == "body"
    assert "<del>" in html and "<ins>" in html

    # Saving again without choosing to overwrite is refused again: nothing silent.
    retry = admin_form_data(response)
    assert retry["body"] == "第二位编辑的修改。"
    assert client.post(change_url(item), retry).status_code == 200
    item.refresh_from_db()
    assert item.body == "第一位编辑的修改。"

    # The explicit, labelled choice overwrites — and the log says so.
    retry["overwrite"] = "on"
    assert client.post(change_url(item), retry).status_code == 302
    item.refresh_from_db()
    assert item.body == "第二位编辑的修改。"
    assert item.revisions.filter(body="第一位编辑的修改。").exists()
    log = item.transitions.get(action="overwrite")
    assert log.by == editor2 and "正文" in log.comment


def test_edits_of_different_fields_by_two_editors_merge_in_the_admin(
    client, draft_bulletin, editor, editor2
):
    item = draft_bulletin.items.first()
    client.force_login(editor2)
    mine = admin_form_data(client.get(change_url(item)))
    workflow.edit_item(item, by=editor, expected_version=item.version, headline="他们改的标题")
    mine["body"] = "我改的正文。"
    response = client.post(change_url(item), mine, follow=True)
    assert response.redirect_chain, response.content.decode()[:2000]
    assert "自动合并" in response.content.decode()
    item.refresh_from_db()
    assert (item.body, item.headline) == ("我改的正文。", "他们改的标题")
    assert item.transitions.filter(action="merge", by=editor2).exists()


def test_concurrent_edit_of_an_item_in_the_bulletin_inline_keeps_the_text(
    client, draft_bulletin, editor, editor2
):
    client.force_login(editor2)
    stale = admin_form_data(client.get(change_url(draft_bulletin)))
    item = draft_bulletin.items.in_issue_order().first()
    workflow.edit_item(item, by=editor, expected_version=item.version, body="先保存的。")
    stale["items-0-body"] = "后保存的。"
    response = client.post(change_url(draft_bulletin), stale)
    assert response.status_code == 200
    assert "后保存的。" in response.content.decode()
    assert "先保存的。" in response.content.decode()
    item.refresh_from_db()
    assert item.body == "先保存的。"


def test_concurrent_bulletin_edit_is_refused_with_the_dateline_kept(
    client, draft_bulletin, editor, editor2
):
    client.force_login(editor2)
    stale = admin_form_data(client.get(change_url(draft_bulletin)))
    workflow.edit_bulletin(
        draft_bulletin,
        by=editor,
        expected_version=draft_bulletin.version,
        dateline="(医药健闻2026年3月17日讯)",
    )
    stale["dateline"] = "(医药健闻 2026年3月17日讯)"
    response = client.post(change_url(draft_bulletin), stale)
    assert response.status_code == 200
    assert "(医药健闻 2026年3月17日讯)" in response.content.decode()
    draft_bulletin.refresh_from_db()
    assert draft_bulletin.dateline == "(医药健闻2026年3月17日讯)"


def test_a_refusal_inside_the_service_keeps_the_text_on_screen(client, draft_bulletin, editor):
    item = draft_bulletin.items.get(headline_rank__isnull=True, section__slug="company-news")
    client.force_login(editor)
    data = admin_form_data(client.get(change_url(item)))
    data.update({"body": "我新写的一段正文。", "headline": "新标题", "headline_rank": "1"})
    response = client.post(change_url(item), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "我新写的一段正文。" in html
    assert "标题排序 1 已被这期日报的另一条占用。" in html
    item.refresh_from_db()
    assert item.body == "恒瑞医药新药获批。"


def test_a_revision_is_restored_from_the_history_page(client, draft_bulletin, editor):
    item = draft_bulletin.items.first()
    original = item.body
    workflow.edit_item(item, by=editor, expected_version=item.version, body="改坏的版本。")
    item.refresh_from_db()
    client.force_login(editor)
    page = client.get(reverse("admin:bulletins_item_revisions", args=[item.pk]))
    assert "<del>" in page.content.decode()
    first = item.revisions.order_by("version").first()
    response = client.post(
        reverse("admin:bulletins_item_revisions", args=[item.pk]),
        {"revision": first.pk, "expected_version": item.version},
        follow=True,
    )
    assert any("已恢复" in m for m in messages_of(response))
    item.refresh_from_db()
    assert item.body == original


def test_dragged_order_is_saved_through_the_workflow(
    client, draft_bulletin, editor, company_news, industry_news
):
    a, b, c = draft_bulletin.items.in_issue_order()
    client.force_login(editor)
    data = admin_form_data(client.get(change_url(draft_bulletin)))
    data["item_order"] = (
        f"{c.pk}:{company_news.pk},{a.pk}:{company_news.pk},{b.pk}:{industry_news.pk}"
    )
    assert client.post(change_url(draft_bulletin), data).status_code == 302
    got = list(draft_bulletin.items.in_issue_order().values_list("pk", "section_id"))
    assert got == [(c.pk, company_news.pk), (a.pk, company_news.pk), (b.pk, industry_news.pk)]


def test_items_inline_is_grouped_by_section(
    client, draft_bulletin, editor, company_news, industry_news
):
    client.force_login(editor)
    html = client.get(change_url(draft_bulletin)).content.decode()
    a, b, c = draft_bulletin.items.in_issue_order()

    def at(marker):
        return html.index(marker)

    company = at(f'class="wf-section-row" data-section-id="{company_news.pk}"')
    industry = at(f'class="wf-section-row" data-section-id="{industry_news.pk}"')
    assert company < at(f'data-item-id="{a.pk}"') < at(f'data-item-id="{b.pk}"') < industry
    assert industry < at(f'data-item-id="{c.pk}"')
    assert json.loads(
        html.split('id="wf-sections" type="application/json">')[1].split("</script>")[0]
    )


# ----------------------------------------------------------------------------- pages


def test_schedule_button_reads_beijing_time(client, draft_bulletin, editor, reviewer, chief):
    workflow.submit_bulletin(draft_bulletin, by=editor)
    for item in draft_bulletin.items.all():
        workflow.approve_item(item, by=reviewer)
    client.force_login(chief)
    later = timezone.localtime() + dt.timedelta(days=1)
    data = {"publish_at": later.strftime("%Y-%m-%dT%H:%M")}
    confirm = client.post(act_url(draft_bulletin, "schedule"), data)
    assert "确认定时发布" in confirm.content.decode()
    assert later.strftime("%Y-%m-%d %H:%M") in confirm.content.decode()
    client.post(act_url(draft_bulletin, "schedule"), {**data, "confirmed": "1"})
    draft_bulletin.refresh_from_db()
    assert draft_bulletin.status == BulletinStatus.SCHEDULED
    assert timezone.localtime(draft_bulletin.publish_at).strftime("%H:%M") == later.strftime(
        "%H:%M"
    )


def test_correct_and_retract_buttons(client, published_bulletin, chief):
    item = published_bulletin.items.first()
    client.force_login(chief)
    client.post(
        act_url(published_bulletin, "correct"),
        {"item": item.pk, "body": "更正后的正文。", "note": "更正:公司名称有误。"},
    )
    item.refresh_from_db()
    assert item.body == "更正后的正文。"
    response = client.post(act_url(published_bulletin, "retract"), {"comment": ""}, follow=True)
    assert any("撤回必须说明原因" in m for m in messages_of(response))
    client.post(act_url(published_bulletin, "retract"), {"comment": "消息不实。"})
    published_bulletin.refresh_from_db()
    assert published_bulletin.status == BulletinStatus.RETRACTED


def test_dashboard_shows_counts_and_blockers(client, editor, company_news):
    today = timezone.localdate()
    bulletin = workflow.create_bulletin(issued_on=today, by=editor)
    workflow.add_item(bulletin, by=editor, section=company_news, body="今天的第一条。")
    client.force_login(editor)
    page = client.get(reverse("admin:bulletins_bulletin_dashboard"))
    assert page.context["bulletin"] == bulletin
    assert ("草稿", 1, "draft") in page.context["counts"]
    assert [c.code for c in page.context["checks"].blocking] == ["unapproved"]


def test_changelist_links_the_import_page(client, editor):
    client.force_login(editor)
    html = client.get(reverse("admin:bulletins_bulletin_changelist")).content.decode()
    assert 'href="/admin/bulletins/import/"' in html


def test_admin_speaks_chinese(client, editor):
    client.force_login(editor)
    html = client.get(reverse("admin:bulletins_bulletin_changelist")).content.decode()
    assert "日报" in html and "今日看板" in html


def test_model_labels_are_translated_in_the_admin(client, draft_bulletin, editor):
    client.force_login(editor)
    html = client.get(change_url(draft_bulletin)).content.decode()
    assert "电头" in html and "标题排序" in html  # dateline, headline rank
    assert "headline rank" not in html.lower()


def test_published_items_are_read_only_in_the_admin(client, published_bulletin, editor):
    item = published_bulletin.items.first()
    client.force_login(editor)
    data = {"body": "偷偷改。"}
    response = client.post(change_url(item), data)
    assert response.status_code == 403
    item.refresh_from_db()
    assert item.body != "偷偷改。"
    assert Item.objects.filter(body="偷偷改。").count() == 0


def test_item_page_shows_entity_suggestions_outside_the_form(client, draft_bulletin, editor):
    from .factories import EntityFactory

    EntityFactory(name="罗氏", slug="roche")
    item = draft_bulletin.items.get(body="罗氏宣布扩建AI工厂。")
    client.force_login(editor)
    html = client.get(change_url(item)).content.decode()
    assert 'id="entity-suggestions"' in html
    assert html.index("</form>", html.index('id="item_form"')) < html.index("entity-suggestions")


def test_view_on_site_is_offered_only_for_public_issues(
    client, draft_bulletin, editor, reviewer, chief
):
    client.force_login(editor)
    assert not client.get(change_url(draft_bulletin)).context["has_absolute_url"]
    workflow.submit_bulletin(draft_bulletin, by=editor)
    for item in draft_bulletin.items.all():
        workflow.approve_item(item, by=reviewer)
    workflow.publish(draft_bulletin, by=chief)
    assert client.get(change_url(draft_bulletin)).context["has_absolute_url"]


def test_bulk_actions_are_offered_by_role(client, draft_bulletin, editor, reviewer):
    url = reverse("admin:bulletins_item_changelist")
    client.force_login(editor)
    actions = {
        name for name, _label in client.get(url).context["action_form"].fields["action"].choices
    }
    assert {"submit_selected", "spike_selected"} <= actions and "approve_selected" not in actions
    client.force_login(reviewer)
    actions = {
        name for name, _label in client.get(url).context["action_form"].fields["action"].choices
    }
    assert "approve_selected" in actions and "submit_selected" not in actions


def test_bulk_approve_reports_refusals_item_by_item(client, draft_bulletin, editor, chief):
    workflow.submit_bulletin(draft_bulletin, by=editor)
    own = draft_bulletin.items.first()
    workflow.edit_item(own, by=chief, expected_version=own.version, body="主编改过。")
    client.force_login(chief)
    response = client.post(
        reverse("admin:bulletins_item_changelist"),
        {
            "action": "approve_selected",
            "_selected_action": list(draft_bulletin.items.values_list("pk", flat=True)),
        },
        follow=True,
    )
    texts = messages_of(response)
    assert any("四眼原则" in m for m in texts)
    assert any("审核通过:2 条" in m for m in texts)
    own.refresh_from_db()
    assert own.status == ItemStatus.SUBMITTED


def _change_page_queries(client, user, bulletin) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(user)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(change_url(bulletin)).status_code == 200
    return len(ctx.captured_queries)


def test_bulletin_page_costs_the_same_queries_with_3_or_30_items(
    client, editor, reviewer, company_news
):
    sizes = {}
    for day, n in [(dt.date(2026, 3, 17), 3), (dt.date(2026, 3, 18), 30)]:
        bulletin = workflow.create_bulletin(issued_on=day, by=editor)
        for i in range(n):
            workflow.add_item(bulletin, by=editor, section=company_news, body=f"第{i}条。")
        workflow.submit_bulletin(bulletin, by=editor)
        sizes[n] = [_change_page_queries(client, u, bulletin) for u in (editor, reviewer)]
    assert all(big <= small for big, small in zip(sizes[30], sizes[3], strict=True)), sizes
