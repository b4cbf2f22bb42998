"""Back the newsroom up into a portable archive folder (see bulletins/archive.py)."""

import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from bulletins.archive import ArchiveError, export_archive


def parse_since(value: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(
            f"--since {value!r} is not a date or time (e.g. 2026-11-01 or 2026-11-01T08:00+08:00)"
        ) from None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


class Command(BaseCommand):
    help = (
        "Write everything (issues, items, revisions, transitions, entities, links, corrections, "
        "settings, users and groups, media files) into PATH as a newsroom-archive folder: "
        "manifest.json with checksums, data/*.jsonl, media/. Users go without password hashes "
        "and API tokens unless --with-secrets."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", metavar="PATH", help="a new or empty folder")
        parser.add_argument(
            "--since",
            type=parse_since,
            metavar="WHEN",
            help="only what changed since then (an incremental archive)",
        )
        parser.add_argument(
            "--with-secrets",
            action="store_true",
            help="include password hashes and API tokens (keep such an archive safe)",
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bars")

    def handle(self, *args, path, since, with_secrets, no_progress, **options):
        started = time.perf_counter()
        bars = []

        def progress(label, total):
            bar = tqdm(total=total, desc=label, unit="row", disable=no_progress, leave=False)
            bars.append(bar)
            return bar.update

        try:
            manifest = export_archive(
                path, since=since, with_secrets=with_secrets, progress=progress
            )
        except ArchiveError as exc:
            raise CommandError(str(exc)) from None
        finally:
            for bar in bars:
                bar.close()
        rows = sum(entry["rows"] for entry in manifest["models"])
        self.stdout.write(
            f"exported {rows} rows of {len(manifest['models'])} models and "
            f"{len(manifest['media'])} media files to {path} in "
            f"{time.perf_counter() - started:.1f} s"
        )
        for name in manifest.get("missing_media", []):
            self.stderr.write(f"warning: media file {name} is referenced but missing")
