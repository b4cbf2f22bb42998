"""Preview for staff and by signed link, and what anonymous readers can and cannot reach."""

import datetime as dt
import time
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from bulletins import preview, workflow

pytestmark = pytest.mark.django_db

TEXT = "罗氏宣布扩建AI工厂。"


def preview_url(bulletin):
    return reverse("admin:bulletins_bulletin_preview", args=[bulletin.pk])


def share_path(bulletin):
    return reverse("bulletin_share_preview", kwargs={"token": preview.share_token(bulletin)})


def test_staff_preview_renders_an_unpublished_issue_like_the_public_page(
    client, draft_bulletin, reviewer
):
    client.force_login(reviewer)
    response = client.get(preview_url(draft_bulletin))
    assert response.status_code == 200
    assert "bulletins/bulletin_detail.html" in [t.name for t in response.templates]
    html = response.content.decode()
    assert TEXT in html and "预览" in html
    assert "no-store" in response["Cache-Control"]
    assert "noindex" in response["X-Robots-Tag"]


def test_staff_preview_is_not_for_anonymous_or_outsiders(client, draft_bulletin, nobody):
    assert client.get(preview_url(draft_bulletin)).status_code == 302
    client.force_login(nobody)
    assert client.get(preview_url(draft_bulletin)).status_code == 403


def test_share_link_lets_someone_without_an_account_read_the_preview(client, draft_bulletin):
    response = client.get(share_path(draft_bulletin))
    assert response.status_code == 200
    assert TEXT in response.content.decode()


def test_share_link_is_read_only(client, draft_bulletin):
    assert client.post(share_path(draft_bulletin), {"body": "x"}).status_code == 405


def test_forged_share_link_is_refused(client, draft_bulletin):
    path = share_path(draft_bulletin)
    assert client.get(path[:-3] + "xx/").status_code == 404
    assert client.get("/preview/not-a-token/").status_code == 404


def test_share_link_expires(client, draft_bulletin):
    path = share_path(draft_bulletin)
    later = time.time() + preview.SHARE_MAX_AGE.total_seconds() + 60
    with mock.patch("django.core.signing.time.time", return_value=later):
        response = client.get(path)
    assert response.status_code == 410
    assert TEXT not in response.content.decode()


def test_share_link_of_a_retracted_issue_shows_no_text(client, published_bulletin, chief):
    path = share_path(published_bulletin)
    workflow.retract(published_bulletin, by=chief, comment="消息不实。")
    response = client.get(path)
    assert response.status_code == 410
    assert TEXT not in response.content.decode()


def test_bulletin_page_offers_the_share_link(client, draft_bulletin, editor):
    client.force_login(editor)
    url = client.get(reverse("admin:bulletins_bulletin_change", args=[draft_bulletin.pk])).context[
        "wf_share_url"
    ]
    client.logout()
    assert client.get(url.removeprefix("http://testserver")).status_code == 200


# ----------------------------------------------------------------------------- public surfaces


def test_nothing_unpublished_is_reachable_anonymously(client, draft_bulletin, editor, reviewer):
    workflow.submit_bulletin(draft_bulletin, by=editor)
    for item in draft_bulletin.items.all():
        workflow.approve_item(item, by=reviewer)  # approved, but not published
    item = draft_bulletin.items.first()
    assert client.get(draft_bulletin.get_absolute_url()).status_code == 404
    assert client.get(item.get_absolute_url()).status_code == 404
    assert TEXT not in client.get("/").content.decode()
    section = item.section.get_absolute_url()
    assert TEXT not in client.get(section).content.decode()


def test_scheduled_issue_becomes_visible_at_its_time_and_not_before(
    client, draft_bulletin, editor, reviewer, chief
):
    workflow.submit_bulletin(draft_bulletin, by=editor)
    for item in draft_bulletin.items.all():
        workflow.approve_item(item, by=reviewer)
    at = timezone.now() + dt.timedelta(hours=6)
    workflow.schedule(draft_bulletin, by=chief, at=at)
    url = draft_bulletin.get_absolute_url()
    with mock.patch("django.utils.timezone.now", return_value=at - dt.timedelta(seconds=1)):
        assert client.get(url).status_code == 404
    with mock.patch("django.utils.timezone.now", return_value=at + dt.timedelta(seconds=1)):
        response = client.get(url)
        assert response.status_code == 200
        assert TEXT in response.content.decode()


def test_retraction_shows_a_notice_and_no_text(client, published_bulletin, chief):
    workflow.retract(published_bulletin, by=chief, comment="消息来源有误。")
    response = client.get(published_bulletin.get_absolute_url())
    html = response.content.decode()
    assert "消息来源有误。" in html
    assert TEXT not in html
    item = published_bulletin.items.first()
    assert client.get(item.get_absolute_url()).status_code == 404


def test_correction_shows_a_dated_note_and_the_new_text(client, published_bulletin, chief):
    item = published_bulletin.items.get(body=TEXT)
    workflow.correct(
        published_bulletin, by=chief, note="更正:应为扩建。", item=item, body="罗氏宣布扩建AI中心。"
    )
    html = client.get(published_bulletin.get_absolute_url()).content.decode()
    assert "应为扩建。" in html and "更正:应为扩建。" not in html  # 更正 printed once
    assert "罗氏宣布扩建AI中心。" in html
    assert TEXT not in html
