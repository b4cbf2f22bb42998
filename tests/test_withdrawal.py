"""One wrong published item: withdrawn by the chief editor (a public dated notice in its
place, gone from every public surface), the issue stays published. A scheduled issue going
live is recorded without a cron. A correction note never prints 更正 twice."""

import datetime as dt
from unittest import mock

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from bulletins import workflow
from bulletins.models import Bulletin, BulletinStatus, Item, ItemStatus, Transition
from bulletins.roles import TransitionNotAllowed

pytestmark = pytest.mark.django_db

NOTE = "消息来源有误,经核实该合作并不存在。"


@pytest.fixture
def approved(draft_bulletin, editor, reviewer):
    workflow.submit_bulletin(draft_bulletin, by=editor)
    for item in draft_bulletin.items.all():
        workflow.approve_item(item, by=reviewer)
    draft_bulletin.refresh_from_db()
    return draft_bulletin


@pytest.fixture
def wrong(published_bulletin):
    return published_bulletin.items.get(body="恒瑞医药新药获批。")


def test_withdrawal_takes_one_item_down_and_logs_it(published_bulletin, wrong, chief):
    item = workflow.withdraw_item(wrong, by=chief, note=NOTE)
    assert item.status == ItemStatus.WITHDRAWN
    assert item.withdrawal_note == NOTE and item.withdrawn_at is not None
    published_bulletin.refresh_from_db()
    assert published_bulletin.status == BulletinStatus.PUBLISHED  # the issue stays
    assert wrong.pk not in Item.objects.published().values_list("pk", flat=True)
    assert Item.objects.published().count() == 2
    assert list(Item.objects.withdrawn()) == [wrong]
    log = Transition.objects.get(item=wrong, action="withdraw")
    assert (log.from_status, log.to_status, log.by, log.comment) == (
        "approved",
        "withdrawn",
        chief,
        NOTE,
    )


@pytest.mark.parametrize("who", ["editor", "reviewer"])
def test_only_the_chief_withdraws(request, wrong, who):
    with pytest.raises(TransitionNotAllowed) as refused:
        workflow.withdraw_item(wrong, by=request.getfixturevalue(who), note=NOTE)
    assert refused.value.code == "forbidden"


def test_withdrawal_needs_a_reason_and_a_published_item(wrong, chief):
    with pytest.raises(TransitionNotAllowed) as refused:
        workflow.withdraw_item(wrong, by=chief, note="  ")
    assert refused.value.code == "invalid"
    workflow.withdraw_item(wrong, by=chief, note=NOTE)
    with pytest.raises(TransitionNotAllowed):  # twice
        workflow.withdraw_item(wrong, by=chief, note=NOTE)


def test_an_unpublished_item_cannot_be_withdrawn(approved, chief):
    with pytest.raises(TransitionNotAllowed):
        workflow.withdraw_item(approved.items.first(), by=chief, note=NOTE)


def test_every_public_surface_drops_the_text_and_shows_the_notice(
    client, published_bulletin, wrong, chief
):
    workflow.withdraw_item(wrong, by=chief, note=NOTE)
    issue = client.get(published_bulletin.get_absolute_url())
    assert issue.status_code == 200
    assert wrong.body not in issue.text and NOTE in issue.text
    assert "罗氏宣布扩建AI工厂。" in issue.text  # the rest stays

    page = client.get(wrong.get_absolute_url())
    assert page.status_code == 410
    assert NOTE in page.text and wrong.body not in page.text

    for url in (
        reverse("bulletins:rss"),
        reverse("bulletins:atom"),
        reverse("bulletins:search") + "?q=恒瑞",
        reverse(
            "bulletins:bulletin_text",
            kwargs={"year": 2026, "month": 3, "day": 17},
        ),
        reverse("bulletins:section_detail", kwargs={"slug": "company-news"}),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert wrong.body not in response.content.decode(), url


def test_the_api_reflects_a_withdrawal(client, published_bulletin, wrong, chief):
    workflow.withdraw_item(wrong, by=chief, note=NOTE)
    gone = client.get(f"/api/v1/items/{wrong.pk}/")
    assert gone.status_code == 410
    assert NOTE in gone.json()["message"]
    issue = client.get("/api/v1/bulletins/2026-03-17/").json()
    bodies = [i["body"] for group in issue["sections"] for i in group["items"]]
    assert wrong.body not in bodies and len(bodies) == 2
    listed = client.get("/api/v1/items/").json()
    assert wrong.pk not in [i["id"] for i in listed["results"]]


# ----------------------------------------------------------------------------- went live


def test_a_due_schedule_is_recorded_as_published_with_a_went_live_entry(approved, chief, editor):
    at = timezone.now() + dt.timedelta(hours=2)
    workflow.schedule(approved, by=chief, at=at)
    assert workflow.record_went_live() == []  # not yet
    mail.outbox.clear()
    with mock.patch("django.utils.timezone.now", return_value=at + dt.timedelta(minutes=5)):
        (recorded,) = workflow.record_went_live()
        assert workflow.record_went_live() == []  # once only
    approved.refresh_from_db()
    assert approved.status == BulletinStatus.PUBLISHED
    assert approved.publish_at == at
    entry = Transition.objects.get(bulletin=approved, action="went_live")
    assert (entry.from_status, entry.to_status, entry.by, entry.at) == (
        "scheduled",
        "published",
        None,
        at,
    )
    assert recorded.pk == approved.pk


def test_the_admin_records_it_on_the_next_page_without_a_cron(client, approved, chief):
    at = timezone.now() + dt.timedelta(hours=1)
    workflow.schedule(approved, by=chief, at=at)
    client.force_login(chief)
    with mock.patch("django.utils.timezone.now", return_value=at + dt.timedelta(seconds=1)):
        response = client.get(reverse("admin:bulletins_bulletin_changelist"))
    assert response.status_code == 200
    assert Bulletin.objects.get(pk=approved.pk).status == BulletinStatus.PUBLISHED
    assert Transition.objects.filter(bulletin=approved, action="went_live").count() == 1


def test_unscheduled_or_future_issues_are_left_alone(approved, chief):
    workflow.schedule(approved, by=chief, at=timezone.now() + dt.timedelta(hours=1))
    workflow.unschedule(approved, by=chief)
    assert workflow.record_went_live(now=timezone.now() + dt.timedelta(days=1)) == []
    assert Bulletin.objects.get(pk=approved.pk).status == BulletinStatus.APPROVED


# ----------------------------------------------------------------------------- notifications


def test_the_chief_hears_when_an_issue_is_approved_and_editors_when_it_goes_live(
    draft_bulletin, editor, reviewer, chief, django_capture_on_commit_callbacks
):
    workflow.submit_bulletin(draft_bulletin, by=editor)
    with django_capture_on_commit_callbacks(execute=True):
        for item in draft_bulletin.items.all():
            workflow.approve_item(item, by=reviewer)
    assert [m.to for m in mail.outbox] == [[chief.email]]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        workflow.publish(draft_bulletin, by=chief)
    assert [m.to for m in mail.outbox] == [[editor.email]]


# ----------------------------------------------------------------------------- corrections


@pytest.mark.parametrize(
    "note",
    [
        "更正:金额有误。",
        "更正:金额有误。",
        "【更正】金额有误。",
        "更正说明:金额有误。",
        "金额有误。",
    ],
)
def test_a_correction_note_never_repeats_the_word(client, published_bulletin, chief, note):
    correction = workflow.correct(published_bulletin, by=chief, note=note)
    assert correction.note == "金额有误。"
    page = client.get(published_bulletin.get_absolute_url()).text
    assert "更正:" not in page.replace("</strong>", "")
