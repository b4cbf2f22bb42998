"""The admin page "paste an issue": preview, then save as a draft; editors only."""

import re

import pytest
from django.urls import reverse

from bulletins.admin.importing import digest
from bulletins.models import Bulletin, BulletinStatus, Item

TEXT = "某公司完成B轮融资 | 日报\n(医药健闻2026年3月18日讯)\n\n企业动态\n某公司宣布完成B轮融资。"


@pytest.fixture
def url():
    return reverse("bulletin_import")


def test_editor_sees_the_page(client, editor, url):
    client.force_login(editor)
    response = client.get(url)
    assert response.status_code == 200
    assert "预览解析结果" in response.text


@pytest.mark.parametrize("who", ["reviewer", "nobody"])
def test_users_who_may_not_edit_are_refused(db, client, request, url, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(url).status_code == 403
    assert (
        client.post(url, {"text": TEXT, "save": "1", "previewed": digest(TEXT)}).status_code == 403
    )
    assert not Bulletin.objects.exists()


def test_anonymous_is_sent_to_the_login(db, client, url):
    response = client.get(url)
    assert response.status_code == 302 and "login" in response.url


@pytest.mark.samples
def test_preview_shows_sections_items_and_headline_matches(client, editor, url, sample_text):
    client.force_login(editor)
    response = client.post(url, {"text": sample_text, "preview": "1"})
    assert response.status_code == 200
    plan = response.context["plan"]
    assert [(s.name, len(s.items)) for s in plan.sections] == [("企业动态", 11), ("产业动态", 11)]
    assert [m.index for m in plan.matches] == [0, 1, 3]
    assert "GSK首席财务官辞职" in response.text
    assert "保存为草稿" in response.text
    assert not Bulletin.objects.exists()


@pytest.mark.samples
def test_save_after_preview_creates_the_draft(client, editor, url, sample_text):
    client.force_login(editor)
    response = client.post(
        url, {"text": sample_text, "save": "1", "previewed": digest(sample_text)}
    )
    bulletin = Bulletin.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("admin:bulletins_bulletin_change", args=[bulletin.pk])
    assert bulletin.status == BulletinStatus.DRAFT and bulletin.created_by == editor
    assert bulletin.items.count() == 22


def test_save_of_text_changed_since_preview_only_previews(client, editor, url):
    client.force_login(editor)
    response = client.post(url, {"text": TEXT, "save": "1", "previewed": digest("other")})
    assert response.status_code == 200
    assert "预览后被修改过" in response.text
    assert not Bulletin.objects.exists()


def test_editor_places_an_unmatched_headline(client, editor, url):
    text = TEXT.replace("某公司完成B轮融资", "美国国会通过新法案")
    client.force_login(editor)
    preview = client.post(url, {"text": text, "preview": "1"})
    assert "没有找到对应的条目" in preview.text
    client.post(url, {"text": text, "save": "1", "previewed": digest(text), "headline_1": "0"})
    item = Item.objects.get()
    assert (item.headline, item.headline_rank) == ("美国国会通过新法案", 1)


def test_parse_error_shows_the_line_and_saves_nothing(client, editor, url):
    text = TEXT.replace("3月18日", "2月30日")
    client.force_login(editor)
    response = client.post(url, {"text": text, "save": "1", "previewed": digest(text)})
    assert response.status_code == 200
    assert re.search(r"第 2 行", response.text)
    assert "2026年2月30日 不存在" in response.text
    assert "does not exist" not in response.text  # one language, the user's
    assert not Bulletin.objects.exists()


def test_existing_published_date_is_refused(client, editor, url, published_bulletin):
    text = TEXT.replace("3月18日", "3月17日")
    client.force_login(editor)
    response = client.post(
        url, {"text": text, "save": "1", "replace": "on", "previewed": digest(text)}
    )
    assert response.status_code == 200
    assert "未保存" in response.text
    assert Bulletin.objects.get() == published_bulletin


def test_pasted_sample_saved_as_draft_exports_the_same_bytes_from_the_admin(
    client, editor, sample_text
):
    """The issue's walk: paste the sample, save a draft, export it back from the bulletin page."""
    from bulletins.importers.service import import_issue
    from bulletins.models import Bulletin

    import_issue(sample_text, by=editor)
    bulletin = Bulletin.objects.get(issued_on="2026-03-17")
    client.force_login(editor)
    page = client.get(reverse("admin:bulletins_bulletin_change", args=[bulletin.pk]))
    export_url = reverse("admin:bulletins_bulletin_export", args=[bulletin.pk, "text"])
    assert export_url in page.text
    response = client.get(export_url)
    assert response.status_code == 200
    assert response.content == sample_text.encode("utf-8")
    assert client.get(export_url.replace("/text/", "/pdf/")).status_code == 404


def test_admin_export_is_for_staff_only(client, nobody, editor, sample_text):
    from bulletins.importers.service import import_issue

    bulletin = import_issue(sample_text, by=editor).bulletin
    client.force_login(nobody)
    url = reverse("admin:bulletins_bulletin_export", args=[bulletin.pk, "text"])
    assert client.get(url).status_code in (302, 403)


def test_an_unknown_section_is_refused_for_an_editor_on_preview_and_save(client, editor, url):
    text = TEXT + "\n政策法规\n国家药监局发布新规。"
    client.force_login(editor)
    expected = "第 6 行:栏目「政策法规」尚不存在;新建栏目需由主编操作。现有栏目:企业动态、产业动态"
    assert client.post(url, {"text": text, "preview": "1"}).context["refusal"] == expected
    response = client.post(url, {"text": text, "save": "1", "previewed": digest(text)})
    assert response.context["refusal"] == expected
    assert not Bulletin.objects.exists()


def test_a_chief_editors_import_creates_the_unknown_section(client, chief, url):
    text = TEXT + "\n政策法规\n国家药监局发布新规。"
    client.force_login(chief)
    assert client.post(url, {"text": text, "preview": "1"}).context.get("refusal") is None
    client.post(url, {"text": text, "save": "1", "previewed": digest(text)})
    assert Bulletin.objects.get().items.filter(section__name="政策法规").count() == 1
