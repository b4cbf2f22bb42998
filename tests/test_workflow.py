"""The editorial workflow, tested directly: one test per rule of bulletins.workflow."""

import datetime as dt
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone

from bulletins import workflow
from bulletins.models import (
    Bulletin,
    BulletinStatus,
    Correction,
    Item,
    ItemEntity,
    ItemStatus,
    Transition,
)
from bulletins.workflow import TransitionNotAllowed

from .factories import EntityFactory

pytestmark = pytest.mark.django_db


def approve_all(bulletin, reviewer):
    for item in bulletin.items.exclude(status=ItemStatus.SPIKED):
        workflow.approve_item(item, by=reviewer)
    bulletin.refresh_from_db()
    return bulletin


@pytest.fixture
def in_review(draft_bulletin, editor):
    return workflow.submit_bulletin(draft_bulletin, by=editor)


@pytest.fixture
def approved(in_review, reviewer):
    return approve_all(in_review, reviewer)


# ----------------------------------------------------------------------------- items


def test_drafts_save_even_when_incomplete(draft_bulletin, editor, company_news):
    item = workflow.add_item(draft_bulletin, by=editor, section=company_news, body="")
    assert item.status == ItemStatus.DRAFT
    assert item.pk is not None


def test_submit_refuses_an_item_without_text(draft_bulletin, editor, company_news):
    workflow.add_item(draft_bulletin, by=editor, section=company_news, body="   ")
    with pytest.raises(TransitionNotAllowed) as exc:
        workflow.submit_bulletin(draft_bulletin, by=editor)
    assert exc.value.code == "invalid"
    assert not draft_bulletin.items.filter(status=ItemStatus.SUBMITTED).exists()


def test_submitting_puts_items_and_bulletin_in_review(in_review):
    assert in_review.status == BulletinStatus.IN_REVIEW
    assert set(in_review.items.values_list("status", flat=True)) == {ItemStatus.SUBMITTED}


def test_bulletin_becomes_approved_when_its_last_item_is(in_review, reviewer):
    items = list(in_review.items.all())
    for item in items[:-1]:
        workflow.approve_item(item, by=reviewer)
    in_review.refresh_from_db()
    assert in_review.status == BulletinStatus.IN_REVIEW
    workflow.approve_item(items[-1], by=reviewer)
    in_review.refresh_from_db()
    assert in_review.status == BulletinStatus.APPROVED


def test_spiked_items_do_not_hold_up_approval(in_review, reviewer, editor):
    first, *rest = in_review.items.all()
    workflow.spike_item(first, by=editor)
    for item in rest:
        workflow.approve_item(item, by=reviewer)
    in_review.refresh_from_db()
    assert in_review.status == BulletinStatus.APPROVED
    first.refresh_from_db()
    assert first.status == ItemStatus.SPIKED  # kept, never deleted


def test_request_changes_needs_a_comment(in_review, reviewer):
    item = in_review.items.first()
    with pytest.raises(TransitionNotAllowed) as exc:
        workflow.request_changes(item, by=reviewer, comment="  ")
    assert exc.value.code == "invalid"
    item.refresh_from_db()
    assert item.status == ItemStatus.SUBMITTED


def test_an_item_sent_back_returns_the_bulletin_to_review(approved, reviewer, chief, editor):
    item = approved.items.first()
    workflow.edit_item(item, by=editor, expected_version=item.version, body="改写后的正文。")
    approved.refresh_from_db()
    assert approved.status == BulletinStatus.IN_REVIEW
    item.refresh_from_db()
    workflow.request_changes(item, by=reviewer, comment="请核对金额。")
    item.refresh_from_db()
    assert item.status == ItemStatus.CHANGES_REQUESTED
    workflow.submit_item(item, by=editor)
    item.refresh_from_db()
    assert item.status == ItemStatus.SUBMITTED


def test_editing_an_approved_items_text_sends_it_back_to_review(approved, editor):
    item = approved.items.first()
    edited = workflow.edit_item(item, by=editor, expected_version=item.version, body="新正文。")
    assert edited.status == ItemStatus.SUBMITTED
    assert Transition.objects.filter(item=item, action="edit", to_status="submitted").exists()


def test_changing_only_the_rank_of_an_approved_item_keeps_it_approved(approved, editor):
    item = approved.items.get(headline_rank=1)
    edited = workflow.edit_item(item, by=editor, expected_version=item.version, headline_rank=2)
    assert edited.status == ItemStatus.APPROVED


# ----------------------------------------------------------------------------- four eyes


def test_reviewer_cannot_approve_own_item(in_review, reviewer, editor):
    item = in_review.items.first()
    Item.objects.filter(pk=item.pk).update(created_by=reviewer)
    with pytest.raises(TransitionNotAllowed) as exc:
        workflow.approve_item(item, by=reviewer)
    assert exc.value.code == "forbidden"


def test_chief_cannot_approve_an_item_they_last_edited(in_review, chief):
    item = in_review.items.first()
    workflow.edit_item(item, by=chief, expected_version=item.version, body="主编改过的正文。")
    with pytest.raises(TransitionNotAllowed) as exc:
        workflow.approve_item(item, by=chief)
    assert exc.value.code == "forbidden"
    item.refresh_from_db()
    assert item.status == ItemStatus.SUBMITTED


def test_chief_cannot_request_changes_on_own_item(draft_bulletin, chief, company_news):
    item = workflow.add_item(draft_bulletin, by=chief, section=company_news, body="主编写的。")
    workflow.submit_item(item, by=chief)
    with pytest.raises(TransitionNotAllowed):
        workflow.request_changes(item, by=chief, comment="自己退自己")


# ----------------------------------------------------------------------------- locking


def test_second_save_over_a_stale_version_is_refused_and_the_first_stays(
    draft_bulletin, editor, editor2
):
    item = draft_bulletin.items.first()
    seen = item.version
    workflow.edit_item(item, by=editor, expected_version=seen, body="第一个人的修改。")
    with pytest.raises(TransitionNotAllowed) as exc:
        workflow.edit_item(item, by=editor2, expected_version=seen, body="第二个人的修改。")
    assert exc.value.code == "conflict"
    assert exc.value.current.body == "第一个人的修改。"
    item.refresh_from_db()
    assert item.body == "第一个人的修改。"


def test_bulletin_edit_over_a_stale_version_is_refused(draft_bulletin, editor, editor2):
    seen = draft_bulletin.version
    workflow.edit_bulletin(
        draft_bulletin, by=editor, expected_version=seen, dateline="(医药健闻2026年3月17日讯)"
    )
    with pytest.raises(TransitionNotAllowed) as exc:
        workflow.edit_bulletin(draft_bulletin, by=editor2, expected_version=seen, dateline="x")
    assert exc.value.code == "conflict"


# ----------------------------------------------------------------------------- revisions


def test_every_text_change_is_kept_as_a_revision(draft_bulletin, editor):
    item = draft_bulletin.items.first()
    original = item.body
    item = workflow.edit_item(item, by=editor, expected_version=item.version, body="第二版。")
    item = workflow.edit_item(item, by=editor, expected_version=item.version, body="第三版。")
    bodies = list(item.revisions.order_by("version").values_list("body", flat=True))
    assert bodies == [original, "第二版。", "第三版。"]


def test_a_revision_can_be_restored(draft_bulletin, editor):
    item = draft_bulletin.items.first()
    original = item.body
    item = workflow.edit_item(item, by=editor, expected_version=item.version, body="改坏了。")
    first = item.revisions.order_by("version").first()
    restored = workflow.restore_revision(
        item, by=editor, revision=first, expected_version=item.version
    )
    assert restored.body == original
    assert item.revisions.filter(body="改坏了。").exists()  # nothing lost


def test_revision_diff_is_readable_and_escaped(draft_bulletin, editor):
    item = draft_bulletin.items.first()
    old = item.revisions.first()
    item = workflow.edit_item(item, by=editor, expected_version=item.version, body="<b>罗氏</b>")
    html = workflow.revision_diff(old, item)
    assert "<ins>" in html and "<del>" in html
    assert "<b>" not in html and "&lt;b&gt;" in html


# ----------------------------------------------------------------------------- publication


def test_publish_refuses_an_issue_with_unapproved_items(in_review, chief):
    with pytest.raises(TransitionNotAllowed):
        workflow.publish(in_review, by=chief)
    assert not Bulletin.objects.published().exists()


def test_publish_refuses_a_dateline_of_another_day(draft_bulletin, editor, reviewer, chief):
    workflow.edit_bulletin(
        draft_bulletin,
        by=editor,
        expected_version=draft_bulletin.version,
        dateline="(医药健闻2026年3月16日讯)",
    )
    workflow.submit_bulletin(draft_bulletin, by=editor)
    approve_all(draft_bulletin, reviewer)
    with pytest.raises(TransitionNotAllowed) as exc:
        workflow.publish(draft_bulletin, by=chief)
    assert exc.value.code == "invalid"
    assert not Item.objects.published().exists()


def test_publishing_makes_every_approved_item_public_at_once(approved, chief):
    workflow.publish(approved, by=chief)
    assert Item.objects.published().count() == approved.items.count()


def test_scheduled_issue_is_public_at_its_time_and_not_before(approved, chief):
    now = timezone.now()
    at = now + dt.timedelta(hours=2)
    workflow.schedule(approved, by=chief, at=at)
    assert not Bulletin.objects.published().exists()
    assert not Item.objects.published().exists()
    with mock.patch("django.utils.timezone.now", return_value=at + dt.timedelta(seconds=1)):
        assert Bulletin.objects.published().get() == approved
        assert Item.objects.published().count() == 3


def test_schedule_in_the_past_is_refused(approved, chief):
    with pytest.raises(TransitionNotAllowed):
        workflow.schedule(approved, by=chief, at=timezone.now() - dt.timedelta(minutes=1))


def test_unschedule_returns_to_approved(approved, chief):
    workflow.schedule(approved, by=chief, at=timezone.now() + dt.timedelta(hours=1))
    current = workflow.unschedule(approved, by=chief)
    assert current.status == BulletinStatus.APPROVED
    assert current.publish_at is None


def test_published_issue_cannot_be_edited_directly(published_bulletin, editor):
    item = published_bulletin.items.first()
    with pytest.raises(TransitionNotAllowed):
        workflow.edit_item(item, by=editor, expected_version=item.version, body="偷偷改。")


def test_correction_keeps_the_old_text_and_a_visible_note(published_bulletin, chief):
    item = published_bulletin.items.first()
    old = item.body
    workflow.correct(published_bulletin, by=chief, note="更正:金额有误。", item=item, body="新。")
    published_bulletin.refresh_from_db()
    assert published_bulletin.status == BulletinStatus.CORRECTED
    assert Bulletin.objects.published().filter(pk=published_bulletin.pk).exists()
    assert Correction.objects.get(bulletin=published_bulletin).note == "金额有误。"  # no 2nd 更正
    assert item.revisions.filter(body=old).exists()


def test_correction_needs_a_note(published_bulletin, chief):
    with pytest.raises(TransitionNotAllowed):
        workflow.correct(published_bulletin, by=chief, note=" ")


def test_retraction_needs_a_comment_and_takes_the_text_off_public_queries(
    published_bulletin, chief
):
    with pytest.raises(TransitionNotAllowed):
        workflow.retract(published_bulletin, by=chief, comment="")
    workflow.retract(published_bulletin, by=chief, comment="信息来源有误。")
    assert not Bulletin.objects.published().exists()
    assert not Item.objects.published().exists()
    assert Bulletin.objects.retracted().get().retraction_note == "信息来源有误。"


# ----------------------------------------------------------------------------- history & mail


def test_every_transition_is_logged_with_who_from_to(published_bulletin, editor, reviewer, chief):
    rows = set(
        Transition.objects.filter(bulletin=published_bulletin).values_list(
            "action", "from_status", "to_status", "by__username"
        )
    )
    assert ("submit", "draft", "in_review", editor.username) in rows
    assert ("approve", "submitted", "approved", reviewer.username) in rows
    assert ("auto", "in_review", "approved", reviewer.username) in rows
    assert ("publish", "approved", "published", chief.username) in rows


def test_reviewers_are_mailed_when_items_are_submitted(
    draft_bulletin, editor, reviewer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        workflow.submit_bulletin(draft_bulletin, by=editor)
    assert [m.to for m in mail.outbox] == [[reviewer.email]]


def test_author_is_mailed_the_comment_when_changes_are_requested(
    in_review, editor, reviewer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        workflow.request_changes(in_review.items.first(), by=reviewer, comment="请补充来源。")
    assert mail.outbox[-1].to == [editor.email]
    assert "请补充来源。" in mail.outbox[-1].body


# ----------------------------------------------------------------------------- checks


def codes(report):
    return {c.code for c in report.checks}


def test_checks_block_an_empty_issue(editor):
    bulletin = workflow.create_bulletin(issued_on=dt.date(2026, 3, 18), by=editor)
    report = workflow.prepublish_checks(bulletin)
    assert "empty" in codes(report) and not report.ok


def test_checks_block_unapproved_items_and_warn_about_missing_entities(in_review):
    report = workflow.prepublish_checks(in_review)
    assert {c.code for c in report.blocking} == {"unapproved"}
    assert "no_entity" in {c.code for c in report.warnings}


def test_checks_block_a_rank_without_headline(draft_bulletin, editor, company_news):
    workflow.add_item(
        draft_bulletin, by=editor, section=company_news, body="无标题。", headline_rank=2
    )
    assert "rank_without_headline" in codes(workflow.prepublish_checks(draft_bulletin))


def test_checks_warn_about_mixed_punctuation(draft_bulletin, editor, company_news):
    workflow.add_item(
        draft_bulletin, by=editor, section=company_news, body="罗氏(Roche)宣布\uff08扩建\uff09。"
    )
    assert "mixed_punctuation" in codes(workflow.prepublish_checks(draft_bulletin))


def test_checks_do_not_flag_consistent_punctuation(draft_bulletin):
    item = draft_bulletin.items.first()
    ItemEntity.objects.create(item=item, entity=EntityFactory())
    report = workflow.prepublish_checks(draft_bulletin)
    assert "mixed_punctuation" not in codes(report)


def test_checks_warn_about_a_near_duplicate_of_a_recent_issue(
    published_bulletin, editor, company_news
):
    later = workflow.create_bulletin(issued_on=dt.date(2026, 3, 18), by=editor)
    workflow.add_item(later, by=editor, section=company_news, body="罗氏宣布扩建AI工厂。")
    assert "near_duplicate" in codes(workflow.prepublish_checks(later))


# ----------------------------------------------------------------------------- order & queue


def test_reorder_moves_items_between_sections(draft_bulletin, editor, company_news, industry_news):
    a, b, c = draft_bulletin.items.in_issue_order()
    workflow.reorder_items(
        draft_bulletin,
        by=editor,
        order=[(b.pk, company_news.pk), (c.pk, company_news.pk), (a.pk, industry_news.pk)],
    )
    got = list(draft_bulletin.items.in_issue_order().values_list("pk", "section_id", "position"))
    assert got == [
        (b.pk, company_news.pk, 1),
        (c.pk, company_news.pk, 2),
        (a.pk, industry_news.pk, 1),
    ]


def test_reorder_refuses_items_of_another_issue(draft_bulletin, published_bulletin, editor):
    with pytest.raises(TransitionNotAllowed):
        workflow.reorder_items(
            draft_bulletin, by=editor, order=[(999_999, draft_bulletin.items.first().section_id)]
        )


def test_review_queue_is_oldest_first_and_excludes_own_work(draft_bulletin, editor, chief):
    items = list(draft_bulletin.items.in_issue_order())
    with mock.patch("django.utils.timezone.now") as now:
        for minutes, item in zip([30, 10, 20], items, strict=True):
            now.return_value = timezone.make_aware(dt.datetime(2026, 3, 17, 7, minutes))
            workflow.submit_item(item, by=editor)
    workflow.edit_item(items[1], by=chief, expected_version=items[1].version + 1, body="主编改")
    queue = list(workflow.decidable_items(chief))
    assert queue == [items[2], items[0]]


def test_partial_reorder_keeps_unlisted_items_after_the_listed_ones(draft_bulletin, editor):
    a, b, _c = draft_bulletin.items.in_issue_order()
    workflow.reorder_items(draft_bulletin, by=editor, order=[(b.pk, b.section_id)])
    got = list(draft_bulletin.items.filter(section=a.section).in_issue_order())
    assert got == [b, a]


def test_reorder_gives_a_new_version_only_to_items_that_moved(draft_bulletin, editor):
    a, b, c = draft_bulletin.items.in_issue_order()
    workflow.reorder_items(
        draft_bulletin,
        by=editor,
        order=[(b.pk, b.section_id), (a.pk, a.section_id), (c.pk, c.section_id)],
    )
    versions = {i.pk: i.version for i in draft_bulletin.items.all()}
    assert versions[a.pk] == a.version + 1 and versions[b.pk] == b.version + 1
    assert versions[c.pk] == c.version


def test_a_taken_headline_rank_is_refused_with_a_clear_message(draft_bulletin, editor):
    item = draft_bulletin.items.get(headline_rank__isnull=True, section__slug="company-news")
    with pytest.raises(TransitionNotAllowed) as exc:
        workflow.edit_item(item, by=editor, expected_version=item.version, headline_rank=1)
    assert exc.value.code == "invalid"
    with pytest.raises(TransitionNotAllowed):
        workflow.add_item(
            draft_bulletin, by=editor, section=item.section, body="x", headline="y", headline_rank=1
        )


@pytest.fixture
def base_rows(transactional_db):
    """The roles and sections the data migration writes: an earlier transactional test
    (the browser tests) may have flushed them."""
    from django.contrib.auth.models import Group

    from bulletins.models import Section
    from bulletins.roles import ROLES

    for name in ROLES:
        Group.objects.get_or_create(name=name)
    for name, slug, position in [("企业动态", "company-news", 1), ("产业动态", "industry-news", 2)]:
        Section.objects.get_or_create(slug=slug, defaults={"name": name, "position": position})


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_simultaneous_saves_of_one_version_let_exactly_one_through(
    base_rows, draft_bulletin, editor, editor2
):
    """Real concurrency, two connections: the row lock makes the version check race-free."""
    import threading

    from django.db import OperationalError, connection

    item = draft_bulletin.items.first()
    seen = item.version
    barrier = threading.Barrier(2)
    results = {}

    def save(user, text):
        try:
            barrier.wait(timeout=10)
            workflow.edit_item(item, by=user, expected_version=seen, body=text)
            results[text] = "saved"
        except TransitionNotAllowed as exc:
            results[text] = exc.code
        except OperationalError:  # SQLite's shared-cache test database refuses, not waits
            results[text] = "locked"
        finally:
            connection.close()

    threads = [
        threading.Thread(target=save, args=(user, text))
        for user, text in [(editor, "甲的修改。"), (editor2, "乙的修改。")]
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results.values()) in (["conflict", "saved"], ["locked", "saved"])
    if connection.vendor == "postgresql":  # a real server waits for the lock, then checks
        assert sorted(results.values()) == ["conflict", "saved"]
    winner = next(text for text, result in results.items() if result == "saved")
    item.refresh_from_db()
    assert item.body == winner
    assert item.version == seen + 1


def test_reviewers_are_mailed_when_an_approved_item_is_edited_back_into_review(
    approved, editor, reviewer, django_capture_on_commit_callbacks
):
    item = approved.items.first()
    with django_capture_on_commit_callbacks(execute=True):
        workflow.edit_item(item, by=editor, expected_version=item.version, body="改过的。")
    assert mail.outbox[-1].to == [reviewer.email]
    assert "改过的。" in mail.outbox[-1].body


def test_a_spiked_item_can_be_brought_back_as_a_draft(approved, editor):
    item = approved.items.first()
    workflow.spike_item(item, by=editor)
    back = workflow.unspike_item(item, by=editor)
    assert back.status == ItemStatus.DRAFT
    approved.refresh_from_db()
    assert approved.status == BulletinStatus.IN_REVIEW  # it must be reviewed again
    assert Transition.objects.filter(item=item, action="unspike").exists()


def test_item_body_with_a_line_break_is_refused(draft_bulletin, editor, company_news):
    """One item is one paragraph; a line break would export as two items."""
    with pytest.raises(workflow.TransitionNotAllowed) as refused:
        workflow.add_item(
            draft_bulletin, by=editor, section=company_news, body="第一段。\n第二段。"
        )
    assert refused.value.code == "invalid"
    item = draft_bulletin.items.first()
    with pytest.raises(workflow.TransitionNotAllowed):
        workflow.edit_item(item, by=editor, expected_version=item.version, body="甲。\r\n乙。")
    item.refresh_from_db()
    assert "\n" not in item.body
