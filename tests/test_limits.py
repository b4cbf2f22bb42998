"""Defect 11: one set of limits for every way in (bulletins/limits.py). An import accepted a
100,004-character item that a later edit refused; control characters were stored silently;
import_bulletin read a file of any size; a too-large API body was answered in HTML; a NUL
got a message without its line."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command

from bulletins import limits, workflow
from bulletins.importers.parser import ParseError, parse_issue
from bulletins.models import Bulletin, Item

from .test_api_writes import _first, client_for

pytestmark = pytest.mark.django_db

HEAD = "头条 | 日报\n(医药健闻2026年4月2日讯)\n企业动态\n"


def issue(*items):
    return HEAD + "\n".join(items) + "\n"


def test_an_item_over_the_edit_limit_is_refused_on_import_with_its_line():
    text = issue("某公司宣布融资。", "长" * (limits.MAX_ITEM_CHARS + 1))
    with pytest.raises(ParseError) as caught:
        parse_issue(text)
    assert (caught.value.line, caught.value.code) == (5, "item_too_long")
    parse_issue(issue("某公司宣布融资。", "长" * limits.MAX_ITEM_CHARS))  # the limit itself is fine


def test_too_many_items_and_too_much_text_are_refused():
    with pytest.raises(ParseError) as caught:
        parse_issue(issue(*[f"第{n}家公司宣布融资。" for n in range(limits.MAX_IMPORT_ITEMS + 1)]))
    assert caught.value.code == "too_many_items"
    assert caught.value.line == 4 + limits.MAX_IMPORT_ITEMS
    with pytest.raises(ParseError) as caught:
        parse_issue(issue("某" * (limits.MAX_IMPORT_CHARS + 1)))
    assert caught.value.code == "too_long"


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x0b", "\x1b", "\x7f", "\x85"])
def test_control_characters_are_refused_with_their_line(char):
    with pytest.raises(ParseError) as caught:
        parse_issue(issue("某公司宣布融资。", f"另一家公司{char}宣布上市。"))
    assert (caught.value.line, caught.value.code) == (5, "control_character")
    assert "第 5 行" in str(caught.value) and "U+" in str(caught.value)


def test_edits_obey_the_same_limits(draft_bulletin, editor):
    item = _first(draft_bulletin)
    for body, fragment in (
        ("长" * (limits.MAX_ITEM_CHARS + 1), "超过上限"),
        ("a\x07b", r"U\+0007"),
    ):
        with pytest.raises(workflow.TransitionNotAllowed, match=fragment):
            workflow.edit_item(item, by=editor, expected_version=item.version, body=body)
    with pytest.raises(workflow.TransitionNotAllowed, match="标题"):
        workflow.edit_item(item, by=editor, expected_version=item.version, headline="标\x1b题")
    response = client_for(editor).patch(
        f"/api/v1/items/{item.pk}/", {"version": item.version, "body": "a\x01b"}, format="json"
    )
    assert response.status_code == 400 and "U+0001" in response.json()["message"]
    item.refresh_from_db()
    assert "\x01" not in item.body


def test_api_import_nul_gets_its_line(editor):
    text = issue("某公司宣布融资。", "另一家公司\x00宣布上市。")
    response = client_for(editor).post("/api/v1/bulletins/import/", {"text": text}, format="json")
    assert response.status_code == 400
    assert "第 5 行" in response.json()["field_errors"]["text"][0]
    assert not Bulletin.objects.filter(issued_on=dt.date(2026, 4, 2)).exists()


def test_admin_import_nul_gets_its_line(client, editor):
    client.force_login(editor)
    text = issue("某公司宣布融资。", "另一家公司\x00宣布上市。")
    response = client.post("/admin/bulletins/import/", {"text": text})
    assert response.status_code == 200
    assert "第 5 行" in response.content.decode()


def test_api_too_large_body_is_answered_in_the_api_shape(editor, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100_000
    text = issue(*["某公司宣布融资。" * 10] * 2000)
    response = client_for(editor).post("/api/v1/bulletins/import/", {"text": text}, format="json")
    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == "too_large" and body["message"]


def test_import_bulletin_refuses_a_huge_file_unread(tmp_path, editor, monkeypatch):
    path = tmp_path / "huge.txt"
    path.write_text(issue("某公司宣布融资。" * 100), encoding="utf-8")
    monkeypatch.setattr("bulletins.management.commands.import_bulletin.MAX_IMPORT_FILE_BYTES", 1000)
    monkeypatch.setattr("pathlib.Path.read_bytes", lambda self: pytest.fail("read anyway"))
    err = StringIO()
    with pytest.raises(SystemExit):
        call_command("import_bulletin", str(path), "--by", editor.username, stderr=err)
    assert "超过上限" in err.getvalue()
    assert not Item.objects.exists()
