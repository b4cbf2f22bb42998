"""Two editors on one item: different fields merge, the same field is a conflict, and an
overwrite happens only when asked for, and is logged."""

import pytest
from django.utils import translation

from bulletins import workflow
from bulletins.models import Transition
from bulletins.roles import TransitionNotAllowed

pytestmark = pytest.mark.django_db


@pytest.fixture
def item(draft_bulletin):
    return draft_bulletin.items.get(body="恒瑞医药新药获批。")


def loaded(item):
    return {
        "body": item.body,
        "headline": item.headline,
        "section": item.section_id,
        "facts": item.facts,
    }


def test_edits_of_different_fields_merge(item, editor, editor2):
    base, v1 = loaded(item), item.version
    workflow.edit_item(item, by=editor2, expected_version=v1, headline="恒瑞新药获批")
    # my form still carries the old headline (unchanged by me) and a new text
    saved = workflow.edit_item(
        item, by=editor, expected_version=v1, base=base, body="恒瑞医药新药获批上市。", headline=""
    )
    assert (saved.body, saved.headline) == ("恒瑞医药新药获批上市。", "恒瑞新药获批")
    log = Transition.objects.get(item=item, action="merge")
    assert "editor2" in log.comment and log.by == editor


def test_edits_of_the_same_field_conflict_and_nothing_is_saved(item, editor, editor2):
    base, v1 = loaded(item), item.version
    workflow.edit_item(item, by=editor2, expected_version=v1, body="恒瑞医药新药获批,金额2.80亿。")
    with pytest.raises(TransitionNotAllowed) as conflict:
        workflow.edit_item(
            item, by=editor, expected_version=v1, base=base, body="恒瑞医药新药获批,金额2.8亿。"
        )
    assert conflict.value.code == "conflict"
    assert conflict.value.errors == ["body"]
    assert conflict.value.current.body == "恒瑞医药新药获批,金额2.80亿。"
    item.refresh_from_db()
    assert item.body == "恒瑞医药新药获批,金额2.80亿。"


def test_the_same_change_on_both_sides_is_no_conflict(item, editor, editor2):
    base, v1 = loaded(item), item.version
    workflow.edit_item(item, by=editor2, expected_version=v1, body="同一句。")
    saved = workflow.edit_item(item, by=editor, expected_version=v1, base=base, body="同一句。")
    assert saved.body == "同一句。"


def test_overwrite_is_explicit_checked_against_the_version_shown_and_logged(item, editor, editor2):
    base, v1 = loaded(item), item.version
    theirs = workflow.edit_item(item, by=editor2, expected_version=v1, body="他们的。")
    shown = theirs.version
    # the overwrite names the version shown on the conflict screen: a stale one is refused
    with pytest.raises(TransitionNotAllowed):
        workflow.edit_item(
            item, by=editor, expected_version=v1, base=base, overwrite=True, body="我的。"
        )
    with translation.override("zh-hans"):  # the log is written in the editor's language
        saved = workflow.edit_item(
            item, by=editor, expected_version=shown, base=base, overwrite=True, body="我的。"
        )
    assert saved.body == "我的。"
    log = Transition.objects.get(item=item, action="overwrite")
    assert log.by == editor and "正文" in log.comment
    # their text is not lost: it is a revision
    assert item.revisions.filter(body="他们的。").exists()


def test_without_base_a_stale_save_is_still_refused(item, editor, editor2):
    v1 = item.version
    workflow.edit_item(item, by=editor2, expected_version=v1, headline="甲")
    with pytest.raises(TransitionNotAllowed) as conflict:
        workflow.edit_item(item, by=editor, expected_version=v1, body="乙。")
    assert conflict.value.code == "conflict"


def test_merge_fields_is_three_way():
    class Row:
        body, headline, facts = "theirs", "same", {"a": 1}

    changes, conflicts = workflow.merge_fields(
        {"body": "base", "headline": "same", "facts": {"a": 1}},
        {"body": "mine", "headline": "mine-h", "facts": {"a": 1}},
        Row,
    )
    assert (changes, conflicts) == ({"headline": "mine-h"}, ["body"])


def test_edits_in_different_places_of_the_same_text_merge(item, editor, editor2):
    base, v1 = loaded(item), item.version
    workflow.edit_item(item, by=editor2, expected_version=v1, body="恒瑞医药的新药获批。")
    saved = workflow.edit_item(
        item, by=editor, expected_version=v1, base=base, body="恒瑞医药新药获批上市。"
    )
    assert saved.body == "恒瑞医药的新药获批上市。"


@pytest.mark.parametrize(
    ("base", "mine", "theirs", "merged"),
    [
        (
            "融资2.8亿元,由甲领投。",
            "融资2.8亿元,由甲基金领投。",
            "融资2.80亿元,由甲领投。",
            "融资2.80亿元,由甲基金领投。",
        ),
        ("融资2.8亿元。", "融资2.8亿美元。", "融资2.80亿元。", None),  # the same place
        ("甲乙", "甲X乙", "甲Y乙", None),  # both insert at one point: order unknown
    ],
)
def test_merge_text(base, mine, theirs, merged):
    assert workflow.merge_text(base, mine, theirs) == merged
