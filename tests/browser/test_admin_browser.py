"""The editorial admin in real headless Chromium: what only a browser can show (drag and drop)."""

import datetime as dt

import pytest
from django.urls import reverse

from bulletins import workflow
from bulletins.models import Section

from ..factories import UserFactory
from .conftest import DESKTOP

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_editor_drags_an_item_into_another_section(live_server, migrated_data, open_page):
    company_news = Section.objects.get(slug="company-news")
    industry_news = Section.objects.get(slug="industry-news")
    editor = UserFactory(username="dragger", role="编辑")
    bulletin = workflow.create_bulletin(issued_on=dt.date(2026, 3, 17), by=editor)
    first = workflow.add_item(bulletin, by=editor, section=company_news, body="企业一。")
    moved = workflow.add_item(bulletin, by=editor, section=industry_news, body="产业一。")
    change = reverse("admin:bulletins_bulletin_change", args=[bulletin.pk])

    page, watcher = open_page(DESKTOP)
    page.goto(live_server.url + reverse("admin:login"))
    page.fill("#id_username", "dragger")
    page.fill("#id_password", "pw")
    with page.expect_navigation():
        page.click("input[type=submit]")
    page.goto(live_server.url + change)
    handle = page.locator(f'tr[data-item-id="{moved.pk}"] .wf-handle')
    handle.drag_to(
        page.locator(f'tr[data-item-id="{first.pk}"]'), target_position={"x": 40, "y": 2}
    )
    assert page.input_value("#id_item_order") == (
        f"{moved.pk}:{company_news.pk},{first.pk}:{company_news.pk}"
    )
    with page.expect_navigation():
        page.click("input[name=_continue]")
    got = list(bulletin.items.in_issue_order().values_list("pk", "section_id"))
    assert got == [(moved.pk, company_news.pk), (first.pk, company_news.pk)]
    assert [e for e in watcher.errors if e.startswith("page error")] == []  # no JS exception
