"""Generate a deterministic archive of published issues for benchmarks and load tests.

Thin: the generator is ``bulletins.benchmarks._generator``.
"""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from bulletins.benchmarks._generator import generate_archive


class Command(BaseCommand):
    help = (
        "Generate a deterministic archive of published 日报 issues (Chinese items from templates, "
        "entities with aliases, entity links, search index) for benchmarks. It is a data "
        "generator, not an editorial action: it writes published rows in bulk and bypasses "
        "the workflow (no review, no history). Days that already have an issue are skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=3650, help="number of daily issues")
        parser.add_argument("--items-per-day", type=int, default=25)
        parser.add_argument("--entities", type=int, default=5000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--end",
            type=dt.date.fromisoformat,
            default=dt.date(2026, 3, 16),
            help="date of the last issue (YYYY-MM-DD); the archive runs back from it",
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, days, items_per_day, entities, seed, end, no_progress, **options):
        if days < 1 or items_per_day < 1 or entities < 0:
            raise CommandError("--days and --items-per-day must be at least 1.")
        result = generate_archive(
            days=days,
            items_per_day=items_per_day,
            entities=entities,
            seed=seed,
            end=end,
            progress=not no_progress,
        )
        self.stdout.write(
            f"{result['bulletins']} issues, {result['items']} items, "
            f"{result['entities']} entities ({result['skipped']} days already had an issue)"
        )
