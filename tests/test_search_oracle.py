"""Search against an oracle: over a few hundred generated items, every fixed query returns
exactly the published items a plain substring scan finds (100% recall and precision), with
Latin words matched as whole words. Runs on SQLite and on PostgreSQL."""

import datetime as dt
import unicodedata

import pytest

from bulletins import search
from bulletins.benchmarks._generator import generate_archive
from bulletins.models import Bulletin, Item

from .factories import ItemFactory

QUERIES = [
    # one and two characters
    "药", "罗", "癌", "罗氏", "恒瑞", "辉瑞", "融资", "获批", "百济",
    # four characters and longer
    "临床试验", "战略合作", "国家药监局", "主要终点", "美国食品药品监督管理局",
    # Latin and mixed
    "FDA", "fda", "AI", "ADC", "mrna", "PD-L1", "GLP-1", "HRS9531", "NMPA", "Roche", "GSK",
    "B轮", "Pre-A", "AI制药", "III期", "1.5亿元", "CAR-T疗法", "Blackw*", "Pre*",
    # several terms, a phrase
    "罗氏 FDA", "融资 领投", '"Eli Lilly"', "罗氏 辉瑞 合作",
]  # fmt: skip
WORD = set("abcdefghijklmnopqrstuvwxyz0123456789")


def fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def is_word(char: str) -> bool:
    return char.isalnum() and not ("\u3400" <= char <= "\u9fff")


def occurs(term: str, text: str, *, prefix: bool) -> bool:
    """Plain scan: ``term`` is a substring of ``text``; where it begins or ends with a Latin
    letter or digit, the neighbouring character must not be one (the word rule)."""
    start = text.find(term)
    while start != -1:
        end = start + len(term)
        left_ok = not is_word(term[0]) or start == 0 or not is_word(text[start - 1])
        right_ok = prefix or not is_word(term[-1]) or end == len(text) or not is_word(text[end])
        if left_ok and right_ok:
            return True
        start = text.find(term, start + 1)
    return False


def oracle(query: str, documents: dict[int, str]) -> set[int]:
    if query.startswith('"'):
        terms = [query.strip('"')]
    else:
        terms = query.split()
    parsed = [(fold(t.rstrip("*")), t.endswith("*")) for t in terms]
    return {
        pk
        for pk, text in documents.items()
        if all(occurs(term, text, prefix=prefix) for term, prefix in parsed)
    }


@pytest.fixture
def archive(db):
    generate_archive(days=12, items_per_day=25, entities=300, seed=7, end=dt.date(2025, 6, 30))
    # Unpublished text that matches the queries must never come back.
    draft = Bulletin.objects.create(issued_on=dt.date(2025, 7, 1))
    for body in ["罗氏获FDA批准GLP-1药物。", "恒瑞完成B轮融资。", "HRS9531临床试验。"]:
        ItemFactory(bulletin=draft, body=body)
    search.index_items(Item.objects.values_list("pk", flat=True))
    return {item.pk: fold(f"{item.headline}\n{item.body}") for item in Item.objects.published()}


def test_search_equals_a_plain_substring_scan(archive):
    assert len(archive) == 300
    mismatches = {}
    for query in QUERIES:
        expected = oracle(query, archive)
        found = search.search_ids(query)
        assert len(found) == len(set(found)), query
        if set(found) != expected:
            mismatches[query] = {
                "missed": sorted(expected - set(found)),
                "extra": sorted(set(found) - expected),
            }
    assert mismatches == {}


def test_the_oracle_queries_have_hits(archive):
    """Guards the test above against a vacuous pass (an archive where nothing matches)."""
    must_hit = ["药", "罗氏", "临床试验", "国家药监局", "FDA", "PD-L1", "GLP-1", "HRS9531", "B轮"]
    assert [query for query in must_hit if not oracle(query, archive)] == []
    assert sum(1 for query in QUERIES if oracle(query, archive)) >= 0.75 * len(QUERIES)
