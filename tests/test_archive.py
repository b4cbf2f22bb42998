"""Backup and restore (defect 15): export_archive → empty database → import_archive gives the
same content, byte for byte (microsecond timestamps, media, memberships), without secrets
unless asked; a damaged or foreign archive is refused before anything is written."""

import datetime as dt
import json
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.authtoken.models import Token

from bulletins.archive import ArchiveError, content_hashes, import_archive, read_manifest
from bulletins.models import (
    Bulletin,
    Correction,
    Entity,
    Item,
    ItemEntity,
    ItemRevision,
    Section,
    Transition,
)
from bulletins.search import search_ids

from .test_images import image_bytes

MICROSECONDS = timezone.make_aware(dt.datetime(2025, 1, 2, 3, 4, 5, 123456))


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _content():
    """The demo (made through the workflow: revisions, transitions) plus what it lacks."""
    call_command("load_demo", stdout=StringIO())
    item = Item.objects.filter(status="approved").order_by("pk").first()
    item.image.save("logo.png", ContentFile(image_bytes()), save=False)
    Item.objects.filter(pk=item.pk).update(image=item.image.name, updated_at=MICROSECONDS)
    Transition.objects.filter(pk=Transition.objects.order_by("pk").first().pk).update(
        at=MICROSECONDS
    )
    Correction.objects.create(bulletin=item.bulletin, item=item, note="更正:金额应为1.5亿元。")
    user = get_user_model().objects.get(username="editor")
    Token.objects.create(user=user)
    return item


def _wipe():
    """An empty database as a fresh migrate leaves it (groups, default sections)."""
    Bulletin.objects.all().delete()
    Entity.objects.update(parent=None, merged_into=None)
    Entity.objects.all().delete()
    get_user_model().objects.all().delete()


def _files_text(path):
    return "".join(p.read_text(encoding="utf-8") for p in sorted((path / "data").glob("*.jsonl")))


def test_round_trip_is_identical(db, tmp_path, media):
    item = _content()
    counts = {m: m.objects.count() for m in (Item, ItemRevision, Transition, ItemEntity, Entity)}
    first = tmp_path / "first"
    call_command("export_archive", str(first), "--no-progress", stdout=StringIO())
    manifest = read_manifest(first)
    assert manifest["format"] == "newsroom-archive" and manifest["format_version"] == 1
    assert [m["path"] for m in manifest["media"]] == [item.image.name]
    text = _files_text(first)
    assert "2025-01-01T19:04:05.123456Z" in text  # microseconds kept, in UTC (03:04 +08:00)
    assert "pbkdf2" not in text and "password" not in text  # no hashes without --with-secrets
    assert Token.objects.get().key not in text

    _wipe()
    (media / item.image.name).unlink()
    out = StringIO()
    call_command("import_archive", str(first), "--no-progress", stdout=out)
    assert "imported" in out.getvalue()
    assert {m: m.objects.count() for m in counts} == counts
    restored = Item.objects.get(pk=item.pk)
    assert restored.updated_at == MICROSECONDS
    assert (media / restored.image.name).read_bytes() == image_bytes()
    editor = get_user_model().objects.get(username="editor")
    assert not editor.has_usable_password()
    assert list(editor.groups.values_list("name", flat=True)) == ["编辑"]
    # The search index is rebuilt: a restored published item is found again.
    word = restored.body[:2]
    assert restored.pk in search_ids(word)

    second = tmp_path / "second"
    call_command("export_archive", str(second), "--no-progress", stdout=StringIO())
    assert content_hashes(second) == content_hashes(first)


def test_secrets_only_when_asked(db, tmp_path, media):
    _content()
    key = Token.objects.get().key
    hashed = get_user_model().objects.get(username="editor").password
    path = tmp_path / "secret"
    call_command("export_archive", str(path), "--with-secrets", "--no-progress", stdout=StringIO())
    text = _files_text(path)
    assert key in text and hashed in text
    _wipe()
    call_command("import_archive", str(path), "--no-progress", stdout=StringIO())
    editor = get_user_model().objects.get(username="editor")
    assert editor.check_password("demo-editor-pass")
    assert Token.objects.get().key == key


def test_refuses_a_damaged_archive_and_a_full_database(db, tmp_path, media):
    _content()
    path = tmp_path / "a"
    call_command("export_archive", str(path), "--no-progress", stdout=StringIO())
    with pytest.raises(CommandError, match="empty"):
        call_command("import_archive", str(path), "--no-progress", stdout=StringIO())
    with pytest.raises(CommandError, match="not empty"):
        call_command("export_archive", str(path), "--no-progress", stdout=StringIO())
    _wipe()
    items = path / "data" / "bulletins.item.jsonl"
    items.write_text(items.read_text(encoding="utf-8").replace("融资", "融姿", 1), encoding="utf-8")
    with pytest.raises(ArchiveError, match="bulletins.item.jsonl.*checksum"):
        import_archive(path)
    assert not Item.objects.exists()
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["format_version"] = 99
    (path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ArchiveError, match="version 99"):
        import_archive(path)


def test_incremental_export_carries_only_changes(db, tmp_path, media):
    _content()
    full = tmp_path / "full"
    call_command("export_archive", str(full), "--no-progress", stdout=StringIO())
    since = timezone.now()
    item = Item.objects.order_by("pk").last()
    Item.objects.filter(pk=item.pk).update(body="后来改过的正文。", updated_at=timezone.now())
    increment = tmp_path / "increment"
    call_command(
        "export_archive", str(increment), "--since", since.isoformat(), "--no-progress",
        stdout=StringIO(),
    )  # fmt: skip
    rows = {m["model"]: m["rows"] for m in read_manifest(increment)["models"]}
    assert rows["bulletins.item"] == 1 and rows["bulletins.bulletin"] == 0
    assert rows["bulletins.section"] == Section.objects.count()  # reference tables in full
    _wipe()
    import_archive(full)
    import_archive(increment)
    assert Item.objects.get(pk=item.pk).body == "后来改过的正文。"
    assert Group.objects.filter(name="编辑").exists()


def test_distribution_secrets_only_when_asked(db, tmp_path, media):
    from distribution.models import Subscriber, WebhookEndpoint

    hook = WebhookEndpoint.objects.create(url="https://partner.example.com/hook")
    reader = Subscriber.objects.create(email="reader@example.com")
    call_command("export_archive", str(tmp_path / "plain"), "--no-progress", stdout=StringIO())
    plain = _files_text(tmp_path / "plain")
    assert "partner.example.com" in plain and "reader@example.com" in plain
    assert hook.secret not in plain and reader.key not in plain
    call_command(
        "export_archive", str(tmp_path / "secret"), "--with-secrets", "--no-progress",
        stdout=StringIO(),
    )  # fmt: skip
    secret = _files_text(tmp_path / "secret")
    assert hook.secret in secret and reader.key in secret
