"""The editorial desk: work sent back to me is on my desk with the reviewer's comment,
comments with @mentions notify colleagues, the header counts unread notifications, the
issue checks read as a summary."""

import pytest
from django.core import mail
from django.urls import reverse

from bulletins import comments, notifications, workflow
from bulletins.models import ItemComment, Notification
from bulletins.roles import TransitionNotAllowed

pytestmark = pytest.mark.django_db

DESK = "admin:bulletins_item_desk"


@pytest.fixture
def sent_back(draft_bulletin, editor, reviewer):
    workflow.submit_bulletin(draft_bulletin, by=editor)
    item = draft_bulletin.items.get(body="恒瑞医药新药获批。")
    workflow.request_changes(item, by=reviewer, comment="请补充获批适应症。")
    return item


def test_the_editor_finds_sent_back_work_on_the_desk_with_the_comment(client, sent_back, editor):
    client.force_login(editor)
    page = client.get(reverse(DESK))
    html = page.content.decode()
    assert [i.pk for i in page.context["sent_back"]] == [sent_back.pk]
    assert "请补充获批适应症。" in html and "reviewer1" in html
    # the header counts the notification the send-back left
    assert page.context["desk_unread"] == 1
    assert 'class="desk-count"' in html
    # the dashboard says so too, instead of "0 items in the queue"
    dash = client.get(reverse("admin:bulletins_bulletin_dashboard")).content.decode()
    assert "退回给您修改的条目" in dash and ">1 条<" in dash


def test_the_item_page_shows_the_review_comment_until_resubmitted(client, sent_back, editor):
    client.force_login(editor)
    url = reverse("admin:bulletins_item_change", args=[sent_back.pk])
    assert "请补充获批适应症。" in client.get(url).content.decode().split("wf-panel")[0]
    workflow.submit_item(sent_back, by=editor)
    assert 'id="wf-review-comment"' not in client.get(url).content.decode()


def test_desk_by_role(client, sent_back, reviewer, chief):
    client.force_login(reviewer)
    page = client.get(reverse(DESK))
    assert "sent_back" not in page.context and page.context["queue_size"] == 2
    client.force_login(chief)
    page = client.get(reverse(DESK))
    assert page.context["ready"] == [] and page.context["scheduled"] == []


def test_mention_notifies_by_mail_and_in_the_header(
    client, draft_bulletin, editor, reviewer, django_capture_on_commit_callbacks
):
    item = draft_bulletin.items.first()
    client.force_login(editor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:bulletins_item_comment", args=[item.pk]),
            {"body": "@reviewer1 这条的金额请再核对一下。"},
        )
    assert response.status_code == 302
    comment = ItemComment.objects.get()
    assert list(comment.mentions.all()) == [reviewer]
    assert [m.to for m in mail.outbox] == [[reviewer.email]]
    assert Notification.objects.get(recipient=reviewer).url.endswith(f"#comment-{comment.pk}")
    client.force_login(reviewer)
    desk = client.get(reverse(DESK))
    assert desk.context["desk_unread"] == 1
    assert [c.pk for c in desk.context["mentions"]] == [comment.pk]
    client.post(reverse(DESK))  # mark read
    assert notifications.unread(reviewer).count() == 0


def test_threads_resolve_and_reopen(draft_bulletin, editor, reviewer):
    item = draft_bulletin.items.first()
    root = comments.add_comment(item, by=reviewer, body="@editor1 来源?")
    reply = comments.add_comment(item, by=editor, body="已补。", parent=root)
    assert reply.parent == root
    comments.resolve(reply, by=editor)
    root.refresh_from_db()
    assert root.resolved_by == editor
    assert list(comments.open_mentions(editor)) == []
    comments.reopen(root, by=reviewer)
    assert list(comments.open_mentions(editor)) == [root]
    with pytest.raises(TransitionNotAllowed):
        comments.add_comment(item, by=editor, body="   ")


def test_comments_are_never_public(client, published_bulletin, chief):
    item = published_bulletin.items.first()
    comments.add_comment(item, by=chief, body="内部意见:下次注意。")
    assert "内部意见" not in client.get(item.get_absolute_url()).content.decode()
    assert "内部意见" not in client.get(f"/api/v1/items/{item.pk}/").content.decode()


def test_check_summary_groups_one_line_per_kind(draft_bulletin, editor):
    report = workflow.prepublish_checks(draft_bulletin)
    assert report.summary == [
        "3 条尚未审核通过:企业动态 #1、#2;产业动态 #1",
    ]
    (group,) = report.blocking_groups
    assert len(group.item_ids) == 3
