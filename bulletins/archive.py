"""Backup and restore: the whole newsroom as a portable, versioned, checksummed folder.

Format ``newsroom-archive`` version 1 (documented in README.md, "Backup and restore")::

    PATH/manifest.json            format, version, when, options, one entry per data file
                                  and media file with its row count / size and SHA-256
    PATH/data/<app>.<model>.jsonl one JSON object per row, ordered by primary key
    PATH/media/<name>             every file an exported row refers to (images, logos)

Rows keep their primary keys (links, revisions and transitions point at them), timestamps are
UTC ISO 8601 with microseconds, JSON fields are JSON, files are their storage names, groups
and permissions are named (their ids differ from one database to the next). Lines are
canonical (sorted keys, no spaces), so a data file's SHA-256 is a content hash: the same
content exported from SQLite or PostgreSQL gives the same bytes.

Users are exported without password hashes, and API tokens, subscribers' link keys and
webhook secrets are left out unless ``with_secrets`` (``SECRET_FIELDS``); a restore without
them gives users an unusable password (they reset it) and subscribers and webhooks new keys.
The search index is derived and rebuilt on import. ``since`` exports only rows changed since
then (rows of models without a timestamp follow their parent; small reference tables come in
full); importing such an archive updates and adds, it never deletes.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import hashlib
import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import batched
from pathlib import Path

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models import Q
from django.utils import timezone

FORMAT = "newsroom-archive"
FORMAT_VERSION = 1
BATCH = 2000
# Project apps whose every model is archived (an app another branch adds is archived once
# listed here); derived tables are left out and rebuilt.
ARCHIVED_APPS = ["bulletins", "distribution"]
DERIVED = {"bulletins.searchdocument"}
TIMESTAMP_FIELDS = ("updated_at", "at", "created_at", "created")
# Left out unless ``with_secrets``: a restore without them makes new ones (field defaults; a
# user gets an unusable password). API tokens (authtoken.Token) are a whole secret model.
SECRET_FIELDS = {
    "auth.user": {"password"},
    "distribution.subscriber": {"key"},  # signs each reader's links
    "distribution.webhookendpoint": {"secret"},  # shared with the partner
}


class ArchiveError(Exception):
    """An archive that cannot be written or restored; the message says what and where."""


@dataclass
class Report:
    rows: dict[str, int] = field(default_factory=dict)
    media: int = 0


def archived_models(*, with_secrets: bool) -> list[type[models.Model]]:
    """Models in restore order (parents first; self references are deferred constraints)."""
    chosen = [apps.get_model("auth", "Group"), apps.get_model("auth", "User")]
    if with_secrets and apps.is_installed("rest_framework.authtoken"):
        chosen.append(apps.get_model("authtoken", "Token"))
    for label in ARCHIVED_APPS:
        if apps.is_installed(label) or label in apps.app_configs:
            for model in apps.get_app_config(label).get_models():
                if model._meta.label_lower not in DERIVED and not model._meta.proxy:
                    chosen.append(model)
    # Foreign keys are deferred to the commit on SQLite and PostgreSQL, so definition order
    # (parents first) is enough; groups come before the users who belong to them.
    return chosen


def _is_group(model) -> bool:
    return model._meta.label_lower == "auth.group"


def _is_user(model) -> bool:
    return model._meta.label_lower == "auth.user"


# --- values ------------------------------------------------------------------------------


def _encode(field_, value):
    if value is None:
        return None
    if isinstance(field_, models.DateTimeField):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(field_, models.DateField | models.TimeField):
        return value.isoformat()
    if isinstance(field_, models.FileField):
        return str(value) or ""
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    return value


def _decode(field_, value):
    if value is None:
        return None
    if isinstance(field_, models.DateTimeField):
        return dt.datetime.fromisoformat(value)
    if isinstance(field_, models.DateField):
        return dt.date.fromisoformat(value)
    if isinstance(field_, models.TimeField):
        return dt.time.fromisoformat(value)
    if isinstance(field_, models.BinaryField):
        return base64.b64decode(value)
    if isinstance(field_, models.DurationField):
        return dt.timedelta(seconds=value)
    if isinstance(field_, models.DecimalField):
        return decimal.Decimal(value)
    return value


def _line(row: dict) -> bytes:
    return (
        json.dumps(row, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode() + b"\n"
    )


def _permission_key(permission) -> list[str]:
    return [permission.content_type.app_label, permission.content_type.model, permission.codename]


def _concrete(model, *, with_secrets: bool):
    fields = [f for f in model._meta.concrete_fields]
    if not with_secrets:
        secret = SECRET_FIELDS.get(model._meta.label_lower, set())
        fields = [f for f in fields if f.name not in secret]
    return fields


def _changed_since(model, since) -> Q | None:
    """Rows changed since ``since``; None: the model has no timestamp path (export it all)."""
    names = {f.name for f in model._meta.concrete_fields}
    for name in TIMESTAMP_FIELDS:
        if name in names:
            return Q(**{f"{name}__gte": since})
    condition = None
    for fk in model._meta.concrete_fields:
        if fk.is_relation and fk.related_model is not model:
            parent_names = {f.name for f in fk.related_model._meta.concrete_fields}
            for name in TIMESTAMP_FIELDS:
                if name in parent_names:
                    q = Q(**{f"{fk.name}__{name}__gte": since})
                    condition = q if condition is None else condition | q
                    break
    return condition


def _rows(model, *, with_secrets: bool, since) -> Iterator[dict]:
    queryset = model._default_manager.order_by("pk")
    if since is not None and not (_is_user(model) or _is_group(model)):
        condition = _changed_since(model, since)
        if condition is not None:
            queryset = queryset.filter(condition)
    fields = _concrete(model, with_secrets=with_secrets)
    if _is_group(model):
        for group in queryset.prefetch_related("permissions__content_type"):
            permissions = sorted(_permission_key(p) for p in group.permissions.all())
            yield {"name": group.name, "permissions": permissions}
        return
    m2m = [f for f in model._meta.many_to_many if f.remote_field.through._meta.auto_created]
    attnames = [f.attname for f in fields]
    for chunk in batched(queryset.values_list(*attnames).iterator(chunk_size=BATCH), BATCH):
        extra = {}
        if _is_user(model):
            pks = [values[attnames.index("id")] for values in chunk]
            extra = _user_memberships(model, pks)
        for values in chunk:
            row = {f.attname: _encode(f, v) for f, v in zip(fields, values, strict=True)}
            for f in m2m:
                row[f.name] = sorted(_m2m_values(model, f, row[model._meta.pk.attname]))
            row.update(extra.get(row["id"], {}) if extra else {})
            yield row


def _user_memberships(user_model, pks) -> dict[int, dict]:
    found = {pk: {"groups": [], "user_permissions": []} for pk in pks}
    for pk, name in user_model.groups.through.objects.filter(user_id__in=pks).values_list(
        "user_id", "group__name"
    ):
        found[pk]["groups"].append(name)
    permissions = user_model.user_permissions.through.objects.filter(user_id__in=pks)
    for pk, app, model, codename in permissions.values_list(
        "user_id",
        "permission__content_type__app_label",
        "permission__content_type__model",
        "permission__codename",
    ):
        found[pk]["user_permissions"].append([app, model, codename])
    for entry in found.values():
        entry["groups"].sort()
        entry["user_permissions"].sort()
    return found


def _m2m_values(model, m2m_field, pk):
    if _is_user(model):
        return []  # filled by _user_memberships by name
    through = m2m_field.remote_field.through
    source = m2m_field.m2m_field_name()
    target = m2m_field.m2m_reverse_field_name()
    return list(through.objects.filter(**{source: pk}).values_list(f"{target}_id", flat=True))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- export --------------------------------------------------------------------------------


def export_archive(
    path: Path,
    *,
    since: dt.datetime | None = None,
    with_secrets: bool = False,
    progress: Callable[[str, int], object] | None = None,
) -> dict:
    """Write the archive to the folder ``path`` (created; must be empty); returns the manifest.

    ``progress(label, total)`` is called before each model and returns a callable taking the
    number of rows written since the last call (a tqdm bar's ``update``), or None.
    """
    path = Path(path)
    if path.exists() and any(path.iterdir()):
        raise ArchiveError(f"{path} is not empty: an archive goes into a new or empty folder.")
    (path / "data").mkdir(parents=True, exist_ok=True)
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_at": _encode(models.DateTimeField(), timezone.now()),
        "since": _encode(models.DateTimeField(), since) if since else None,
        "with_secrets": with_secrets,
        "source_database": connection.vendor,
        "models": [],
        "media": [],
    }
    media_names: set[str] = set()
    with _read_snapshot():
        for model in archived_models(with_secrets=with_secrets):
            label = model._meta.label_lower
            filename = f"data/{label}.jsonl"
            file_fields = [
                f for f in model._meta.concrete_fields if isinstance(f, models.FileField)
            ]
            update = progress(label, model._default_manager.count()) if progress else None
            count = 0
            with (path / filename).open("wb") as handle:
                for row in _rows(model, with_secrets=with_secrets, since=since):
                    handle.write(_line(row))
                    count += 1
                    for f in file_fields:
                        if row.get(f.attname):
                            media_names.add(row[f.attname])
                    if update and count % 500 == 0:
                        update(500)
            if update:
                update(count % 500)
            manifest["models"].append(
                {
                    "model": label,
                    "file": filename,
                    "rows": count,
                    "sha256": _sha256(path / filename),
                }
            )
    for name in sorted(media_names):
        target = path / "media" / name
        if not _safe_name(name):
            raise ArchiveError(f"media file name {name!r} leaves the media folder; not archived.")
        if not default_storage.exists(name):
            manifest.setdefault("missing_media", []).append(name)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        with default_storage.open(name, "rb") as source:
            target.write_bytes(source.read())
        manifest["media"].append(
            {"path": name, "bytes": target.stat().st_size, "sha256": _sha256(target)}
        )
    (path / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    return manifest


@contextmanager
def _read_snapshot():
    """One read transaction: every table as of one moment while others keep writing.

    On SQLite ``atomic()`` would BEGIN IMMEDIATE (this project's mode) and hold the write
    lock for the whole export; a deferred BEGIN only reads (WAL keeps writers going).
    """
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        with transaction.atomic():
            yield
        return
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("BEGIN DEFERRED")
        try:
            yield
        finally:
            cursor.execute("COMMIT")


def _safe_name(name: str) -> bool:
    parts = Path(name).parts
    return bool(parts) and not Path(name).is_absolute() and ".." not in parts


# --- import --------------------------------------------------------------------------------


def read_manifest(path: Path) -> dict:
    path = Path(path)
    try:
        manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ArchiveError(f"{path}/manifest.json is missing: not a newsroom archive.") from exc
    except json.JSONDecodeError as exc:
        raise ArchiveError(f"{path}/manifest.json is not JSON (line {exc.lineno}).") from exc
    if manifest.get("format") != FORMAT:
        raise ArchiveError(f"{path} is not a {FORMAT} (format {manifest.get('format')!r}).")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ArchiveError(
            f"{path} is format version {manifest.get('format_version')}; this newsroom reads "
            f"version {FORMAT_VERSION}."
        )
    for entry in manifest["models"]:
        if not _safe_name(entry["file"]):
            raise ArchiveError(f"data file {entry['file']!r} leaves the archive folder.")
        file = path / entry["file"]
        if not file.exists() or _sha256(file) != entry["sha256"]:
            raise ArchiveError(f"{entry['file']} is missing or its checksum does not match.")
    for entry in manifest["media"]:
        if not _safe_name(entry["path"]):
            raise ArchiveError(f"media file {entry['path']!r} leaves the media folder.")
        file = path / "media" / entry["path"]
        if not file.exists() or _sha256(file) != entry["sha256"]:
            raise ArchiveError(f"media/{entry['path']} is missing or its checksum does not match.")
    return manifest


@contextmanager
def _timestamps_as_given(model):
    """Keep archived created/updated times: auto_now(_add) would stamp the import time."""
    changed = []
    for f in model._meta.concrete_fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            changed.append((f, f.auto_now, f.auto_now_add))
            f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in changed:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


def _permissions(keys) -> list:
    from django.contrib.auth.models import Permission

    found = []
    for app, model, codename in keys:
        permission = Permission.objects.filter(
            content_type__app_label=app, content_type__model=model, codename=codename
        ).first()
        if permission is not None:  # a permission of an app this install lacks: skipped
            found.append(permission)
    return found


def _read_lines(file: Path) -> Iterator[tuple[int, dict]]:
    with file.open("rb") as handle:
        for number, raw in enumerate(handle, 1):
            try:
                yield number, json.loads(raw)
            except json.JSONDecodeError as exc:
                raise ArchiveError(f"{file.name} line {number}: not JSON ({exc.msg}).") from exc


def import_archive(path: Path, *, progress: Callable[[str, int], object] | None = None) -> Report:
    """Restore the archive at ``path``: all or nothing, then the search index.

    A full archive goes into an empty (freshly migrated) database; an incremental one
    (exported with ``since``) is applied on top of the restore it follows.
    """
    from .search import rebuild_index

    path = Path(path)
    manifest = read_manifest(path)
    by_label = {model._meta.label_lower: model for model in archived_models(with_secrets=True)}
    unknown = [e["model"] for e in manifest["models"] if e["model"] not in by_label]
    if unknown:
        raise ArchiveError(
            f"{path} holds models this newsroom does not have: {', '.join(unknown)}."
        )
    incremental = manifest.get("since") is not None
    report = Report()
    with transaction.atomic():
        if not incremental:
            _require_empty(by_label)
        for entry in manifest["models"]:
            model = by_label[entry["model"]]
            update = progress(entry["model"], entry["rows"]) if progress else None
            with _timestamps_as_given(model):
                report.rows[entry["model"]] = _load(model, path / entry["file"], update)
        _reset_sequences(list(by_label.values()))
    for entry in manifest["media"]:
        name = entry["path"]
        if default_storage.exists(name):
            default_storage.delete(name)
        saved = default_storage.save(name, ContentFile((path / "media" / name).read_bytes()))
        if saved != name:
            raise ArchiveError(f"media file {name} was stored as {saved}.")
        report.media += 1
    update = progress("search index", _item_count()) if progress else None
    rebuild_index(progress=update)
    return report


def _item_count() -> int:
    from .models import Item

    return Item.objects.count()


def _require_empty(by_label) -> None:
    # A freshly migrated database holds the role groups, the default sections and the
    # publication settings row; anything else means this is not a restore target.
    seeded = {"auth.group", "bulletins.section", "bulletins.publicationsettings"}
    for label, model in by_label.items():
        if label not in seeded and model._default_manager.exists():
            raise ArchiveError(
                f"the database already holds {model._meta.verbose_name_plural} ({label}): "
                "restore a full archive into an empty, freshly migrated database."
            )
    for label in ("bulletins.section", "bulletins.publicationsettings"):
        if label in by_label:
            by_label[label]._default_manager.all().delete()


def _load(model, file: Path, update) -> int:
    if _is_group(model):
        return _load_groups(file)
    fields = {f.attname: f for f in model._meta.concrete_fields}
    m2m = {f.name: f for f in model._meta.many_to_many if f.remote_field.through._meta.auto_created}
    user = _is_user(model)
    count = 0
    memberships = []
    for chunk in batched(_read_lines(file), BATCH):
        objects = []
        for number, row in chunk:
            values = {}
            for key, value in row.items():
                if key in fields:
                    values[key] = _decode(fields[key], value)
                elif key not in m2m:
                    raise ArchiveError(f"{file.name} line {number}: unknown field {key!r}.")
            if user and "password" not in row:
                values["password"] = make_password(None)
            objects.append(model(**values))
            if m2m:
                memberships.append((row[model._meta.pk.attname], {k: row.get(k, []) for k in m2m}))
        # Only what the archive holds: a secret left out keeps its stored value on an update
        # (an incremental restore) and gets its default on an insert.
        update_fields = [
            f.attname for f in fields.values() if not f.primary_key and f.attname in chunk[0][1]
        ]
        model._default_manager.bulk_create(
            objects,
            update_conflicts=bool(update_fields),
            ignore_conflicts=not update_fields,
            unique_fields=[model._meta.pk.name] if update_fields else None,
            update_fields=update_fields or None,
        )
        count += len(objects)
        if update:
            update(len(objects))
    if memberships:
        _load_m2m(model, m2m, memberships)
    return count


def _load_groups(file: Path) -> int:
    from django.contrib.auth.models import Group

    count = 0
    for _number, row in _read_lines(file):
        group, _created = Group.objects.get_or_create(name=row["name"])
        group.permissions.set(_permissions(row.get("permissions", [])))
        count += 1
    return count


def _load_m2m(model, m2m, memberships) -> None:
    from django.contrib.auth.models import Group

    groups = dict(Group.objects.values_list("name", "pk"))
    for name, f in m2m.items():
        through = f.remote_field.through
        source = f"{f.m2m_field_name()}_id"
        target = f"{f.m2m_reverse_field_name()}_id"
        pks = [pk for pk, _values in memberships]
        through.objects.filter(**{f"{source}__in": pks}).delete()
        rows = []
        for pk, values in memberships:
            targets = values.get(name, [])
            if _is_user(model) and name == "groups":
                targets = [groups[g] for g in targets if g in groups]
            elif _is_user(model) and name == "user_permissions":
                targets = [p.pk for p in _permissions(targets)]
            rows.extend(through(**{source: pk, target: t}) for t in targets)
        through.objects.bulk_create(rows, batch_size=BATCH)


def _reset_sequences(model_list) -> None:
    statements = connection.ops.sequence_reset_sql(no_style(), model_list)
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


def content_hashes(path: Path) -> dict[str, str]:
    """The archive's content, model by model, as SHA-256 (what a round trip must keep)."""
    manifest = read_manifest(path)
    hashes = {entry["model"]: entry["sha256"] for entry in manifest["models"]}
    hashes.update({f"media/{entry['path']}": entry["sha256"] for entry in manifest["media"]})
    return hashes


__all__ = [
    "ArchiveError",
    "content_hashes",
    "export_archive",
    "import_archive",
    "read_manifest",
]
