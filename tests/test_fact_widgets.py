"""Facts and sources on the item page are fields an editor can read and correct."""

import pytest
from django.urls import reverse

from bulletins import workflow
from bulletins.admin.widgets import FactsField, SourcesField

from .test_admin_workflow import admin_form_data

pytestmark = pytest.mark.django_db


def test_sources_are_http_urls_one_per_line():
    field = SourcesField()
    assert field.clean("https://a.example/1\n\n http://b.example/2 \nhttps://a.example/1") == [
        "https://a.example/1",
        "http://b.example/2",
    ]
    with pytest.raises(Exception) as refused:
        field.clean("https://ok.example/\njavascript:alert(1)\nftp://x.example/")
    messages = refused.value.messages
    assert len(messages) == 2 and "第 2 行" in messages[0] and "第 3 行" in messages[1]


def test_facts_widget_round_trips_and_keeps_what_it_does_not_show():
    field = FactsField()
    data = {
        "facts__rest": '{"amounts": [{"amount": 5, "currency": "USD"}]}',
        "facts__amount": "2.8",
        "facts__unit": "100000000",
        "facts__currency": "CNY",
        "facts__approximate": "on",
        "facts__lead_investors": "红杉中国\n高瓴创投",
        "facts__investors": "某基金、某资本",
        "facts__regulator": "国家药品监督管理局",
        "facts__decision": "approval",
    }
    raw = field.widget.value_from_datadict(data, {}, "facts")
    facts = field.clean(raw)
    assert facts["amount"] == {"amount": 280000000, "currency": "CNY", "approximate": True}
    assert facts["lead_investors"] == ["红杉中国", "高瓴创投"]
    assert facts["investors"] == ["某基金", "某资本"]
    assert facts["regulator"] == "国家药品监督管理局" and facts["decision"] == "approval"
    assert facts["amounts"] == [{"amount": 5, "currency": "USD"}]
    html = field.widget.render("facts", facts)
    assert 'value="2.8"' in html and "红杉中国\n高瓴创投" in html and "亿" in html


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [("facts__amount", "两亿", "金额应为数字"), ("facts__decision", "maybe", "审批结论")],
)
def test_bad_facts_are_refused_with_a_reason(key, value, message):
    field = FactsField()
    raw = field.widget.value_from_datadict({"facts__rest": "{}", key: value}, {}, "facts")
    with pytest.raises(Exception) as refused:
        field.clean(raw)
    assert message in str(refused.value)


def test_item_page_saves_facts_and_sources_from_fields(client, draft_bulletin, editor):
    item = draft_bulletin.items.first()
    url = reverse("admin:bulletins_item_change", args=[item.pk])
    client.force_login(editor)
    page = client.get(url)
    html = page.content.decode()
    assert 'name="facts__amount"' in html and 'name="sources"' in html
    data = admin_form_data(page)
    data.pop("facts")
    data.update(
        {
            "facts__rest": "{}",
            "facts__amount": "1.5",
            "facts__unit": "100000000",
            "facts__currency": "USD",
            "sources": "https://news.example/roche",
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    item.refresh_from_db()
    assert item.facts["amount"] == {"amount": 150000000, "currency": "USD"}
    assert item.sources == ["https://news.example/roche"]
    data["sources"] = "javascript:alert(1)"
    data["expected_version"] = item.version
    refused = client.post(url, data)
    assert (
        refused.status_code == 200 and "不是 http:// 或 https:// 开头" in refused.content.decode()
    )
    item.refresh_from_db()
    assert item.sources == ["https://news.example/roche"]
    assert workflow  # the save went through edit_item (version bumped)
    assert item.version > 1
