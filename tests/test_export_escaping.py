"""Defect 8: the API's Markdown export was a second exporter that left ``<script>`` raw. One
exporter now serves the admin, the API and the command; every format escapes, every way out."""

import re

import pytest

from bulletins.models import Item

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert("x")</script> <img src=x onerror=alert(1)> [点我](javascript:alert(1))'


@pytest.fixture
def hostile_issue(published_bulletin):
    item = published_bulletin.items.order_by("pk").first()
    Item.objects.filter(pk=item.pk).update(body=HOSTILE, headline="<b>标题</b>")
    return published_bulletin


def assert_inert(text: str, fmt: str) -> None:
    if fmt == "markdown":
        # Markdown shows a backslash-escaped character as itself: only a bare < or [ … ]( …
        # would become HTML or a link.
        assert not re.search(r"(?<!\\)<", text), text
        assert not re.search(r"(?<!\\)\[[^\]]*(?<!\\)\]\(", text), text
    else:
        assert "<script" not in text and "<img" not in text and "<b>" not in text
        assert "&lt;script&gt;" in text


@pytest.mark.parametrize("fmt", ["markdown", "html"])
def test_api_exports_escape_markup(client, hostile_issue, fmt):
    response = client.get(f"/api/v1/bulletins/2026-03-17/export/?format={fmt}")
    assert response.status_code == 200
    assert_inert(response.content.decode(), fmt)


@pytest.mark.parametrize("fmt", ["markdown", "html"])
def test_admin_exports_escape_markup(client, hostile_issue, chief, fmt):
    client.force_login(chief)
    from django.urls import reverse

    url = reverse("admin:bulletins_bulletin_export", args=[hostile_issue.pk, fmt])
    assert_inert(client.get(url).content.decode(), fmt)
