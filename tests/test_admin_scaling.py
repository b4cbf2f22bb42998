"""The admin's large lists (bulletins/admin/scaling.py): search through the index and the
names without a join, no full-table recount, a fixed number of queries per page."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from .site_data import make_entity, make_issue

DAY = dt.date(2026, 3, 10)


def changelist(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200
    return response.context["cl"]


def test_item_search_uses_the_search_rules(client, chief):
    client.force_login(chief)
    make_issue(DAY, 3)
    make_issue(DAY - dt.timedelta(days=1), 2, status="draft")  # any status is searchable
    cl = changelist(client, "/admin/bulletins/item/", q="B轮融资")
    assert len(cl.result_list) == 5
    assert cl.show_full_result_count is False
    assert changelist(client, "/admin/bulletins/item/", q="不存在的词").result_count == 0


def test_entity_search_by_alias_lists_each_entity_once(client, chief):
    client.force_login(chief)
    make_entity("葛兰素史克", "gsk", aliases=["GSK", "GSK plc"])
    make_entity("罗氏", "roche", aliases=["Roche"])
    cl = changelist(client, "/admin/bulletins/entity/", q="gsk")
    assert [e.slug for e in cl.result_list] == ["gsk"]
    response = client.get(
        "/admin/autocomplete/",
        {
            "app_label": "bulletins",
            "model_name": "itementity",
            "field_name": "entity",
            "term": "Roc",
        },
    )
    assert [row["text"] for row in response.json()["results"]] == ["罗氏"]


@pytest.mark.parametrize(
    "url", ["/admin/bulletins/entity/", "/admin/bulletins/bulletin/", "/admin/bulletins/item/"]
)
def test_changelists_cost_the_same_queries_at_two_sizes(client, chief, url):
    client.force_login(chief)
    entities = [make_entity(f"公司{n}", f"co-{n}", aliases=[f"Co{n}"]) for n in range(3)]
    make_issue(DAY, 3, entities=entities)
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    more = [make_entity(f"药企{n}", f"pharma-{n}", aliases=[f"Ph{n}"]) for n in range(30)]
    for n in range(1, 6):
        make_issue(DAY - dt.timedelta(days=n), 10, entities=more[n::5])
    with CaptureQueriesContext(connection) as large:
        client.get(url)
    assert len(large) == len(small)


@pytest.mark.parametrize("url", ["/admin/bulletins/bulletin/", "/admin/bulletins/item/"])
def test_issue_year_filter_spans_first_to_last_issue_and_filters(client, chief, url):
    client.force_login(chief)
    make_issue(DAY, 2)
    make_issue(DAY.replace(year=2024), 2)
    response = client.get(url)
    year_choices = [
        choice["display"]
        for spec in response.context["cl"].filter_specs
        if getattr(spec, "parameter_name", "") == "year"
        for choice in spec.choices(response.context["cl"])
    ]
    assert year_choices[1:] == ["2026", "2025", "2024"]  # after 全部
    per_issue = 1 if "bulletin/" in url else 2
    assert changelist(client, url, year="2024").result_count == per_issue
    assert changelist(client, url, year="2025").result_count == 0
    # Not a year (full-width digits): the filter is ignored, never a 500.
    assert changelist(client, url, year="２０２４").result_count == 2 * per_issue
