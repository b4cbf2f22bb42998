"""Issue, entity and section lists in the API: ``?page=N`` as documented, and ``next`` /
``previous`` links by keyset cursor — stable while issues are published, the same queries at
any depth, a bad cursor a 400."""

import base64
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from bulletins.models import Bulletin, Entity, Section

from .test_api_queries import make_archive

pytestmark = pytest.mark.django_db

LISTS = {
    "bulletins": (
        "/api/v1/bulletins/",
        lambda row: row["issued_on"],
        lambda: [
            b.issued_on.isoformat()
            for b in Bulletin.objects.published().order_by("-issued_on", "-pk")
        ],
    ),
    "entities": (
        "/api/v1/entities/",
        lambda row: row["slug"],
        lambda: list(
            Entity.objects.public().order_by("type", "name", "pk").values_list("slug", flat=True)
        ),
    ),
    "sections": (
        "/api/v1/sections/",
        lambda row: row["slug"],
        lambda: list(
            Section.objects.public().order_by("position", "pk").values_list("slug", flat=True)
        ),
    ),
}


@pytest.fixture
def api():
    return APIClient()


def walk(api, url, link="next"):
    pages = []
    while url:
        response = api.get(url)
        assert response.status_code == 200, response.content
        data = response.json()
        pages.append((url, data))
        url = data[link]
    return pages


@pytest.mark.parametrize("name", LISTS)
def test_next_links_walk_every_row_once_in_order_and_previous_walks_back(api, db, name):
    make_archive(23)
    url, key, expected = LISTS[name]
    pages = walk(api, f"{url}?page_size=5")
    rows = [key(row) for _url, data in pages for row in data["results"]]
    assert rows == expected()
    assert all(data["count"] == len(rows) for _url, data in pages)
    assert all("cursor=" in url for url, _data in pages[1:])  # no page numbers after the first
    # previous from the last page leads back through the same pages
    back = walk(api, pages[-1][0], link="previous")
    assert [[key(r) for r in d["results"]] for _u, d in back] == [
        [key(r) for r in d["results"]] for _u, d in reversed(pages)
    ]


@pytest.mark.parametrize("name", LISTS)
def test_page_numbers_still_answer_as_documented(api, db, name):
    make_archive(23)
    url, key, expected = LISTS[name]
    data = api.get(f"{url}?page=3&page_size=5").json()
    assert [key(row) for row in data["results"]] == expected()[10:15]
    assert data["count"] == len(expected())
    assert "page=2" in data["previous"] and "cursor" not in data["previous"]
    following = api.get(data["next"]).json()
    assert [key(row) for row in following["results"]] == expected()[15:20]
    assert api.get(f"{url}?page=99&page_size=5").status_code == 404


def test_a_cursor_page_keeps_its_issues_when_new_ones_are_published(api, db):
    make_archive(30)
    second_url = api.get("/api/v1/bulletins/?page_size=10").json()["next"]
    before = [row["issued_on"] for row in api.get(second_url).json()["results"]]
    make_archive(5, start=30)  # five newer issues published
    after = api.get(second_url).json()
    assert [row["issued_on"] for row in after["results"]] == before
    assert after["count"] == 35
    # by page number the same page moved on by five issues
    by_number = api.get("/api/v1/bulletins/?page=2&page_size=10").json()["results"]
    assert [row["issued_on"] for row in by_number] != before


def cursor(data) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "raw",
    [
        "not-a-cursor",
        "%%%",
        cursor([1, 2]),
        cursor({"o": "-date", "v": ["2025-01-01", 1, 1, 1]}),  # an item list's cursor
        cursor({"o": "-issued_on,-pk", "d": "x", "v": ["2025-01-01", 1]}),
        cursor({"o": "-issued_on,-pk", "d": "n", "v": ["2025-13-01", 1]}),
        cursor({"o": "-issued_on,-pk", "d": "n", "v": ["2025-01-01", "1"]}),
        cursor({"o": "-issued_on,-pk", "d": "n", "v": ["2025-01-01", 2**70]}),
        cursor({"o": "-issued_on,-pk", "d": "n", "v": ["2025-01-01", -1]}),
        cursor({"o": "-issued_on,-pk", "d": "n", "v": ["2025-01-01", True]}),
        cursor({"o": "-issued_on,-pk", "d": "n", "v": [None, 1]}),
        cursor({"o": "-issued_on,-pk", "d": "n", "v": ["2025-01-01"]}),
        cursor({"o": "type,name,pk", "d": "n", "v": ["company", "a\u0000", 1]}),
        cursor({"o": "type,name,pk", "d": "n", "v": ["company", "x" * 5000, 1]}),
        cursor({"o": "type,name,pk", "d": "p", "v": ["company", 5, 1]}),
    ],
)
def test_a_bad_cursor_is_a_400_naming_the_cursor(api, db, raw):
    make_archive(3)
    for url in ("/api/v1/bulletins/", "/api/v1/entities/", "/api/v1/sections/"):
        response = api.get(url, {"cursor": raw})
        assert response.status_code == 400, (url, raw, response.content)
        assert list(response.json()["field_errors"]) == ["cursor"]


def queries(api, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert api.get(url).status_code == 200
    return len(ctx)


def costs(api):
    found = {}
    for name, (url, _key, _expected) in LISTS.items():
        pages = walk(api, f"{url}?page_size=10")
        assert len(pages) >= 4
        found[name] = [queries(api, u) for u, _d in (pages[0], pages[1], pages[-2], pages[-1])]
    return found


def test_a_deep_cursor_page_costs_the_queries_of_the_first_at_two_sizes(api, db):
    make_archive(40)
    small = costs(api)
    make_archive(80, start=40)
    assert costs(api) == small
    for name, (first, *deep) in small.items():
        assert set(deep) == {first}, (name, small)
