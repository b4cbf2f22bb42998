"""Restore a newsroom-archive folder written by export_archive (see bulletins/archive.py)."""

import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from bulletins.archive import ArchiveError, import_archive


class Command(BaseCommand):
    help = (
        "Restore PATH (written by export_archive) after checking its format and checksums, all "
        "or nothing. A full archive goes into an empty, freshly migrated database; an "
        "incremental one (--since) is applied on top. The search index is rebuilt."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", metavar="PATH", help="an archive folder")
        parser.add_argument("--no-progress", action="store_true", help="no progress bars")

    def handle(self, *args, path, no_progress, **options):
        started = time.perf_counter()
        bars = []

        def progress(label, total):
            bar = tqdm(total=total, desc=label, unit="row", disable=no_progress, leave=False)
            bars.append(bar)
            return bar.update

        try:
            report = import_archive(path, progress=progress)
        except ArchiveError as exc:
            raise CommandError(str(exc)) from None
        finally:
            for bar in bars:
                bar.close()
        self.stdout.write(
            f"imported {sum(report.rows.values())} rows and {report.media} media files from "
            f"{path} in {time.perf_counter() - started:.1f} s"
        )
