"""Backup and restore of the generated ten-year archive: export_archive, then import_archive
into an empty database (defect 15; targets: export under 60 s, import under 3 minutes,
search index rebuild included).

SQLite restores into ``var/bench/restore.sqlite3``; PostgreSQL into ``<database>_restore``
(both dropped and created again each run, their migrate not timed). The restored archive is
exported again and its content hashes compared with the first export's.
"""

import shutil
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import connections

from ..archive import content_hashes, export_archive, import_archive
from ._archive import archive


def _point_at(connection, name) -> None:
    connection.close()
    connection.settings_dict["NAME"] = name


def _fresh_restore_database(connection, original_name) -> str:
    if connection.vendor == "sqlite":
        target = Path(settings.VAR_DIR) / "bench" / "restore.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        return str(target)
    target = f"{original_name}_restore"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{target}"')
        cursor.execute(f'CREATE DATABASE "{target}"')
    return target


def run(*, out, quick: bool) -> dict[str, str]:
    days, per_day, n_entities = (60, 25, 500) if quick else (3650, 25, 5000)
    connection = connections["default"]
    folder = Path(tempfile.mkdtemp(prefix="newsroom-archive-"))
    with archive(days=days, per_day=per_day, entities=n_entities, out=out) as figures:
        source_name = connection.settings_dict["NAME"]
        started = time.perf_counter()
        manifest = export_archive(folder / "first")
        figures["export"] = f"{time.perf_counter() - started:.1f} s (target < 60 s)"
        rows = sum(entry["rows"] for entry in manifest["models"])
        size = sum(p.stat().st_size for p in (folder / "first").rglob("*") if p.is_file())
        figures["archive"] = f"{rows} rows, {size / 1e6:.0f} MB"
        target = _fresh_restore_database(connection, source_name)
        try:
            _point_at(connection, target)
            call_command("migrate", verbosity=0, interactive=False)
            started = time.perf_counter()
            import_archive(folder / "first")
            figures["import (with search index)"] = (
                f"{time.perf_counter() - started:.1f} s (target < 180 s)"
            )
            export_archive(folder / "second")
            same = content_hashes(folder / "first") == content_hashes(folder / "second")
            figures["restored content identical"] = "yes" if same else "NO"
        finally:
            _point_at(connection, source_name)
            shutil.rmtree(folder, ignore_errors=True)
    return figures
