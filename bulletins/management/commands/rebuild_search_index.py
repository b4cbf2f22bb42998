import time

from django.core.management.base import BaseCommand
from tqdm import tqdm

from bulletins.models import Item
from bulletins.search import rebuild_index


class Command(BaseCommand):
    help = (
        "Rebuild the search index of every item (any status; search filters to published "
        "items at query time), with a progress bar."
    )

    def add_arguments(self, parser):
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, no_progress=False, **options):
        started = time.perf_counter()
        with tqdm(total=Item.objects.count(), unit="item", disable=no_progress) as bar:
            count = rebuild_index(progress=bar.update)
        self.stdout.write(f"indexed {count} items in {time.perf_counter() - started:.1f} s")
