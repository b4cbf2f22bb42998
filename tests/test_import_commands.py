"""The import_bulletin and export_bulletin management commands."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from bulletins.models import Bulletin, BulletinStatus

ISSUE = "某公司完成B轮融资 | 日报\n({name}2026年3月{day}日讯)\n\n企业动态\n某公司宣布完成B轮融资。"


def issue(day: int, name: str = "医药健闻") -> str:
    return ISSUE.format(day=day, name=name)


def run(*args):
    out, err = StringIO(), StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exit:
        code = exit.code
    return code, out.getvalue(), err.getvalue()


def test_import_folder_creates_drafts_of_the_given_user(editor, tmp_path):
    (tmp_path / "a.txt").write_text(issue(18), encoding="utf-8")
    (tmp_path / "b.txt").write_bytes(("\ufeff" + issue(19)).replace("\n", "\r\n").encode())
    (tmp_path / "notes.md").write_text("not an issue", encoding="utf-8")
    code, out, _err = run("import_bulletin", str(tmp_path), "--by", "editor1")
    assert code == 0
    assert "created 2 (2 items" in out
    drafts = Bulletin.objects.order_by("issued_on")
    assert [b.issued_on.day for b in drafts] == [18, 19]
    assert {(b.status, b.created_by) for b in drafts} == {(BulletinStatus.DRAFT, editor)}


def test_failed_file_is_reported_with_its_line_and_exit_status_is_non_zero(editor, tmp_path):
    (tmp_path / "good.txt").write_text(issue(18), encoding="utf-8")
    bad = tmp_path / "bad.txt"
    bad.write_text(issue(18).replace("3月18日", "2月30日"), encoding="utf-8")
    code, out, err = run("import_bulletin", str(tmp_path / "good.txt"), str(bad), "--by", "editor1")
    assert code == 1
    assert "created 1" in out and "failed 1" in out
    assert "bad.txt" in err and "第 2 行" in err
    assert Bulletin.objects.count() == 1


def test_file_that_is_not_utf8_fails(editor, tmp_path):
    path = tmp_path / "gbk.txt"
    path.write_bytes(issue(18).encode("gbk"))
    code, _out, err = run("import_bulletin", str(path), "--by", "editor1")
    assert code == 1
    assert "UTF-8" in err
    assert not Bulletin.objects.exists()


def test_existing_date_is_skipped_with_its_reason(editor, draft_bulletin, tmp_path):
    path = tmp_path / "17.txt"
    path.write_text(issue(17), encoding="utf-8")
    code, out, _err = run("import_bulletin", str(path), "--by", "editor1")
    assert code == 0
    assert "skipped 1" in out and "2026-03-17" in out
    assert Bulletin.objects.get().pk == draft_bulletin.pk


def test_replace_overwrites_a_draft(editor, draft_bulletin, tmp_path):
    path = tmp_path / "17.txt"
    path.write_text(issue(17), encoding="utf-8")
    code, out, _err = run("import_bulletin", str(path), "--by", "editor1", "--replace")
    assert code == 0 and "created 1" in out
    assert Bulletin.objects.get().items.count() == 1


def test_user_without_edit_rights_is_refused(reviewer, tmp_path):
    path = tmp_path / "18.txt"
    path.write_text(issue(18), encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("import_bulletin", str(path), "--by", "reviewer1", stdout=StringIO())
    assert not Bulletin.objects.exists()


def test_unknown_user_is_refused(db, tmp_path):
    with pytest.raises(CommandError, match="no such user"):
        call_command("import_bulletin", str(tmp_path), "--by", "ghost", stdout=StringIO())


@pytest.mark.samples
def test_export_prints_the_sample_bytes(editor, sample_text, tmp_path):
    path = tmp_path / "2026-03-17.txt"
    path.write_text(sample_text, encoding="utf-8")
    run("import_bulletin", str(path), "--by", "editor1")
    code, out, _err = run("export_bulletin", "2026-03-17")
    assert code == 0
    assert out == sample_text
    target = tmp_path / "out.txt"
    run("export_bulletin", "2026-03-17", "-o", str(target))
    assert target.read_bytes() == path.read_bytes()


@pytest.mark.parametrize(("format", "marker"), [("markdown", "## 企业动态"), ("html", "<h2 ")])
def test_export_formats(draft_bulletin, format, marker):
    code, out, _err = run("export_bulletin", "2026-03-17", "--format", format)
    assert code == 0 and marker in out


def test_export_of_a_missing_date_is_an_error(db):
    with pytest.raises(CommandError, match="no issue"):
        call_command("export_bulletin", str(dt.date(2030, 1, 1)), stdout=StringIO())
