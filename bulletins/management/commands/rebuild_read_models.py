import time

from django.core.management.base import BaseCommand
from tqdm import tqdm

from bulletins.models import Entity, Item, ItemStatus
from bulletins.readmodels import rebuild


class Command(BaseCommand):
    help = (
        "Recompute the read models (mention counts per entity, per month, co-mentions, the "
        "entity index, item markup, and the ledger of what each item adds to the counts) from "
        "the live tables, with a progress bar. The workflow keeps them up to date by delta; "
        "run this after writing rows directly (imports in bulk, generate_archive does it "
        "itself) or to repair them."
    )

    def add_arguments(self, parser):
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, no_progress=False, **options):
        started = time.perf_counter()
        total = Entity.objects.count() + Item.objects.filter(status=ItemStatus.APPROVED).count()
        with tqdm(total=total, unit="row", disable=no_progress) as bar:
            figures = rebuild(progress=bar.update)
        summary = ", ".join(f"{value} {name}" for name, value in figures.items())
        self.stdout.write(
            f"rebuilt read models ({summary}) in {time.perf_counter() - started:.1f} s"
        )
