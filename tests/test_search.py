"""The search service (bulletins.search): semantics, freshness and safety, on both databases."""

import pytest

from bulletins import search, workflow
from bulletins.models import Item


def _reindex():
    search.index_items(Item.objects.values_list("pk", flat=True))


@pytest.fixture
def indexed(published_bulletin):
    _reindex()
    return published_bulletin


def test_two_character_chinese_name_found_inside_a_run(indexed):
    ids = search.search_ids("罗氏")
    assert [Item.objects.get(pk=pk).body for pk in ids] == ["罗氏宣布扩建AI工厂。"]


def test_blank_query_finds_nothing(indexed):
    assert search.search_ids("  ") == []


def test_unpublished_items_are_never_found(draft_bulletin):
    _reindex()
    assert search.search_ids("罗氏") == []


def test_retraction_removes_hits_at_once(indexed, chief):
    workflow.retract(indexed, by=chief, comment="错误")
    assert search.search_ids("罗氏") == []
