"""The /deals/ and /approvals/ trackers: rows from stored facts, filters, keyset pages,
downloads of exactly the filtered rows, feeds, and nothing unpublished anywhere."""

import csv
import datetime as dt
import io
import json
from collections import Counter

import pytest
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from bulletins import fx, trackers
from bulletins.models import (
    Bulletin,
    BulletinStatus,
    ItemEntity,
    ItemStatus,
    TrackerRow,
)
from bulletins.readmodels import visibility_changed

from .site_data import make_entity, make_facts_issue

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 3, 17)


def amount(value, currency="CNY", text=None, approximate=False):
    return {
        "amount": value,
        "currency": currency,
        "approximate": approximate,
        "text": text or f"{value}{currency}",
    }


def issue(day, rows, **options):
    """An issue whose items are (event_kind, round, facts) tuples; tracker rows indexed."""
    return make_facts_issue(
        day,
        [{"event_kind": k, "financing_round": r, "facts": f} for k, r, f in rows],
        **options,
    )


def financing(value, round_="B", **extra):
    return ("financing", round_, {"amount": amount(value), **extra})


def page_ids(response):
    return [deal["row"].item_id for deal in response.context["rows"]]


# ----------------------------------------------------------------------------- rows from facts


def test_a_financing_row_normalises_its_amount_with_the_stated_rate_table(db):
    _bulletin, (item,) = issue(
        DAY,
        [
            (
                "financing",
                "B",
                {
                    "amount": amount(50_000_000, "USD", "约5000万美元", approximate=True),
                    "lead_investors": ["高瓴创投"],
                    "investors": ["礼来亚洲基金", "红杉中国"],
                },
            )
        ],
    )
    row = TrackerRow.objects.get(item=item)
    assert row.tracker == "deals" and row.financing_round == "B"
    assert row.amount_text == "约5000万美元" and row.approximate
    assert row.amount_cny == int(50_000_000 * fx.CNY_PER_UNIT["USD"])
    assert row.amount_usd == 50_000_000
    assert row.lead_investors == "高瓴创投" and row.investors == "礼来亚洲基金、红杉中国"


def test_an_unsure_field_stays_empty_rather_than_guessed(db):
    # Only "amounts" (every amount in the text) and no headline "amount": no deal size.
    _b, (item,) = issue(DAY, [("financing", "", {"amounts": [amount(3, "CNY")]})])
    row = TrackerRow.objects.get(item=item)
    assert row.amount_text == "" and row.amount_cny is None and row.sort_amount == -1
    assert row.financing_round == ""


def test_malformed_facts_never_break_a_row(db):
    _b, items = issue(
        DAY,
        [
            ("financing", "A", {"amount": {"amount": "lots", "currency": "CNY"}}),
            ("financing", "A", {"amount": amount(1, "XYZ"), "lead_investors": "一家"}),
            ("ma", "", {"ma": "not an object", "amount": [1, 2]}),
        ],
    )
    rows = TrackerRow.objects.filter(item__in=items)
    assert rows.count() == 3
    assert all(r.amount_cny is None for r in rows)
    assert rows.get(item=items[1]).lead_investors == "一家"


def test_licensing_terms_and_partnerships_without_money(db):
    licensing = {"upfront": amount(1, text="首付款1亿"), "total": amount(9, text="总额9亿")}
    _b, (deal, talk) = issue(
        DAY,
        [("partnership", "", {"licensing": licensing}), ("partnership", "", {})],
    )
    row = TrackerRow.objects.get(item=deal)
    assert (row.upfront_text, row.total_text, row.amount_text) == (
        "首付款1亿",
        "总额9亿",
        "总额9亿",
    )
    assert not TrackerRow.objects.filter(item=talk).exists()


def test_approvals_take_regulator_decision_drug_and_indication(db):
    facts = {
        "regulator": "国家药品监督管理局",
        "decision": "priority_review",
        "drug": "某某单抗",
        "indication": "非小细胞肺癌",
    }
    _b, (item, clinical, unknown) = issue(
        DAY,
        [("approval", "", facts), ("clinical", "", {"decision": "ind"}), ("clinical", "", {})],
    )
    row = TrackerRow.objects.get(item=item)
    assert (row.tracker, row.regulator, row.decision) == (
        "approvals",
        facts["regulator"],
        facts["decision"],
    )
    assert (row.drug, row.indication) == ("某某单抗", "非小细胞肺癌")
    assert TrackerRow.objects.get(item=clinical).decision == "ind"
    assert not TrackerRow.objects.filter(item=unknown).exists()


def test_an_editor_correcting_facts_is_followed_by_the_tracker(db, editor):
    from bulletins import workflow

    _b, (item,) = issue(DAY, [financing(100_000_000)], status=BulletinStatus.DRAFT)
    item.refresh_from_db()
    workflow.edit_item(
        item,
        by=editor,
        expected_version=item.version,
        facts={"amount": amount(200_000_000, text="2亿元")},
        financing_round="C",
    )
    row = TrackerRow.objects.get(item=item)
    assert (row.amount_cny, row.amount_text, row.financing_round) == (200_000_000, "2亿元", "C")


def test_an_imported_issue_has_its_deals_and_approvals_rows(db, editor, sample_text):
    """An import writes its items in bulk (no save signal): the workflow writes their rows."""
    from bulletins.importers.service import import_issue

    bulletin = import_issue(sample_text, by=editor).bulletin
    kinds = dict(
        TrackerRow.objects.filter(item__bulletin=bulletin)
        .values_list("tracker")
        .annotate(n=Count("pk"))
        .order_by()
    )
    expected = Counter(trackers.tracker_of(item) for item in bulletin.items.all())
    assert kinds == {name: n for name, n in expected.items() if name}
    assert kinds["deals"] >= 3 and kinds["approvals"] >= 5


# ----------------------------------------------------------------------------- pages


def test_deals_page_lists_published_deals_newest_first_with_the_rate_table(client, db):
    issue(DAY - dt.timedelta(days=1), [financing(1)])
    _b, (newer,) = issue(DAY, [financing(2)])
    response = client.get(reverse("bulletins:deals"))
    html = response.content.decode()
    assert response.status_code == 200
    assert page_ids(response)[0] == newer.pk
    assert fx.RATES_DATE.isoformat() in html and "7.03" in html


def test_nothing_unpublished_reaches_a_tracker_its_downloads_or_feeds(client, db):
    _b, (public,) = issue(DAY, [financing(5, lead_investors=["公开资本"])])
    issue(
        DAY + dt.timedelta(days=1),
        [financing(6, lead_investors=["草稿资本"])],
        status=BulletinStatus.DRAFT,
    )
    issue(
        DAY + dt.timedelta(days=2),
        [financing(7, lead_investors=["待审资本"])],
        item_status=ItemStatus.SUBMITTED,
    )
    future = timezone.now() + dt.timedelta(days=3)
    scheduled, _items = issue(
        DAY + dt.timedelta(days=3), [financing(8, lead_investors=["定时资本"])]
    )
    Bulletin.objects.filter(pk=scheduled.pk).update(
        status=BulletinStatus.SCHEDULED, publish_at=future
    )
    retracted, _items = issue(
        DAY + dt.timedelta(days=4), [financing(9, lead_investors=["撤回资本"])]
    )
    Bulletin.objects.filter(pk=retracted.pk).update(status=BulletinStatus.RETRACTED)
    issue(
        DAY + dt.timedelta(days=5),
        [("approval", "", {"regulator": "草稿监管局"})],
        status=BulletinStatus.DRAFT,
    )
    secret = ["草稿资本", "待审资本", "定时资本", "撤回资本", "草稿监管局"]
    for name in ["deals", "deals_csv", "deals_json", "deals_rss", "deals_atom"]:
        for tracker_name in [name, name.replace("deals", "approvals")]:
            response = client.get(reverse(f"bulletins:{tracker_name}"))
            body = b"".join(response.streaming_content) if response.streaming else response.content
            text = body.decode("utf-8-sig")
            assert response.status_code == 200, tracker_name
            assert not [s for s in secret if s in text], tracker_name
    assert "公开资本" in client.get(reverse("bulletins:deals")).content.decode()


def test_filters_by_round_amount_investor_company_kind_and_date(client, db, monkeypatch):
    hengrui = make_entity("恒瑞医药", "hengrui")
    _b, items = issue(
        DAY,
        [
            financing(50_000_000, "A", lead_investors=["高瓴创投"]),
            financing(300_000_000, "B", investors=["红杉中国"]),
            (
                "ma",
                "",
                {"ma": {"buyer": "某收购方", "target": "某标的", "price": amount(9_000_000_000)}},
            ),
        ],
    )
    ItemEntity.objects.create(item=items[1], entity=hengrui)
    issue(DAY - dt.timedelta(days=30), [financing(70_000_000, "A")])

    def ids(**query):
        response = client.get(reverse("bulletins:deals"), query)
        assert response.status_code == 200, response.context["form"].errors
        return set(page_ids(response))

    assert ids(round="B") == {items[1].pk}
    assert ids(min=10_000, max=40_000) == {items[1].pk}  # in 万元: 1亿 to 4亿
    assert ids(investor="高瓴") == {items[0].pk}
    assert ids(company="恒瑞") == {items[1].pk}
    monkeypatch.setattr(trackers.FilterForm, "RARE", 0)  # a common name: the date walk
    assert ids(company="恒瑞") == {items[1].pk}
    assert ids(kind="ma") == {items[2].pk}
    assert ids(start=DAY.isoformat(), round="A") == {items[0].pk}


@pytest.mark.parametrize(
    "query, field",
    [
        ({"min": "abc"}, "min"),
        ({"min": "5", "max": "1"}, "max"),
        ({"start": "2026-02-30"}, "start"),
        ({"start": "2026-03-10", "end": "2026-03-01"}, "end"),
        ({"round": "Z"}, "round"),
        ({"after": "garbage"}, "after"),
        ({"sort": "amount", "after": "2026-03-01~5"}, "after"),
    ],
)
def test_bad_filters_are_explained_not_a_server_error(client, db, query, field):
    response = client.get(reverse("bulletins:deals"), query)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    download = client.get(reverse("bulletins:deals_csv"), query)
    assert download.status_code == 400
    assert field in json.loads(download.content)["field_errors"]


def test_keyset_pages_walk_every_row_once_in_amount_order(client, db, monkeypatch):
    monkeypatch.setattr(trackers, "PAGE_SIZE", 4)
    values = [5, 1, 9, 3, 9, 7, 2, 8, 6, 4]
    for n, value in enumerate(values):
        issue(DAY - dt.timedelta(days=n), [financing(value * 10**7)])
    issue(DAY - dt.timedelta(days=20), [("financing", "A", {})])  # no amount: last
    seen, url = [], reverse("bulletins:deals") + "?sort=-amount"
    while url:
        response = client.get(url)
        seen.extend(deal["row"] for deal in response.context["rows"])
        nxt = response.context["next_url"]
        url = reverse("bulletins:deals") + nxt if nxt else ""
    amounts = [row.sort_amount for row in seen]
    assert len(seen) == 11 and len({row.item_id for row in seen}) == 11
    assert amounts == sorted(amounts, reverse=True) and amounts[-1] == -1


def test_downloads_hold_exactly_the_filtered_rows_of_every_page(client, db, monkeypatch):
    monkeypatch.setattr(trackers, "PAGE_SIZE", 2)
    for n in range(5):
        issue(DAY - dt.timedelta(days=n), [financing(10**8, "B"), financing(10**8, "A")])
    query = {"round": "B", "sort": "date"}
    expected, url = [], reverse("bulletins:deals")
    response = client.get(url, query)
    while True:
        expected += page_ids(response)
        if not response.context["next_url"]:
            break
        response = client.get(url + response.context["next_url"])
    response = client.get(reverse("bulletins:deals_csv"), query)
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = [row for row in csv.reader(io.StringIO(text)) if row]
    urls = [row[-1] for row in lines[1:-1]]
    assert urls == [f"http://testserver/items/{pk}/" for pk in expected]
    assert "汇率 2025-12-31" in lines[-1][0]
    data = json.loads(
        b"".join(client.get(reverse("bulletins:deals_json"), query).streaming_content)
    )
    assert [row["url"] for row in data["rows"]] == urls
    assert (
        data["fx"]["date"] == fx.RATES_DATE.isoformat()
        and data["fx"]["cny_per_unit"]["USD"] == "7.03"
    )
    assert all(row["round"] == "B" for row in data["rows"])


@pytest.mark.parametrize("name", ["deals", "approvals"])
def test_tracker_pages_cost_the_same_queries_at_two_sizes(
    client, db, name, django_assert_num_queries
):
    company = make_entity("某某生物", "mou")

    def fill(n, day):
        kind = ("financing", "B", {"amount": amount(10**8), "lead_investors": ["某资本"]})
        if name == "approvals":
            kind = ("approval", "", {"regulator": "国家药品监督管理局", "decision": "approval"})
        _b, items = issue(day, [kind] * n)
        ItemEntity.objects.bulk_create(ItemEntity(item=i, entity=company) for i in items)

    fill(2, DAY)
    client.get(reverse(f"bulletins:{name}"))  # publication settings and the like, once
    with django_assert_num_queries(2) as small:
        assert len(client.get(reverse(f"bulletins:{name}")).context["rows"]) == 2
    fill(40, DAY - dt.timedelta(days=1))
    with django_assert_num_queries(len(small.captured_queries)):
        assert len(client.get(reverse(f"bulletins:{name}")).context["rows"]) == trackers.PAGE_SIZE


def test_feeds_per_tracker(client, db):
    issue(DAY, [financing(10**8, lead_investors=["高瓴创投"])])
    rss = client.get(reverse("bulletins:deals_rss")).content.decode()
    atom = client.get(reverse("bulletins:deals_atom")).content.decode()
    assert "<rss" in rss and "融资" in rss and "<feed" in atom


def test_trackers_are_in_the_sitemap(client, db):
    xml = client.get(reverse("bulletins:sitemap_section", kwargs={"section": "pages"})).content
    assert b"/deals/</loc>" in xml and b"/approvals/</loc>" in xml


def test_an_investor_entity_page_lists_its_deals(client, db):
    investor = make_entity("高瓴创投", "hillhouse", type="investor")
    _b, (deal, other) = issue(DAY, [financing(10**8), financing(2 * 10**8)])
    ItemEntity.objects.create(item=deal, entity=investor, role="lead_investor")
    visibility_changed(items=[deal])  # rows written directly: the workflow's hook
    _d, (hidden,) = issue(
        DAY + dt.timedelta(days=1), [financing(3 * 10**8)], status=BulletinStatus.DRAFT
    )
    ItemEntity.objects.create(item=hidden, entity=investor)
    response = client.get(investor.get_absolute_url())
    assert [d["row"].item_id for d in response.context["deals"]] == [deal.pk]
    assert "参与的交易" in response.content.decode()


def test_csv_cells_never_run_as_spreadsheet_formulas(client, db):
    issue(DAY, [financing(10**8, lead_investors=["=HYPERLINK(1)"])])
    text = b"".join(client.get(reverse("bulletins:deals_csv")).streaming_content).decode(
        "utf-8-sig"
    )
    assert "'=HYPERLINK(1)" in text and ",=HYPERLINK" not in text
